"""Markdown and JSON rendering: golden brief, escaping hazards, format choice and dispatch."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from conftest import NOTE_WORDINGS
from pypdf import PdfReader

from briefgen.errors import RenderError
from briefgen.renderers import Format, format_for, output_paths, render
from briefgen.renderers.base import escape_markdown, grounding_line
from briefgen.renderers.json import render_json
from briefgen.renderers.markdown import render_markdown
from briefgen.schema import Actor, Briefing, Evidence, OpenQuestion, Position

FIXTURES = Path(__file__).with_name("fixtures")
GOLDEN = Path(__file__).with_name("golden") / "brief.md"
HAZARD = "# $ * _ @ < > [ ] \\ { } {{ }} ~ // `code` </script> <img src=x onerror=alert(1)>"


def load_fixture() -> Briefing:
    return Briefing.model_validate_json((FIXTURES / "briefing.json").read_text(encoding="utf-8"))


def test_golden_markdown():
    text = render_markdown(load_fixture())
    if os.environ.get("BRIEFGEN_UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8"), "set BRIEFGEN_UPDATE_GOLDEN=1 to accept"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", "plain"),
        ("# heading", r"\# heading"),
        ("| a | b |", r"\| a \| b \|"),
        ("*x* _y_ `z` ~w~", r"\*x\* \_y\_ \`z\` \~w\~"),
        ("[link](http://x) <b>", r"\[link\](http://x) \<b\>"),
        ("back\\slash", r"back\\slash"),
        ("two\nlines\n# not a heading", r"two lines \# not a heading"),
        (None, ""),
        (3, "3"),
    ],
)
def test_escape_markdown(value, expected):
    assert escape_markdown(value) == expected


def hazardous(b: Briefing, text: str) -> Briefing:
    ev = Evidence(quote=text, start=0, end=1, match="exact")
    return b.model_copy(
        update={
            "title": text,
            "summary": text,
            "actors": [Actor(name=text, role=text, kind="group", aliases=[text])],
            "positions": [Position(actor=text, position=text, evidence=ev)],
            "open_questions": [OpenQuestion(question=text, evidence=ev)],
        }
    )


def test_source_text_cannot_break_the_layout():
    injected = "\n# Injected heading\n| x | y |\n---\n" + HAZARD
    md = render_markdown(hazardous(load_fixture(), injected))
    lines = md.splitlines()
    headings = [line for line in lines if line.startswith("#")]
    assert [h[:3] for h in headings] == ["# \\", "## ", "## ", "## ", "## "]
    assert headings[1:] == [
        "## Key events",
        "## Actors",
        "## Stated positions",
        "## Open questions",
    ]
    table = [line for line in lines if line.startswith("|")]
    assert len(table) == 3  # header, rule, the one actor
    assert len(re.findall(r"(?<!\\)\|", table[2])) == 5  # the row's own pipes only
    assert [line for line in lines if line.startswith("---")] == ["---"]
    assert not any(line.startswith("<") for line in lines)
    assert not re.search(r"(?<!\\)<", md)  # no raw HTML: every < arrives escaped
    assert r"\# Injected heading \| x \| y \| --- \# $ \* \_ @ \< \> \[ \] \\ { }" in md


def test_unverified_quotes_are_flagged_in_markdown():
    md = render_markdown(load_fixture())
    assert md.count("⚠ unverified quote") == 1
    assert "11/12 quotes verified (10 exact, 1 normalized, 0 fuzzy, 1 missing)" in md


@pytest.mark.parametrize("fmt", ["md", "html", "pdf"])
def test_a_quote_copied_with_its_marks_is_shown_in_one_pair(fmt):
    briefing = load_fixture()
    quote = "\u201cNight shipping keeps us competitive,\u201d"
    briefing.positions[0].evidence = Evidence(quote=quote, match="missing")
    out = render(briefing, fmt, source=(FIXTURES / "source.txt").read_text(encoding="utf-8"))
    if fmt == "pdf":
        return  # the PDF's text layer is checked in test_pdf; here it must just compile
    text = out.decode("utf-8")
    assert "\u201cNight shipping keeps us competitive,\u201d" in text
    assert "\u201c\u201cNight" not in text and "\u201d\u201d" not in text


def reader_text(briefing: Briefing, fmt: str) -> str:
    """What a reader of ``fmt`` sees: the Markdown or HTML source, or the PDF's text layer."""
    out = render(briefing, fmt, source=(FIXTURES / "source.txt").read_text(encoding="utf-8"))
    if fmt != "pdf":
        return out.decode("utf-8")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(out)).pages)


