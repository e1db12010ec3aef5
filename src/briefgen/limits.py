"""Run-wide pacing of LLM requests: request and token rate limits, and a shared 429 back-off.

One :class:`RunLimiter` is shared by every concurrent brief of a batch. Rate limits use
``aiolimiter``'s leaky buckets; a 429 closes a gate that holds back *every* new request until the
server's ``Retry-After`` has passed, so a rate-limited run slows down as a whole instead of each
worker hammering the server on its own schedule.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from typing import TYPE_CHECKING, Any

from briefgen.errors import ConfigError

if TYPE_CHECKING:
    from aiolimiter import AsyncLimiter

#: Back-off when a 429 names no Retry-After.
DEFAULT_BACKOFF = 1.0
#: Rough characters per token, to estimate a request's size before it is sent.
CHARS_PER_TOKEN = 4


def estimate_tokens(body: dict[str, Any]) -> int:
    """Tokens a request may count against a TPM quota: its prompt plus its output cap.

    Providers count the output cap (``max_tokens``) at admission time, so the estimate does too.
    """
    prompt = len(json.dumps(body.get("messages", []), ensure_ascii=False)) // CHARS_PER_TOKEN
    cap = body.get("max_completion_tokens") or body.get("max_tokens") or 0
    return int(prompt) + int(cap)


def check_rates(rpm: float | None, tpm: float | None) -> None:
    """Refuse a rate limit that is not a number above 0 (None means no limit).

    Raises:
        ConfigError: ``rpm`` or ``tpm`` is 0, negative, infinite or NaN.
    """
    for name, rate in (("rpm", rpm), ("tpm", tpm)):
        if rate is not None and not 0 < rate < math.inf:
            raise ConfigError(
                f"{name} must be a number above 0, got {rate:g}: leave it out for no limit"
            )


class RunLimiter:
    """Pace requests: at most ``rpm`` requests and ``tpm`` tokens a minute, and back off on 429.

    Args:
        rpm: requests per minute, or None for no limit.
        tpm: tokens per minute (prompt estimate plus output cap), or None for no limit.

    Raises:
        ConfigError: a rate is not a number above 0.
    """

    def __init__(self, rpm: float | None = None, tpm: float | None = None) -> None:
        check_rates(rpm, tpm)
        self.rpm: AsyncLimiter | None = None
        self.tpm: AsyncLimiter | None = None
        if rpm or tpm:  # imported only then: a run without limits should not pay for it
            from aiolimiter import AsyncLimiter

            self.rpm = AsyncLimiter(rpm, 60.0) if rpm else None
            self.tpm = AsyncLimiter(tpm, 60.0) if tpm else None
        self._resume_at = 0.0
        self.backoffs = 0

    async def acquire(self, body: dict[str, Any]) -> None:
        """Wait until the back-off gate is open and both rate limits admit this request."""
        await self.wait_gate()
        await self._admit(body)

    def acquire_blocking(self, body: dict[str, Any]) -> None:
        """The blocking twin of :meth:`acquire`: wait while the 429 back-off gate is closed.

        Raises:
            ConfigError: the limiter has rate limits, which pace async runs only (aiolimiter's
                buckets belong to one event loop; a sync caller sends one request at a time).
        """
        if self.rpm is not None or self.tpm is not None:
            raise ConfigError("rpm and tpm pace async runs only: brief with AsyncBriefer")
        while (delay := self._resume_at - time.monotonic()) > 0:
            time.sleep(delay)

    async def _admit(self, body: dict[str, Any]) -> None:
        if self.rpm is not None:
            await self.rpm.acquire()
        if self.tpm is not None:
            # A single request larger than the whole minute's budget still gets through, alone.
            await self.tpm.acquire(min(estimate_tokens(body), self.tpm.max_rate))

    async def wait_gate(self) -> None:
        """Sleep while a 429 back-off is in force (it may be extended while we sleep)."""
        while (delay := self._resume_at - time.monotonic()) > 0:
            await asyncio.sleep(delay)

    def back_off(self, seconds: float | None) -> None:
        """Hold every new request for ``seconds`` (the server's Retry-After, or a default)."""
        self.backoffs += 1
        wait = DEFAULT_BACKOFF if seconds is None else seconds
        self._resume_at = max(self._resume_at, time.monotonic() + wait)
