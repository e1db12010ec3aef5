"""The HTML evidence view: golden page, escaping, span links, self-containment."""

from __future__ import annotations

import hashlib
import os
from html.parser import HTMLParser
from pathlib import Path

import pytest

from briefgen.errors import RenderError
from briefgen.renderers import render
from briefgen.renderers.html import Segment, evidence_spans, render_html, segments
from briefgen.schema import Briefing, Evidence, Position

FIXTURES = Path(__file__).with_name("fixtures")
GOLDEN = Path(__file__).with_name("golden") / "brief.html"


def load_fixture() -> tuple[Briefing, str]:
    b = Briefing.model_validate_json((FIXTURES / "briefing.json").read_text(encoding="utf-8"))
    return b, (FIXTURES / "source.txt").read_text(encoding="utf-8")


class SourcePane(HTMLParser):
    """Collects the source pane's text, the text of each highlight class, and every tag seen."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0  # >0 while inside <div class="source-text">
        self.in_anchor = False
        self.mark_classes: list[str] = []
        self.text: list[str] = []
        self.marked: dict[str, str] = {}
        self.anchors: list[tuple[str, str]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "div" and a.get("class") == "source-text":
            self.depth = 1
        elif self.depth:
            self.depth += tag != "br"
            if tag == "a":
                self.in_anchor = True
                self.anchors.append((a["id"], a["href"]))
            if tag == "mark":
                self.mark_classes = [c for c in a["class"].split() if c.startswith("ev-")]

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1
            self.in_anchor = self.in_anchor and tag != "a"
            if tag == "mark":
                self.mark_classes = []

    def handle_data(self, data):
        if self.depth and not self.in_anchor:
            self.text.append(data)
            for cls in self.mark_classes:
                self.marked[cls] = self.marked.get(cls, "") + data


def parse(page: str) -> SourcePane:
    pane = SourcePane()
    pane.feed(page)
    return pane


def test_golden_page():
    b, source = load_fixture()
    page = render_html(b, source)
    if os.environ.get("BRIEFGEN_UPDATE_GOLDEN"):
        GOLDEN.write_text(page, encoding="utf-8")
    assert page == GOLDEN.read_text(encoding="utf-8"), "set BRIEFGEN_UPDATE_GOLDEN=1 to accept"


def test_source_pane_shows_the_source_verbatim_and_each_span_exactly():
    b, source = load_fixture()
    pane = parse(render_html(b, source))
    assert "".join(pane.text) == source
    spans = evidence_spans(b, source)
    assert len(spans) == 11  # 12 quotes, one not found
    for n, (start, end) in spans.items():
        assert pane.marked[f"ev-{n}"] == source[start:end]
        assert (f"ev-{n}", f"#item-{n}") in pane.anchors


def test_each_item_links_to_its_span_and_unverified_quotes_are_marked_not_linked():
    b, source = load_fixture()
    page = render_html(b, source)
    hrefs = {a.get("href") for tag, a in parse(page).tags if tag == "a"}
    ids = {a.get("id") for _, a in parse(page).tags if a.get("id")}
    for n in evidence_spans(b, source):
        assert f"#ev-{n}" in hrefs and f"item-{n}" in ids and f"ev-{n}" in ids
    # Position 4 (evidence 9) quotes a sentence the source does not contain.
    assert "#ev-9" not in hrefs and "ev-9" not in ids
    assert page.count("unverified quote: not found in the source") == 1
    assert "11/12 quotes verified" in page


def test_hostile_source_and_model_output_stay_text():
    hostile = '</script><script>alert(1)</script><img src=x onerror="alert(2)"> & <b>bold</b>'
    source = f"Intro. {hostile} Outro."
    start = source.index(hostile)
    b, _ = load_fixture()
    ev = Evidence(quote=hostile, start=start, end=start + len(hostile), match="exact")
    b = b.model_copy(
        update={
            "title": hostile,
            "summary": hostile,
            "positions": [Position(actor=hostile, position=hostile, evidence=ev)],
            "meta": b.meta.model_copy(
                update={"source_sha256": hashlib.sha256(source.encode()).hexdigest()}
            ),
        }
    )
    b = b.model_copy(update={"key_events": [], "open_questions": []})
    page = render_html(b, source)
    pane = parse(page)
    assert {tag for tag, _ in pane.tags} <= {
        *[
            "html",
            "head",
            "meta",
            "title",
            "style",
            "body",
            "div",
            "article",
            "h1",
            "h2",
            "p",
            "span",
            "section",
            "table",
        ],
        *[
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
            "strong",
            "ul",
            "ol",
            "li",
            "a",
            "mark",
            "aside",
            "footer",
            "time",
        ],
    }
    assert not any(k.startswith("on") for _, a in pane.tags for k in a)
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in page
    assert "".join(pane.text) == source
    assert pane.marked["ev-1"] == hostile


def test_page_is_self_contained():
    b, source = load_fixture()
    page = render_html(b, source)
    lowered = page.lower()
    for needle in ("<script", "<link", "<img", "@import", "url(", "src=", "http://", "https://"):
        assert needle not in lowered, needle
    assert "default-src 'none'" in page


def test_render_dispatches_html_and_needs_the_source():
    b, source = load_fixture()
    assert render(b, "html", source=source) == render_html(b, source).encode("utf-8")
    with pytest.raises(RenderError, match="needs the source text"):
        render(b, "html")


def test_other_source_text_is_refused():
    b, source = load_fixture()
    with pytest.raises(RenderError, match="differs from the one the brief was made from"):
        render_html(b, source.replace("Baku", "Gəncə"))


def test_span_outside_the_source_is_refused():
    b, source = load_fixture()
    b.key_events[0].evidence = Evidence(quote="x", start=10, end=len(source) + 5, match="fuzzy")
    with pytest.raises(RenderError, match="outside the source text"):
        render_html(b, source)


def test_an_actor_without_a_role_is_one_cell_across_the_table():
    b, source = load_fixture()
    b.actors[1].role = None
    page = render_html(b, source)
    assert page.count('<td colspan="2">') == 1
    assert "<td></td>" not in page


def test_masthead_shows_the_publication_date_only():
    b, source = load_fixture()
    assert 'published <time datetime="2025-03-14">' in render_html(b, source)
    b.source.date = None
    page = render_html(b, source)
    assert "published <time" not in page
    assert '<span class="date">' not in page  # not the generation date in its place


def test_segments_cut_overlapping_spans():
    text = "0123456789"
    assert segments(text, {1: (2, 6), 2: (4, 8)}) == [
        Segment("01"),
        Segment("23", (1,), (1,)),
        Segment("45", (1, 2), (2,)),
        Segment("67", (2,)),
        Segment("89"),
    ]
    assert segments(text, {}) == [Segment(text)]
    assert segments(text, {1: (0, 10)}) == [Segment(text, (1,), (1,))]
