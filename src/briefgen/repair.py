"""Fix in code what an answer gets wrong that needs no model, and say what was fixed.

Pure. Actor names as the source writes them, each actor once, people the brief's own summary
names, no role the text gives another actor, date words the event's own sentence writes, text a
length bound cut into a foreign script; who said what is for :mod:`briefgen.speakers`. A small
model rarely fixes these when asked again, and every re-ask costs a whole answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice
from typing import Any

from briefgen import grounding
from briefgen.chunking import SENTENCE_END
from briefgen.dates import MONTHS, dates_in, names_a_date
from briefgen.schema import Draft, DraftActor, is_iso_date
from briefgen.sentences import Document


def writes(source: str, phrase: str) -> bool:
    """True when ``source`` writes ``phrase`` as whole words ("Bowl" is not in "Bowles")."""
    return next(whole_words(source, phrase), None) is not None


def occurrences(source: str, phrase: str) -> int:
    r"""How often ``source`` writes ``phrase`` as whole words: ``re.findall(r"\bphrase\b")``."""
    return sum(1 for _ in whole_words(source, phrase))


def _word(char: str) -> bool:
    return char.isalnum() or char == "_"


def whole_words(source: str, phrase: str) -> Iterator[int]:
    r"""Where ``source`` writes ``phrase`` as whole words, as ``re.finditer(r"\bphrase\b")``.

    Without a pattern compiled per phrase: review asks this of every name in every answer, and
    compiling a pattern costs more than the search.
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

    "Governor Jan Brewer" in a text that writes "Gov. Jan Brewer" gives "Jan Brewer": the brief
    keeps the story's central person, as the text writes her.
    """
    words = name.split()
    for size in range(len(words) - 1, 0, -1):
        for start in range(len(words) - size + 1):
            candidate = " ".join(words[start : start + size])
            if candidate[:1].isupper() and len(candidate) > 2 and writes(source, candidate):
                return candidate
    return None


def _repair_actors(draft: Draft, source: str) -> tuple[list[DraftActor], dict[str, str], list[str]]:
    """Keep each actor once, as the source writes it; return the renames and what was changed.

    A name with a title the text does not use ("Governor Jan Brewer" where the text writes
    "Gov. Jan Brewer") becomes the written form; a second entry for the same actor and a name the
    source never contains are dropped. A small model rarely fixes these when asked again, and
    code fixes them exactly, so they cost no re-ask.
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
        # "Sen. Kay Bailey Hutchison", "NAACP President Benjamin Todd Jealous": the name alone,
        # when the text writes it so too; the positions the prompt pins are to that name. Words
        # before it that name a body or place ("NAACP President", "Texas Gov.") become the role
        # when the answer gave none or only a part of them, so the brief keeps them (and
        # ``bodies.speaks_for`` reads them off the text). Not one entry naming two people.
        bare = bare_name(name) if actor.kind == "person" and " and " not in name else name
        words = name.split()
        titles = " ".join(words[: len(words) - len(bare.split())])
        if bare != name and len(bare.split()) > 1 and writes(source, bare):
            renamed[name.casefold()] = bare
            notes.append(f'actors[{i}]: "{name}" written "{bare}", without the title')
            # The text's words win over a role they hold ("NAACP President" over "president").
            given = actor.role.strip()
            fuller = not given or given.casefold() in titles.casefold()
            role = titles if fuller and not _only_titles(titles) else actor.role
            actor = actor.model_copy(update={"name": bare, "role": role})
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


_SENTENCE_STOP = re.compile(r"[.!?\u2026][\"'\u201d\u2019)]*(?=\s)")


def _whole_sentences(text: str) -> str:
    """``text`` up to its last whole sentence, when the length bound cut it mid-sentence.

    The summary is the brief's bottom line; "... and the consolidation of the Great Victory"
    is how the grammar leaves one the model wrote past its bound.
    """
    stripped = text.rstrip()
    if not stripped or stripped[-1] in ".!?\u2026\"'\u201d\u2019)":
        return text
    stops = list(_SENTENCE_STOP.finditer(stripped))
    return stripped[: stops[-1].end()] if stops else text


