"""Write a :class:`Briefing` in any registered output format.

An output format is one module here (and its template in ``templates/``) that registers itself
with :data:`~briefgen.renderers.registry.BRIEF_FORMATS`: its name, file extension, whether it needs
the source text, and how it renders. :mod:`briefgen.renderers.base` holds what the formats share.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from briefgen.renderers.registry import BRIEF_FORMATS

if TYPE_CHECKING:
    from briefgen.schema import Briefing

#: A format's name, one of ``BRIEF_FORMATS.names()``.
Format = str


def format_for(path: str | Path | None, default: Format = "md") -> Format:
    """The output format an output file name implies (``brief.pdf`` → ``pdf``)."""
    return BRIEF_FORMATS.format_for(path, default)


def output_paths(path: str | Path, formats: Sequence[Format]) -> list[Path]:
    """Where a brief in each of ``formats`` goes when ``-o`` names ``path``.

    One format: ``path`` itself, whatever its extension. Several: ``path`` with each format's
    extension in place of a brief extension it has (``brief.md`` or ``brief`` with md and pdf:
    ``brief.md``, ``brief.pdf``); another suffix is kept (``brief.v2`` gives ``brief.v2.md``).
    """
    given = Path(path)
    if len(formats) == 1:
        return [given]
    stem = given.with_suffix("") if BRIEF_FORMATS.implies_format(given.suffix) else given
    return [stem.with_name(stem.name + BRIEF_FORMATS[fmt].extension) for fmt in formats]


def preload(formats: Iterable[Format]) -> None:
    """Load what rendering ``formats`` takes once per process (compiled templates; the PDF
    compiler and its fonts). A batch runs this while its first requests are in flight, so
    its first briefs do not all wait on it."""
    BRIEF_FORMATS.preload(tuple(formats))


def render(briefing: Briefing, fmt: Format = "md", *, source: str | None = None) -> bytes:
    """Render ``briefing`` in ``fmt`` and return the bytes to write.

    Args:
        briefing: the brief.
        fmt: a registered format: ``md``, ``json``, ``jsonl`` (the JSON on one line), ``pdf``
            or ``html``.
        source: the source text, needed by the formats that show it (the HTML evidence view).

    Raises:
        RenderError: an unknown format, a format that needs the source without it, or one that
            failed.
    """
    return BRIEF_FORMATS.render(briefing, fmt, source)
