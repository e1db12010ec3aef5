"""Merge the actors of several briefs: one entry per person or body, and the sources naming it.

Pure. Actors are joined by a shared name or alias (as the parts of one long source are,
:func:`briefgen.merge.merge_actors`), then a name that is only a surname, with or without a
title ("Beck", "President Obama"), joins the one person of several words it ends ("Glenn Beck",
"Barack Obama") when no other person has that surname. People who share a surname but not a
first name ("Liz Cheney", "Mary Cheney") stay two.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from briefgen.digest.align import View
from briefgen.digest.schema import DigestActor
from briefgen.merge import merge_actors
from briefgen.repair import bare_name, writes
from briefgen.schema import Actor

#: A middle initial: "D." or "D".
_INITIAL = re.compile(r"^[A-Z]\.?$")


def key(name: str) -> str:
    """How names are compared: spacing and case folded."""
    return " ".join(name.split()).casefold()


@dataclass
class Cast:
    """The merged actors, the ways each is written, and every written form's actor."""

    actors: list[DigestActor]
    forms: dict[str, list[str]]
    canonical: dict[str, str]

    def name(self, raw: str) -> str:
        """The merged actor ``raw`` names (``raw`` itself when no actor has that form)."""
        return self.canonical.get(key(raw), self.canonical.get(key(bare_name(raw)), raw))


def _surname(actor: Actor) -> str | None:
    words = bare_name(actor.name).split()
    return words[-1].casefold() if actor.kind == "person" and len(words) > 1 else None


def _uninitialed(actor: Actor) -> list[str]:
    """A person's name without its middle initials, as another outlet may write it ("Mark D.
    Sheridan" is "Mark Sheridan"); nothing when it has none."""
    words = actor.name.split()
    if actor.kind != "person" or len(words) < 3:
        return []
    kept = [w for i, w in enumerate(words) if i in (0, len(words) - 1) or not _INITIAL.match(w)]
    return [" ".join(kept)] if len(kept) < len(words) else []


def cast(views: Sequence[View]) -> Cast:
    """The actors of every brief in ``views``, merged (see the module docstring)."""
    listed = [a for v in views if v.brief is not None for a in v.brief.actors]
    # A surname that people of several first names share ("Cheney") is nobody's alias here:
    # as a shared alias it would make the sisters one actor.
    shared: dict[str, set[str]] = {}
    for a in listed:
        if surname := _surname(a):
            shared.setdefault(surname, set()).add(key(bare_name(a.name)))
    ambiguous = {s for s, names in shared.items() if len(names) > 1}
    listed = [
        a.model_copy(
            update={"aliases": [x for x in a.aliases if key(x) not in ambiguous] + _uninitialed(a)}
        )
        for a in listed
    ]
    merged, _ = merge_actors(listed)
    surnames = Counter(s for a in merged if (s := _surname(a)))
    people = {s: a for a in merged if (s := _surname(a)) and surnames[s] == 1}
    # A name with a title before it is the person of that name ("New Jersey Republican Gov.
    # Chris Christie" is "Chris Christie"); a surname alone, the one person who has it.
    named = {key(a.name): a for a in merged}
    kept: list[Actor] = []
    for actor in merged:
        words = bare_name(actor.name).split()
        person = people.get(words[0].casefold()) if len(words) == 1 else None
        if person is None and key(bare_name(actor.name)) != key(actor.name):
            person = named.get(key(bare_name(actor.name)))
        if person is not None and person is not actor:
            for form in (actor.name, *actor.aliases):
                if key(form) != key(person.name) and key(form) not in map(key, person.aliases):
                    person.aliases.append(form)
            person.role = person.role or actor.role
            continue
        kept.append(actor)
    forms: dict[str, list[str]] = {}
    canonical: dict[str, str] = {}
    actors = []
    for actor in kept:
        spelled = list(dict.fromkeys([actor.name, *actor.aliases]))
        if (surname := _surname(actor)) and surnames[surname] == 1:
            spelled.append(bare_name(actor.name).split()[-1])
        spelled = [f for f in dict.fromkeys(spelled) if len(f) > 1]
        forms[actor.name] = [f.casefold() for f in spelled]
        for form in spelled:
            canonical.setdefault(key(form), actor.name)
        named_in = [v.id for v in views if any(writes(v.folded, f.casefold()) for f in spelled)]
        actors.append(
            DigestActor(
                name=actor.name,
                role=actor.role,
                kind=actor.kind,
                aliases=[a for a in actor.aliases if key(a) != key(actor.name)],
                sources=named_in,
            )
        )
    # Those more sources name first: the story's central people before one outlet's extras.
    actors.sort(key=lambda a: -len(a.sources))
    return Cast(actors, forms, canonical)
