"""Who said what: each position's speaker and words, read off the text around its sentence.

Pure. A position cites a sentence; the words it shows are the speaker's own inside that
sentence's quotation marks when it has any (the whole sentence for indirect speech), and the
speaker is the one the text attributes them to (:mod:`briefgen.attribution`): a small model
hands a quotation to the person the paragraph is about, and the text's "she said" decides.
Speakers the text quotes by name whom the answer leaves out are found here too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from briefgen.attribution import _ASIDES, _VERBS, Attribution, attribution, lead_in, quotations
from briefgen.repair import (
    NOT_NAMES,
    bare_name,
    institutional,
    names_in,
    person_named,
    standing_alone,
    titular,
    whole_words,
    writes,
)
from briefgen.schema import Draft, DraftActor, DraftPosition
from briefgen.sentences import Document, Sentence

#: Marks and separators a quotation clipped to its sentence may begin or end with.
_LOOSE = ' \t,;:\u2013\u2014-"\u201c\u201d'


@dataclass(frozen=True)
class Spoken:
    """A position's words in the source, ``[start, end)``, and whether the text gives them to
    its speaker: their quotation is attributed to them, or their sentence names them."""

    start: int
    end: int
    attributed: bool


@lru_cache(maxsize=64)
def _quotations(source: str) -> tuple[tuple[int, int], ...]:
    return tuple(quotations(source))


def _quoted_in(doc: Document, sentence: Sentence) -> list[tuple[int, int, int, int]]:
    """The quotations overlapping ``sentence``: ``(start, end)`` clipped to it, then whole."""
    found = []
    for start, end in _quotations(doc.text):
        if start < sentence.end and end > sentence.start:
            s, e = max(start, sentence.start), min(end, sentence.end)
            while s < e and doc.text[s] in _LOOSE:
                s += 1
            while e > s and doc.text[e - 1] in _LOOSE:
                e -= 1
            if doc.text[s:e].strip():
                found.append((s, e, start, end))
    return found


def forms_of(actor: DraftActor) -> list[str]:
    """The ways the text may write an actor: name, aliases, and a person's surname."""
    forms = [actor.name, *actor.aliases]
    if actor.kind == "person" and len(actor.name.split()) > 1:
        forms.append(actor.name.split()[-1])
    return [f for f in forms if len(f) > 1]


#: Words before a name that make it the object of a phrase: "Of Obama, he said" is not Obama's.
_PREPOSITIONS = frozenset(
    ["of", "on", "about", "to", "with", "against", "at", "for", "from", "by", "toward", "than"]
)


_ARTICLES = frozenset(["the", "a", "an"])


def _subject(form: str, text: str, others: Sequence[str] = ()) -> int | None:
    """The first place ``text`` writes ``form`` as who acts, not as the object of a preposition.

    "of the United States" is no subject (an article between is skipped); "according to Ilham
    Aliyev" is his statement. ``others`` are the same actor's other forms: "Obama" inside "Of
    Barack Obama" is judged as that whole name, which follows "Of".
    """
    longer = [o for o in others if len(o) > len(form) and form in o]
    covered = [(at, at + len(o)) for o in longer for at in whole_words(text, o)]
    for at in whole_words(text, form):
        if not any(start <= at < end for start, end in covered) and _acts(text, at):
            return at
    return next((start for start, _ in covered if _acts(text, start)), None)


def _acts(text: str, at: int) -> bool:
    """Whether the name at ``at`` is no preposition's object (an article between skipped;
    "according to" makes it the one who speaks)."""
    before = [w.casefold() for w in text[:at].split()[-3:]]
    while before and before[-1] in _ARTICLES:
        before.pop()
    return before[-2:] == ["according", "to"] or not before or before[-1] not in _PREPOSITIONS


#: A capitalised word right before a position (``search(text, pos, endpos)``): "Jay " of "Jay
#: Carney". A pattern per surname would be compiled for every name of every text.
_WORD_BEFORE = re.compile(r"(?<![\w'\u2019\-])([A-Z][\w'\u2019\-]+)[ \t]+$")


