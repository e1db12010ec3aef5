"""Building the digest from code's plan and the merge answer, or without one."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import PLANTED, planted_briefs

from briefgen.digest.align import View
from briefgen.digest.assemble import Outcome, digest
from briefgen.digest.request import plan
from briefgen.digest.schema import Digest, DigestMeta, DigestSource
from briefgen.sentences import Document


def answer(**overrides: Any) -> str:
    base: dict[str, Any] = {
        "pairs": [{"pair": "P1", "same": True}],
        "events": [
            {"event": "E1", "description": "The port authority approves night shipping."},
            {"event": "E2", "description": "Outlets count the jobs that depend on the port."},
        ],
        "framing": "A and B lead with the approval [A2] [B2], C with the residents' suit.",
        "differences": [
            {
                "kind": "conflict",
                "description": "B says residents sue, C says court.",
                "cites": ["B5", "C2"],
            },
            {"kind": "conflict", "description": "Rests on one source only.", "cites": ["A2"]},
        ],
        "summary": "The port approved night shipping [A2] [B2] while residents go to court.",
        "cites": ["C2", "A99", "A5"],
        "title": "Night shipping approved over residents' objections",
    }  # fmt: skip
    base.update(overrides)
    return json.dumps(base)


def build(outcome: Outcome) -> Digest:
    briefs = planted_briefs()
    views = [View(s, Document(t), briefs[s], "2025-03-06") for s, t in PLANTED.items()]
    made = plan(views)
    sources = [
        DigestSource(id=s, sha256="0" * 64, chars=len(t), label=s) for s, t in PLANTED.items()
    ]
    meta = DigestMeta(briefgen_version="t", backend="t", model="m", created="2025-03-06T12:00:00")
    return digest(made, outcome, sources=sources, meta=meta)


def test_every_report_is_its_sources_own_words():
    made = build(Outcome("ok", answer()))
    assert made.reports()
    for r in made.reports():
        assert PLANTED[r.source][r.start : r.end] == r.quote and r.match == "exact"


def test_the_answer_decides_what_code_asked():
    made = build(Outcome("ok", answer()))
    assert made.title == "Night shipping approved over residents' objections"
    assert made.summary == "The port approved night shipping while residents go to court."
    assert [(r.source, r.sentence) for r in made.summary_evidence] == [
        ("A", 2), ("B", 2), ("C", 2),
    ]  # fmt: skip
    approval = next(e for e in made.timeline if e.sources == ["A", "B"] and e.date == "2025-03-04")
    assert approval.description == "The port authority approves night shipping."
    assert approval.described_by == "model"
    suit = next(e for e in made.timeline if e.sources == ["B", "C"])
    assert [r.via for r in suit.reports] == ["brief", "model"]
    framing = next(d for d in made.differences if d.kind == "framing")
    assert framing.description == "A and B lead with the approval, C with the residents' suit."
    assert framing.described_by == "model"
    by_model = [d for d in made.differences if d.described_by == "model" and d.kind != "framing"]
    assert [d.description for d in by_model] == ["B says residents sue, C says court."]
    assert made.meta.merge.status == "ok" and made.meta.merge.pairs_same == 1


def test_invented_citations_are_dropped_with_a_note_and_a_banner():
    made = build(Outcome("ok", answer()))
    assert "summary.cites: dropped [A99]: source A has no sentence 99" in made.meta.warnings
    assert "summary.cites: dropped [A5]: a sentence the model was not shown" in made.meta.warnings
    assert "differences[2] dropped: it cites 1 source(s) it rests on" in made.meta.warnings
    assert not made.verified
    assert made.banner == (
        "Removed 2 citations the model gave to sentences it was not shown or that do not "
        "exist — check before publishing."
    )


def test_code_finds_its_differences_whatever_the_model_says():
    made = build(Outcome("ok", answer(differences=[], cites=["A2"])))
    kinds = [(d.kind, d.about) for d in made.differences]
    assert kinds[0] == ("framing", "framing")
    assert ("conflict", "number") in kinds and ("conflict", "attribution") in kinds
    only = sorted(
        (d.evidence[0].source, d.evidence[0].sentence)
        for d in made.differences
        if d.about == "event"
    )
    assert only == [("A", 5), ("C", 4)]
    assert made.verified


@pytest.mark.parametrize(
    ("outcome", "why"),
    [
        (Outcome("failed", error="server down"), "the merge request failed"),
        (Outcome("refused", error="no"), "the model refused the merge request"),
        (Outcome("truncated"), "the merge answer was cut off"),
        (Outcome("ok", '{"pairs": "not a list"}'), "the merge answer did not match its schema"),
    ],
)
def test_without_an_answer_the_digest_stands_on_codes_merge(outcome, why):
    made = build(outcome)
    assert made.meta.merge.status != "ok"
    assert made.title == "Port approves night shipping"
    assert made.summary.startswith("A: Summary of Port approves night shipping.")
    # The candidate pair stays apart; events keep their briefs' descriptions.
    assert not any(e.sources == ["B", "C"] for e in made.timeline)
    assert all(e.described_by == "brief" for e in made.timeline)
    assert made.banner is not None and why in made.banner
    assert not made.verified
    # What only one reports is not claimed while the model could not decide its candidate.
    only = {
        (d.evidence[0].source, d.evidence[0].sentence)
        for d in made.differences
        if d.about == "event"
    }
    assert ("B", 5) not in only


def test_a_pair_the_model_turns_down_leaves_both_events_only_in_their_sources():
    made = build(Outcome("ok", answer(pairs=[{"pair": "P1", "same": False}])))
    only = {
        (d.evidence[0].source, d.evidence[0].sentence)
        for d in made.differences
        if d.about == "event"
    }
    assert ("B", 5) in only


def test_a_fenced_answer_is_read():
    made = build(Outcome("ok", "```json\n" + answer() + "\n```"))
    assert made.meta.merge.status == "ok"


def test_text_the_length_bound_cut_ends_in_an_ellipsis():
    summary = ("The port approved night shipping " * 10)[:260]  # cut mid-word by the grammar
    made = build(Outcome("ok", answer(summary=summary, framing=("Fox stresses jobs " * 6)[:100])))
    assert made.summary == summary[: summary.rfind(" ")] + "\u2026"
    assert "summary: cut off at 260 characters; shortened to whole words" in made.meta.warnings
    assert made.differences[0].description.endswith("jobs Fox\u2026")
    # A sentence that ends where the bound is stays whole.
    whole = "x" * 258 + "."
    assert build(Outcome("ok", answer(summary=whole))).summary == whole


def test_a_difference_the_model_writes_twice_is_kept_once():
    twice = {"kind": "conflict", "description": "B and C disagree.", "cites": ["B5", "C2"]}
    made = build(Outcome("ok", answer(differences=[twice, twice], cites=["A2"])))
    assert [d.description for d in made.differences].count("B and C disagree.") == 1
    assert "differences[2] dropped: the same as one before it" in made.meta.warnings
