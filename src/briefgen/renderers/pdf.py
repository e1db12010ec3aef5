"""The ``pdf`` format: a :class:`Briefing` as one PDF page; Jinja writes Typst, typst compiles it.

Every value in the Typst source passes through :func:`escape_typst` (the environment's
``finalize``), so an article full of ``# $ * _ @ [ ] { }`` stays text. When the brief does not fit
one A4 page, :func:`layout_pdf` first leaves out the events' evidence quotes (shown only while they
fit), then shrinks the type in steps down to :data:`SIZES`' floor, then drops the lowest-priority
items (each section says "+N more in the full brief"), and as a last resort shortens long passages
with a visible "…" and a note on the page.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from briefgen.errors import RenderError
from briefgen.renderers.base import Raw, make_environment, template
from briefgen.renderers.registry import BRIEF_FORMATS, OutputFormat

# typst and pikepdf are large native extensions that md and json users never need: they are
# imported where a PDF is made, not when the format registers.
if TYPE_CHECKING:
    import jinja2

    from briefgen.schema import Actor, Briefing, Event, OpenQuestion, Position

#: Base type sizes in points, largest first; the last one is the readable floor.
SIZES: tuple[float, ...] = (11.0, 10.5, 10.0, 9.5, 9.0, 8.5, 8.0)
#: The smallest base size the type shrinks to so that every event's quote fits; below it, some
#: quotes are left out instead, since the quotes repeat what the events say.
QUOTE_FLOOR = 10.0
#: The order items leave a full page, lowest priority first: (section, items it keeps).
TRIM_ORDER: tuple[tuple[str, int], ...] = (
    ("open_questions", 2),
    ("positions", 2),
    ("key_events", 4),
    ("actors", 4),
    ("open_questions", 1),
    ("positions", 1),
    ("key_events", 2),
    ("actors", 2),
)
SECTIONS: tuple[str, ...] = ("key_events", "actors", "positions", "open_questions")
#: Character caps for free text, tried when the full brief overflows at the floor size. They sit
#: above the draft schema's own limits, so only hand-made or merged briefs ever meet them.
CLIP_TITLE = 140
CLIP_SUMMARY = 320
CLIP_TEXT = 240
CLIP_SHORT = 80

# Every ASCII punctuation character: Typst markup gives most of them a meaning (# code, $ math,
# * strong, _ emph, @ ref, < label, [ ] content, / comment, ~ nbsp, = heading, - list, ` raw,
# : URL autolinks) and a backslash escapes any character, so escaping all of them is the one rule
# that cannot miss a case.
_TYPST_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def escape_typst(value: Any) -> str:
    """Make any value inert Typst markup: one line, every ASCII punctuation backslash-escaped."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # numbers carry no markup and the template uses them in code (sizes)
    text = " ".join(str(value).split())
    return _TYPST_SPECIAL.sub(r"\\\1", text)


def typst_string(value: Any) -> Raw:
    """A Typst string literal for code arguments (``author: (...)``), ``"`` and ``\\`` escaped."""
    text = " ".join(str(value or "").split())
    return Raw('"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')


def timeline_date(event: Event) -> tuple[str, str]:
    """A timeline date as two lines: ``("Dec 9", "2025")``, ``("Sep", "2025")``, ``("2028", "")``.

    Undated events show their date as written: a month and day the text gives no year shortened
    as a dated one is ("December 9" → "Dec 9"), other words clipped to the column's three
    lines, or "undated".
    """
    if event.date:
        parts = event.date.split("-")
        try:
            if len(parts) == 3:
                return f"{_MONTHS[int(parts[1]) - 1]} {int(parts[2])}", parts[0]
            if len(parts) == 2:
                return _MONTHS[int(parts[1]) - 1], parts[0]
        except (ValueError, IndexError):
            pass
        return event.date, ""
    from briefgen.dates import month_day  # here: --help lists this module, and dates is heavy

    written = event.date_text or ""
    if found := month_day(written):
        return f"{_MONTHS[found[0] - 1]} {found[1]}", ""
    return (_clip(written, 24) or "undated"), ""


