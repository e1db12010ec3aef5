"""Dollar cost of token usage, from the maintained ``genai-prices`` table.

A model the table does not know costs ``None`` ("unknown"), never a guess. A backend declares
how it is priced (:class:`briefgen.backends.Capabilities`): free (the embedded local model), by
its provider (OpenAI), or by its server's URL. OpenAI's Batch API bills half the standard price.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from briefgen.schema import Usage

#: The OpenAI Batch API's discount on the standard per-token price.
BATCH_DISCOUNT = 0.5


@lru_cache(maxsize=64)
def _per_million(
    model: str, provider_id: str | None, api_url: str | None
) -> tuple[float, float] | None:
    """Input and output dollars per million tokens; None when the table lacks the model.

    Cached either way: a miss searches the whole table (~5 ms), once per source in a batch.
    The table is imported here, on first use: it takes ~0.2 s, which a run that prices
    nothing (the embedded model, a self-hosted server) should not pay.
    """
    import genai_prices

    million = 1_000_000

    def price(inp: int, out: int) -> float:
        usage = genai_prices.Usage(input_tokens=inp, output_tokens=out)
        if api_url is not None:
            found = genai_prices.calc_price(usage, model, provider_api_url=api_url)
        else:
            found = genai_prices.calc_price(usage, model, provider_id=provider_id)
        return float(found.total_price)

    try:
        return price(million, 0), price(0, million)
    except LookupError:
        return None


def _self_hosted(url: str) -> bool:
    """True for a server on this machine or a private network: no provider bills for it."""
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name: the table decides
    return address.is_loopback or address.is_private or address.is_link_local


def cost_usd(
    usage: Usage,
    model: str,
    *,
    backend: str,
    base_url: str | None = None,
    batch: bool = False,
) -> float | None:
    """What ``usage`` cost in US dollars, or None when the price is unknown.

    Args:
        usage: tokens spent (cached answers spend none).
        model: the model name the server reported or was asked for.
        backend: the backend's name (:data:`briefgen.backends.BACKENDS`).
        base_url: the server URL; a backend without a provider of its own (any
            OpenAI-compatible server) is priced only when the table knows its provider by
            URL (a self-hosted vLLM is "unknown", not OpenAI's price).
            One on loopback or a private address is unknown without a search of the table,
            which takes ~0.1 s of CPU while a batch's first requests go out.
        batch: the tokens went through the OpenAI Batch API.
    """
    from briefgen.backends import capabilities  # the backends load the LLM SDK

    declared = capabilities(backend)
    if declared.free:
        return 0.0
    provider_id = declared.price_provider
    api_url = None if provider_id else base_url
    if api_url is None and provider_id is None:
        return None
    if api_url is not None and _self_hosted(api_url):
        return None
    if (rates := _per_million(model, provider_id, api_url)) is None:
        return None
    per_in, per_out = rates
    total = (usage.prompt_tokens * per_in + usage.completion_tokens * per_out) / 1_000_000
    return total * (BATCH_DISCOUNT if batch else 1.0)


def format_cost(value: float | None) -> str:
    """``$0.0123`` or ``unknown``."""
    return "unknown" if value is None else f"${value:.4f}"
