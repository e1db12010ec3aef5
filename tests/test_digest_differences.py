"""Where sources differ, by code: figures, dates, events only one reports, framing, attribution."""

from __future__ import annotations

import pytest
from conftest import PLANTED, brief_of, planted_briefs

from briefgen.digest.actors import cast
from briefgen.digest.align import View, align
from briefgen.digest.differences import (
    conflicts,
    figures,
    framing,
    headline_and_lead,
    only_in,
)
from briefgen.digest.positions import positions, same_words
from briefgen.sentences import Document


def views(briefs: dict[str, object] | None = None) -> list[View]:
    made = planted_briefs() if briefs is None else briefs
    return [
        View(sid, Document(text), made.get(sid), "2025-03-06")  # type: ignore[arg-type]
        for sid, text in PLANTED.items()
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("About 3,000 jobs depend on it.", [("3,000 jobs", 3000.0, "job")]),
        ("a three-day conference", [("three-day", 3.0, "day")]),
        ("sixty-two people came", [("sixty-two people", 62.0, "people")]),
        ("It costs $2 million.", [("$2 million", 2_000_000.0, "dollar")]),
        ("Romney has 21 percent of Republican voters", [("21 percent", 21.0, "percent")]),
        ("He won 55% of the vote.", [("55%", 55.0, "percent")]),
        ("12 senators and one aide", [("12 senators", 12.0, "senator")]),
        # Dates, years, ordinals and numbers without a unit are no figures.
        ("On March 4, 2025, in 2010, he came 1st.", []),
        ("The vote was 27 to 9.", []),
        ("Ten cities attended", [("Ten cities", 10.0, "city")]),
        ("They tend to agree.", []),
    ],
)
def test_figures(text, expected):
    assert [(f.text, f.value, f.unit) for f in figures(text)] == expected


def test_figures_the_aligned_sentences_give_differently_conflict():
    vs = views()
    result = align(vs, cast(vs).forms)
    found = conflicts(result, vs)
    jobs = [d for d in found if d.about == "number"]
    assert [d.description for d in jobs] == ["A gives 3,000 jobs, B 2,500 jobs."]
    assert [(r.source, r.sentence) for r in jobs[0].evidence] == [("A", 4), ("B", 4)]
    for r in jobs[0].evidence:
        assert PLANTED[r.source][r.start : r.end] == r.quote


def test_sentences_that_both_give_two_figures_agree():
    a = "Romney leads with 21 percent, Huckabee 17 percent, in the Gallup poll of voters."
    b = "In the Gallup poll of voters, Huckabee has 17 percent and Romney 21 percent."
    vs = [
        View("A", Document(a), brief_of(a, events=[1])),
        View("B", Document(b), brief_of(b, events=[1])),
    ]
    result = align(vs, cast(vs).forms)
    assert any(len(c.members) == 2 for c in result.clusters)
    assert conflicts(result, vs) == []


def test_aligned_sentences_with_different_dates_conflict():
    a = "The council approved the tram line on March 4, 2025 after a long debate."
    b = "The council approved the tram line on March 5, 2025 after a long debate."
    vs = [
        View("A", Document(a), brief_of(a, events=[1])),
        View("B", Document(b), brief_of(b, events=[1])),
    ]
    found = conflicts(align(vs, cast(vs).forms), vs)
    assert [(d.about, d.description) for d in found] == [
        ("date", "A dates it 2025-03-04, B 2025-03-05.")
    ]


def test_a_figure_no_other_source_writes_is_only_in_its_source():
    a = "The council approved the tram line on Thursday, at a cost of 40 million euros."
    b = "The council approved the tram line on Thursday."
    vs = [
        View("A", Document(a), brief_of(a, events=[1])),
        View("B", Document(b), brief_of(b, events=[1])),
    ]
    found = conflicts(align(vs, cast(vs).forms), vs)
    assert [(d.kind, d.about, d.description) for d in found] == [
        ("only_in", "number", "Only A gives 40 million euros.")
    ]