def long_date(value: str | None) -> str:
    """``2025-03-14`` → ``14 March 2025``; ``2025-03`` → ``March 2025``; anything else unchanged."""
    if not value:
        return ""
    parts = value[:10].split("-")
    try:
        if len(parts) == 3:
            return f"{int(parts[2])} {_MONTH_NAMES[int(parts[1]) - 1]} {parts[0]}"
        if len(parts) == 2:
            return f"{_MONTH_NAMES[int(parts[1]) - 1]} {parts[0]}"
    except (ValueError, IndexError):
        pass
    return value


def generated(created: str) -> str:
    """When the brief was made, for the footer: ``2026-11-29T14:41:18+00:00`` →
    ``29 November 2026, 14:41 UTC``."""
    try:
        made = datetime.fromisoformat(created)
    except ValueError:
        return created
    offset = made.utcoffset()
    zone = "" if offset is None else " UTC" if offset == timedelta(0) else f" {made:%z}"
    return f"{long_date(made.date().isoformat())}, {made:%H:%M}{zone}"


@dataclass(frozen=True)
class Fit:
    """One candidate layout: base type size, items kept per section, long text shortened or not,
    and how many events (the first ones) show their evidence quote."""

    size: float
    keep: tuple[tuple[str, int], ...]
    clipped: bool = False
    quotes: int = 0


@dataclass(frozen=True)
class PdfLayout:
    """The rendered PDF and how it was made to fit.

    Attributes:
        pdf: the PDF bytes.
        pages: page count (1 unless the input defeats every fallback, which raises instead).
        size: the base type size used, in points.
        dropped: items left out per section (each shown as "+N more in the full brief").
        clipped: True when long passages were shortened with a visible "…".
        compiles: how many Typst compilations the fit took.
        quotes: how many events (the first ones) show their evidence quote.
    """

    pdf: bytes
    pages: int
    size: float
    dropped: dict[str, int] = field(default_factory=dict)
    clipped: bool = False
    compiles: int = 1
    quotes: int = 0


@cache
def _environment() -> jinja2.Environment:
    env = make_environment(escape_typst)
    env.filters["tstr"] = typst_string
    env.filters["timeline_date"] = timeline_date
    env.filters["long_date"] = long_date
    env.filters["clip"] = _clip
    env.filters["generated"] = generated
    return env


@cache
def _compiler() -> Any:
    # One compiler per process: it loads the fonts once (a fresh typst.compile rescans the system
    # fonts every call, ~20 ms) and its memo cache stays bounded across thousands of briefs.
    import typst

    return typst.Compiler()


_COMPILE_LOCK = threading.Lock()  # the compiler is one mutable Rust object


def preload() -> None:
    """Compile the template and load the compiler with its fonts, ahead of the first brief."""
    template(_environment(), "brief.typ.j2")
    _compiler()


def typst_source(briefing: Briefing, fit: Fit | None = None) -> str:
    """The Typst source of ``briefing`` laid out as ``fit`` says (by default everything, every
    event's quote included, at the top size)."""
    full = tuple((s, len(getattr(briefing, s))) for s in SECTIONS)
    fit = fit or Fit(SIZES[0], full, quotes=len(briefing.key_events))
    keep = dict(fit.keep)
    view = briefing.model_copy(update={s: getattr(briefing, s)[: keep[s]] for s in SECTIONS})
    if fit.clipped:
        view = _clipped(view)
    more = {s: len(getattr(briefing, s)) - keep[s] for s in SECTIONS}
    return template(_environment(), "brief.typ.j2").render(
        b=view, size=fit.size, more=more, clipped=fit.clipped, quotes=fit.quotes
    )