def _full_name(surname: str, source: str) -> str | None:
    """The full name the source writes for a surname alone ("Jay Carney" for "Carney").

    Not in the headline, which capitalises every word ("Rice Calls Netanyahu's Visit").
    """
    body = source.find("\n") + 1
    for at in whole_words(source, surname):
        found = _WORD_BEFORE.search(source, max(body, at - 60), at) if at >= body else None
        if found is None:
            continue
        first = found.group(1)
        if not titular(first) and first.casefold() not in NOT_NAMES:
            name = f"{first} {surname}"
            return name if person_named(name, source) else None
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
        named = [a for a in actors if any(writes(said.name, f) for f in forms_of(a))]
        if len(named) > 1:  # "Rep. Seth Hutchinson" fits both Hutchinsons by surname: his name
            named = [a for a in named if writes(said.name, a.name)] or named
        if len(named) > 1:  # "NAACP President Benjamin Todd Jealous" writes the NAACP too:
            # the speaker is the one the attribution ends with.
            named = [a for a in named if any(said.name.endswith(f) for f in forms_of(a))] or named
        if named:
            return named[0] if len(named) == 1 else None
        bare = bare_name(said.name)
        if len(bare.split()) == 1:
            bare = _full_name(bare, source) or bare  # "Carney said" of "Jay Carney"
        words = bare.split()
        titled = bare != said.name or person_named(bare, source) is not None
        if titled and len(words) in (2, 3) and not NOT_NAMES & {w.casefold() for w in words}:
            return DraftActor(name=bare, kind="person", role="", aliases=[])
        return None
    # Forms two people share ("Cheney" for Liz and Mary) point at neither.
    forms = [(f, a) for a in actors if a.kind == "person" for f in forms_of(a)]
    owners: dict[str, set[str]] = {}
    for form, actor in forms:
        owners.setdefault(form, set()).add(actor.name)
    unique = [(f, a) for f, a in forms if len(owners[f]) == 1]
    # The quotation's own paragraph first, then the one before: there the subject, the person
    # named first ("Perry has stepped up his attacks on Obama. ... he said" is Perry's).
    for window in lead_in(source, said.opening):
        first = [
            (at, a)
            for f, a in unique
            for at in [_subject(f, window, forms_of(a))]
            if at is not None
        ]
        if first:
            return min(first, key=lambda found: found[0])[1]
    return None


def _is(speaker: DraftActor | None, name: str) -> bool:
    return speaker is not None and name.casefold() in {f.casefold() for f in forms_of(speaker)}


#: Verbs that make a sentence someone's statement, beyond those of an attribution ("said"):
#: what a stance can rest on. Without one, "Aliyev demonstrates remarkable skill" is the
#: reporter's sentence about him, not his position.
_SAYING = re.compile(
    rf"\b(?:{_VERBS}|say|tell|ask|argue|warn|claim|urge|call(?:s|ed)?|believes?|believed|"
    r"wants?|wanted|thinks?|thought|feels?|felt|hopes?|hoped|vow(?:s|ed)?|pledge[sd]?|"
    r"promise[sd]?|den(?:y|ies|ied)|accuse[sd]?|criticized|criticised|praised?|praises|"
    r"support(?:s|ed)?|oppose[sd]?|reject(?:s|ed)?|demand(?:s|ed)?|propose[sd]?|insists?|"
    r"express(?:es|ed)?|describe[sd]?|blame[sd]?|defend(?:s|ed)?|according to|in a statement|"
    r"interview|speech|address|letter|told)\b",
    re.IGNORECASE,
)


def _names(doc: Document, sentence: Sentence, actor: str, actors: list[DraftActor]) -> bool:
    """Whether ``sentence`` is ``actor``'s statement: it names them, outside its quotation marks
    and not as the object of a preposition ("Of Obama, he said" is not Obama's), or opens with a
    pronoun its paragraph resolves to them; and it says that they said, wrote or want something.
    """
    listed = next((a for a in actors if a.name == actor), None)
    forms = forms_of(listed) if listed else [actor, bare_name(actor)]
    words = list(sentence.of(doc.text))
    for _, _, start, end in _quoted_in(doc, sentence):
        for at in range(max(start, sentence.start), min(end, sentence.end)):
            words[at - sentence.start] = " "  # their words are not who says them
    prose = "".join(words)
    if not _SAYING.search(prose):
        return False
    if any(_subject(f, prose, forms) is not None for f in forms if f):
        return True
    # "an interview by Hikmet Hajiyev, head of the department, who noted ..."
    if any(_reports(f, prose) is not None for f in forms if f):
        return True
    # An organisation's alias as a sentence writes it ("The authority said").
    folded = prose.casefold()
    lowered = [f.casefold() for f in forms if f and not f.istitle()]
    if any(_subject(f, folded, lowered) is not None for f in lowered):
        return True
    # "the governor said" of the actor whose role is "Governor of Arkansas".
    role = {w.casefold() for w in (listed.role.split() if listed else []) if len(w) > 3}
    titles = re.findall(
        rf"\b[Tt]he (?:[\w.'\u2019-]+[ \t]+){{0,3}}?(\w+)[ \t]+(?:{_VERBS})\b", prose
    )
    if role & {w.casefold() for w in titles}:
        return True
    if re.match(r"^(?:He|She|They)\b", prose) and listed is not None:
        said = Attribution(pronoun=prose.split()[0].casefold(), opening=sentence.start)
        return _is(_speaker(said, [a for a in actors if a.kind == "person"], doc.text), actor)
    return False


