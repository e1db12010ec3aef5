"""Merging the actors of several briefs: by name, alias and surname, never two people as one."""

from __future__ import annotations

from conftest import brief_of

from briefgen.digest.actors import cast
from briefgen.digest.align import View
from briefgen.sentences import Document

TEXTS = {
    "A": "Glenn Beck spoke. Liz Cheney and Mary Cheney argued. President Obama listened.",
    "B": "Beck spoke again. Liz Cheney said no. Barack Obama left.",
}


def views(actors: dict[str, list[tuple[str, str, list[str]]]]) -> list[View]:
    return [
        View(sid, Document(text), brief_of(text, actors=actors[sid])) for sid, text in TEXTS.items()
    ]


def test_actors_merge_by_name_alias_and_surname():
    found = cast(
        views(
            {
                "A": [
                    ("Glenn Beck", "person", []),
                    ("Liz Cheney", "person", ["Cheney"]),
                    ("Mary Cheney", "person", []),
                    ("President Obama", "person", []),
                ],
                "B": [
                    ("Beck", "person", []),
                    ("Liz Cheney", "person", []),
                    ("Barack Obama", "person", ["Obama"]),
                ],
            }
        )
    )
    names = {a.name: a for a in found.actors}
    assert set(names) == {"Glenn Beck", "Liz Cheney", "Mary Cheney", "Barack Obama"}
    assert names["Glenn Beck"].aliases == ["Beck"] and names["Glenn Beck"].sources == ["A", "B"]
    # Two Cheneys: the surname alone is nobody's form.
    assert names["Mary Cheney"].sources == ["A"]
    assert "cheney" not in found.forms["Liz Cheney"]
    assert found.name("President Obama") == "Barack Obama" == found.name("obama")
    assert found.name("Somebody Else") == "Somebody Else"


def test_sources_are_those_whose_text_names_the_actor():
    found = cast(views({"A": [("Glenn Beck", "person", [])], "B": []}))
    assert found.actors[0].sources == ["A", "B"]  # B writes "Beck"


def test_a_titled_name_joins_the_person_and_the_widely_named_come_first():
    text = "Gov. Chris Christie spoke. Chris Christie left. Reporters waited. Glenn Beck spoke."
    found = cast(
        [
            View("A", Document(text), brief_of(text, actors=[("Reporters", "group", [])])),
            View(
                "B",
                Document("Chris Christie and Glenn Beck."),
                brief_of(
                    "Chris Christie and Glenn Beck.",
                    actors=[
                        ("New Jersey Republican Gov. Chris Christie", "person", []),
                        ("Chris Christie", "person", []),
                        ("Glenn Beck", "person", []),
                    ],
                ),
            ),
        ]
    )
    assert [a.name for a in found.actors] == ["Chris Christie", "Glenn Beck", "Reporters"]
    assert found.name("New Jersey Republican Gov. Chris Christie") == "Chris Christie"


def test_a_middle_initial_does_not_make_two_people():
    text = "Mark D. Sheridan confirmed it. Mark Sheridan said so."
    found = cast(
        [
            View("A", Document(text), brief_of(text, actors=[("Mark Sheridan", "person", [])])),
            View("C", Document(text), brief_of(text, actors=[("Mark D. Sheridan", "person", [])])),
        ]
    )
    assert [a.name for a in found.actors] == ["Mark Sheridan"]
    assert found.name("Mark D. Sheridan") == "Mark Sheridan"
