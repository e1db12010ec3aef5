"""Checking the ids a merge answer cites: an invented one is dropped, with a note."""

from __future__ import annotations

from conftest import PLANTED

from briefgen.digest.align import View
from briefgen.digest.cites import dropped, resolve, unbracket
from briefgen.sentences import Document

VIEWS = {sid: View(sid, Document(text)) for sid, text in PLANTED.items()}
SHOWN = {"A1": ("A", 1), "A2": ("A", 2), "B2": ("B", 2)}


def test_good_ids_become_the_sentences_own_words():
    warnings: list[str] = []
    reports = resolve(["A2", "[B2]", "A2"], SHOWN, VIEWS, "summary", warnings)
    assert [(r.source, r.sentence, r.via) for r in reports] == [("A", 2, "code"), ("B", 2, "code")]
    for r in reports:
        assert PLANTED[r.source][r.start : r.end] == r.quote and r.match == "exact"
    assert warnings == []


def test_invented_ids_are_dropped_with_a_note():
    warnings: list[str] = []
    reports = resolve(["A99", "Z2", "A3", "twelve", "A1"], SHOWN, VIEWS, "summary.cites", warnings)
    assert [(r.source, r.sentence) for r in reports] == [("A", 1)]
    assert warnings == [
        "summary.cites: dropped [A99]: source A has no sentence 99",
        "summary.cites: dropped [Z2]: not a sentence id",
        "summary.cites: dropped [A3]: a sentence the model was not shown",
        "summary.cites: dropped [twelve]: not a sentence id",
    ]
    assert dropped(warnings) == 4


def test_a_source_the_digest_does_not_have():
    warnings: list[str] = []
    assert resolve(["D1"], {"D1": ("D", 1)}, VIEWS, "title", warnings) == []
    assert warnings == ["title: dropped [D1]: the digest has no source D"]


def test_ids_written_into_text_are_taken_out_and_checked():
    warnings: list[str] = []
    text, reports = unbracket(
        "Both approve the plan [A2] [B2], one says [A99].", SHOWN, VIEWS, "summary", warnings
    )
    assert text == "Both approve the plan, one says."
    assert [(r.source, r.sentence) for r in reports] == [("A", 2), ("B", 2)]
    assert warnings == ["summary: dropped [A99]: source A has no sentence 99"]
