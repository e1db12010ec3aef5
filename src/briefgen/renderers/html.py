"""The ``html`` format, the evidence view: the brief beside its source, every span highlighted.

One self-contained file (inline CSS, no scripts, no fetches; a Content-Security-Policy says so to
the browser). Each event, position and open question links to its span in the source, and each
span links back; a quote that grounding could not find is marked, never linked. Autoescape is on,
so a ``</script>`` or ``<img onerror>`` in the article is shown as text.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from briefgen.errors import RenderError
from briefgen.renderers.base import make_environment, template
from briefgen.renderers.registry import BRIEF_FORMATS, OutputFormat

if TYPE_CHECKING:
    import jinja2

    from briefgen.schema import Briefing

#: What each grounding status tells the reader.
MATCH_LABELS: dict[str, str] = {
    "exact": "verbatim",
    "normalized": "verbatim up to quotes, dashes or spacing",
    "fuzzy": "close match, check the wording",
    "missing": "not found in the source",
}


@dataclass(frozen=True)
class Segment:
    """A run of source text and the evidence spans covering it.

    Attributes:
        text: the characters, exactly as in the source.
        refs: numbers of the evidence spans covering the whole run (empty: plain text).
        starts: numbers of the spans that begin here; their anchors precede the run.
    """

    text: str
    refs: tuple[int, ...] = ()
    starts: tuple[int, ...] = ()


def evidence_spans(briefing: Briefing, source: str) -> dict[int, tuple[int, int]]:
    """Number every evidence record from 1 in reading order and keep those located in ``source``.

    Raises:
        RenderError: a span lies outside the source.
    """
    spans: dict[int, tuple[int, int]] = {}
    for number, ev in enumerate(briefing.evidence(), start=1):
        if not ev.verified or ev.start is None or ev.end is None:
            continue
        if not 0 <= ev.start < ev.end <= len(source):
            raise RenderError(
                f"evidence span [{ev.start}, {ev.end}) lies outside the source text: "
                "pass the text the brief was made from"
            )
        spans[number] = (ev.start, ev.end)
    return spans


def segments(source: str, spans: dict[int, tuple[int, int]]) -> list[Segment]:
    """Cut ``source`` at every span boundary; overlapping spans give runs with several refs."""
    cuts = sorted({0, len(source), *(p for span in spans.values() for p in span)})
    out: list[Segment] = []
    for a, b in itertools.pairwise(cuts):
        refs = tuple(n for n, (s, e) in spans.items() if s <= a and b <= e)
        starts = tuple(n for n, (s, _) in spans.items() if s == a)
        out.append(Segment(source[a:b], refs, starts))
    return out


def _plain(value: Any) -> Any:
    # Autoescape does the escaping; finalize only keeps ``None`` from printing as "None".
    return "" if value is None else value


@cache
def _environment() -> jinja2.Environment:
    env = make_environment(_plain, autoescape=True)
    env.filters["match_label"] = lambda ev: MATCH_LABELS[ev.match]
    return env


def preload() -> None:
    """Compile the template ahead of the first brief."""
    template(_environment(), "brief.html.j2")


def render_html(briefing: Briefing, source: str) -> str:
    """The brief and its source side by side as one self-contained HTML page.

    Args:
        briefing: the brief.
        source: the exact text the brief was made from (its SHA-256 must match the brief's).

    Raises:
        RenderError: ``source`` is not the text the brief was made from.
    """
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
    if digest != briefing.meta.source_sha256:
        raise RenderError(
            "the source text differs from the one the brief was made from: pass the same file"
        )
    spans = evidence_spans(briefing, source)
    numbered = iter(range(1, len(briefing.evidence()) + 1))

    def number(items: list[Any]) -> list[tuple[int, Any]]:
        return [(next(numbered), item) for item in items]

    events, positions, questions = (
        number(briefing.key_events),
        number(briefing.positions),
        number(briefing.open_questions),
    )
    return template(_environment(), "brief.html.j2").render(
        b=briefing,
        events=events,
        positions=positions,
        questions=questions,
        linked=sorted(spans),
        segments=segments(source, spans),
    )


def _render(briefing: Briefing, source: str | None) -> bytes:
    if source is None:
        raise RenderError("the HTML evidence view needs the source text: pass source=...")
    return render_html(briefing, source).encode("utf-8")


HTML = BRIEF_FORMATS.register(
    OutputFormat(
        "html",
        ".html",
        _render,
        needs_source=True,
        suffixes=(".htm",),
        preload=preload,
    )
)
