"""briefgen's installed version, for briefs' metadata and ``--version``.

A module of its own so that ``briefgen --version`` imports nothing else.
"""

from __future__ import annotations

import functools


@functools.cache
def version() -> str:
    """The installed distribution's version; ``0+unknown`` when run from a source tree."""
    import importlib.metadata  # ~20 ms, and only briefs and --version need it

    try:
        return importlib.metadata.version("briefgen")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"
