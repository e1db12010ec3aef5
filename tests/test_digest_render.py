"""Rendering a digest: Markdown, JSON, JSON Lines, one-page PDF, HTML beside the sources."""

from __future__ import annotations

import io
import json
import re

import pytest
from conftest import MERGE, PLANTED, planted_digest
from pypdf import PdfReader

from briefgen.digest.html import numbered, render_html
from briefgen.digest.pdf import render_pdf, typst_source
from briefgen.digest.render import render_digest, render_markdown, verbatim_line
from briefgen.digest.schema import Digest, DigestActor, DigestPosition
from briefgen.errors import RenderError

ANSWER = json.dumps(MERGE)
HAZARD = "# $ * _ @ < > [ ] \\ { } {{ }} ~ // `code` </script> <img src=x onerror=alert(1)>"
#: The planted story with a hostile sentence in A's approval: it shows in reports and panes.
HOSTILE = {
    **PLANTED,
    "A": PLANTED["A"].replace("approved a plan", f"approved a plan ({HAZARD})"),
}


def made(texts: dict[str, str] = PLANTED) -> Digest:
    return planted_digest(texts, ANSWER)


def hazardous(d: Digest) -> Digest:
    """``d`` with the hazard in every free-text field a model or a brief writes."""
    return d.model_copy(
        update={
            "title": HAZARD,
            "summary": HAZARD,
            "timeline": [e.model_copy(update={"description": HAZARD}) for e in d.timeline],
            "differences": [x.model_copy(update={"description": HAZARD}) for x in d.differences],
            "actors": [DigestActor(name=HAZARD, role=HAZARD, aliases=[HAZARD], sources=["A"])],
            "positions": [
                DigestPosition(
                    actor=HAZARD, position=HAZARD, evidence=d.positions[0].evidence, sources=["A"]
                )
            ],
        }
    )


def test_markdown_has_every_section_and_its_quotes():
    md = render_markdown(made())
    headings = [line for line in md.splitlines() if line.startswith("#")]
    assert headings == [
        "# Night shipping approved",
        "## Sources",
        "## Timeline",
        "## Where they differ",
        "## Positions",
        "## Actors",
        "## Open questions",
        "## Notes",
    ]
    assert "- **Conflict (number):** A gives 3,000 jobs, B 2,500 jobs." in md
    assert "  > **B** “About 2,500 jobs depend on the port.”" in md
    assert "*Note: C gives these words to Tom Reed.*" in md
    assert verbatim_line(made()) in md


def test_markdown_escapes_what_sources_and_models_write():
    md = render_markdown(hazardous(made(HOSTILE)))
    headings = [line for line in md.splitlines() if line.startswith("#")]
    assert len(headings) == 8 and headings[0].startswith("# \\#")
    assert not re.search(r"(?<!\\)<", md)  # no raw HTML
    assert r"\# $ \* \_ @ \< \> \[ \] \\ { } {{ }} \~ // \`code\` \</script\>" in md


def test_json_and_jsonl_read_back():
    d = made()
    assert Digest.model_validate_json(render_digest(d, "json")) == d
    line = render_digest(d, "jsonl")
    assert line.count(b"\n") == 1 and Digest.model_validate_json(line) == d
    data = json.loads(render_digest(d, "json"))
    # The contract's fields, as the issue names them.
    assert set(data) >= {"sources", "timeline", "actors", "positions", "differences"}
    assert set(data) >= {"open_questions", "summary", "meta"}
    assert set(data["sources"][0]) >= {"id", "title", "outlet", "date", "path", "url", "sha256"}
    assert set(data["timeline"][0]) >= {"date", "date_text", "description", "reports"}
    assert set(data["timeline"][0]["reports"][0]) >= {"source", "quote", "start", "end", "match"}
    assert set(data["differences"][0]) >= {"kind", "description", "evidence"}
    assert set(data["meta"]) >= {"briefs_reused", "calls", "usage", "cost_usd", "warnings"}


def texts(d: dict[str, str] = PLANTED) -> dict[str, str]:
    return dict(d)


def test_html_links_every_report_to_its_words_and_back():
    d = made()
    page = render_html(d, texts())
    reports = numbered(d)
    assert len(reports) > 10
    for n in range(1, len(reports) + 1):
        assert f'href="#ev-{n}"' in page and f'id="rep-{n}"' in page
        assert f'<a class="anchor" id="ev-{n}" href="#rep-{n}">{n}</a>' in page
    # Each source's pane holds its text verbatim (marks and anchors aside).
    for sid, text in PLANTED.items():
        pane = page.split(f'id="src-{sid}"', 1)[1].split("</section>", 1)[0]
        body = pane.split('<div class="source-text">', 1)[1].split("</div>", 1)[0]
        shown = re.sub(r'<a class="anchor"[^>]*>\d+</a>', "", body)
        shown = re.sub(r"</?mark[^>]*>", "", shown)
        assert shown == text.replace("\u2019", "\u2019")
    assert 'http-equiv="Content-Security-Policy"' in page and "<script" not in page


def test_html_escapes_what_sources_and_models_write():
    page = render_html(hazardous(made(HOSTILE)), texts(HOSTILE))
    assert "</script>" not in page.split("</style>", 1)[1].replace("</script&gt;", "")
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_html_refuses_other_texts():
    with pytest.raises(RenderError, match="source B differs"):
        render_html(made(), {**texts(), "B": PLANTED["B"] + " More."})
    with pytest.raises(RenderError, match="pass texts"):
        render_digest(made(), "html")


def pdf_text(data: bytes) -> str:
    return "".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())


def test_pdf_is_one_page_with_the_digest_and_its_badges():
    data = render_pdf(made())
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    assert reader.metadata is not None and reader.metadata.creator == "briefgen test"
    text = pdf_text(data)
    for needle in ("Nightshippingapproved", "WHERETHEYDIFFER", "Agives3,000jobs,B2,500jobs."):
        assert needle in text
    assert "POSITIONSBYSPEAKER" in text and "MARIALOPEZ" in text


def test_pdf_escapes_what_sources_and_models_write():
    data = render_pdf(hazardous(made(HOSTILE)))
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    assert "".join(HAZARD.split()) in pdf_text(data)


def test_a_long_digest_is_trimmed_to_one_page_and_says_so():
    d = made()
    many = d.model_copy(
        update={
            "timeline": d.timeline * 8,
            "differences": d.differences * 6,
            "positions": d.positions * 8,
            "actors": d.actors * 8,
        }
    )
    data = render_pdf(many)
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    assert "morein the full digest".replace(" ", "") in pdf_text(data)


def test_pdf_keeps_framing_and_conflicts_first():
    source = typst_source(made())
    where = source.index("Where they differ")
    assert source.index("[Framing]", where) < source.index("[Conflict", where)
    assert source.index("[Conflict", where) < source.index("[Only one reports", where)


def test_unknown_format():
    with pytest.raises(RenderError, match="use one of md, json, jsonl, pdf, html"):
        render_digest(made(), "docx")  # type: ignore[arg-type]


def test_every_format_names_the_body_a_speaker_speaks_for():
    d = made()
    d.positions[0].speaks_for = "Harbor Port Authority"
    md = render_markdown(d)
    html = render_html(d, texts())
    pdf = PdfReader(io.BytesIO(render_pdf(d))).pages[0].extract_text()
    for shown in (md, html, " ".join(pdf.split())):
        assert "for Harbor Port Authority" in shown
    assert "for Harbor Port Authority" not in render_markdown(made())