def speakers_from_text(
    positions: list[DraftPosition], actors: list[DraftActor], doc: Document
) -> tuple[list[DraftPosition], list[Spoken | None], list[DraftActor], list[str]]:
    """Each position's words and the speaker the text gives them; each speaker's words once.

    A position whose sentence holds a quotation the text attributes to someone else is given to
    that person ("Hutchison's words given to AARP"); one whose sentence holds a quotation of its
    own speaker shows those words; one without quotation marks shows its whole sentence.

    Returns:
        The positions, their words (None for a sentence number the text does not have), the
        speakers added to the actors (named in full by the text, not yet listed), and notes.
    """
    kept: list[DraftPosition] = []
    spans: list[Spoken | None] = []
    added: list[DraftActor] = []
    seen: set[tuple[str, int, int]] = set()
    notes: list[str] = []
    for i, position in enumerate(positions, 1):
        sentence = doc[position.sentence]
        if sentence is None:
            kept.append(position)
            spans.append(None)
            continue
        # The speaker the answer names is a candidate too, listed or not: "he said" after a
        # paragraph on "Tea Party founder Phillip Dennis" is his when the text names him first.
        candidates = [*actors, *added]
        if not any(_is(a, position.actor) for a in candidates):
            bare = bare_name(position.actor)
            aliases = [bare] if bare != position.actor else []
            claimed = DraftActor(name=position.actor, kind="person", role="", aliases=aliases)
            candidates.append(claimed)
        quoted = []
        for s, e, start, end in _quoted_in(doc, sentence):
            said = attribution(doc.text, start, end)
            who = _speaker(said, candidates, doc.text) if said else None
            quoted.append((s, e, who))
        own = [(s, e) for s, e, who in quoted if _is(who, position.actor)]
        others = [(s, e, who) for s, e, who in quoted if who is not None]
        named = _names(doc, sentence, position.actor, actors)
        if own:
            spoken = Spoken(*own[0], attributed=True)
        elif others and not named:
            s, e, who = others[0]
            assert who is not None
            if who not in actors and who not in added:
                added.append(who)
                notes.append(f'actors: added "{who.name}", whom the text quotes')
            notes.append(
                f"positions[{i}]: the text gives these words to {who.name}, not to "
                f"{position.actor}; speaker changed"
            )
            position = position.model_copy(update={"actor": who.name})
            spoken = Spoken(s, e, attributed=True)
        elif quoted:
            s, e, _ = max(quoted, key=lambda q: q[1] - q[0])
            spoken = Spoken(s, e, attributed=named)
        else:
            spoken = Spoken(sentence.start, sentence.end, attributed=named)
        key = (position.actor.casefold(), spoken.start, spoken.end)
        if key in seen:
            notes.append(f"positions[{i}]: dropped, the same words of {position.actor} twice")
            continue
        seen.add(key)
        kept.append(position)
        spans.append(spoken)
    return kept, spans, added, notes