def test_events_only_one_source_reports():
    vs = views()
    result = align(vs, cast(vs).forms)
    found = only_in(result, vs, decided=set())
    cited = sorted((d.evidence[0].source, d.evidence[0].sentence) for d in found)
    # The hearing (A) and the fishing fleet (C); the residents' suit is the model's to decide.
    assert cited == [("A", 5), ("C", 4)]
    assert found[0].description == "Only A reports it: event 5"


def test_a_candidate_the_model_turned_down_is_only_in_its_source():
    vs = views()
    result = align(vs, cast(vs).forms)
    undecided = {id(c) for c in result.clusters}
    cited = sorted(
        (d.evidence[0].source, d.evidence[0].sentence) for d in only_in(result, vs, undecided)
    )
    assert ("B", 5) in cited


def test_headline_and_lead_skip_a_repeated_headline():
    text = (
        "Beck Wows the Crowd\n\nBeck Wows the Crowd\n\nGlenn Beck, the closing speaker, ripped "
        "the roof off a Washington hotel on Saturday."
    )
    head, lead = headline_and_lead(View("A", Document(text)))
    assert head is not None and head.quote == "Beck Wows the Crowd" and head.sentence == 1
    assert lead is not None and lead.quote.startswith("Glenn Beck, the closing speaker")


def test_framing_cites_every_headline_and_lead():
    found = framing(views(), None)
    assert found is not None and found.kind == "framing" and found.described_by == "code"
    assert [(r.source, r.sentence) for r in found.evidence] == [
        ("A", 1), ("A", 2), ("B", 1), ("B", 2), ("C", 1), ("C", 2),
    ]  # fmt: skip
    said = framing(views(), "Fox stresses jobs; the Times the residents.")
    assert said is not None and said.described_by == "model"


def test_words_two_sources_give_to_different_people_are_noted():
    vs = views()
    merged, found = positions(vs, cast(vs))
    lopez = next(p for p in merged if p.actor == "Maria Lopez")
    assert lopez.sources == ["A", "B"] and len(lopez.evidence) == 2
    assert lopez.attributed_differently == ["C gives these words to Tom Reed"] * 2
    reed = next(p for p in merged if p.actor == "Tom Reed")
    assert reed.attributed_differently == [
        "A gives these words to Maria Lopez",
        "B gives these words to Maria Lopez",
    ]
    assert [d.description for d in found] == [
        "A gives the same words to Maria Lopez, C to Tom Reed.",
        "B gives the same words to Maria Lopez, C to Tom Reed.",
    ]
    assert all(d.kind == "conflict" and d.about == "attribution" for d in found)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("\u201cThis keeps the harbor competitive,\u201d", '"this keeps the harbor competitive"',
         True),
        ("I have people studying it and they cannot believe what they're finding",
         "Well, I have people studying it and they cannot believe what they're finding", True),
        ("We will not sleep for years", "This keeps the harbor competitive", False),
        ("", "anything", False),
    ],
)  # fmt: skip
def test_same_words(a, b, same):
    assert same_words(a, b) is same


def test_words_given_to_an_officer_and_to_the_body_they_speak_for_are_no_conflict():
    briefs = planted_briefs()
    for sid in ("A", "B"):  # Lopez, the chair, speaks for the authority
        briefs[sid].positions[0].speaks_for = "Harbor Port Authority"
    c = briefs["C"]  # C gives her words to the authority itself
    c.actors.append(c.actors[0].model_copy(update={"name": "Harbor Port Authority", "aliases": []}))
    c.positions[0].actor = "Harbor Port Authority"
    vs = views(briefs)
    merged, found = positions(vs, cast(vs))
    lopez = next(p for p in merged if p.actor == "Maria Lopez")
    assert lopez.speaks_for == "Harbor Port Authority"
    assert lopez.attributed_differently == [] and found == []
