"""Reader notices: every note wording the check writes, sorted into plain counted sentences."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from briefgen import notices
from briefgen.errors import UnverifiedError
from briefgen.notices import OTHER, OTHER_REMOVED, RULES, banner, classify, read
from briefgen.schema import Briefing

FIXTURES = Path(__file__).with_name("fixtures")
FIELD_PATH = re.compile(r"\w+\\?\[\d+\\?\]|source\.\w+")

# One note per wording the producers write today (review.py, repair.py, speakers.py,
# assemble.py, merge.py), filled in as they fill them, with the kind it must be read as.
CASES = [
    # review.py
    ('key_events: added sentence [12], which the text dates ("in 2026")', "event_added"),
    ("key_events[1] dropped: no sentence [99]", "key_events_uncited"),
    ("key_events[2] dropped: sentence [3] addresses an AI model", "key_events_withheld"),
    (
        "positions[1] dropped: sentence [2] does not say Ilham Aliyev said it",
        "position_unattributed",
    ),
    ('positions[3] dropped: the source never names "Nancy Pelosi"', "position_unnamed"),
    ("positions[2] dropped: no sentence [7]", "positions_uncited"),
    ("positions[2] dropped: sentence [3] addresses an AI model", "positions_withheld"),
    ('positions[1]: stance "Chair" is a title; asked again', "stance_asked"),
    (
        'positions[3]: stance "He pointed, for instance, to the" does not name Ilham Aliyev; asked',
        "stance_asked",
    ),
    ("open_questions[1] dropped: no sentence [12]", "open_questions_uncited"),
    ("open_questions[1] dropped: sentence [4] addresses an AI model", "open_questions_withheld"),
    ("positions[3] dropped: no stance for Tom Reed", "position_unwritten"),
    # repair.py
    ('actors[4]: dropped "Hunter", listed as "Duncan Hunter"', "actor_merged"),
    (
        'actors[2]: "Governor Jan Brewer" written "Gov. Jan Brewer" as in the source',
        "actor_respelled",
    ),
    ('actors[5]: dropped "Nancy Pelosi", which the source does not contain', "actor_absent"),
    (
        'actors[1]: "Sen. Kay Bailey Hutchison" written "Kay Bailey Hutchison", without the title',
        "actor_untitled",
    ),
    ('actors[4]: dropped "Tom Reed", listed twice', "actor_duplicate"),
    ('actors: added "Barack Obama", whom the summary names', "actor_added"),
    (
        'actors[3]: role "President of Azerbaijan" cleared: the text writes it of Ilham Aliyev, '
        "not of Teymur Atayev",
        "role_cleared",
    ),
    ("dropped source.date 2026-01-01: the text does not state it", "date_unwritten"),
    ('dropped source.title "DATA": the text does not write it', "source_detail_unwritten"),
    ('dropped source.author "Staff": the text does not write it', "source_detail_unwritten"),
    ("key_events[3]: dropped, sentence [2] twice", "event_duplicate"),
    (
        'key_events[1]: date_text "5 years after the Patriotic War" is not a date its sentence '
        "writes; undated",
        "date_unwritten",
    ),
    (
        'key_events[7]: date_text "December 13" is not a date its sentence writes; dated "The '
        'following day" from its sentence',
        "date_corrected",
    ),
    (
        "key_events[1]: the description is not of sentence [5]; its own words used",
        "description_replaced",
    ),
    # speakers.py
    ('actors: added "Maria Lopez", whom the text quotes', "actor_added"),
    (
        "positions[1]: the text gives these words to John Cornyn, not to Richard Blumenthal; "
        "speaker changed",
        "speaker_changed",
    ),
    ("positions[2]: dropped, the same words of Maria Lopez twice", "position_duplicate"),
    (
        'positions[2]: added, the text quotes Maria Lopez ("This keeps the harbor open") and the '
        "answer gave no position of theirs",
        "position_added",
    ),
    # merge.py, around the notes of each part
    ("part 2/3 could not be briefed: the model could not brief this source", "part_failed"),
    (
        "part 1/3: repaired: positions[1] dropped: sentence [4] does not say Jane Doe said it",
        "position_unattributed",
    ),
]


@pytest.mark.parametrize(("note", "kind"), CASES)
def test_every_wording_today_has_its_kind(note: str, kind: str) -> None:
    assert classify(note).kind == kind
    assert classify(f"repaired: {note}").kind == kind  # as assemble stores it


def test_every_rule_is_exercised() -> None:
    assert {r.kind for r in RULES} == {kind for _, kind in CASES}


@pytest.mark.parametrize(
    ("note", "rule"),
    [
        ("repaired: positions[4] vanished into thin air", OTHER),
        ("repaired: key_events[9] dropped: a reason nobody wrote yet", OTHER_REMOVED),
        ("part 3/4: repaired: actors[2] removed for a new reason", OTHER_REMOVED),
    ],
)
def test_an_unknown_wording_falls_back_to_a_generic_kind(note: str, rule: object) -> None:
    assert classify(note) is rule


def test_notices_are_counted_per_kind_removals_first_and_carry_no_field_path() -> None:
    notes = [f"repaired: {note}" for note, _ in CASES] + [
        "repaired: positions[5] dropped: sentence [9] does not say Ana Ruiz said it",
        "repaired: key_events[9] dropped: a reason nobody wrote yet",
        "repaired: positions[4] vanished into thin air",
    ]
    read_ = read(notes)
    by_kind = {n.kind: n for n in read_}
    unattributed = by_kind["position_unattributed"]
    assert (unattributed.count, unattributed.removed) == (3, 3)
    assert unattributed.text == (
        "Removed 3 positions the model could not tie to the speakers' words."
    )
    assert by_kind["date_unwritten"].text == (
        "Removed 2 dates the model gave that the text does not write."
    )
    assert by_kind["other_removed"].text == "Removed 1 other item the source does not back."
    assert by_kind["other"].removed == 0
    # Merged duplicates, respelled names, re-asked stances: diagnostics only.
    for quiet in ("actor_merged", "actor_duplicate", "stance_asked", "position_duplicate"):
        assert quiet not in by_kind
    removed = [n.removed > 0 for n in read_]
    assert removed == sorted(removed, reverse=True)
    for n in read_:
        assert not FIELD_PATH.search(n.text), n.text
        assert "Maria" not in n.text and '"' not in n.text  # no model- or source-written words


def test_no_notes_no_notices() -> None:
    assert read([]) == []


@pytest.mark.parametrize(
    ("missing", "total", "notes", "expected"),
    [
        (0, 8, [], None),
        (
            0,
            8,
            ["repaired: key_events[1]: the description is not of sentence [5]; its own words used"],
            None,
        ),
        (2, 8, [], "2 of 8 quotes could not be found in the source — check before publishing."),
        (
            0,
            8,
            ["positions[1] dropped: sentence [2] does not say X said it"] * 3,
            "briefgen left out 3 positions — check before publishing.",
        ),
        (
            1,
            8,
            [
                "positions[1] dropped: no stance for X",
                "key_events[1] dropped: no sentence [9]",
                'actors[2]: dropped "Y", which the source does not contain',
            ],
            "1 of 8 quotes could not be found in the source; briefgen left out 1 position, "
            "1 event and 1 actor — check before publishing.",
        ),
    ],
)
def test_banner(missing: int, total: int, notes: list[str], expected: str | None) -> None:
    assert banner(missing, total, read(notes)) == expected


def fixture() -> Briefing:
    return Briefing.model_validate_json((FIXTURES / "briefing.json").read_text(encoding="utf-8"))


def test_briefing_carries_status_and_notices_into_its_json() -> None:
    b = fixture()
    b.meta.warnings = ["repaired: positions[1] dropped: sentence [2] does not say X said it"]
    data = json.loads(b.model_dump_json())
    assert data["verified"] is False
    assert data["banner"] == b.banner
    assert data["notices"] == [
        {
            "kind": "position_unattributed",
            "count": 1,
            "text": "Removed 1 position the model could not tie to the speaker's words.",
            "removed": 1,
        }
    ]
    assert data["meta"]["warnings"] == b.meta.warnings  # diagnostics stay in the contract
    assert Briefing.model_validate(data) == b  # the computed fields read back harmlessly


def test_a_clean_brief_is_verified() -> None:
    b = fixture()
    b.meta.grounding.missing = 0
    b.meta.warnings = ['repaired: actors[4]: dropped "Tom Reed", listed twice']
    assert b.verified and b.banner is None
    assert notices.require_verified(b) is b


def test_require_verified_raises_with_the_briefing_attached() -> None:
    b = fixture()  # one quote of twelve not found
    with pytest.raises(UnverifiedError) as caught:
        notices.require_verified(b)
    assert caught.value.briefing is b
    assert caught.value.exit_code == 7
    assert "1 of 12 quotes could not be found in the source" in str(caught.value)
