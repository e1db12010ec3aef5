"""LLM backends: one module each, one :class:`Backend` protocol, looked up by name.

Adding a backend is one module with a class that meets :class:`Backend` (most subclass
:class:`briefgen.backends.sdk.SDKBackend`), plus its line in :data:`BACKENDS`; the rest of
briefgen asks its :class:`Capabilities`, never its name.
"""

from __future__ import annotations

from typing import Any

from briefgen.backends.base import Backend, Capabilities, Client, Fault, Opened, Reply
from briefgen.backends.compatible import Compatible
from briefgen.backends.embedded import Embedded
from briefgen.backends.openai import OpenAI
from briefgen.errors import ConfigError

__all__ = [
    "BACKENDS",
    "Backend",
    "Capabilities",
    "Client",
    "Fault",
    "Opened",
    "Reply",
    "capabilities",
    "for_client",
    "get",
]

#: Every backend by the name settings choose it with (:attr:`briefgen.settings.Settings.backend`).
BACKENDS: dict[str, Backend] = {b.name: b for b in (OpenAI(), Compatible(), Embedded())}


def get(name: str) -> Backend:
    """The backend called ``name``.

    Raises:
        ConfigError: no backend has that name.
    """
    try:
        return BACKENDS[name]
    except KeyError:
        known = ", ".join(sorted(BACKENDS))
        raise ConfigError(f"unknown backend {name!r}: use one of {known}") from None


def capabilities(name: str) -> Capabilities:
    """What the backend called ``name`` can do."""
    return get(name).capabilities


def for_client(client: Any) -> Backend:
    """The backend a caller's own client reaches: OpenAI's API, or a compatible server."""
    return BACKENDS["openai" if "api.openai.com" in str(client.base_url) else "openai-compatible"]
