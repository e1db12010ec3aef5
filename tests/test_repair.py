"""Tests for repair.py: what code fixes in an answer without a re-ask, and the notes it leaves."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import SOURCE, UNTITLED, draft

from briefgen import repair
from briefgen.schema import Draft
from briefgen.sentences import Document


def _repair(
    text: str = SOURCE, anchor: str | None = None, **overrides: Any
) -> tuple[Draft, dict[str, str], list[str]]:
    """Repair :func:`draft` with ``overrides`` as a brief of ``text``."""
    if text != SOURCE:  # the draft's headline is SOURCE's
        overrides.setdefault("source", UNTITLED)
    return repair.repair(Draft.model_validate(draft(**overrides)), Document(text), anchor)


def _actor(name: str, kind: str = "person", role: str = "") -> dict[str, Any]:
    return {"name": name, "kind": kind, "role": role, "aliases": []}


def test_a_draft_the_source_backs_is_left_as_it_is() -> None:
    repaired, renamed, notes = _repair()
    assert repaired == Draft.model_validate(draft())
    assert (renamed, notes) == ({}, [])


# --- Actor names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ("Chair Maria Lopez", "Maria Lopez"),
        ("Harbor Authority", "Harbor"),
        ("Eastside residents group", "Eastside"),
        ("John Smith", None),
        ("the port", None),  # lower-case words are not a name
    ],
)
def test_written_name(name: str, written: str | None) -> None:
    assert repair.written_name(name, SOURCE) == written


def test_actor_with_title_takes_the_written_name_and_its_speaker_follows() -> None:
    actors = draft()["actors"]
    renamed_actors = [
        actors[0],
        {**actors[1], "name": "Chair Maria Lopez", "aliases": []},
        *actors[2:],
    ]
    positions = [{**draft()["positions"][0], "actor": "Chair Maria Lopez"}, draft()["positions"][1]]
    repaired, renamed, notes = _repair(actors=renamed_actors, positions=positions)
    assert notes == ['actors[2]: "Chair Maria Lopez" written "Maria Lopez" as in the source']
    assert renamed == {"chair maria lopez": "Maria Lopez"}
    assert repaired.actors[1].name == "Maria Lopez"
    assert repaired.positions[0].actor == "Maria Lopez"


def test_a_title_the_source_writes_before_a_name_is_still_left_out() -> None:
    senator = _actor("Sen. Kay Bailey Hutchison", role="senator")
    company = _actor("General Motors Company", kind="organization", role="carmaker")
    positions = [{**draft()["positions"][0], "actor": "Sen. Kay Bailey Hutchison"}]
    only = {"summary": "The senator agreed.", "positions": positions, "key_events": []}
    source = SOURCE + " Sen. Kay Bailey Hutchison agreed. General Motors Company did not."
    repaired, _, notes = _repair(source, actors=[senator, company], **only)
    assert [a.name for a in repaired.actors] == ["Kay Bailey Hutchison", "General Motors Company"]
    assert repaired.positions[0].actor == "Kay Bailey Hutchison"
    assert notes == [
        'actors[1]: "Sen. Kay Bailey Hutchison" written "Kay Bailey Hutchison", without the title'
    ]
    # The title is told from the name by words, not by length: spacing does not matter.
    spaced = {**senator, "name": "Sen. Kay  Bailey Hutchison"}
    repaired, _, _ = _repair(source, actors=[spaced], **only)
    assert [a.name for a in repaired.actors] == ["Kay Bailey Hutchison"]


@pytest.mark.parametrize(
    ("extra", "note", "names"),
    [
        (
            _actor("Chair Maria Lopez", role="chair"),
            'actors[4]: dropped "Chair Maria Lopez", listed as "Maria Lopez"',
            {"chair maria lopez": "Maria Lopez"},
        ),
        (
            draft()["actors"][2],
            'actors[4]: dropped "Tom Reed", listed twice',
            {"tom reed": "Tom Reed"},
        ),
        # "Harbor" for "Harbor Authority" would be a different name: the entry is dropped.
        (
            _actor("Harbor Authority", kind="organization", role="port"),
            'actors[4]: dropped "Harbor Authority", which the source does not contain',
            {},
        ),
        (
            _actor("John Smith", role="mayor"),
            'actors[4]: dropped "John Smith", which the source does not contain',
            {},
        ),
    ],
)
def test_an_actor_listed_again_or_never_written_is_dropped(
    extra: dict[str, Any], note: str, names: dict[str, str]
) -> None:
    repaired, renamed, notes = _repair(actors=[*draft()["actors"], extra])
    assert notes == [note]
    assert renamed == names
    assert [a.name for a in repaired.actors] == [a["name"] for a in draft()["actors"]]


def test_a_surname_listed_as_its_own_actor_is_merged() -> None:
    surname = _actor("Lopez", role="chair")
    repaired, renamed, notes = _repair(actors=[surname, *draft()["actors"]])
    assert notes == ['actors[1]: dropped "Lopez", listed as "Maria Lopez"']
    assert [a.name for a in repaired.actors] == [a["name"] for a in draft()["actors"]]
    assert renamed == {"lopez": "Maria Lopez"}


@pytest.mark.parametrize(
    ("name", "bare"),
    [
        ("Obama campaign aide Robert Gibbs", "Robert Gibbs"),
        ("Sen. John Cornyn", "John Cornyn"),
        ("White House Press Secretary Jay Carney", "Jay Carney"),
        ("Dallas Tea Party founder Phillip Dennis", "Phillip Dennis"),
        ("Charles de Gaulle", "Charles de Gaulle"),
        ("Kay Bailey Hutchison", "Kay Bailey Hutchison"),
    ],
)
def test_bare_name_leaves_out_the_role_written_before_a_name(name: str, bare: str) -> None:
    assert repair.bare_name(name) == bare


PERRY = (
    "Perry attacks Obama\n\nRick Perry said President Obama is wrong about faith. Obama did not "
    "answer. Barack Obama spoke in Iowa before the Super Bowl. Perry spoke after him."
)


def test_titles_before_a_name_are_left_out_and_an_organisation_becomes_the_role() -> None:
    source = (
        PERRY + " Press Secretary Jay Carney spoke. Jay Carney left. Dallas Tea Party founder "
        "Phillip Dennis spoke. Phillip Dennis left."
    )
    names = ["Press Secretary Jay Carney", "Dallas Tea Party founder Phillip Dennis"]
    only = {"actors": [_actor(n) for n in names], "positions": [], "key_events": []}
    repaired, renamed, _ = _repair(source, **only)
    # The name is the one the prompt pins his position to; "Dallas Tea Party" stays, as his role.
    assert [(a.name, a.role) for a in repaired.actors] == [
        ("Jay Carney", ""),
        ("Phillip Dennis", "Dallas Tea Party founder"),
    ]
    assert renamed == {
        "press secretary jay carney": "Jay Carney",
        "dallas tea party founder phillip dennis": "Phillip Dennis",
    }
    # A role the answer gave is kept, unless the text's words hold it and say more.
    for given, kept in (("organizer", "organizer"), ("founder", "Dallas Tea Party founder")):
        actors = [_actor(names[1], role=given)]
        repaired, _, _ = _repair(source, actors=actors, positions=[], key_events=[])
        assert [(a.name, a.role) for a in repaired.actors] == [("Phillip Dennis", kept)]


@pytest.mark.parametrize(
    ("summary", "added"),
    [
        ("Rick Perry attacks Obama's record on faith.", ["Obama"]),
        ("Rick Perry attacks Barack Obama before the Super Bowl.", ["Barack Obama"]),
        # Not people: a place, an event, a party adjective, a title.
        ("Rick Perry spoke in Iowa before the Super Bowl.", []),
        ("Republican Rick Perry talks to the President.", []),
    ],
)
def test_people_the_summary_names_join_the_actors(summary: str, added: list[str]) -> None:
    actor = {**_actor("Rick Perry", role="candidate"), "aliases": ["Perry"]}
    only = {"summary": summary, "actors": [actor], "positions": [], "key_events": []}
    repaired, _, notes = _repair(PERRY, **only)
    assert [a.name for a in repaired.actors] == ["Rick Perry", *added]
    assert notes == [f'actors: added "{name}", whom the summary names' for name in added]


def test_a_surname_inside_another_actors_title_is_still_added() -> None:
    only = {
        "summary": "The Harbor Port Authority heard Obama's aide.",
        "actors": [
            _actor("Obama campaign aide Robert Gibbs", role="aide"),
            {**draft()["actors"][0], "aliases": []},
        ],
        "positions": [],
        "key_events": [],
    }
    source = PERRY + " Obama campaign aide Robert Gibbs answered the Harbor Port Authority."
    repaired, _, notes = _repair(source, **only)
    assert [a.name for a in repaired.actors][-1] == "Obama"
    # "Obama" is added; no part of the listed "Harbor Port Authority" is.
    assert notes[-1] == 'actors: added "Obama", whom the summary names'
    assert not any("Harbor" in note for note in notes)


_BYLINE = (
    "Azerbaijan and the US\nOverview by Teymur Atayev\n"
    "President of Azerbaijan Ilham Aliyev met the delegation. Senator Mullin, a member of the "
    "Armed Services Committee, spoke. Senator Smith spoke too."
)


def test_a_role_the_text_writes_only_of_another_actor_is_cleared() -> None:
    actors = [
        _actor("Teymur Atayev", role="President of Azerbaijan"),  # the text's words, of Aliyev
        _actor("Ilham Aliyev", role="President of Azerbaijan"),
        _actor("Mullin", role="member of the Armed Services Committee"),
        _actor("Smith", role="senator"),  # shared and one word: nothing to check
        _actor("Jane Roe", role="head of the delegation"),  # not the text's words: left alone
    ]
    only = {"summary": "Aliyev met US senators.", "actors": actors, "positions": []}
    repaired, _, notes = _repair(_BYLINE + " Jane Roe came.", **only, key_events=[])
    assert [a.role for a in repaired.actors] == [
        "",
        "President of Azerbaijan",
        "member of the Armed Services Committee",
        "senator",
        "head of the delegation",
    ]
    assert notes == [
        'actors[1]: role "President of Azerbaijan" cleared: the text writes it of Ilham Aliyev, '
        "not of Teymur Atayev"
    ]


# --- Text cut into a foreign script -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "clipped"),
    [
        # The word a foreign character is glued to may be cut short: it goes too.
        ("gays and lesbians in the军", "gays and lesbians in…"),
        ("as the Republican candidate to 挑战", "as the Republican candidate to…"),
        ("a plan to mil军", "a plan to…"),
        ("No foreign script here.", "No foreign script here."),
    ],
)
def test_text_cut_into_a_foreign_script_is_clipped_at_a_word(text: str, clipped: str) -> None:
    assert repair._clip_foreign(text, SOURCE) == clipped
    assert repair._clip_foreign(text, SOURCE + text) == text  # the source's own script stays


def test_repair_clips_every_free_text_field() -> None:
    cut = "Night shipping approved over 挑战"
    event = {**draft()["key_events"][0], "description": cut}
    question = {**draft()["open_questions"][0], "question": cut}
    position = {**draft()["positions"][0], "stance": cut}
    repaired, _, _ = _repair(
        title=cut,
        summary=cut,
        key_events=[event],
        open_questions=[question],
        positions=[position, draft()["positions"][1]],
    )
    clipped = "Night shipping approved over…"
    assert repaired.title == repaired.summary == clipped
    assert repaired.key_events[0].description == clipped
    assert repaired.open_questions[0].question == clipped
    assert repaired.positions[0].stance == clipped


# --- Dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("date", "anchor", "kept", "notes"),
    [
        ("2025-03-05", "2025-03-05", "2025-03-05", []),  # the publication date the prompt gave
        ("2025", None, "2025", []),  # the text writes it ("March 4, 2025")
        ("2025-03-04", None, None, ["dropped source.date 2025-03-04: the text does not state it"]),
        (
            "2024-01-01",
            "2025-03-05",
            None,
            ["dropped source.date 2024-01-01: the text does not state it"],
        ),
        ("1999-01-01", None, None, ["dropped source.date 1999-01-01: the text does not state it"]),
        (None, "2025-03-05", None, []),
    ],
)
def test_a_source_date_stands_when_the_text_or_the_prompt_gives_it(
    date: str | None, anchor: str | None, kept: str | None, notes: list[str]
) -> None:
    repaired, _, said = _repair(anchor=anchor, source={**draft()["source"], "date": date})
    assert (repaired.source.date, said) == (kept, notes)


def test_a_source_date_the_text_writes_is_kept() -> None:
    source = SOURCE + " Published 2025-03-05."
    repaired, _, notes = _repair(source, source={**draft()["source"], "date": "2025-03-05"})
    assert (repaired.source.date, notes) == ("2025-03-05", [])


_WRITTEN = "Tuesday, March 4, 2025"
_DATED = (
    'date_text "{}" is not a date its sentence writes; dated "' + _WRITTEN + '" from its sentence'
)
_UNDATED = 'date_text "{}" is not a date its sentence writes; undated'
#: Descriptions in the words of the sentences events cite: a description is not under test.
_DESCRIBED = {2: "The authority approved the plan.", 4: "Residents oppose the plan."}


@pytest.mark.parametrize(
    ("sentence", "date_text", "kept", "note"),
    [
        # Sentence [2] writes "on Tuesday, March 4, 2025"; sentence [4] no date.
        (2, _WRITTEN, _WRITTEN, None),
        # Date words the sentence writes are widened to the whole date around them, as written.
        (2, "March 4", _WRITTEN, None),
        (2, " March 4 ", _WRITTEN, None),
        (2, "march 4", _WRITTEN, None),
        (2, "Tuesday", _WRITTEN, None),
        (2, "2025", _WRITTEN, None),
        (2, "TUESDAY, MARCH 4, 2025", _WRITTEN, None),
        # Words the sentence does not write, or that are no date, give way to its own date.
        (2, "2025-03-04", _WRITTEN, _DATED.format("2025-03-04")),
        (2, "last week", _WRITTEN, _DATED.format("last week")),
        (2, "Harbor Port", _WRITTEN, _DATED.format("Harbor Port")),
        # No date words from the model: the sentence's own, silently.
        (2, None, _WRITTEN, None),
        (2, "", _WRITTEN, None),
        # A sentence that writes no date dates nothing.
        (4, "Tuesday", None, _UNDATED.format("Tuesday")),
        (4, None, None, None),
        # A sentence the text lacks: the words are left alone, for the check of its number.
        (99, _WRITTEN, _WRITTEN, None),
        (99, "last week", "last week", None),
    ],
)
def test_event_date_words_are_those_its_own_sentence_writes(
    sentence: int, date_text: str | None, kept: str | None, note: str | None
) -> None:
    description = _DESCRIBED.get(sentence, "It was approved.")
    event = {"sentence": sentence, "date_text": date_text, "description": description}
    repaired, _, notes = _repair(key_events=[event])
    assert repaired.key_events[0].date_text == kept
    assert notes == ([f"key_events[1]: {note}"] if note else [])


@pytest.mark.parametrize(
    ("date_text", "kept"),
    [("March 4", "March 4, 2025"), ("Jan. 5", "Jan. 5, 2025"), ("Friday", "on Friday")],
)
def test_date_words_are_widened_to_the_date_they_are_part_of(date_text: str, kept: str) -> None:
    source = SOURCE + (
        " The plan was drafted on Jan. 5, 2025 and approved on March 4, 2025, not on Friday."
    )
    event = {"sentence": 7, "date_text": date_text, "description": "It was approved."}
    repaired, _, notes = _repair(source, key_events=[event])
    assert (repaired.key_events[0].date_text, notes) == (kept, [])


def test_an_event_citing_a_sentence_already_cited_is_dropped() -> None:
    def event(sentence: int) -> dict[str, Any]:
        description = _DESCRIBED.get(sentence, "Something happened.")
        return {"sentence": sentence, "date_text": None, "description": description}

    events = [event(2), event(4), event(2), event(99), event(99)]
    repaired, _, notes = _repair(key_events=events)
    # A number the text lacks is left for review to name, however often it is cited.
    assert [e.sentence for e in repaired.key_events] == [2, 4, 99, 99]
    assert notes == ["key_events[3]: dropped, sentence [2] twice"]


@pytest.mark.parametrize(
    ("description", "kept"),
    [
        ("The authority approved night container traffic.", True),
        ("Night shipping approved", True),
        ("The forum focused on the August Washington agreements.", False),  # another sentence's
    ],
)
def test_a_description_of_another_sentence_gives_way_to_the_cited_sentences_words(
    description: str, kept: bool
) -> None:
    event = {"sentence": 2, "date_text": None, "description": description}
    repaired, _, notes = _repair(key_events=[event])
    words = repair.gist(Document(SOURCE).words(2))
    assert repaired.key_events[0].description == (description if kept else words)
    assert bool(notes) is not kept


def test_an_event_the_model_only_points_at_is_dated_and_described_by_its_sentence() -> None:
    # The schema asks for the sentence alone: its date and line are the sentence's own words.
    repaired, _, notes = _repair(key_events=[{"sentence": 2}])
    event = repaired.key_events[0]
    assert event.description == repair.gist(Document(SOURCE).words(2))
    assert event.date_text == "Tuesday, March 4, 2025" and notes == []


@pytest.mark.parametrize(
    ("sentence", "line"),
    [
        ("PHOENIX \u2014 As the Legislature sent a bill to her desk Monday.", "As the Legislature"),
        ("AUGUSTA, Me. \u2014 Paul R. LePage declared on Wednesday.", "Paul R. LePage declared"),
        ("U.S. officials said no.", "U.S. officials said no."),
    ],
)
def test_a_gist_leaves_out_the_dateline(sentence: str, line: str) -> None:
    assert repair.gist(sentence).startswith(line)


def test_a_long_sentence_as_description_is_cut_at_a_word() -> None:
    cut = repair.gist("word " * 40)
    assert cut.endswith("word\u2026") and len(cut) <= 100 and "  " not in cut
    assert repair.gist("Short one.") == "Short one."


@pytest.mark.parametrize("name", ["White House", "Tea Party", "Senate Armed Services Committee"])
def test_a_body_is_never_a_person_the_summary_names(name: str) -> None:
    text = (
        f"{name} statement\n\nThe {name} spoke. The House voted. The Party met. The Committee sat."
    )
    assert repair.person_named(name, text) is None


@pytest.mark.parametrize(
    ("name", "text"),
    [
        # "White" is always the start of "White House" here: no surname of anyone.
        ("Outgoing White", "Outgoing White House adviser spoke. The White House said no."),
        ("Obama Monday", "Obama Monday said no. Obama left. Obama spoke."),
        ("Chairman Michael Steele", "Chairman Michael Steele spoke. Steele left. Steele won."),
        ("United States Constitution", "The United States Constitution. The Constitution."),
    ],
)
def test_a_phrase_of_capitalised_words_is_no_person(name: str, text: str) -> None:
    assert repair.person_named(name, text) is None


def test_a_person_is_named_however_their_surname_is_followed() -> None:
    text = "Barack Obama spoke. Obama said no. The Obama Administration agreed."
    assert repair.person_named("Barack Obama", text) == "Barack Obama"
    assert repair.person_named("Michael Steele", "Michael Steele spoke. Steele left.")


@pytest.mark.parametrize(
    ("summary", "kept"),
    [
        (
            "The article gives an overview. It discusses treaties with Armenia, the Great Victory",
            "The article gives an overview.",
        ),
        ("One sentence the bound cut off", "One sentence the bound cut off"),  # nothing whole
        ("Fine. Done.", "Fine. Done."),
        ('He said "go." Then the', 'He said "go."'),
    ],
)
def test_a_summary_the_bound_cut_ends_at_its_last_whole_sentence(summary: str, kept: str) -> None:
    repaired, _, _ = _repair(summary=summary)
    assert repaired.summary == kept
