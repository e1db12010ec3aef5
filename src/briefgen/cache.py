"""On-disk cache of LLM responses, keyed by a hash of the exact request.

The key covers the JSON request body (model, messages, sampling, response format) and the server's
base URL, never the API key, so the same request to the same server is answered from disk: a
re-run or a re-render in another format costs no tokens. Only answers a brief was made of are
stored (:meth:`briefgen.llm.LLM.keep`), never a refusal or an answer that failed to parse, which
a rerun could then never get past. Entries are written atomically, so a killed process leaves
whole entries or none.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import platformdirs

from briefgen.errors import RenderError
from briefgen.output import write_atomic

#: Bump when the stored entry format changes; old entries then simply stop matching.
CACHE_VERSION = 1


def default_cache_dir() -> Path:
    """Where responses are cached: ``$BRIEFGEN_CACHE_DIR/responses`` or the user cache dir."""
    override = os.environ.get("BRIEFGEN_CACHE_DIR")
    root = Path(override) if override else Path(platformdirs.user_cache_dir("briefgen"))
    return root / "responses"


def request_key(body: dict[str, Any], base_url: str) -> str:
    """A stable SHA-256 over the request body and the server it goes to.

    Args:
        body: the JSON request body exactly as sent (model included).
        base_url: the server's base URL; the API key is deliberately left out.
    """
    canonical = json.dumps(
        {"v": CACHE_VERSION, "base_url": base_url.rstrip("/"), "body": body},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ResponseCache:
    """A folder of ``<key[:2]>/<key>.json`` files, one per stored LLM response.

    Args:
        root: the cache folder; created on first write.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored response body for ``key``, or None (a corrupt entry counts as missing)."""
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.misses += 1
            return None
        if not isinstance(data, dict):
            self.misses += 1
            return None
        self.hits += 1
        return data

    def put(self, key: str, response: dict[str, Any]) -> None:
        """Store one response body; an unwritable cache is not worth failing a brief over."""
        data = json.dumps(response, ensure_ascii=False).encode("utf-8")
        try:
            write_atomic(self._path(key), data, durable=False)
        except (RenderError, OSError):
            return
