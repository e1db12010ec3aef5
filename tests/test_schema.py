"""The draft schema's pinned positions and stance shape (schema.pinned, schema.stance_pattern)."""

from __future__ import annotations

import json
import re

import pytest

from briefgen.schema import (
    MAX_POSITIONS,
    Draft,
    DraftStances,
    pinned,
    pinned_stances,
    stance_pattern,
)


@pytest.mark.parametrize(
    ("stance", "fits"),
    [
        ("Donald J. Trump says the justice should apologize to the court.", True),
        ("Donald J. Trump warns that the court is losing its standing.", True),
        ("Donald J. Trump:", False),  # a label
        ("Donald J. Trump says \u201cshe should apologize\u201d to the court.", False),  # a quote
        ("Trump says the justice should apologize.", False),  # not the name pinned
        ("Donald JX Trump says the justice should apologize.", False),  # "." is no wildcard
        ("Donald J. Trump says " + "x" * 200, False),  # over the stance's length
    ],
)
def test_a_stance_is_its_speakers_name_a_verb_and_a_clause_of_its_own(
    stance: str, fits: bool
) -> None:
    assert bool(re.fullmatch(stance_pattern("Donald J. Trump"), stance)) is fits


def test_pinned_positions_fix_actor_and_sentence_and_still_validate_as_a_draft() -> None:
    schema = pinned([("Ana Ruiz", 3), ("Bo Chen", 7)])
    positions = schema.model_json_schema()["properties"]["positions"]
    assert positions["minItems"] == positions["maxItems"] == 2
    first = positions["prefixItems"][0]["properties"]
    assert first["actor"] == {"type": "string", "const": "Ana Ruiz"}
    assert first["sentence"] == {"type": "integer", "const": 3}
    assert first["stance"]["pattern"] == stance_pattern("Ana Ruiz")
    answer = {
        "title": "t",
        "summary": "s",
        "source": {"title": None, "author": None, "date": None, "genre": None},
        "actors": [],
        "positions": [{"actor": "Ana Ruiz", "sentence": 3, "stance": "Ana Ruiz says no."}],
        "key_events": [],
        "open_questions": [],
    }
    draft = schema.model_validate_json(json.dumps(answer))
    assert isinstance(draft, Draft) and issubclass(schema, Draft)
    assert pinned([]) is Draft


def test_at_most_max_positions_are_pinned_and_stances_follow_their_speakers() -> None:
    many = [(f"Person {chr(65 + i)}x", i + 2) for i in range(MAX_POSITIONS + 2)]
    positions = pinned(many).model_json_schema()["properties"]["positions"]
    assert len(positions["prefixItems"]) == positions["maxItems"] == MAX_POSITIONS
    stances = pinned_stances(["Ana Ruiz", "Bo Chen"]).model_json_schema()["properties"]["stances"]
    assert [i["pattern"] for i in stances["prefixItems"]] == [
        stance_pattern("Ana Ruiz"),
        stance_pattern("Bo Chen"),
    ]
    assert pinned_stances([]) is DraftStances