@pytest.mark.parametrize("fmt", ["md", "html", "pdf"])
def test_every_format_names_the_body_a_speaker_speaks_for(fmt):
    briefing = load_fixture()
    briefing.positions[0].speaks_for = "Harbor Port Authority"
    text = " ".join(reader_text(briefing, fmt).split())
    assert "for Harbor Port Authority" in text
    assert "for Harbor Port Authority" not in " ".join(reader_text(load_fixture(), fmt).split())


@pytest.mark.parametrize("fmt", ["md", "html", "pdf"])
def test_no_field_path_reaches_a_reader_in_any_format(fmt):
    briefing = load_fixture()
    briefing.meta.warnings = [
        *(f"repaired: {note}" for note, _ in NOTE_WORDINGS),
        "repaired: key_events[3] dropped: a reason no rule knows yet",
        "repaired: positions[7] reworded for a reason no rule knows yet",
        *(f"part 2/3: repaired: {note}" for note, _ in NOTE_WORDINGS[:5]),
    ]
    text = reader_text(briefing, fmt)
    # Markdown escapes brackets and underscores; the PDF's text layer may break lines anywhere.
    squashed = "".join(text.replace("\\", "").split())
    for path in ("key_events[", "positions[", "open_questions[", "actors[", "source.date"):
        assert path not in squashed, path
    assert not re.search(r"\w\[\d+\]", squashed)
    assert "repaired:" not in text and "dropped:" not in text
    assert "Removed" in text  # the notes are there, in plain words


@pytest.mark.parametrize("fmt", ["md", "html", "pdf"])
def test_every_format_opens_with_the_banner_when_a_brief_needs_checking(fmt):
    briefing = load_fixture()  # one quote of twelve not found
    briefing.meta.warnings = ["positions[1] dropped: sentence [2] does not say X said it"] * 2
    banner = briefing.banner
    assert banner == (
        "1 of 12 quotes could not be found in the source; 2 positions were left out of the "
        "brief — check before publishing."
    )
    text = reader_text(briefing, fmt)
    squashed = "".join(text.split())
    at = squashed.find("".join(banner.split()))
    assert 0 <= at < squashed.find("councilapproveda31")  # before the summary


@pytest.mark.parametrize("fmt", ["md", "html", "pdf"])
def test_a_verified_brief_has_no_banner(fmt):
    briefing = load_fixture()
    briefing.positions[3].evidence.match = "exact"
    briefing.meta.grounding = briefing.meta.grounding.model_copy(update={"missing": 0})
    assert briefing.verified and briefing.banner is None
    assert "check before publishing" not in reader_text(briefing, fmt)


def test_grounding_line():
    assert grounding_line(load_fixture()) == "11/12 quotes verified"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("brief.pdf", "pdf"),
        ("out/Brief.HTML", "html"),
        ("b.htm", "html"),
        ("b.json", "json"),
        ("b.markdown", "md"),
        ("b.txt", "md"),
        (None, "md"),
    ],
)
def test_format_for(path, expected):
    assert format_for(path) == expected


def test_render_dispatch():
    b = load_fixture()
    assert render(b, "md") == render_markdown(b).encode("utf-8")
    assert Briefing.model_validate_json(render(b, "json")) == b
    assert render_json(b).endswith("\n")
    line = render(b, "jsonl")
    assert line.count(b"\n") == 1 and Briefing.model_validate_json(line) == b
    with pytest.raises(RenderError, match="use one of md, json, jsonl, pdf, html"):
        render(b, "docx")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("given", "formats", "expected"),
    [
        ("out/brief.pdf", ("md",), ["out/brief.pdf"]),  # one format: the name as given
        (
            "out/brief.md",
            ("md", "pdf", "html"),
            ["out/brief.md", "out/brief.pdf", "out/brief.html"],
        ),
        ("out/brief", ("json", "md"), ["out/brief.json", "out/brief.md"]),
        ("out/brief.v2", ("md", "pdf"), ["out/brief.v2.md", "out/brief.v2.pdf"]),
    ],
)
def test_output_paths_of_several_formats(
    given: str, formats: tuple[Format, ...], expected: list[str]
) -> None:
    assert output_paths(given, formats) == [Path(p) for p in expected]
