"""The HTML digest: the digest beside its sources, one tab each, every report highlighted.

One self-contained file (inline CSS, no scripts, no fetches). Every quote of the digest is
numbered; its number links to its words, highlighted in its source's tab, and the number there
links back. The tabs are CSS only: a source's tab shows when it, or a passage in it, is the
page's target. Autoescape is on, so an article's ``</script>`` stays text.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import jinja2

from briefgen.digest.render import DIGEST_FORMATS, add_filters, check_texts
from briefgen.digest.schema import Digest, Report
from briefgen.errors import RenderError
from briefgen.renderers.base import make_environment, template
from briefgen.renderers.html import segments
from briefgen.renderers.registry import OutputFormat

#: One colour per source id, the same in the PDF's badges.
BADGE_COLOURS = (
    "#a3161b",
    "#1d4f91",
    "#2e7d32",
    "#8a5a00",
    "#6a1b9a",
    "#00695c",
    "#ad1457",
    "#37474f",
)


def _plain(value: Any) -> Any:
    # Autoescape does the escaping; finalize only keeps ``None`` from printing as "None".
    return "" if value is None else value


@cache
def _environment() -> jinja2.Environment:
    return add_filters(make_environment(_plain, autoescape=True))


def preload() -> None:
    """Compile the template ahead of the first digest."""
    template(_environment(), "digest.html.j2")


def numbered(digest: Digest) -> list[Report]:
    """The reports in the order the page shows them; report ``n`` is ``numbered(d)[n - 1]``."""
    return [
        *digest.summary_evidence,
        *(r for e in digest.timeline for r in e.reports),
        *(r for x in digest.differences for r in x.evidence),
        *(r for p in digest.positions for r in p.evidence),
        *(r for q in digest.open_questions for r in q.evidence),
    ]


def render_html(digest: Digest, texts: Mapping[str, str]) -> str:
    """The digest and its sources as one self-contained HTML page.

    Args:
        digest: the digest.
        texts: each source's text by id, exactly as the digest was made from it.

    Raises:
        RenderError: a text differs from the one the digest was made from.
    """
    check_texts(digest, texts)
    # One object per place a report is shown (an item built from another may share one), so
    # each place gets a number of its own.
    digest = Digest.model_validate(digest.model_dump())
    reports = numbered(digest)
    number = {id(r): n for n, r in enumerate(reports, 1)}
    panes = []
    for i, source in enumerate(digest.sources):
        spans = {n: (r.start, r.end) for n, r in enumerate(reports, 1) if r.source == source.id}
        colour = BADGE_COLOURS[i % len(BADGE_COLOURS)]
        panes.append((source, colour, segments(texts[source.id], spans)))
    return template(_environment(), "digest.html.j2").render(
        d=digest,
        panes=panes,
        colours={s.id: BADGE_COLOURS[i % len(BADGE_COLOURS)] for i, s in enumerate(digest.sources)},
        ref=lambda r: number[id(r)],
        linked=range(1, len(reports) + 1),
    )


def _render(digest: Digest, texts: Mapping[str, str] | None) -> bytes:
    if texts is None:
        raise RenderError("the HTML digest shows its sources: pass texts={id: text}")
    return render_html(digest, texts).encode("utf-8")


DIGEST_FORMATS.register(
    OutputFormat("html", ".html", _render, needs_source=True, suffixes=(".htm",), preload=preload)
)