def _clip_texts(draft: Draft, source: str) -> Draft:
    """Every free-text field of ``draft`` with :func:`_clip_foreign` applied."""

    def clip(item: Any, *names: str) -> Any:
        update = {n: _clip_foreign(getattr(item, n), source) for n in names}
        return item.model_copy(update=update)

    return draft.model_copy(
        update={
            "title": _clip_foreign(draft.title, source),
            "summary": _whole_sentences(_clip_foreign(draft.summary, source)),
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
        *("reps.", "sens.", "capt.", "captain", "lt.", "col.", "sgt.", "gov"),
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
        if titular(word) and word not in _PARTICLES:
            cut = i + 1
    return " ".join(words[cut:])


def titular(word: str) -> bool:
    """A word of a title or role, not of a name: lowercase, or a role word ("Sen.", "Press")."""
    return word[:1].islower() or word.casefold().rstrip(".") in _ROLE_WORDS


def _only_titles(words: str) -> bool:
    """True when ``words`` are titles and lowercase words only ("Sen.", "newly-minted Speaker")."""
    return all(titular(w) for w in words.split())


#: Capitalised words that start a sentence or name no one.
NOT_NAMES = frozenset(
    [
        *("the", "a", "an", "in", "on", "at", "for", "as", "of", "and", "but", "or", "to"),
        *("by", "from", "with", "he", "she", "they", "it", "his", "her", "their", "its"),
        *("i", "you", "we", "my", "your", "our"),
        *("while", "after", "before", "although", "though", "if", "because", "since", "when"),
        *("this", "that", "these", "those", "what", "when", "where", "who", "why", "how"),
        *("democratic", "democrat", "republican", "gop", "former", "u.s.", "us"),
        *MONTHS,
        *("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
    ]
)
_POSSESSIVE = "(?:['\u2019]s)"
_CAPITALISED_RUN = re.compile(rf"(?:[A-Z][\w.\-]*{_POSSESSIVE}?[ \t]+)*[A-Z][\w.\-]*")


def names_in(text: str) -> list[str]:
    """Runs of capitalised words in ``text``, possessives and leading non-names removed."""
    runs = []
    for run in _CAPITALISED_RUN.findall(text):
        words = [re.sub(f"{_POSSESSIVE}$", "", w) for w in run.split()]
        while words and (words[0].casefold() in NOT_NAMES | _HONORIFICS):
            words = words[1:]
        if words:
            runs.append(" ".join(words))
    return runs


#: Last words of a body's name, never a surname.
_INSTITUTIONS = frozenset(
    [
        *("house", "party", "committee", "council", "congress", "senate", "department"),
        *("office", "court", "times", "post", "news", "embassy", "ministry", "union"),
        *("center", "centre", "institute", "agency", "administration", "foundation"),
        *("constitution", "amendment", "act"),
    ]
)


def institutional(name: str) -> bool:
    """Whether ``name`` ends as a body's name does ("White House", "Eurasia Center")."""
    return name.split()[-1].casefold() in _INSTITUTIONS


#: A capitalised word right after: the name before it is part of a longer one ("White House").
_NAME_GOES_ON = re.compile(r"[ \t]+[A-Z]")


def standing_alone(source: str, word: str) -> Iterator[int]:
    """Where ``source`` writes ``word`` as a whole word with no capitalised word after it: the
    "Obama" of "Obama said", not the "White" of "White House"."""
    for at in whole_words(source, word):
        if not _NAME_GOES_ON.match(source, at + len(word)):
            yield at


def person_named(name: str, source: str) -> str | None:
    """``name`` if the source writes it as a person's name, else None.

    Two or three name words count when the source writes them so ("Barack Obama"); a surname
    alone only when the source puts an honorific before it ("President Obama").
    """
    words = name.split()
    if any(w.casefold() in NOT_NAMES | _HONORIFICS for w in words):
        return None
    if len(words) > 1:
        if institutional(name) or titular(words[0]):
            return None  # "White House", "Chairman Michael Steele" (he is "Michael Steele")
        # A person's surname also stands alone ("Obama"); "Super Bowl" has no "Bowl", and the
        # "White" of "White House" is no surname of "Outgoing White".
        whole = occurrences(source, name)
        if not whole:
            return None
        # Counted only until it passes ``whole``: this runs for every name of every text.
        alone = islice(standing_alone(source, words[-1]), whole + 1)
        return name if sum(1 for _ in alone) > whole else None
    # Not a first name the honorific is really for ("[President Barack] Obama").
    titled = rf"\b([A-Z][\w.]*)[ \t]+{re.escape(name)}\b(?!\]?[ \t]+[A-Z])"
    return name if any(w.casefold() in _HONORIFICS for w in re.findall(titled, source)) else None


def _actors_from_summary(
    draft: Draft, actors: list[DraftActor], source: str
) -> tuple[list[DraftActor], list[str]]:
    """Add the people the brief's own summary names but its actor list leaves out.

    A small model lists the speakers and forgets the person a text is about (a summary that
    says "Perry goes after Obama" and no Obama among the actors). Only names the source also
    writes are added, at most two.
    """
    # Names, aliases and surnames: "Obama campaign aide Robert Gibbs" does not hold "Obama".
    taken = {f.casefold() for a in actors for f in (a.name, *a.aliases, a.name.split()[-1])}
    added: list[DraftActor] = []
    notes: list[str] = []
    listed = [f.casefold() for a in actors for f in (a.name, *a.aliases)]
    # Not the title: headlines capitalise every word ("Perry Goes After Obama").
    for candidate in names_in(draft.summary):
        if any(writes(candidate.casefold(), f) for f in listed):
            continue  # a listed actor's name ("Harbor Port Authority"): no part of it either
        for size in range(min(3, len(candidate.split())), 0, -1):
            words = candidate.split()
            grams = [" ".join(words[i : i + size]) for i in range(len(words) - size + 1)]
            for gram in grams:
                name = person_named(gram, source)
                if name and not any(w.casefold() in taken for w in name.split()):
                    added.append(DraftActor(name=name, kind="person", role="", aliases=[]))
                    taken |= {name.casefold(), *(w.casefold() for w in name.split())}
                    notes.append(f'actors: added "{name}", whom the summary names')
        if len(added) >= 2:
            break
    return added[:2], notes[:2]


def _roles_of_others(actors: list[DraftActor], source: str) -> tuple[list[DraftActor], list[str]]:
    """Clear a role the source writes only of other actors.

    A small model gives an author named once ("Overview by Teymur Atayev") the role of the
    person the text is about ("President of Azerbaijan", written only before "Ilham Aliyev").
    A role the text never writes
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


def _date_of(text: str | None, words: str) -> tuple[str | None, str | None]:
    """An event's date words, read inside its own sentence, and why the model's were not kept.

    The model's ``date_text`` stands when the sentence writes it as a date, widened to the
    fullest date the sentence writes around it ("March 4" -> "Tuesday, March 4, 2025", whose
    year is the text's, not the publication date's); else the sentence's own first date
    (:func:`dates.find_date`) dates the event; else nothing does. Words of a sentence the text
    does not have are left for the check of its number.
    """
    text = text.strip() if text and text.strip() else None
    if not words:
        return text, None
    found = dates_in(words)
    if text is not None:
        folded = words.casefold()
        same = len(folded) == len(words)  # offsets in the folded text are the sentence's
        at = next(whole_words(folded if same else words, text.casefold() if same else text), None)
        if at is not None and (names_a_date(text) or dates_in(text)):
            text = words[at : at + len(text)]  # as the sentence writes it
            wider = [f for f in found if text.casefold() in f.casefold()]
            return max(wider, key=len, default=text), None
        why = f'date_text "{text}" is not a date its sentence writes'
        return (found[0] if found else None), why
    return (found[0] if found else None), None


_CONTENT_WORD = re.compile(r"[^\W\d_]{4,}")


def _describes(description: str, sentence: str) -> bool:
    """Whether ``description`` is about ``sentence``: a third of its content words are there.

    The 1.5B model sometimes writes the description of one sentence under the number of the
    next, or the same description for three events; shown beside the cited sentence, it would
    say what the sentence does not.
    """
    said = {w.casefold()[:5] for w in _CONTENT_WORD.findall(description)}
    if not said:
        return True
    written = {w.casefold()[:5] for w in _CONTENT_WORD.findall(sentence)}
    return len(said & written) * 3 >= len(said)


#: A dateline before a report's first sentence: "PHOENIX — ", "AUGUSTA, Me. — ".
_DATELINE = re.compile(r"^[A-Z][A-Z.'\- ]+(?:, [A-Z][\w.]*)?[ \t]+(?:\u2014|\u2013|--|-)[ \t]+")


def gist(sentence: str, limit: int = 100) -> str:
    """The sentence's own words without a dateline, cut at a word to ``limit`` characters."""
    sentence = _DATELINE.sub("", sentence, count=1)
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:\u2013\u2014-")
    return f"{cut}\u2026"


def repair(
    draft: Draft, doc: Document, anchor: str | None = None
) -> tuple[Draft, dict[str, str], list[str]]:
    """Fix in code what needs no model: actor names, dates, and strings cut into a foreign script.

    Returns the repaired draft, the actor renames (folded old name -> new name) and one note per
    change, which the brief lists as a warning. Nothing the source backs is ever removed.
    """
    source = doc.text
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
    # A headline or byline the text does not write is no title or author of it ("DATA", read
    # off the system prompt).
    for field in ("title", "author"):
        value = getattr(meta, field)
        if value and grounding.locate(value, source).status == "missing":
            notes.append(f'dropped source.{field} "{value}": the text does not write it')
            meta = meta.model_copy(update={field: None})
    events, cited = [], set()
    for i, event in enumerate(draft.key_events, 1):
        if event.sentence in cited and doc[event.sentence] is not None:
            notes.append(f"key_events[{i}]: dropped, sentence [{event.sentence}] twice")
            continue
        cited.add(event.sentence)
        words = doc.words(event.sentence)
        date_text, why = _date_of(event.date_text, words)
        if why:
            found = f'dated "{date_text}" from its sentence' if date_text else "undated"
            notes.append(f"key_events[{i}]: {why}; {found}")
        description = event.description.strip()
        if not description:
            description = gist(words)  # the sentence's own words: nothing to check
        elif words and not _describes(description, words):
            description = gist(words)
            notes.append(
                f"key_events[{i}]: the description is not of sentence [{event.sentence}]; "
                "its own words used"
            )
        events.append(event.model_copy(update={"date_text": date_text, "description": description}))

    def canonical(name: str) -> str:
        return renamed.get(name.strip().casefold(), name)

    # Speakers follow the renames, so the repaired draft is consistent alone.
    positions = [p.model_copy(update={"actor": canonical(p.actor)}) for p in draft.positions]
    update = {"actors": actors, "source": meta, "key_events": events, "positions": positions}
    return draft.model_copy(update=update), renamed, notes
