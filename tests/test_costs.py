"""Dollar costs from genai-prices: known models priced, unknown ones None, batch half price."""

from __future__ import annotations

import pytest

from briefgen.costs import _per_million, cost_usd, format_cost
from briefgen.schema import Usage

USAGE = Usage(prompt_tokens=1_000_000, completion_tokens=1_000_000, total_tokens=2_000_000)


def test_openai_model_is_priced_from_the_table():
    price = cost_usd(USAGE, "gpt-4o-mini", backend="openai")
    assert price == pytest.approx(0.15 + 0.60)  # $/MTok input + output in the table


def test_batch_api_is_half_price():
    live = cost_usd(USAGE, "gpt-4o-mini", backend="openai")
    assert live is not None
    assert cost_usd(USAGE, "gpt-4o-mini", backend="openai", batch=True) == pytest.approx(live / 2)


def test_unknown_model_or_self_hosted_server_is_unknown():
    assert cost_usd(USAGE, "no-such-model-xyz", backend="openai") is None
    # the same model name behind a self-hosted server is not OpenAI's price
    local = "http://127.0.0.1:8000/v1"
    assert cost_usd(USAGE, "gpt-4o-mini", backend="openai-compatible", base_url=local) is None


def test_embedded_model_costs_nothing_and_formatting():
    assert cost_usd(USAGE, "qwen", backend="embedded") == 0.0
    assert format_cost(None) == "unknown"
    assert format_cost(0.12345) == "$0.1235"


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8080/v1",
        "http://127.0.0.1:8000/v1",
        "http://[::1]:8000/v1",
        "http://10.0.3.7/v1",
        "http://192.168.1.20:8000/v1",
    ],
)
def test_a_server_on_this_machine_or_a_private_network_is_unknown_without_a_search(
    url, monkeypatch
):
    def search(*args, **kwargs):
        raise AssertionError("the price table was searched")

    monkeypatch.setattr("genai_prices.calc_price", search)
    _per_million.cache_clear()  # an earlier test's lookup must not answer for this one
    assert cost_usd(USAGE, "gpt-4o-mini", backend="openai-compatible", base_url=url) is None


def test_a_provider_known_by_its_public_url_is_still_priced():
    price = cost_usd(
        USAGE, "gpt-4o-mini", backend="openai-compatible", base_url="https://api.openai.com/v1"
    )
    assert price == pytest.approx(0.15 + 0.60)
