"""Load a source into text plus the metadata it states: files, URLs, or standard input.

The text is returned exactly as decoded or extracted; every evidence offset refers to it. A source
over the byte cap is refused before it is read whole, so memory never grows with the input.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from briefgen import readers
from briefgen.errors import SourceError
from briefgen.readers import Kind
from briefgen.schema import SourceInfo

#: Largest source read into memory; beyond it briefgen refuses instead of swapping.
MAX_SOURCE_BYTES = 20 * 1024 * 1024
SUFFIX_KINDS: dict[str, Kind] = {
    ".txt": "text",
    ".text": "text",
    ".md": "text",
    ".markdown": "text",
    "": "text",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".pdf": "pdf",
}


@dataclass(frozen=True)
class Source:
    """A loaded source: its text, what it states about itself, and where it came from."""

    text: str
    origin: str
    info: SourceInfo = field(default_factory=SourceInfo)
    kind: Kind = "text"


def is_url(location: str | Path) -> bool:
    """True when ``location`` is an ``http://`` or ``https://`` address."""
    return str(location).lower().startswith(("http://", "https://"))


def _mb(size: int) -> str:
    return f"{size / 2**20:.0f} MB" if size >= 2**20 else f"{size // 1024} KB"


def _read_capped(stream: BinaryIO, origin: str, max_bytes: int) -> bytes:
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise SourceError(f"{origin} is larger than {_mb(max_bytes)}: split it first")
    return data


def _source(
    data: bytes,
    kind: Kind,
    origin: str,
    label: str,
    *,
    url: str | None = None,
    charset: str | None = None,
) -> Source:
    if not data.strip():
        raise SourceError(f"{origin} is empty: nothing to brief")
    text, info = readers.read(data, kind, origin, url=url, charset=charset)
    if not text.strip():
        raise SourceError(f"{origin} is empty: nothing to brief")
    return Source(text, origin, info.model_copy(update={"origin": label}), kind)


def read_stream(
    stream: BinaryIO, origin: str = "<stdin>", *, max_bytes: int = MAX_SOURCE_BYTES
) -> Source:
    """Read a source from a binary stream (e.g. standard input); HTML and PDF are recognised."""
    data = _read_capped(stream, origin, max_bytes)
    return _source(data, readers.sniff(data) or "text", origin, origin)


def load_url(url: str, *, allow_private_urls: bool = False, max_bytes: int | None = None) -> Source:
    """Fetch ``url`` (see :func:`briefgen.fetch.fetch`) and read it as HTML, text or PDF.

    ``max_bytes`` defaults to :data:`briefgen.fetch.MAX_FETCH_BYTES`.
    """
    from briefgen import fetch  # httpx and the resolver: only URLs need them

    limit = fetch.MAX_FETCH_BYTES if max_bytes is None else max_bytes
    got = fetch.fetch(url, allow_private=allow_private_urls, max_bytes=limit)
    return _source(got.data, got.kind, url, url, url=got.url, charset=got.charset)


def load_source(
    location: str | Path,
    *,
    allow_private_urls: bool = False,
    max_bytes: int = MAX_SOURCE_BYTES,
) -> Source:
    """Load a source: a file (.txt, .md, .html, .pdf), an ``http(s)://`` URL, or ``-`` (stdin).

    Args:
        location: a path, a URL, or ``-``.
        allow_private_urls: let a URL reach loopback and private-network addresses.
        max_bytes: refuse a file larger than this before reading it.

    Raises:
        SourceError: missing, unreadable, empty, too large, binary, unsupported, a PDF without
            text, or a URL that cannot or may not be fetched.
    """
    if str(location) == "-":
        return read_stream(sys.stdin.buffer, max_bytes=max_bytes)
    if is_url(location):
        return load_url(str(location), allow_private_urls=allow_private_urls)
    path = Path(location)
    origin = str(location)
    if not path.exists():
        raise SourceError(f"{origin} does not exist: check the path")
    if path.is_dir():
        raise SourceError(f"{origin} is a folder: pass a file, or -o OUTDIR to brief the folder")
    kind = SUFFIX_KINDS.get(path.suffix.lower())
    if kind is None:
        raise SourceError(
            f"{origin}: unsupported file type {path.suffix!r}; use .txt, .md, .html or .pdf"
        )
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SourceError(f"{origin} is {_mb(size)}, over the {_mb(max_bytes)} limit")
        # Read at most one byte past the cap: a file that grows, or a device, can't flood memory.
        with path.open("rb") as fh:
            data = _read_capped(fh, origin, max_bytes)
    except OSError as exc:
        raise SourceError(f"cannot read {origin}: {exc.strerror or exc}") from exc
    if kind == "text" and readers.sniff(data) == "pdf":
        kind = "pdf"  # a PDF saved under a text name is still a PDF
    return _source(data, kind, origin, path.name)
