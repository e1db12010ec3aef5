"""The bodies a text's speakers belong to: parties to list as actors, and whom a speaker speaks for.

Pure. News prose names a speaker's body beside their name ("NAACP President Benjamin Todd
Jealous", "Hilary Shelton, director of the NAACP's Washington bureau", "Rep. Michele Bachmann
(R-Minn.)"); an editor reads those words as the body's position voiced by its officer, so a
brief says so, from the text only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from briefgen.repair import (
    _HONORIFICS,
    NOT_NAMES,
    occurrences,
    person_named,
    whole_words,
    writes,
)
from briefgen.schema import Actor, Draft, DraftActor
from briefgen.speakers import forms_of

#: Words that make a capitalised name before them someone's affiliation: "Dallas Tea Party
#: founder Phillip Dennis", "NAACP President Benjamin Todd Jealous", "Obama campaign aide".
#: Offices that make a body of the name before them; :data:`_OFFICE` reads a few more beside a
#: name the brief already lists as a body.
_PARTY_OFFICES = (
    *("founder", "co-founder", "organizer", "president", "director", "spokesman", "spokeswoman"),
    *("spokesperson", "chairman", "chairwoman", "leader", "chief", "secretary", "official"),
    *("aide", "CEO"),
)
_MORE_OFFICES = (
    *("organiser", "chair", "head", "executive", "counsel", "strategist", "adviser", "advisor"),
    *("manager", "coordinator", "member", "activist", "lawyer", "attorney"),
)
_AFFILIATION = re.compile(
    r"((?:[A-Z][\w.'\u2019\-]*[ \t]+)*[A-Z][\w.'\u2019\-]*?)(?:['\u2019]s)?[ \t]+"
    rf"(?:campaign[ \t]+)?(?i:{'|'.join(_PARTY_OFFICES)})\b"
)
#: How often a text writes a body before it counts as a party to the story, not a passing name.
_AFFILIATION_MENTIONS = 3


def affiliations(text: str) -> list[str]:
    """The bodies (or people) the text names as someone's affiliation and writes at least three
    times: the parties whose people speak ("Tea Party" of "Dallas Tea Party founder Phillip
    Dennis"). Of a name's tails the one the text writes most is taken ("Tea Party", not "Dallas
    Tea Party"). In the order the text first names them."""
    found: dict[str, None] = {}
    for match in _AFFILIATION.finditer(text):
        words = match.group(1).split()
        tails = [" ".join(words[i:]) for i in range(len(words))]
        tails = [t for t in tails if t.split()[0].casefold() not in NOT_NAMES | _HONORIFICS]
        counted = [(occurrences(text, t), t) for t in tails]
        count, name = max(counted, default=(0, ""))
        # One word is an acronym ("NAACP") or a person ("President Obama"), not "House".
        single = len(name.split()) == 1 and not (name.isupper() or person_named(name, text))
        if count >= _AFFILIATION_MENTIONS and not single:
            found.setdefault(name)
    return list(found)


def with_affiliations(draft: Draft, source: str, room: int = 2) -> tuple[Draft, list[str]]:
    """``draft`` with the :func:`affiliations` its actors leave out, at most ``room``.

    A small model lists the people who speak and forgets the party they speak for (Tea Party
    organisers, and no Tea Party). A person's surname counts as listed ("Obama" of "Barack
    Obama"); one written after an honorific is a person.
    """
    listed = [f.casefold() for a in draft.actors for f in forms_of(a)]
    actors, notes = list(draft.actors), []
    for name in affiliations(source):
        folded = name.casefold()
        if any(writes(form, folded) or writes(folded, form) for form in listed):
            continue
        person = person_named(name, source) is not None
        actors.append(
            DraftActor(name=name, kind="person" if person else "organization", role="", aliases=[])
        )
        notes.append(f'actors: added "{name}", whose people the text quotes')
        if len(notes) == room:
            break
    return draft.model_copy(update={"actors": actors}), notes


#: Words of an office in a body, before or after a name ("Tea Party founder", "director of").
_OFFICE = re.compile(rf"\b(?i:{'|'.join(_PARTY_OFFICES + _MORE_OFFICES)})s?\b")
#: The words right before a name, within its clause: "the Dallas Tea Party founder ".
_LEAD = re.compile(r"([^,.;:!?\"\u201c\u201d\n(]{1,80})$")
#: An apposition after a name: ", director of the NAACP's Washington bureau".
_APPOSITION = re.compile(r"^(?:[ \t]*\([^)\n]{1,30}\))?,[ \t]*([^,.;:!?\"\u201c\u201d\n]{1,100})")
#: A party written after a lawmaker's name: "(R-Minn.)", ", D-Calif.,".
_PARTY = re.compile(r"^(?:[ \t]*\(|,[ \t]*)(?P<party>[RD])-[A-Z]")
_BODIES = frozenset(["organization", "government", "group"])
_COLLECTIVE = frozenset(
    ["republicans", "democrats", "lawmakers", "senators", "members", "officials", "leaders"]
)
_PARTIES = {"R": ("republican", "gop"), "D": ("democrat", "democratic")}


def _body_in(words: str, bodies: Sequence[Actor]) -> str | None:
    """The body ``words`` write, the longest name first ("Dallas Tea Party" over "Tea Party")."""
    folded = words.casefold()
    written = [
        (len(form), body.name)
        for body in bodies
        for form in (body.name, *body.aliases)
        if len(form) > 1 and writes(folded, form.casefold())
    ]
    return max(written)[1] if written else None


def _of_party(party: str, bodies: Sequence[Actor]) -> str | None:
    """The body of party ``party`` ("R", "D") among ``bodies``: "House Republicans" for "R"."""
    for body in bodies:
        words = [w.casefold() for w in body.name.split()]
        if any(w.startswith(stem) for w in words for stem in _PARTIES[party]):
            return body.name
    return None


def _is_body(actor: Actor, text: str) -> bool:
    """Whether ``actor`` is a body: the model's kind says so, or its name is a plural of people
    ("House Republicans", which a small model calls a person). An actor code added for a
    speaker the model left out is "other", and a body when the text never writes it as a
    person's name."""
    if actor.kind in _BODIES or actor.name.split()[-1].casefold() in _COLLECTIVE:
        return True
    return actor.kind == "other" and person_named(actor.name, text) is None


def speaks_for(person: Actor, actors: Sequence[Actor], text: str) -> str | None:
    """The body among ``actors`` that ``text`` names as ``person``'s, beside one of their names.

    An office in it before the name ("NAACP President Benjamin Todd Jealous"), an apposition
    with an office after it ("Hilary Shelton, director of the NAACP's Washington bureau"), or a
    lawmaker's party ("Michele Bachmann (R-Minn.)" speaks for "House Republicans" when the brief
    lists them). None when the text writes no such words, or the brief lists no body they name.
    """
    bodies = [a for a in actors if a.name != person.name and _is_body(a, text)]
    if not bodies:
        return None
    names = [n for n in (person.name, *person.aliases) if len(n.split()) > 1]
    for name in names:
        for at in whole_words(text, name):
            found = _office_before(text, at, bodies) or _office_after(text, at + len(name), bodies)
            if found:
                return found
    return None


def _office_before(text: str, at: int, bodies: Sequence[Actor]) -> str | None:
    """The body of an office written right before the name at ``at``: the office must end the
    lead-in ("Tea Party founder Phillip Dennis", not "the founder met Phillip Dennis")."""
    lead = _LEAD.search(text, max(0, at - 80), at)
    offices = list(_OFFICE.finditer(lead.group(1))) if lead else []
    if not lead or not offices or lead.group(1)[offices[-1].end() :].strip(" \t"):
        return None
    return _body_in(lead.group(1), bodies)


def _office_after(text: str, end: int, bodies: Sequence[Actor]) -> str | None:
    """The body of an apposition with an office, or of a party, after a name ending at ``end``."""
    after = text[end : end + 120]
    apposition = _APPOSITION.match(after)
    if apposition and _OFFICE.search(apposition.group(1)):
        return _body_in(apposition.group(1), bodies)
    party = _PARTY.match(after)
    return _of_party(party["party"], bodies) if party else None
