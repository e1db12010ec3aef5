"""Tests for assemble.py: the briefing built from a checked draft, its evidence the source's own
words at the cited sentences."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from conftest import SOURCE, draft

from briefgen import assemble, review
from briefgen.schema import Briefing, Event, SourceInfo, Usage
from briefgen.sentences import Document, split, within

REED = draft()["positions"][1]


def _brief(
    answer: dict[str, Any],
    *,
    doc: Document | None = None,
    info: SourceInfo | None = None,
    attempts: int = 1,
) -> Briefing:
    """The briefing of ``answer`` as one session builds it: review, then assemble."""
    doc = doc or Document(SOURCE)
    info = info or SourceInfo()
    result = review.check_answer(json.dumps(answer), doc, anchor=info.date)
    return assemble.briefing(
        result,
        doc,
        info=info,
        backend="test",
        model="test-model",
        mode="json_schema",
        attempts=attempts,
        usage=Usage(prompt_tokens=3, completion_tokens=2, total_tokens=5),
        version="0.0.test",
    )


def _event(sentence: int, date_text: str | None = None, text: str = SOURCE) -> dict[str, Any]:
    """An event citing ``sentence`` of ``text``, described in that sentence's first words."""
    words = Document(text).words(sentence).split()[:6] or ["Something", "happened."]
    return {"sentence": sentence, "date_text": date_text, "description": " ".join(words)}


def _assembled(result: review.Review) -> Briefing:
    """The briefing of SOURCE from ``result``, as one attempt made it."""
    return assemble.briefing(
        result,
        Document(SOURCE),
        info=SourceInfo(),
        backend="test",
        model="test-model",
        mode="json_schema",
        attempts=1,
        usage=Usage(),
        version="0.0.test",
    )


def _of(briefing: Briefing, doc: Document, sentence: int) -> Event:
    """The briefing's one event of ``sentence``."""
    (event,) = [e for e in briefing.key_events if e.evidence.quote == doc.words(sentence)]
    return event


def test_every_piece_of_evidence_is_the_source_at_its_offsets() -> None:
    briefing = _brief(draft())
    evidence = briefing.evidence()
    assert len(evidence) == 4
    for ev in evidence:
        assert ev.start is not None and ev.end is not None
        assert ev.quote == SOURCE[ev.start : ev.end] and ev.match == "exact"
    assert briefing.meta.grounding.exact == 4 and briefing.meta.grounding.missing == 0
    assert briefing.meta.warnings == []


def test_events_and_questions_show_their_whole_sentence() -> None:
    briefing = _brief(draft())
    doc = Document(SOURCE)
    assert briefing.key_events[0].evidence.quote == doc.words(2)
    assert briefing.open_questions[0].evidence.quote == doc.words(6)


def test_position_evidence_is_the_words_inside_the_quotation_marks() -> None:
    briefing = _brief(draft())
    assert [(p.actor, p.evidence.quote) for p in briefing.positions] == [
        ("Maria Lopez", "This keeps the harbor competitive"),
        ("Tom Reed", "We will not sleep for years"),
    ]
    # Indirect speech has no marks: its whole sentence is the evidence.
    source = SOURCE + " Maria Lopez said the first ships could come in May."
    indirect = {"actor": "Maria Lopez", "sentence": 7, "stance": "Lopez expects ships in May."}
    briefing = _brief(draft(positions=[*draft()["positions"], indirect]), doc=Document(source))
    assert [(p.actor, p.evidence.quote) for p in briefing.positions][-1] == (
        "Maria Lopez",
        "Maria Lopez said the first ships could come in May.",
    )


@pytest.mark.parametrize(
    ("sentence", "actors"),
    [
        (2, ["Harbor Port Authority"]),
        # "...," said Maria Lopez, the authority's chair: both, in the list's order.
        (3, ["Harbor Port Authority", "Maria Lopez"]),
        (4, []),  # residents, whom no actor stands for
        (5, ["Tom Reed"]),
        # The alias "the authority", where the sentence opens with "The authority".
        (6, ["Harbor Port Authority"]),
    ],
)
def test_an_events_actors_are_those_its_sentence_names(sentence: int, actors: list[str]) -> None:
    # [2], the one sentence SOURCE dates, is cited too: code adds no event of its own.
    events = [_event(sentence), *([_event(2)] if sentence != 2 else [])]
    briefing = _brief(draft(key_events=events))
    assert _of(briefing, Document(SOURCE), sentence).actors == actors


#: SOURCE and a sentence [7] that writes a day without its year, and a weekday apart from it.
DATED = SOURCE + " The first ship is due on May 9 and a test run on Friday."