def _compile(source: str, timestamp: int | None) -> bytes:
    import typst

    try:
        with _COMPILE_LOCK:
            pdf: bytes = _compiler().compile(input=source.encode("utf-8"), timestamp=timestamp)
    except typst.TypstError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unknown error"
        raise RenderError(
            f"Typst could not compile the brief ({first}): please report it with the JSON brief"
        ) from exc
    return pdf


def _page_count(pdf: bytes) -> int:
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return len(doc.pages)


def _timestamp(created: str) -> int | None:
    # The PDF's creation date is the brief's, so the same briefing always gives the same bytes.
    try:
        return int(datetime.fromisoformat(created).timestamp())
    except ValueError:
        return None


def compile_page(source: str, created: str) -> tuple[bytes, int]:
    """Compile the Typst ``source`` of a page dated ``created`` (ISO): its PDF and page count.

    What other one-page layouts (the digest's) share with the brief's fit loop.
    """
    pdf = _compile(source, _timestamp(created))
    return pdf, _page_count(pdf)


def finish_pdf(pdf: bytes, version: str) -> bytes:
    """``pdf`` with briefgen named as its creator (see :func:`layout_pdf`)."""
    return _stamp_creator(pdf, version)


def layout_pdf(briefing: Briefing) -> PdfLayout:
    """Render ``briefing`` to a one-page PDF: events' quotes while they fit, then smaller type,
    then fewer items.

    A brief that fits with every quote compiles once; one that fits only some of them, or none,
    takes a handful of compiles (binary searches over the quotes, the sizes, then the trim steps).

    Raises:
        RenderError: Typst failed, or not even the trimmed, shortened brief fits one page.
    """
    stamp = _timestamp(briefing.meta.created)
    results: dict[Fit, tuple[bytes, int]] = {}

    def fits(fit: Fit) -> bool:
        if fit not in results:
            pdf = _compile(typst_source(briefing, fit), stamp)
            results[fit] = (pdf, _page_count(pdf))
        return results[fit][1] == 1

    full = tuple((s, len(getattr(briefing, s))) for s in SECTIONS)
    candidates = [Fit(size, full) for size in SIZES]
    events = len(briefing.key_events)
    quoted = [Fit(size, full, quotes=events) for size in SIZES if size >= QUOTE_FLOOR]
    if events and fits(quoted[0]):
        candidates = [quoted[0]]
    elif events and fits(candidates[0]):
        # The page has room: every event's quote in type down to QUOTE_FLOOR, else as many
        # quotes as fit at the top size (more never fits where fewer does not).
        some = [Fit(SIZES[0], full, quotes=n) for n in range(events - 1, 0, -1)]
        if fits(quoted[-1]):
            best = _first_fit(quoted[1:-1], fits)
            candidates = [quoted[1 + best] if best is not None else quoted[-1]]
        elif (best := _first_fit(some, fits)) is not None:
            candidates = [some[best]]
    elif not fits(candidates[0]):
        if fits(candidates[-1]):
            # Floor fits: the largest size in between that also fits (at most two more compiles).
            best = _first_fit(candidates[1:-1], fits)
            candidates = [candidates[1 + best] if best is not None else candidates[-1]]
        else:
            # Shorten freak-length text first (never a model-made brief: see CLIP_*), then drop
            # items; both leave a visible mark on the page.
            clip = _clipped(briefing) != briefing
            candidates = [Fit(SIZES[-1], full, clipped=True)] if clip else []
            candidates += _trimmed(full, SIZES[-1], clipped=clip)
            best = _first_fit(candidates, fits)
            if best is None:
                raise RenderError(
                    "the brief does not fit one page even trimmed: use --format html or md"
                )
            candidates = [candidates[best]]
    chosen = candidates[0]
    pdf, pages = results[chosen]
    kept = dict(chosen.keep)
    dropped = {
        s: len(getattr(briefing, s)) - kept[s]
        for s in SECTIONS
        if kept[s] < len(getattr(briefing, s))
    }
    return PdfLayout(
        pdf=_stamp_creator(pdf, briefing.meta.briefgen_version),
        pages=pages,
        size=chosen.size,
        dropped=dropped,
        clipped=chosen.clipped,
        compiles=len(results),
        quotes=chosen.quotes,
    )


