"""Keep secrets out of every message briefgen shows or writes: errors, reports, logs, briefs.

A server may echo the API key back in an error body, and a base URL may carry a password; both
would otherwise reach the terminal or a batch report verbatim.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import TypeVar

E = TypeVar("E", bound=BaseException)

MASK = "***"
#: Environment variables whose values are secrets wherever they appear.
SECRET_ENV = ("BRIEFGEN_API_KEY", "OPENAI_API_KEY")
#: Shorter values are not masked: "sk", "test" or "none" would blank out ordinary words.
MIN_SECRET_CHARS = 8

_PATTERNS = (
    # API keys in the shapes OpenAI-style providers issue: sk-..., sk-proj-..., and the like.
    (re.compile(r"\b(sk|rk|pk)-[A-Za-z0-9_\-]{8,}"), rf"\1-{MASK}"),
    # An Authorization header quoted in an error.
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]{8,}"), rf"\1 {MASK}"),
    # user:password@ in a URL.
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^/\s:@]+):[^/\s@]+@"), rf"\1:{MASK}@"),
)


def environment_secrets(env: Mapping[str, str] | None = None) -> list[str]:
    """The secret values set in the environment (API keys)."""
    env = os.environ if env is None else env
    return [env[name] for name in SECRET_ENV if env.get(name)]


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with every given secret, and anything shaped like a key or password, masked.

    Args:
        text: a message about to be shown, logged or written.
        secrets: exact values to mask wherever they occur (e.g. the configured API key).
    """
    for secret in sorted({s for s in secrets if s and len(s) >= MIN_SECRET_CHARS}, key=len)[::-1]:
        text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_error(exc: E, secrets: Iterable[str | None] = ()) -> E:
    """``exc`` with secrets masked in its message arguments (changed in place and returned)."""
    values = list(secrets)
    exc.args = tuple(redact(a, values) if isinstance(a, str) else a for a in exc.args)
    return exc