@pytest.mark.parametrize(
    ("sentence", "date_text", "anchor", "shown"),
    [
        (2, "Tuesday, March 4, 2025", None, ("2025-03-04", "Tuesday, March 4, 2025")),
        (2, None, None, ("2025-03-04", "Tuesday, March 4, 2025")),  # the date its sentence writes
        # Date words are widened to the whole date their sentence writes, year and all.
        (2, "Tuesday", "2025-03-05", ("2025-03-04", "Tuesday, March 4, 2025")),
        (2, "March 4", None, ("2025-03-04", "Tuesday, March 4, 2025")),
        (2, "march 4", "2026-01-10", ("2025-03-04", "Tuesday, March 4, 2025")),
        (4, "last week", "2025-03-05", (None, None)),  # words its sentence does not write
        # No year written: the publication date gives it; none given, no ISO date.
        (7, "May 9", "2025-03-05", ("2025-05-09", "May 9")),
        (7, "May 9", None, (None, "May 9")),
        (7, "Friday", "2025-03-05", (None, "on Friday")),  # a weekday alone has no ISO date
    ],
)
def test_an_events_iso_date_is_read_off_its_date_words(
    sentence: int,
    date_text: str | None,
    anchor: str | None,
    shown: tuple[str | None, str | None],
) -> None:
    info = SourceInfo(date=anchor)
    doc = Document(DATED)
    # The other sentences DATED dates are cited too: code adds no event of its own.
    others = [_event(n, text=DATED) for n in (2, 7) if n != sentence]
    answer = draft(key_events=[_event(sentence, date_text, DATED), *others])
    event = _of(_brief(answer, doc=doc, info=info), doc, sentence)
    assert (event.date, event.date_text) == shown


def test_unbacked_date_words_never_reach_the_brief_and_are_listed() -> None:
    # [2], the one sentence SOURCE dates, is cited too: code adds no event of its own.
    briefing = _brief(draft(key_events=[_event(4, "last week"), _event(2)]))
    assert _of(briefing, Document(SOURCE), 4).date_text is None
    assert briefing.meta.warnings == [
        'repaired: key_events[1]: date_text "last week" is not a date its sentence writes; undated'
    ]


def test_dated_events_come_first_in_time_order_then_the_rest_in_reading_order() -> None:
    source = (
        "Timeline\n\nThe board met on March 9, 2025. Residents protested. "
        "The plan was drafted on Jan. 5, 2025. The mayor spoke."
    )
    events = [_event(n, text=source) for n in (5, 2, 3, 4)]
    answer = draft(key_events=events, positions=[], open_questions=[])
    briefing = _brief(answer, doc=Document(source))
    order = [(e.date, e.evidence.quote) for e in briefing.key_events]
    assert order == [
        ("2025-01-05", "The plan was drafted on Jan. 5, 2025."),
        ("2025-03-09", "The board met on March 9, 2025."),
        (None, "Residents protested."),
        (None, "The mayor spoke."),
    ]


_NO_SENTENCE = "repaired: {}[1] dropped: no sentence [99]"


@pytest.mark.parametrize(
    ("overrides", "dropped"),
    [
        # [2], the one sentence SOURCE dates, is cited too: code adds no event of its own.
        ({"key_events": [_event(99), _event(2)]}, _NO_SENTENCE.format("key_events")),
        (
            {"positions": [draft()["positions"][0], {**REED, "sentence": 99}]},
            _NO_SENTENCE.format("positions").replace("[1]", "[2]", 1),
        ),
        (
            {"open_questions": [{"question": "When?", "sentence": 99}]},
            _NO_SENTENCE.format("open_questions"),
        ),
    ],
)
def test_an_item_citing_a_sentence_the_text_lacks_is_dropped_with_a_warning(
    overrides: dict[str, Any], dropped: str
) -> None:
    answer = draft(**overrides)
    briefing = _brief(answer, attempts=2)
    # Of the items, the one citing [99] is gone (a speaker added back has no stance).
    items = sum(len(answer[f]) for f in ("key_events", "positions", "open_questions"))
    assert len(briefing.evidence()) == items - 1
    assert all(ev.match == "exact" for ev in briefing.evidence())
    assert dropped in briefing.meta.warnings
    assert not any("unresolved" in w for w in briefing.meta.warnings)


@pytest.mark.parametrize("field", ["key_events", "open_questions"])
def test_an_unchecked_item_citing_a_sentence_the_text_lacks_is_dropped_here_too(
    field: str,
) -> None:
    # The briefing never shows words the source does not have, whatever it is given.
    checked = review.check_answer(json.dumps(draft()), Document(SOURCE))
    assert checked.draft is not None
    items = getattr(checked.draft, field)
    unchecked = checked.draft.model_copy(
        update={field: [items[0].model_copy(update={"sentence": 99})]}
    )
    result = review.Review(unchecked, [], checked.names, [], checked.spans)
    briefing = _assembled(result)
    assert getattr(briefing, field) == []
    assert briefing.meta.warnings == [_NO_SENTENCE.format(field)]


