"""Reader notices: every note wording the check writes, sorted into plain counted sentences."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import NOTE_WORDINGS

from briefgen import notices
from briefgen.errors import UnverifiedError
from briefgen.notices import OTHER, OTHER_REMOVED, RULES, banner, classify, read
from briefgen.schema import Briefing

FIXTURES = Path(__file__).with_name("fixtures")
FIELD_PATH = re.compile(r"\w+\\?\[\d+\\?\]|source\.\w+")


@pytest.mark.parametrize(("note", "kind"), NOTE_WORDINGS)
def test_every_wording_today_has_its_kind(note: str, kind: str) -> None:
    assert classify(note).kind == kind
    assert classify(f"repaired: {note}").kind == kind  # as assemble stores it


def test_every_rule_is_exercised() -> None:
    assert {r.kind for r in RULES} == {kind for _, kind in NOTE_WORDINGS}


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
    notes = [f"repaired: {note}" for note, _ in NOTE_WORDINGS] + [
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
            "3 positions were left out of the brief — check before publishing.",
        ),
        (
            1,
            8,
            [
                "positions[1] dropped: no stance for X",
                "key_events[1] dropped: no sentence [9]",
                'actors[2]: dropped "Y", which the source does not contain',
            ],
            "1 of 8 quotes could not be found in the source; 1 position, 1 event and 1 actor "
            "were left out of the brief — check before publishing.",
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