def with_unquoted_speakers(
    draft: Draft, spans: list[Spoken | None], doc: Document, room: int
) -> tuple[Draft, list[Spoken | None], list[str]]:
    """``draft`` with a position, its stance left for the model, for each speaker it leaves out.

    The words and the speaker come from the text (see :func:`unquoted_speakers`), so they are
    attributed by construction; the empty stance is for the model to write (the briefing
    session asks for every unwritten stance in one request). At most ``room`` are added.
    Returns the draft, the positions' words, and one note per change.
    """
    found = unquoted_speakers(draft, doc.text)[:room] if room > 0 else []
    actors, positions = list(draft.actors), list(draft.positions)
    spans, notes = list(spans), []
    for speaker, start, end in found:
        sentence = doc.at(start)
        if sentence is None:
            continue
        end = min(end, sentence.end)
        while end > start and doc.text[end - 1] in _LOOSE:
            end -= 1
        if speaker not in actors:
            actors.append(speaker)
            notes.append(f'actors: added "{speaker.name}", whom the text quotes')
        positions.append(DraftPosition(actor=speaker.name, sentence=sentence.number, stance=""))
        spans.append(Spoken(start, end, attributed=True))
        notes.append(
            f"positions[{len(positions)}]: added, the text quotes {speaker.name} "
            f'("{doc.text[start:end][:60]}") and the answer gave no position of theirs'
        )
    return draft.model_copy(update={"actors": actors, "positions": positions}), spans, notes


#: The fewest words a quotation needs to be someone's stated position, not a scare quote.
_SPOKEN_WORDS = 5


def unquoted_speakers(draft: Draft, source: str) -> list[tuple[DraftActor, int, int]]:
    """Speakers the text quotes by name whom the draft gives no position, with their first words.

    A small model lists the speakers and then gives positions to the first few it meets, or to
    no one at all. Each quotation of at least five words whose attribution names a
    speaker (see :func:`_speaker`) counts; listed actors come first, in the draft's order, then
    people the text names in full, in reading order. Returns ``(speaker, start, end)`` with the
    offsets of the first such quotation, for the caller to ask for a stance.
    """
    spoken = {
        f.casefold() for p in draft.positions for f in (p.actor, bare_name(p.actor)) if f.strip()
    }
    found: dict[str, tuple[DraftActor, int, int]] = {}
    by_name: dict[str, DraftActor | None] = {}  # "Obama said" ten times is one look-up
    for start, end in _quotations(source):
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
        if not spoken & {f.casefold() for f in forms_of(speaker)}:
            found[speaker.name] = (speaker, start, end)
    # Read again among everyone found: "Mr. Hutchinson said" was Asa's while Seth was not yet
    # known, and is nobody's once both are (the check of the brief reads it so too).
    everyone = [*draft.actors, *(f[0] for f in found.values() if f[0] not in draft.actors)]
    sure = [
        (speaker, start, end)
        for speaker, start, end in found.values()
        if (said := attribution(source, start, end)) is not None
        and _speaker(said, everyone, source) == speaker
    ]
    order = {a.name: i for i, a in enumerate(draft.actors)}
    return sorted(sure, key=lambda f: order.get(f[0].name, len(order)))


@dataclass(frozen=True)
class Quoted:
    """A person the text gives words to, found before the model answers: the prompt names them
    and the draft's positions are pinned to them (:func:`briefgen.schema.pinned`).

    ``[start, end)`` are their first words: a quotation, or the statement a sentence reports
    from its verb on (``reported``: "accused the NAACP of ...").
    """

    name: str
    sentence: int
    start: int
    end: int
    reported: bool = False


#: Verbs that report what someone holds, beyond those of an attribution: "Dana Loesch accused
#: the NAACP of ..." is her position.
_REPORTED = (
    "accused|criticized|criticised|denied|vowed|pledged|promised|praised|blamed|defended|"
    "rejected|demanded|proposed|described|called|condemned|dismissed|questioned"
)
#: A name's asides, then a verb of saying: ``John Herbst, Director of the Center, highlighted``
#: or ``Hikmet Hajiyev, Head of the Department, who noted``. Indirect speech, with no quotation
#: marks for :mod:`briefgen.attribution` to read.
_REPORTS = re.compile(
    rf"(?!,[ \t]*(?:he|she|they|it|we|I)\b){_ASIDES}[ \t]+(?:who[ \t]+)?"
    rf"(?P<verb>{_VERBS}|{_REPORTED})[ \t]+\w"
)


