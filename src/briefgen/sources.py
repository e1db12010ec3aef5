"""Load a source into text plus the metadata it states: files, or standard input.

The text is returned exactly as decoded; every evidence offset refers to it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from briefgen.errors import SourceError
from briefgen.schema import SourceInfo

#: Largest source read into memory; beyond it briefgen refuses instead of swapping.
MAX_SOURCE_BYTES = 20 * 1024 * 1024
TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text", ""})


@dataclass(frozen=True)
class Source:
    """A loaded source: its text, what it states about itself, and where it came from."""

    text: str
    origin: str
    info: SourceInfo = field(default_factory=SourceInfo)


def decode(data: bytes, origin: str) -> str:
    """Bytes to text: UTF-8 (with or without BOM)."""
    if b"\x00" in data[:4096]:
        raise SourceError(f"{origin} looks binary, not text: give a .txt, .md, .html or .pdf file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{origin} is not valid UTF-8 text: re-save it as UTF-8") from exc


def _checked(text: str, origin: str) -> str:
    if not text.strip():
        raise SourceError(f"{origin} is empty: nothing to brief")
    return text


def read_stream(stream: BinaryIO, origin: str = "<stdin>") -> Source:
    """Read a source from a binary stream (e.g. standard input)."""
    data = stream.read(MAX_SOURCE_BYTES + 1)
    if len(data) > MAX_SOURCE_BYTES:
        raise SourceError(f"{origin} is larger than {MAX_SOURCE_BYTES // 2**20} MB: split it first")
    return Source(_checked(decode(data, origin), origin), origin, SourceInfo(origin=origin))


def load_source(location: str | Path) -> Source:
    """Load a source file, or standard input when ``location`` is ``-``.

    Raises:
        SourceError: missing, unreadable, empty, too large, binary or unsupported.
    """
    if str(location) == "-":
        return read_stream(sys.stdin.buffer)
    path = Path(location)
    origin = str(location)
    if not path.exists():
        raise SourceError(f"{origin} does not exist: check the path")
    if path.is_dir():
        raise SourceError(f"{origin} is a folder: pass a file, or -o OUTDIR to brief the folder")
    if path.suffix.lower() not in TEXT_SUFFIXES:
        raise SourceError(f"{origin}: unsupported file type {path.suffix!r}; use .txt or .md")
    try:
        size = path.stat().st_size
        if size > MAX_SOURCE_BYTES:
            raise SourceError(
                f"{origin} is {size // 2**20} MB, over the {MAX_SOURCE_BYTES // 2**20} MB limit"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read {origin}: {exc.strerror or exc}") from exc
    text = _checked(decode(data, origin), origin)
    return Source(text, origin, SourceInfo(origin=path.name))
