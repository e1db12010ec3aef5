"""The bodies a text's speakers belong to, read off the words beside their names."""

from __future__ import annotations

import pytest

from briefgen.bodies import affiliations, speaks_for
from briefgen.schema import Actor

NAACP = Actor(name="NAACP", kind="organization")
TEA_PARTY = Actor(name="Tea Party", kind="group")
REPUBLICANS = Actor(name="House Republicans", kind="person")  # as a small model lists them


def _person(name: str) -> Actor:
    return Actor(name=name, kind="person")


@pytest.mark.parametrize(
    ("text", "person", "body"),
    [
        (
            '"We believe in freedom," the NAACP President Benjamin Todd Jealous said.',
            "Benjamin Todd Jealous",
            "NAACP",
        ),
        ('Dallas Tea Party founder Phillip Dennis said "no".', "Phillip Dennis", "Tea Party"),
        (
            'It "calls on the tea party," said Hilary Shelton, director of the NAACP\'s '
            "Washington bureau.",
            "Hilary Shelton",
            "NAACP",
        ),
        (
            '"These rules matter," said Rep. Michele Bachmann (R-Minn.), to the Post.',
            "Michele Bachmann",
            "House Republicans",
        ),
        # The office must be hers, right before her name.
        ("The NAACP founder met Phillip Dennis on Friday.", "Phillip Dennis", None),
        # An apposition without an office is no membership.
        ("Phillip Dennis, who lives near the NAACP office, said no.", "Phillip Dennis", None),
        # A party with no body of it among the actors.
        ('"No," said Rep. Nancy Pelosi (D-Calif.).', "Nancy Pelosi", None),
        # A body the brief does not list is not named.
        ("Sierra Club director Jane Doe said no.", "Jane Doe", None),
    ],
)
def test_the_body_beside_a_speakers_name(text: str, person: str, body: str | None) -> None:
    actors = [NAACP, TEA_PARTY, REPUBLICANS, _person(person)]
    assert speaks_for(_person(person), actors, text) == body


def test_the_longest_body_written_wins() -> None:
    local = Actor(name="Dallas Tea Party", kind="group")
    text = "Dallas Tea Party organizer Bill Hennessy wrote on the group's website."
    assert speaks_for(_person("Bill Hennessy"), [TEA_PARTY, local], text) == local.name


def test_a_person_is_no_body() -> None:
    text = "Obama campaign aide Robert Gibbs said no."
    obama = Actor(name="Barack Obama", kind="person", aliases=["Obama"])
    assert speaks_for(_person("Robert Gibbs"), [obama], text) is None


def test_affiliations_are_bodies_written_three_times_beside_an_office() -> None:
    text = (
        "Dallas Tea Party founder Phillip Dennis spoke. The Tea Party met. The Tea Party left. "
        "Acme spokesman Bob Smith said no."
    )
    assert affiliations(text) == ["Tea Party"]


def test_an_office_written_with_a_capital_names_its_body_too() -> None:
    text = (
        "NAACP President Benjamin Todd Jealous spoke. The NAACP voted. The NAACP met. "
        "Vice President Joe Biden left."
    )
    assert affiliations(text) == ["NAACP"]