def _reports(form: str, prose: str) -> int | None:
    """Where the verb is by which ``prose`` writes ``form`` saying something, asides allowed."""
    for at in whole_words(prose, form):
        found = _REPORTS.match(prose, at + len(form))
        # "an interview by Hikmet Hajiyev, ..., who noted": the relative makes him the subject.
        relative = found and prose[: found.start("verb")].rstrip().endswith(" who")
        if found and (relative or _acts(prose, at)):
            return found.start("verb")
    return None


def _plain(name: str) -> bool:
    words = name.split()
    return (
        len(words) in (2, 3)
        and not re.fullmatch(r"[A-Z]\.", words[0])  # "J. Trump" is a part of "Donald J. Trump"
        and all(w[:1].isupper() for w in words)
        and not NOT_NAMES & {w.casefold() for w in words}
        and not titular(words[0])
    )


def quoted(doc: Document) -> list[Quoted]:
    """The people the text quotes or reports by name, each with their first words.

    Read before the model answers, so the prompt can name them and the draft's positions can
    be pinned to them: a small model asked to find the speakers cited sentences 1, 2, 3, 4.
    A quotation of five words or more counts when its attribution names a person (two or
    three capitalised words, or a surname the text writes in full) or says "he"/"she" of the
    person its paragraph names first; a sentence without quotation marks counts when a person
    named in full is the subject of a verb of saying ("Herbst, director of ..., highlighted").
    """
    # Who the text names as a speaker: in an attribution (of any quotation, however short),
    # or as the subject of reported speech. A later "he said" can only be of one of them.
    cast: dict[str, DraftActor] = {}

    def cast_as(name: str) -> None:
        # One person, written two ways ("Bader Ginsburg" inside "Ruth Bader Ginsburg"), is one
        # member: two forms of one surname would make each of their "Ginsburg said" nobody's.
        words = set(name.split())
        if any(words <= set(known.split()) for known in cast):
            return
        for known in [k for k in cast if set(k.split()) <= words]:
            del cast[known]  # the fuller form stands for both
        cast[name] = DraftActor(name=name, kind="person", role="", aliases=[])

    # A name whose words the text also writes in lowercase is no person's ("New York", "Other
    # Democrats"): a test for every name, also one an attribution writes beside its quotation.
    lowercase = {w for w in re.findall(r"\b[a-z]+\b", doc.text)}

    def personal(name: str) -> bool:
        words = {w.casefold() for w in name.split()}
        return _plain(name) and not institutional(name) and not lowercase & words

    reported: dict[str, Quoted] = {}
    quotations = []
    for start, end in _quotations(doc.text):
        said = attribution(doc.text, start, end)
        if said is None:
            continue
        quotations.append((said, start, end))
        if said.name is None:
            continue
        # A name the text writes once, in full, beside its quotation is a speaker too.
        speaker = _speaker(said, [], doc.text)
        name = speaker.name if speaker else bare_name(said.name)
        if personal(name):
            cast_as(name)
    for sentence in doc.sentences:
        prose = sentence.of(doc.text)
        for name in names_in(prose):
            if not personal(name):
                continue
            verb = _reports(name, prose)
            if verb is None:
                continue
            cast_as(name)
            if sentence.number not in doc.withheld:
                # Their words are the sentence from its verb of saying on.
                start = sentence.start + verb
                reported.setdefault(
                    name, Quoted(name, sentence.number, start, sentence.end, reported=True)
                )
    for run in names_in(doc.text):
        for size in (3, 2):
            name = " ".join(run.split()[-size:])
            # A given name is always followed by a name: "Azerbaijan Ilham Aliyev" is Ilham
            # Aliyev, since the text also writes "Azerbaijan's"; "Ruth Bader Ginsburg" stays.
            if size == 3 and next(standing_alone(doc.text, name.split()[0]), None) is not None:
                continue
            if personal(name) and person_named(name, doc.text):
                cast_as(name)
                break
    found: dict[str, Quoted] = {}
    for said, start, end in quotations:
        at = doc.at(start)
        if len(doc.text[start:end].split()) < _SPOKEN_WORDS or at is None:
            continue
        speaker = _speaker(said, list(cast.values()), doc.text)
        if speaker is None or at.number in doc.withheld:
            continue
        if speaker.name in cast and speaker.name not in found:
            found[speaker.name] = Quoted(speaker.name, at.number, start, end)
    for name, statement in reported.items():
        if name not in found or statement.start < found[name].start:
            found[name] = statement
    return sorted(found.values(), key=lambda q: q.start)