def render_pdf(briefing: Briefing) -> bytes:
    """The brief as a one-page A4 PDF (see :func:`layout_pdf` for how it is made to fit)."""
    return layout_pdf(briefing).pdf


def _first_fit(candidates: Sequence[Fit], fits: Callable[[Fit], bool]) -> int | None:
    """Index of the first fitting candidate; they are ordered from most to least content."""
    lo, hi = 0, len(candidates)  # hi == len: "none fits", never compiled
    while lo < hi:
        mid = (lo + hi) // 2
        if fits(candidates[mid]):
            hi = mid
        else:
            lo = mid + 1
    return lo if lo < len(candidates) else None


def _trimmed(full: tuple[tuple[str, int], ...], size: float, *, clipped: bool) -> list[Fit]:
    """Candidates that each drop one more item, in :data:`TRIM_ORDER`."""
    keep = dict(full)
    out: list[Fit] = []
    for section, floor in TRIM_ORDER:
        while keep[section] > floor:
            keep[section] -= 1
            out.append(Fit(size, tuple(keep.items()), clipped))
    return out


def _clip(text: str | None, limit: int) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def _clipped(b: Briefing) -> Briefing:
    """A copy with every free-text field capped; each cut ends in "…" (the page notes it too)."""

    def event(e: Event) -> Event:
        return e.model_copy(
            update={
                "description": _clip(e.description, CLIP_TEXT),
                "date_text": _clip(e.date_text, CLIP_SHORT),
            }
        )

    def actor(a: Actor) -> Actor:
        return a.model_copy(
            update={
                "name": _clip(a.name, CLIP_SHORT),
                "role": _clip(a.role, CLIP_TITLE),
                "aliases": [_clip(x, CLIP_SHORT) for x in a.aliases],
            }
        )

    def position(p: Position) -> Position:
        quote = p.evidence.model_copy(update={"quote": _clip(p.evidence.quote, CLIP_TEXT)})
        return p.model_copy(
            update={
                "actor": _clip(p.actor, CLIP_SHORT),
                "position": _clip(p.position, CLIP_TEXT),
                "evidence": quote,
            }
        )

    def question(q: OpenQuestion) -> OpenQuestion:
        return q.model_copy(update={"question": _clip(q.question, CLIP_TEXT)})

    source = b.source.model_copy(
        update={
            "title": _clip(b.source.title, CLIP_TITLE),
            "author": _clip(b.source.author, CLIP_SHORT),
        }
    )
    return b.model_copy(
        update={
            "title": _clip(b.title, CLIP_TITLE),
            "summary": _clip(b.summary, CLIP_SUMMARY),
            "source": source,
            "key_events": [event(e) for e in b.key_events],
            "actors": [actor(a) for a in b.actors],
            "positions": [position(p) for p in b.positions],
            "open_questions": [question(q) for q in b.open_questions],
        }
    )


@cache
def _typst_version() -> str:
    import importlib.metadata

    return importlib.metadata.version("typst")


def _stamp_creator(pdf: bytes, version: str) -> bytes:
    # Typst names itself as Creator and cannot be told otherwise; qpdf rewrites the Info
    # dictionary in a few ms (pypdf took ~50 ms), keeping the document ID deterministic.
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        doc.docinfo["/Creator"] = f"briefgen {version}"
        doc.docinfo["/Producer"] = f"Typst {_typst_version()} + qpdf {pikepdf.__libqpdf_version__}"
        out = io.BytesIO()
        doc.save(out, deterministic_id=True)
    return out.getvalue()


def _render(briefing: Briefing, source: str | None) -> bytes:
    return render_pdf(briefing)


PDF = BRIEF_FORMATS.register(
    OutputFormat(
        "pdf",
        ".pdf",
        _render,
        binary=True,
        stage="laying out the PDF",
        preload=preload,
    )
)
