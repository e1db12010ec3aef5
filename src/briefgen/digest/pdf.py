"""Render a :class:`Digest` as a one-page PDF in the brief's newsroom style (Typst).

Every value passes through :func:`briefgen.renderers.pdf.escape_typst`. A digest that does not
fit one A4 page first loses the quotes under its positions and differences, then its type shrinks
in steps, then its lowest-priority items go (each section says "+N more in the full digest"):
actors, then positions, then timeline events, then differences, which keep the framing and
conflicts longest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import jinja2

from briefgen.digest.html import BADGE_COLOURS
from briefgen.digest.render import DIGEST_FORMATS, add_filters, clip
from briefgen.digest.schema import Digest, TimelineEvent
from briefgen.errors import RenderError
from briefgen.renderers.base import make_environment, template
from briefgen.renderers.pdf import (
    compile_page,
    escape_typst,
    finish_pdf,
    generated,
    long_date,
    timeline_date,
    typst_string,
)
from briefgen.renderers.registry import OutputFormat
from briefgen.schema import Event, Evidence

#: Base type sizes in points, largest first; the last is the readable floor.
SIZES: tuple[float, ...] = (10.0, 9.5, 9.0, 8.5, 8.0)
SECTIONS: tuple[str, ...] = ("timeline", "differences", "positions", "actors")
#: The order items leave a full page, lowest priority first: (section, items it keeps).
TRIM_ORDER: tuple[tuple[str, int], ...] = (
    ("actors", 4),
    ("positions", 3),
    ("timeline", 6),
    ("differences", 4),
    ("actors", 0),
    ("positions", 1),
    ("timeline", 3),
    ("differences", 2),
)
_ORDER = {"framing": 0, "conflict": 1, "only_in": 2}


@dataclass(frozen=True)
class Fit:
    """One candidate layout: type size, items kept per section, quotes shown per item."""

    size: float
    keep: tuple[tuple[str, int], ...]
    quotes: int


def event_date(event: TimelineEvent) -> tuple[str, str]:
    """The timeline's two-line date of ``event`` (as a brief's PDF writes it)."""
    shaped = Event(
        date=event.date,
        date_text=event.date_text,
        description=event.description,
        evidence=Evidence(quote=""),
    )
    return timeline_date(shaped)


@cache
def _environment() -> jinja2.Environment:
    env = add_filters(make_environment(escape_typst))
    env.filters["tstr"] = typst_string
    env.filters["long_date"] = long_date
    env.filters["clip"] = clip
    env.filters["generated"] = generated
    env.filters["event_date"] = event_date
    return env


def preload() -> None:
    """Compile the template ahead of the first digest."""
    template(_environment(), "digest.typ.j2")


def ordered(digest: Digest) -> Digest:
    """``digest`` with its differences in the page's order: framing, conflicts, then what only
    one source reports (trimming drops from the end)."""
    kinds = sorted(digest.differences, key=lambda x: _ORDER[x.kind])
    return digest.model_copy(update={"differences": kinds})


def typst_source(digest: Digest, fit: Fit | None = None) -> str:
    """The Typst source of ``digest`` laid out as ``fit`` says (by default everything)."""
    full = tuple((s, len(getattr(digest, s))) for s in SECTIONS)
    fit = fit or Fit(SIZES[0], full, 2)
    keep = dict(fit.keep)
    view = ordered(digest)
    kept = {s: getattr(view, s)[: keep[s]] for s in SECTIONS}
    more = {s: len(getattr(view, s)) - keep[s] for s in SECTIONS}
    dates = sorted({s.date[:10] for s in digest.sources if s.date})
    return template(_environment(), "digest.typ.j2").render(
        d=view,
        size=fit.size,
        more=more,
        quotes=fit.quotes,
        dates=dates,
        colours={s.id: BADGE_COLOURS[i % len(BADGE_COLOURS)] for i, s in enumerate(view.sources)},
        **kept,
    )


def render_pdf(digest: Digest) -> bytes:
    """The digest as a one-page A4 PDF (see the module docstring for how it is made to fit).

    Raises:
        RenderError: Typst failed, or not even the trimmed digest fits one page.
    """
    full = tuple((s, len(getattr(digest, s))) for s in SECTIONS)
    candidates = [Fit(SIZES[0], full, 2), Fit(SIZES[0], full, 1)]
    candidates += [Fit(size, full, 0) for size in SIZES]
    keep = dict(full)
    for section, floor in TRIM_ORDER:
        while keep[section] > floor:
            keep[section] -= 1
            candidates.append(Fit(SIZES[-1], tuple(keep.items()), 0))
    # Candidates go from most to least content: the first that fits is found by halving.
    compiled: dict[int, bytes | None] = {}

    def fits(i: int) -> bool:
        if i not in compiled:
            pdf, pages = compile_page(typst_source(digest, candidates[i]), digest.meta.created)
            compiled[i] = pdf if pages == 1 else None
        return compiled[i] is not None

    lo, hi = 0, len(candidates)
    while lo < hi:
        mid = (lo + hi) // 2
        if fits(mid):
            hi = mid
        else:
            lo = mid + 1
    if lo == len(candidates):
        raise RenderError("the digest does not fit one page even trimmed: use --format html or md")
    pdf = compiled[lo]
    assert pdf is not None
    return finish_pdf(pdf, digest.meta.briefgen_version)


def _render(digest: Digest, texts: Mapping[str, str] | None) -> bytes:
    return render_pdf(digest)


DIGEST_FORMATS.register(OutputFormat("pdf", ".pdf", _render, binary=True, preload=preload))
