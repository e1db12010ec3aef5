"""Run-wide pacing: rate limits are numbers above 0, or absent."""

from __future__ import annotations

import time

import pytest

from briefgen.errors import ConfigError
from briefgen.limits import RunLimiter


@pytest.mark.parametrize(
    ("rpm", "tpm"), [(0, None), (-1, None), (None, 0), (float("nan"), None), (None, float("inf"))]
)
def test_a_rate_that_is_not_above_zero_is_a_config_error(
    rpm: float | None, tpm: float | None
) -> None:
    with pytest.raises(ConfigError, match=r"must be a number above 0.*leave it out for no limit"):
        RunLimiter(rpm, tpm)


def test_no_limit_and_positive_limits_are_fine() -> None:
    assert RunLimiter().rpm is None
    assert RunLimiter(3, 10_000).rpm is not None


def test_a_sync_caller_waits_out_the_429_gate() -> None:
    body = {"messages": [{"role": "user", "content": "x"}], "max_tokens": 10}
    limiter = RunLimiter()
    limiter.back_off(0.05)
    started = time.monotonic()
    limiter.acquire_blocking(body)
    assert time.monotonic() - started >= 0.04 and limiter.backoffs == 1
    with pytest.raises(ConfigError, match="async"):
        RunLimiter(rpm=2).acquire_blocking(body)
