"""The one-page PDF: Typst escaping, fit-to-one-page, Unicode, metadata, speed and memory."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest
import typst
from pypdf import PdfReader

from briefgen.errors import RenderError
from briefgen.renderers import pdf as pdfmod
from briefgen.renderers import render
from briefgen.renderers.base import restates
from briefgen.renderers.pdf import (
    QUOTE_FLOOR,
    SECTIONS,
    SIZES,
    Fit,
    escape_typst,
    generated,
    layout_pdf,
    long_date,
    render_pdf,
    timeline_date,
    typst_source,
    typst_string,
)
from briefgen.schema import Actor, Briefing, Event, Evidence, OpenQuestion, Position

FIXTURES = Path(__file__).with_name("fixtures")
HAZARD = (
    r"# $ * _ @ < > [ ] \ { } {{ }} ~ // /* */ = + - -- ... ` ' \" "
    r"http://x.y <l> @ref $x^2$ #let a = 1 \u{41}"
)


def load_fixture() -> Briefing:
    return Briefing.model_validate_json((FIXTURES / "briefing.json").read_text(encoding="utf-8"))


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def squash(text: str) -> str:
    """Drop whitespace: line breaks and justification spaces differ between PDF extractors."""
    return "".join(text.split())


def page_count(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)


def hazardous(b: Briefing, text: str) -> Briefing:
    """Every string the template prints replaced with ``text``."""
    ev = Evidence(quote=text, start=0, end=1, match="exact")
    return b.model_copy(
        update={
            "title": text,
            "summary": text,
            "source": b.source.model_copy(
                update={"title": text, "author": text, "genre": text, "origin": text}
            ),
            "key_events": [
                Event(date=None, date_text=text, description=text, actors=[text], evidence=ev)
            ],
            "actors": [Actor(name=text, role=text, kind="group", aliases=[text])],
            "positions": [Position(actor=text, position=text, evidence=ev)],
            "open_questions": [OpenQuestion(question=text, evidence=ev)],
            "meta": b.meta.model_copy(update={"model": text, "backend": text}),
        }
    )


def oversized(b: Briefing, n_events: int = 12, n_actors: int = 14, n_pos: int = 9) -> Briefing:
    long = "Delegates argued over the wording of the clause on transit fees for most of the night. "
    ev = Evidence(quote="a verbatim sentence " * 8, start=0, end=10, match="exact")
    return b.model_copy(
        update={
            "key_events": [
                Event(date=f"2025-{i % 12 + 1:02d}-0{i % 9 + 1}", description=long * 2, evidence=ev)
                for i in range(n_events)
            ],
            "actors": [
                Actor(name=f"Actor Number{i} Longname", role=long, kind="person")
                for i in range(n_actors)
            ],
            "positions": [
                Position(actor=f"Actor Number{i}", position=long * 2, evidence=ev)
                for i in range(n_pos)
            ],
            "open_questions": [OpenQuestion(question=long * 2, evidence=ev) for _ in range(6)],
        }
    )


# --- escaping ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain words", "plain words"),
        ("#let x = 1", r"\#let x \= 1"),
        ("*bold* _em_", r"\*bold\* \_em\_"),
        ("$x$ @ref <lbl>", r"\$x\$ \@ref \<lbl\>"),
        ("[a] {b} \\c", r"\[a\] \{b\} \\c"),
        ("// not a comment", r"\/\/ not a comment"),
        ("line\n= heading\n- item", r"line \= heading \- item"),
        ("Azərbaycan — «Москва»", "Azərbaycan — «Москва»"),
        (None, ""),
        (9.5, "9.5"),
    ],
)
def test_escape_typst(value, expected):
    assert escape_typst(value) == expected


def test_typst_string_is_a_valid_literal():
    literal = typst_string('say "hi" \\ #x')
    assert literal == '"say \\"hi\\" \\\\ #x"'
    assert json.loads(typst.eval(b"", literal, format="json")) == 'say "hi" \\ #x'


def test_hazard_text_compiles_to_one_page_and_reads_back_verbatim():
    layout = layout_pdf(hazardous(load_fixture(), HAZARD))
    assert layout.pages == page_count(layout.pdf) == 1
    text = squash(pdf_text(layout.pdf))
    # Markup would have eaten the markers (strong, emph, math, comments, labels) or run code.
    assert squash(HAZARD) in text
    assert text.count(squash(HAZARD)) >= 8


def test_hazard_title_reaches_pdf_metadata_as_text():
    meta = PdfReader(io.BytesIO(render_pdf(hazardous(load_fixture(), "A #b $c$ [d]")))).metadata
    assert meta.title == "A #b $c$ [d]"
    assert meta.subject == "A #b $c$ [d]"


# --- the fixture brief ----------------------------------------------------------------------


def test_fixture_is_one_page_with_title_and_every_actor():
    b = load_fixture()
    layout = layout_pdf(b)
    assert (layout.pages, layout.compiles, layout.size, layout.dropped) == (1, 1, SIZES[0], {})
    text = squash(pdf_text(layout.pdf))
    assert squash(b.title) in text
    for actor in b.actors:
        assert squash(actor.name) in text, actor.name
    assert "11/12quotesverified" in text
    assert "UNVERIFIEDQUOTE" in text  # the one position whose quote grounding could not find
    assert "moreinthefullbrief" not in text


def test_unicode_survives_with_the_embedded_fonts():
    b = load_fixture()
    b = b.model_copy(update={"summary": "ə ğ ş ç ı İ Ə Ş — “Москва” ‘x’ – y …"})  # noqa: RUF001
    text = pdf_text(render_pdf(b))
    for word in (
        "Sumqayıt",  # noqa: RUF001
        "Həsənova",
        "Трансмашхолдинг",
        "ə ğ ş ç ı İ Ə Ş",  # noqa: RUF001
        "“Москва”",
        "–",  # noqa: RUF001
        "…",
    ):
        assert word in text, word


CJK_FAMILIES = ("CJK", "WenQuanYi", "Source Han", "Droid Sans Fallback", "Sarasa", "AR PL")


@pytest.mark.skipif(
    not any(k in f for f in typst.Fonts().families() for k in CJK_FAMILIES),
    reason="no CJK system font installed (apt-get install fonts-wqy-microhei)",
)
def test_cjk_falls_back_to_a_system_font():
    b = load_fixture().model_copy(update={"summary": "北京与巴库签署协议 日本語テキスト"})
    data = render_pdf(b)
    assert "北京与巴库签署协议" in pdf_text(data)
    with pikepdf.open(io.BytesIO(data)) as doc:
        fonts = {str(f.BaseFont) for f in doc.pages[0].Resources.Font.values()}
    assert any("Libertinus" not in f and "DejaVu" not in f for f in fonts), fonts


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdftotext_finds_title_and_every_actor(tmp_path):
    b = load_fixture()
    out = tmp_path / "brief.pdf"
    out.write_bytes(render(b, "pdf"))
    run = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, check=True, text=True)
    text = " ".join(run.stdout.split())
    for name in [b.title, *(a.name for a in b.actors)]:
        assert " ".join(name.split()) in text, name


def test_metadata_names_title_subject_and_creator():
    b = load_fixture()
    meta = PdfReader(io.BytesIO(render_pdf(b))).metadata
    assert meta.title == b.title
    assert meta.subject == b.summary
    assert meta.creator == f"briefgen {b.meta.briefgen_version}"
    assert meta.author == b.source.author
    assert meta["/CreationDate"].startswith("D:20250315093000")


def test_same_briefing_gives_the_same_bytes():
    b = load_fixture()
    assert render_pdf(b) == render_pdf(b)


def test_render_dispatches_pdf():
    assert render(load_fixture(), "pdf").startswith(b"%PDF-")


# --- fitting --------------------------------------------------------------------------------


def test_a_little_too_long_shrinks_type_but_keeps_everything():
    b = oversized(load_fixture(), n_events=6, n_actors=7, n_pos=4)
    b = b.model_copy(update={"open_questions": b.open_questions[:3]})
    bare = Fit(SIZES[0], tuple((s, len(getattr(b, s))) for s in SECTIONS))
    assert page_count(pdfmod._compile(typst_source(b, bare), None)) > 1  # overflows, no quotes
    layout = layout_pdf(b)
    assert layout.pages == page_count(layout.pdf) == 1
    assert SIZES[-1] <= layout.size < SIZES[0]
    assert layout.dropped == {}
    assert layout.quotes == 0  # type shrinks for the items, never for the events' quotes
    assert layout.compiles <= 6  # one more than without quotes: the first try has them all


def test_oversized_brief_trims_lowest_priority_items_and_says_so():
    b = oversized(load_fixture())
    layout = layout_pdf(b)
    assert layout.pages == page_count(layout.pdf) == 1
    assert layout.size == SIZES[-1]
    assert layout.dropped, "an oversized brief must drop something"
    # Open questions go first: nothing else is dropped while more than two remain.
    if set(layout.dropped) != {"open_questions"}:
        assert len(b.open_questions) - layout.dropped["open_questions"] <= 2
    text = squash(pdf_text(layout.pdf))
    for n in layout.dropped.values():
        assert f"+{n}moreinthefullbrief" in text
    assert text.count("moreinthefullbrief") == len(layout.dropped)
    assert not layout.clipped  # ordinary text lengths are never shortened
    assert "shortened" not in text
    assert layout.compiles <= 8


def test_huge_fields_are_shortened_visibly_not_silently():
    b = load_fixture()
    b = b.model_copy(update={"title": "Endless headline " * 200, "summary": "Word " * 2000})
    layout = layout_pdf(b)
    assert layout.pages == page_count(layout.pdf) == 1
    assert layout.clipped
    assert layout.dropped == {}  # shortening the freak fields was enough: every item stays
    text = pdf_text(layout.pdf)
    assert "…" in text
    assert "shortened" in text


def test_unfittable_brief_raises_a_one_line_error(monkeypatch):
    monkeypatch.setattr(pdfmod, "_page_count", lambda pdf: 2)
    with pytest.raises(RenderError, match="does not fit one page") as err:
        layout_pdf(load_fixture())
    assert "\n" not in str(err.value)


def test_typst_failure_becomes_render_error(monkeypatch):
    class Broken:
        def compile(self, **kwargs):
            raise typst.TypstError("unexpected argument\nmore detail")

    monkeypatch.setattr(pdfmod, "_compiler", lambda: Broken())
    with pytest.raises(RenderError, match=r"Typst could not compile the brief \(unexpected"):
        render_pdf(load_fixture())


def with_long_quotes(b: Briefing, n: int = 8, length: int = 1) -> Briefing:
    """``b`` with ``n`` events, each described in a few words of a long evidence passage
    (``length`` sentences)."""
    sentence = (
        "In a statement read out after the session, the council said the line's financing would "
        "be settled with the lenders before the first tenders go out, and that the ministry had "
        "agreed to review the route again should the wetlands survey find nesting birds {}."
    )
    events = [
        Event(
            date=f"2025-{i + 1:02d}-01",
            description=f"The council sets out step {i} of the financing plan.",
            evidence=Evidence(quote=sentence.format(i) * length, start=0, end=10, match="exact"),
        )
        for i in range(n)
    ]
    return b.model_copy(update={"key_events": events})


def test_room_on_the_page_shows_every_events_quote():
    b = load_fixture()
    layout = layout_pdf(b)
    assert (layout.quotes, layout.compiles) == (len(b.key_events), 1)
    text = squash(pdf_text(layout.pdf))
    for e in b.key_events:
        assert squash(e.description) in text
        assert squash(e.evidence.quote) in text, e.evidence.quote


def test_quotes_that_do_not_fit_are_left_out_from_the_last_event_on():
    b = with_long_quotes(load_fixture(), length=2)
    layout = layout_pdf(b)
    assert layout.pages == page_count(layout.pdf) == 1
    assert layout.dropped == {}
    assert 0 < layout.quotes < len(b.key_events)
    assert layout.size == SIZES[0]  # not all quotes fit at QUOTE_FLOOR: some left out instead
    text = squash(pdf_text(layout.pdf))
    assert squash(b.key_events[0].evidence.quote) in text
    assert squash(b.key_events[-1].evidence.quote) not in text
    assert squash(b.key_events[-1].description) in text


def test_type_shrinks_no_further_than_the_quote_floor_for_quotes():
    b = with_long_quotes(load_fixture(), n=6)
    layout = layout_pdf(b)
    assert layout.quotes == 6
    assert QUOTE_FLOOR <= layout.size < SIZES[0]


def test_an_event_that_restates_its_sentence_shows_it_once_and_whole():
    b = load_fixture()
    quote = b.key_events[0].evidence.quote
    b.key_events[0].description = quote[:40].rstrip() + "…"  # as repair.gist writes it
    assert restates(b.key_events[0]) and not restates(b.key_events[1])
    text = squash(pdf_text(render_pdf(b)))
    assert text.count(squash(quote[:40])) == 1
    assert squash(quote) in text


def test_masthead_shows_the_publication_date_and_footer_the_generation_time():
    b = load_fixture()
    text = squash(pdf_text(render_pdf(b)))
    assert text.startswith(squash("BRIEFING NEWS REPORT · NIGAR HƏSƏNOVA published 14 March 2025"))
    assert squash("generated 15 March 2025, 09:30 UTC") in text
    undated = b.model_copy(update={"source": b.source.model_copy(update={"date": None})})
    text = squash(pdf_text(render_pdf(undated)))
    # No date is better than the generation date passed off as the source's.
    assert text.startswith(squash("BRIEFING NEWS REPORT · NIGAR HƏSƏNOVA ! 1 of 12 quotes"))
    assert squash("generated 15 March 2025, 09:30 UTC") in text


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        ("2026-11-29T14:41:18+00:00", "29 November 2026, 14:41 UTC"),
        ("2026-11-29T14:41:18+04:00", "29 November 2026, 14:41 +0400"),
        ("2026-11-29T14:41:18", "29 November 2026, 14:41"),
        ("yesterday", "yesterday"),
    ],
)
def test_generated(created, expected):
    assert generated(created) == expected


def test_an_actor_without_a_role_is_one_cell_across_the_table():
    b = load_fixture()
    b.actors[1].role = None
    b.actors[2].role = ""
    source = typst_source(b)
    assert source.count("table.cell(colspan: 2)") == 2
    assert source.count("table.cell(colspan: 1)") == len(b.actors) - 2
    assert "      []," not in source  # no empty cell
    assert page_count(render_pdf(b)) == 1


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("date", "date_text", "expected"),
    [
        ("2025-12-09", None, ("Dec 9", "2025")),
        ("2026-01", "early January", ("Jan", "2026")),
        ("2028", None, ("2028", "")),
        (None, "last week", ("last week", "")),
        (None, "at the very beginning of the long winter", ("at the very beginning o…", "")),
        (None, "December 9", ("Dec 9", "")),
        (None, "on Sept. 13th", ("Sep 13", "")),
        (None, "The following day", ("The following day", "")),
        (None, "Room 9", ("Room 9", "")),
        (None, None, ("undated", "")),
    ],
)
def test_timeline_date(date, date_text, expected):
    ev = Evidence(quote="q")
    assert timeline_date(Event(date=date, date_text=date_text, description="d", evidence=ev)) == (
        expected
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2025-03-14", "14 March 2025"), ("2025-03", "March 2025"), ("spring", "spring"), (None, "")],
)
def test_long_date(value, expected):
    assert long_date(value) == expected


# --- resources ------------------------------------------------------------------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_hundred_pdfs_in_one_process_do_not_grow_memory():
    def rss_kib() -> int:
        status = Path("/proc/self/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+)", status).group(1))

    b = load_fixture()
    for i in range(30):  # warm up: fonts, caches
        render_pdf(b.model_copy(update={"title": f"Warm-up brief {i}"}))
    before = rss_kib()
    for i in range(100):
        render_pdf(b.model_copy(update={"title": f"Brief number {i}"}))
    assert rss_kib() - before < 40_000
