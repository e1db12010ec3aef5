"""Fix in code what an answer gets wrong that needs no model, and say what was fixed.

Pure. Actor names as the source writes them, each actor once, people the brief's own summary
names, no role the text gives another actor, each quotation to the speaker the text names beside
it, dates the text backs, text a length bound cut into a foreign script. A 1.5B model rarely
fixed these when asked again, and every re-ask costs a whole answer (bench/RESULTS.md, v5).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from briefgen import grounding
from briefgen.attribution import Attribution, attribution, lead_in, quotations
from briefgen.chunking import SENTENCE_END
from briefgen.dates import MONTHS, date_in, date_problem, names_a_date
from briefgen.schema import Draft, DraftActor, DraftPosition, is_iso_date


def _writes(source: str, phrase: str) -> bool:
    """True when ``source`` writes ``phrase`` as whole words ("Bowl" is not in "Bowles")."""
    return next(_whole_words(source, phrase), None) is not None


def _occurrences(source: str, phrase: str) -> int:
    r"""How often ``source`` writes ``phrase`` as whole words: ``re.findall(r"\bphrase\b")``."""
    return sum(1 for _ in _whole_words(source, phrase))


def _word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _whole_words(source: str, phrase: str) -> Iterator[int]:
    r"""Where ``source`` writes ``phrase`` as whole words, as ``re.finditer(r"\bphrase\b")``.

    Without a pattern compiled per phrase: review asks this of every name in every answer, and
    the compiling was most of its time in a batch (bench/batch_bench.py).
    """
    if not phrase:
        return
    first, last = _word(phrase[0]), _word(phrase[-1])
    at = source.find(phrase)
    while at >= 0:
        end = at + len(phrase)
        before = _word(source[at - 1]) if at else False
        after = _word(source[end]) if end < len(source) else False
        if before != first and after != last:
            yield at
            at = source.find(phrase, end)
        else:
            at = source.find(phrase, at + 1)


def written_name(name: str, source: str) -> str | None:
    """The longest run of ``name``'s words the source contains, with a capital, or None.

    "Governor Jan Brewer" in a text that writes "Gov. Jan Brewer" gives "Jan Brewer": the re-ask
    then names the form to copy instead of losing the story's central person.
    """
    words = name.split()
    for size in range(len(words) - 1, 0, -1):
        for start in range(len(words) - size + 1):
            candidate = " ".join(words[start : start + size])
            if candidate[:1].isupper() and len(candidate) > 2 and _writes(source, candidate):
                return candidate
    return None


def _repair_actors(draft: Draft, source: str) -> tuple[list[DraftActor], dict[str, str], list[str]]:
    """Keep each actor once, as the source writes it; return the renames and what was changed.

    A name with a title the text does not use ("Governor Jan Brewer" where the text writes
    "Gov. Jan Brewer") becomes the written form; a second entry for the same actor and a name the
    source never contains are dropped. A small model rarely fixes these when asked again, and
    code fixes them exactly, so they cost no re-ask (bench/RESULTS.md, v5).
    """
    kept: list[DraftActor] = []
    renamed: dict[str, str] = {}
    notes: list[str] = []
    listed: dict[str, str] = {}  # every kept name and alias, folded -> actor name
    full_names: dict[str, set[str]] = {}  # surname, folded -> the people's full names
    for actor in draft.actors:
        if actor.kind == "person" and len(actor.name.split()) > 1:
            full_names.setdefault(actor.name.split()[-1].casefold(), set()).add(actor.name.strip())
    for i, actor in enumerate(draft.actors, 1):
        name = actor.name.strip()
        owners = full_names.get(name.casefold(), set())
        if len(name.split()) == 1 and len(owners) == 1:
            full = next(iter(owners))
            renamed[name.casefold()] = full
            notes.append(f'actors[{i}]: dropped "{name}", listed as "{full}"')
            continue
        if all(grounding.locate(f, source).status == "missing" for f in (name, *actor.aliases)):
            written = written_name(name, source)
            if written and name.split()[-len(written.split()) :] == written.split():
                if written.casefold() in listed:
                    renamed[name.casefold()] = listed[written.casefold()]
                    notes.append(f'actors[{i}]: dropped "{name}", listed as "{written}"')
                    continue
                renamed[name.casefold()] = written
                notes.append(f'actors[{i}]: "{name}" written "{written}" as in the source')
                actor = actor.model_copy(update={"name": written})
                name = written
            else:
                notes.append(f'actors[{i}]: dropped "{name}", which the source does not contain')
                continue
        # "Sen. Kay Bailey Hutchison", "Press Secretary Jay Carney": the name alone, when the
        # text writes it so too. Not when the words before it name someone else ("NAACP
        # President", "Dallas Tea Party founder", "Texas Gov."): cut off, that organisation
        # or place would be lost from the brief. Nor one entry naming two people.
        bare = bare_name(name) if actor.kind == "person" and " and " not in name else name
        words = name.split()
        titles = " ".join(words[: len(words) - len(bare.split())])
        if (
            bare != name
            and _only_titles(titles)
            and len(bare.split()) > 1
            and _writes(source, bare)
        ):
            renamed[name.casefold()] = bare
            notes.append(f'actors[{i}]: "{name}" written "{bare}", without the title')
            actor = actor.model_copy(update={"name": bare})
            name = bare
        if name.casefold() in listed:
            renamed.setdefault(name.casefold(), listed[name.casefold()])
            notes.append(f'actors[{i}]: dropped "{name}", listed twice')
            continue
        for form in (name, *actor.aliases):
            listed.setdefault(form.strip().casefold(), name)
        kept.append(actor)
    return kept, renamed, notes


#: Scripts a small model falls into when a length bound leaves room for one more character.
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uac00-\ud7af\uff00-\uffef]")


def _clip_foreign(text: str, source: str) -> str:
    """``text`` cut before the first CJK character the source does not contain, at a word.

    Bounded strings end where the grammar stops them; Qwen then picks a one-character CJK token
    ("… railing against open service of gays and lesbians in the军").
    """
    found = next((m for m in _CJK.finditer(text) if m.group() not in source), None)
    if found is None:
        return text
    head = text[: found.start()].rstrip()
    if found.start() > 0 and not text[found.start() - 1].isspace():
        head = head.rsplit(" ", 1)[0] if " " in head else head  # drop the cut word
    return head.rstrip(" ,;:-") + "…"


def _clip_texts(draft: Draft, source: str) -> Draft:
    """Every free-text field of ``draft`` with :func:`_clip_foreign` applied."""

    def clip(item: Any, *names: str) -> Any:
        update = {n: _clip_foreign(getattr(item, n), source) for n in names}
        return item.model_copy(update=update)

    return draft.model_copy(
        update={
            "title": _clip_foreign(draft.title, source),
            "summary": _clip_foreign(draft.summary, source),
            "actors": [clip(a, "role") for a in draft.actors],
            "key_events": [clip(e, "description") for e in draft.key_events],
            "positions": [clip(p, "stance") for p in draft.positions],
            "open_questions": [clip(q, "question") for q in draft.open_questions],
        }
    )


#: Words before a name that say who someone is, not what they are called.
_HONORIFICS = frozenset(
    [
        *("president", "gov.", "governor", "sen.", "senator", "rep.", "representative"),
        *("mr.", "mrs.", "ms.", "dr.", "mayor", "judge", "justice", "secretary", "attorney"),
        *("gen.", "general", "chancellor", "minister", "premier", "king", "queen", "pope"),
    ]
)
#: Role words news prose writes before a name ("Press Secretary Jay Carney"), folded, no dot.
_ROLE_WORDS = frozenset(
    [
        *(h.rstrip(".") for h in _HONORIFICS),
        *("speaker", "press", "spokesman", "spokeswoman", "leader", "chairman", "chairwoman"),
        *("director", "sheriff", "ambassador", "host", "founder", "organizer", "aide", "rep"),
    ]
)
#: Lowercase words inside a name ("Charles de Gaulle").
_PARTICLES = frozenset(
    ["de", "van", "von", "der", "den", "al", "bin", "da", "di", "la", "le", "du"]
)


def bare_name(name: str) -> str:
    """A person's name without the role or title written before it.

    "Obama campaign aide Robert Gibbs" gives "Robert Gibbs", "Sen. John Cornyn" "John Cornyn",
    "White House Press Secretary Jay Carney" "Jay Carney".
    """
    words = name.split()
    cut = 0
    for i, word in enumerate(words[:-1]):
        if _titular(word) and word not in _PARTICLES:
            cut = i + 1
    return " ".join(words[cut:])


def _titular(word: str) -> bool:
    """A word of a title or role, not of a name: lowercase, or a role word ("Sen.", "Press")."""
    return word[:1].islower() or word.casefold().rstrip(".") in _ROLE_WORDS


def _only_titles(words: str) -> bool:
    """True when ``words`` are titles and lowercase words only ("Sen.", "newly-minted Speaker")."""
    return all(_titular(w) for w in words.split())


#: Capitalised words that start a sentence or name no one.
_NOT_NAMES = frozenset(
    [
        *("the", "a", "an", "in", "on", "at", "for", "as", "of", "and", "but", "or", "to"),
        *("by", "from", "with", "he", "she", "they", "it", "his", "her", "their", "its"),
        *("this", "that", "these", "those", "what", "when", "where", "who", "why", "how"),
        *("democratic", "democrat", "republican", "gop", "former", "u.s.", "us"),
        *MONTHS,
    ]
)
_POSSESSIVE = "(?:['\u2019]s)"
_CAPITALISED_RUN = re.compile(rf"(?:[A-Z][\w.\-]*{_POSSESSIVE}?[ \t]+)*[A-Z][\w.\-]*")


def _names_in(text: str) -> list[str]:
    """Runs of capitalised words in ``text``, possessives and leading non-names removed."""
    runs = []
    for run in _CAPITALISED_RUN.findall(text):
        words = [re.sub(f"{_POSSESSIVE}$", "", w) for w in run.split()]
        while words and (words[0].casefold() in _NOT_NAMES | _HONORIFICS):
            words = words[1:]
        if words:
            runs.append(" ".join(words))
    return runs


def _person_named(name: str, source: str) -> str | None:
    """``name`` if the source writes it as a person's name, else None.

    Two or three name words count when the source writes them so ("Barack Obama"); a surname
    alone only when the source puts an honorific before it ("President Obama").
    """
    words = name.split()
    if any(w.casefold() in _NOT_NAMES | _HONORIFICS for w in words):
        return None
    if len(words) > 1:
        # A person's surname also stands alone ("Obama"); "Super Bowl" has no "Bowl".
        whole = _occurrences(source, name)
        alone = _occurrences(source, words[-1])
        return name if 0 < whole < alone else None
    # Not a first name the honorific is really for ("[President Barack] Obama").
    titled = rf"\b([A-Z][\w.]*)[ \t]+{re.escape(name)}\b(?!\]?[ \t]+[A-Z])"
    return name if any(w.casefold() in _HONORIFICS for w in re.findall(titled, source)) else None


def _actors_from_summary(
    draft: Draft, actors: list[DraftActor], source: str
) -> tuple[list[DraftActor], list[str]]:
    """Add the people the brief's own summary names but its actor list leaves out.

    A small model lists the speakers and forgets the person the story is about ("Perry Goes
    After Obama" with no Obama among the actors, bench/RESULTS.md v7). Only names the source
    also writes are added, at most two.
    """
    # Names, aliases and surnames: "Obama campaign aide Robert Gibbs" does not hold "Obama".
    taken = {f.casefold() for a in actors for f in (a.name, *a.aliases, a.name.split()[-1])}
    added: list[DraftActor] = []
    notes: list[str] = []
    listed = [f.casefold() for a in actors for f in (a.name, *a.aliases)]
    # Not the title: headlines capitalise every word ("Perry Goes After Obama").
    for candidate in _names_in(draft.summary):
        if any(_writes(candidate.casefold(), f) for f in listed):
            continue  # a listed actor's name ("Harbor Port Authority"): no part of it either
        for size in range(min(3, len(candidate.split())), 0, -1):
            words = candidate.split()
            grams = [" ".join(words[i : i + size]) for i in range(len(words) - size + 1)]
            for gram in grams:
                name = _person_named(gram, source)
                if name and not any(w.casefold() in taken for w in name.split()):
                    added.append(DraftActor(name=name, kind="person", role="", aliases=[]))
                    taken |= {name.casefold(), *(w.casefold() for w in name.split())}
                    notes.append(f'actors: added "{name}", whom the summary names')
        if len(added) >= 2:
            break
    return added[:2], notes[:2]


def _roles_of_others(actors: list[DraftActor], source: str) -> tuple[list[DraftActor], list[str]]:
    """Clear a role the source writes only of other actors.

    The seed's author, named once in "Overview by Teymur Atayev", was labelled "President of
    Azerbaijan", which the text writes only before "Ilham Aliyev". A role the text never writes
    word for word (a paraphrase, "senator") is left as it is: there is nothing to check.
    """
    lines = source.casefold().splitlines()
    sentences = [s for line in lines for s in SENTENCE_END.split(line) if s.strip()]
    forms = {
        a.name: {f.casefold() for f in (a.name, *a.aliases, a.name.split()[-1]) if len(f) > 2}
        for a in actors
    }

    def named(actor: DraftActor, among: list[str]) -> bool:
        return any(f in s for s in among for f in forms[actor.name])

    kept, notes = [], []
    for i, actor in enumerate(actors, 1):
        role = actor.role.strip()
        holding = [s for s in sentences if role.casefold() in s] if len(role.split()) > 1 else []
        if holding and not named(actor, holding):
            others = [b.name for b in actors if b is not actor and named(b, holding)]
            if others:
                actor = actor.model_copy(update={"role": ""})
                notes.append(
                    f'actors[{i}]: role "{role}" cleared: the text writes it of {others[0]}, '
                    f"not of {actor.name}"
                )
        kept.append(actor)
    return kept, notes


def _forms(actor: DraftActor) -> list[str]:
    """The ways the text may write an actor: name, aliases, and a person's surname."""
    forms = [actor.name, *actor.aliases]
    if actor.kind == "person" and len(actor.name.split()) > 1:
        forms.append(actor.name.split()[-1])
    return [f for f in forms if len(f) > 1]


#: Words before a name that make it the object of a phrase: "Of Obama, he said" is not Obama's.
_PREPOSITIONS = frozenset(
    ["of", "on", "about", "to", "with", "against", "at", "for", "from", "by", "toward", "than"]
)


def _subject(form: str, text: str) -> int | None:
    """The first place ``text`` writes ``form`` other than after a preposition."""
    for at in _whole_words(text, form):
        before = text[:at].split()
        if not before or before[-1].casefold() not in _PREPOSITIONS:
            return at
    return None


def _full_name(surname: str, source: str) -> str | None:
    """The full name the source writes for a surname alone ("Jay Carney" for "Carney")."""
    for found in re.finditer(rf"\b([A-Z][\w'\u2019\-]+)[ \t]+{re.escape(surname)}\b", source):
        first = found.group(1)
        if not _titular(first) and first.casefold() not in _NOT_NAMES:
            name = f"{first} {surname}"
            return name if _person_named(name, source) else None
    return None


def _speaker(said: Attribution, actors: list[DraftActor], source: str) -> DraftActor | None:
    """The actor an attribution names: a listed one, or a person the text names in full.

    A name that fits several listed actors is left unresolved. One that fits none is a new
    person when the attribution writes a title before it ("Sen. John Cornyn") or the text also
    writes the surname alone, and the name is two or three words the text contains. A pronoun
    is the listed person named first in the quotation's paragraph before its marks, else in the
    paragraph before; further back, or naming nobody listed, it is left unresolved.
    """
    if said.name is not None:
        named = [a for a in actors if any(_writes(said.name, f) for f in _forms(a))]
        if named:
            return named[0] if len(named) == 1 else None
        bare = bare_name(said.name)
        if len(bare.split()) == 1:
            bare = _full_name(bare, source) or bare  # "Carney said" of "Jay Carney"
        words = bare.split()
        titled = bare != said.name or _person_named(bare, source) is not None
        if titled and len(words) in (2, 3) and not _NOT_NAMES & {w.casefold() for w in words}:
            return DraftActor(name=bare, kind="person", role="", aliases=[])
        return None
    # Forms two people share ("Cheney" for Liz and Mary) point at neither.
    forms = [(f, a) for a in actors if a.kind == "person" for f in _forms(a)]
    owners: dict[str, set[str]] = {}
    for form, actor in forms:
        owners.setdefault(form, set()).add(actor.name)
    unique = [(f, a) for f, a in forms if len(owners[f]) == 1]
    # The quotation's own paragraph first, then the one before: there the subject, the person
    # named first ("Perry has stepped up his attacks on Obama. ... he said" is Perry's).
    for window in lead_in(source, said.opening):
        first = [(at, a) for f, a in unique for at in [_subject(f, window)] if at is not None]
        if first:
            return min(first, key=lambda found: found[0])[1]
    return None


def _speakers_from_text(
    positions: list[DraftPosition], actors: list[DraftActor], source: str
) -> tuple[list[DraftPosition], list[DraftActor], list[str]]:
    """Give each quotation the speaker the text attributes it to, and each speaker a quote once.

    A small model hands a quotation to the organisation or person the paragraph is about
    (Hutchison's "AARP's new and welcome position ..." given to AARP): the attribution next to
    the quotation marks ("she said", "Menendez said") decides. Returns the positions, the
    speakers it adds to the actors (named in full by the text, not yet listed) and its notes.
    """
    kept: list[DraftPosition] = []
    added: list[DraftActor] = []
    seen: set[tuple[str, str]] = set()
    notes: list[str] = []
    for i, position in enumerate(positions, 1):
        found = grounding.locate(position.quote, source) if position.quote.strip() else None
        said = None
        if found is not None and found.status in ("exact", "normalized"):
            assert found.start is not None and found.end is not None
            said = attribution(source, found.start, found.end)
        speaker = _speaker(said, [*actors, *added], source) if said else None
        same = speaker is not None and position.actor.casefold() in {
            f.casefold() for f in _forms(speaker)
        }
        if speaker is not None and not same:
            if speaker not in actors and speaker not in added:
                added.append(speaker)
                notes.append(f'actors: added "{speaker.name}", whom the text quotes')
            notes.append(
                f"positions[{i}]: the text gives these words to {speaker.name}, not to "
                f"{position.actor}; speaker changed"
            )
            position = position.model_copy(update={"actor": speaker.name})
        key = (position.actor.casefold(), position.quote.strip().casefold())
        if key in seen:
            notes.append(f"positions[{i}]: dropped, the same words of {position.actor} twice")
            continue
        seen.add(key)
        kept.append(position)
    return kept, added, notes


#: The fewest words a quotation needs to be someone's stated position, not a scare quote.
_SPOKEN_WORDS = 5


def unquoted_speakers(draft: Draft, source: str) -> list[tuple[DraftActor, int, int]]:
    """Speakers the text quotes by name whom the draft gives no position, with their first words.

    A small model lists the speakers and then gives positions to the first few it meets: the AARP
    brief quoted no one of the White House, the House-reading brief nobody at all
    (bench/RESULTS.md, v16). Each quotation of at least five words whose attribution names a
    speaker (see :func:`_speaker`) counts; listed actors come first, in the draft's order, then
    people the text names in full, in reading order. Returns ``(speaker, start, end)`` with the
    offsets of the first such quotation, for the caller to ask for a stance.
    """
    spoken = {
        f.casefold() for p in draft.positions for f in (p.actor, bare_name(p.actor)) if f.strip()
    }
    found: dict[str, tuple[DraftActor, int, int]] = {}
    by_name: dict[str, DraftActor | None] = {}  # "Obama said" ten times is one look-up
    for start, end in quotations(source):
        if len(source[start:end].split()) < _SPOKEN_WORDS:
            continue
        said = attribution(source, start, end)
        if said is None:
            continue
        if said.name is None:
            speaker = _speaker(said, draft.actors, source)
        elif said.name in by_name:
            speaker = by_name[said.name]
        else:
            speaker = by_name[said.name] = _speaker(said, draft.actors, source)
        if speaker is None or speaker.name in found:
            continue
        if not spoken & {f.casefold() for f in _forms(speaker)}:
            found[speaker.name] = (speaker, start, end)
    order = {a.name: i for i, a in enumerate(draft.actors)}
    return sorted(found.values(), key=lambda f: order.get(f[0].name, len(order)))


def repair(
    draft: Draft, source: str, anchor: str | None = None
) -> tuple[Draft, dict[str, str], list[str]]:
    """Fix in code what needs no model: actor names, and dates or date words the text lacks.

    Returns the repaired draft, the actor renames (folded old name -> new name) and one note per
    change, which the brief lists as a warning. Nothing the source backs is ever removed.
    """
    draft = _clip_texts(draft, source)
    actors, renamed, notes = _repair_actors(draft, source)
    extra, added = _actors_from_summary(draft, actors, source)
    actors, notes = [*actors, *extra], [*notes, *added]
    actors, cleared = _roles_of_others(actors, source)
    notes += cleared
    published = draft.source.date
    meta = draft.source
    # The prompt gives the publication date (anchor): copying it into source.date is right.
    # Any other date must stand in the text as given ("2026-01-01" read off "In 2026" is not).
    if (
        published
        and published != anchor
        and (published not in source or not is_iso_date(published))
    ):
        notes.append(f"dropped source.date {published}: the text does not state it")
        meta = meta.model_copy(update={"date": None})
    events = []
    for i, event in enumerate(draft.key_events, 1):
        date, date_text = event.date, event.date_text
        if why := date_problem(date, date_text, source, anchor):
            written = date_in(event.quote, date) if date and is_iso_date(date) else None
            if written and not date_problem(written[1], written[0], source, anchor):
                date_text, date = written
                notes.append(f'key_events[{i}]: {why}; dated "{date_text}" from its quote')
            else:
                notes.append(f"key_events[{i}]: {why}; date dropped")
                date = None  # a date the source does not back is never kept
                if date_problem(None, date_text, source):
                    date_text = None  # nor date words the source does not contain
        if date_text is not None and not names_a_date(date_text):
            date_text = None  # "in his address on ..." is a phrase, not a date
        events.append(event.model_copy(update={"date": date, "date_text": date_text}))

    def canonical(name: str) -> str:
        return renamed.get(name.strip().casefold(), name)

    # Speakers and event actors follow the renames, so the repaired draft is consistent alone.
    events = [e.model_copy(update={"actors": [canonical(a) for a in e.actors]}) for e in events]
    positions = [p.model_copy(update={"actor": canonical(p.actor)}) for p in draft.positions]
    positions, speakers, moved = _speakers_from_text(positions, actors, source)
    actors, notes = [*actors, *speakers], [*notes, *moved]
    update = {"actors": actors, "source": meta, "key_events": events, "positions": positions}
    return draft.model_copy(update=update), renamed, notes