def test_a_position_whose_sentence_does_not_name_its_speaker_is_dropped() -> None:
    unsaid = {"actor": "Maria Lopez", "sentence": 4, "stance": "She dismisses the residents."}
    briefing = _brief(draft(positions=[unsaid, REED]), attempts=3)
    assert [p.actor for p in briefing.positions] == ["Tom Reed"]
    # Added back on her own words for a stance no request wrote here: dropped too.
    assert briefing.meta.warnings == [
        "repaired: positions[1] dropped: sentence [4] does not say Maria Lopez said it",
        'repaired: positions[2]: added, the text quotes Maria Lopez ("This keeps the harbor '
        'competitive") and the answer gave no position of theirs',
        "repaired: positions[2] dropped: no stance for Maria Lopez",
    ]


def test_a_note_made_twice_is_listed_once() -> None:
    checked = review.check_answer(json.dumps(draft()), Document(SOURCE))
    note = 'actors[4]: dropped "Tom Reed", listed twice'
    checked.repairs = [note, "another note", note]
    briefing = _assembled(checked)
    assert briefing.meta.warnings == [f"repaired: {note}", "repaired: another note"]


def test_a_position_without_a_stance_is_dropped() -> None:
    blank = {**draft()["positions"][0], "stance": ""}
    briefing = _brief(draft(positions=[blank, REED]))
    assert [p.actor for p in briefing.positions] == ["Tom Reed"]
    assert "repaired: positions[1] dropped: no stance for Maria Lopez" in briefing.meta.warnings


def test_a_speaker_the_text_names_joins_the_actors() -> None:
    actors = [a for a in draft()["actors"] if a["name"] != "Tom Reed"]
    briefing = _brief(draft(actors=actors))
    assert [p.actor for p in briefing.positions] == ["Maria Lopez", "Tom Reed"]
    assert (briefing.actors[-1].name, briefing.actors[-1].kind) == ("Tom Reed", "other")


def test_a_speaker_speaks_for_the_body_the_text_writes_beside_their_name() -> None:
    # "said Maria Lopez, the authority's chair": the body's alias and an office.
    briefing = _brief(draft())
    voices = [(p.actor, p.speaks_for) for p in briefing.positions]
    assert voices == [("Maria Lopez", "Harbor Port Authority"), ("Tom Reed", None)]


def test_the_speakers_canonical_name_is_shown() -> None:
    by_alias = {**draft()["positions"][0], "actor": "Lopez"}
    briefing = _brief(draft(positions=[by_alias, REED]))
    assert [p.actor for p in briefing.positions] == ["Maria Lopez", "Tom Reed"]
    assert [a.name for a in briefing.actors] == ["Harbor Port Authority", "Maria Lopez", "Tom Reed"]


def test_evidence_of_one_part_is_that_parts_words_under_global_numbers() -> None:
    start = SOURCE.index("Residents")
    part = SOURCE[start:]
    doc = Document(part, within(SOURCE, split(SOURCE), start, len(SOURCE)))
    answer = draft(
        actors=[draft()["actors"][2]],
        positions=[REED],
        key_events=[_event(4)],
        open_questions=[{"question": "When do night shifts start?", "sentence": 6}],
    )
    briefing = _brief(answer, doc=doc)
    assert [ev.quote for ev in briefing.evidence()] == [
        "Residents of the Eastside district oppose the plan.",
        "We will not sleep for years",
        "The authority has not said when the first night shifts begin.",
    ]
    for ev in briefing.evidence():
        assert ev.start is not None and ev.end is not None
        assert part[ev.start : ev.end] == ev.quote
    assert briefing.meta.source_chars == len(part)


def test_loader_metadata_wins_and_meta_describes_the_source() -> None:
    info = SourceInfo(title="From the loader", date="2025-03-05", origin="port.txt")
    briefing = _brief(draft(), info=info, attempts=2)
    assert briefing.source.title == "From the loader" and briefing.source.genre == "news report"
    assert (briefing.source.date, briefing.meta.date_anchor) == ("2025-03-05", "2025-03-05")
    meta = briefing.meta
    assert (meta.backend, meta.model, meta.mode, meta.attempts) == (
        "test",
        "test-model",
        "json_schema",
        2,
    )
    assert meta.usage.total_tokens == 5 and meta.briefgen_version == "0.0.test"
    assert meta.source_sha256 == hashlib.sha256(SOURCE.encode("utf-8")).hexdigest()
    assert meta.source_chars == len(SOURCE)
