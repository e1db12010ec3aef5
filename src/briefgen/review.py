"""Check one model answer against the schema and the numbered text it cites.

Pure: no I/O. An answer that does not parse gets problems, each one sentence the re-ask sends
back; a parsed one is settled in code, every change noted.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass, field

from pydantic import ValidationError

from briefgen.bodies import with_affiliations
from briefgen.repair import gist, repair, writes
from briefgen.schema import MAX_POSITIONS, Draft, DraftEvent, DraftPosition, DraftStances
from briefgen.sentences import Document
from briefgen.speakers import (
    Spoken,
    speakers_from_text,
    with_unquoted_speakers,
)

#: Most problems listed in one re-ask: the model fixes a few things better than many.
MAX_PROBLEMS = 12

_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


@dataclass
class Review:
    """The outcome of checking one answer: the parsed draft (if it parsed) and its problems."""

    draft: Draft | None
    problems: list[str] = field(default_factory=list)
    #: Canonical actor name for every name or alias the draft used, lower-cased.
    names: dict[str, str] = field(default_factory=dict)
    #: What was fixed in code without a re-ask (see :func:`repair`), one note each.
    repairs: list[str] = field(default_factory=list)
    #: Each position's words in the source (None for a sentence number the text lacks).
    spans: list[Spoken | None] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.draft is not None and not self.problems


def _unfenced(content: str) -> str:
    """The answer without a Markdown code fence around it, which some models add."""
    text = content.strip()
    fenced = _FENCE.match(text)
    return fenced.group(1) if fenced else text


def parse(content: str | None) -> tuple[Draft | None, list[str]]:
    """Parse and validate the JSON answer; a schema error becomes a list of precise problems."""
    if not content or not content.strip():
        return None, ["The answer was empty: send the JSON object."]
    try:
        return Draft.model_validate_json(_unfenced(content)), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors()[:MAX_PROBLEMS]:
            where = ".".join(str(p) for p in err["loc"]) or "answer"
            if err["type"] == "json_invalid":
                problems.append(f"The answer is not valid JSON ({err['msg']}).")
            else:
                problems.append(f"Field {where}: {err['msg']}.")
        return None, problems


def name_index(draft: Draft) -> dict[str, str]:
    """Map every actor name, alias and unique surname (lower-cased) to the actor's name."""
    index: dict[str, str] = {}
    surnames: dict[str, set[str]] = {}
    for actor in draft.actors:
        for form in (actor.name, *actor.aliases):
            index.setdefault(form.strip().casefold(), actor.name)
        if actor.kind == "person" and len(actor.name.split()) > 1:
            surnames.setdefault(actor.name.split()[-1].casefold(), set()).add(actor.name)
    for surname, owners in surnames.items():
        if len(owners) == 1:
            index.setdefault(surname, next(iter(owners)))
    return index


def _is_title(stance: str) -> bool:
    """A label rather than a sentence: one word, or a few capitalised ones ("Chief Executive")."""
    words = [w for w in stance.split() if w.casefold() not in ("of", "the", "and", "for")]
    return len(words) <= 1 or (len(words) <= 4 and all(w[:1].isupper() for w in words))


def check_answer(
    content: str | None,
    doc: Document,
    *,
    anchor: str | None = None,
    add_speakers: bool = True,
) -> Review:
    """Parse an answer and check it against the numbered text it cites.

    An answer that does not parse has problems (the next request asks for the whole answer
    again); a parsed one is settled in code (:func:`check`).

    Args:
        content: the model's raw answer.
        doc: the numbered text the answer cites.
        anchor: the publication date, which may supply a year the text leaves out.
        add_speakers: give speakers the answer leaves out a position (see :func:`check`).
    """
    draft, problems = parse(content)
    if draft is None:
        return Review(None, problems)
    return check(draft, doc, anchor=anchor, add_speakers=add_speakers)


def check(
    draft: Draft,
    doc: Document,
    *,
    anchor: str | None = None,
    add_speakers: bool = True,
) -> Review:
    """Settle a parsed answer in one pass, noting every change in ``Review.repairs``.

    Repair what code can (actor names, date words), read who said each position's words, drop
    what the text does not back (a sentence number it lacks or withholds, a position its
    sentence does not give its speaker), clear a stance that is a title or does not name its
    speaker, give the text a floor of dated events, and give each speaker the text quotes by
    name a position while there is room. A position left without a stance is for the one
    stances request the session makes (:func:`unwritten`); with ``add_speakers`` False (after
    that request) no speaker is added again and its stances are kept as written.

    A small model asked to fix such items mostly drops them, or makes them worse, at the cost
    of a request each: code decides instead.
    """
    draft, renamed, repairs = repair(draft, doc, anchor)
    draft, joined = with_affiliations(draft, doc.text)
    repairs += joined
    positions, spans, speakers, moved = speakers_from_text(
        list(draft.positions), list(draft.actors), doc
    )
    draft = draft.model_copy(update={"positions": positions, "actors": [*draft.actors, *speakers]})
    repairs += moved
    names = {**renamed, **name_index(draft)}
    draft, spans, settled = _settle(draft, spans, doc, names, first=add_speakers)
    repairs += settled
    draft, dated = _with_dated_events(draft, doc)
    repairs += dated
    if add_speakers:
        room = MAX_POSITIONS - len(draft.positions)
        draft, spans, added = with_unquoted_speakers(draft, spans, doc, room)
        repairs += added
    return Review(draft, [], {**names, **name_index(draft)}, repairs, spans)


#: The fewest key events a brief has while the text dates enough sentences to hold them.
MIN_EVENTS = 3


def _with_dated_events(draft: Draft, doc: Document) -> tuple[Draft, list[str]]:
    """``draft`` with events for sentences the text dates, while it has fewer than
    :data:`MIN_EVENTS`: the model sometimes gives one or two of a text's ten dated sentences.

    Each added event is the sentence's own words and the date it writes, in reading order; the
    source's first sentence (its headline: "yesterday, today, tomorrow") is no event.
    """
    if len(draft.key_events) >= MIN_EVENTS:
        return draft, []
    cited = {e.sentence for e in draft.key_events}
    events, notes = list(draft.key_events), []
    for sentence in doc.sentences:
        if len(events) >= MIN_EVENTS:
            break
        when = doc.dated.get(sentence.number)
        if when is None or sentence.number in cited | set(doc.withheld) or sentence.number == 1:
            continue
        words = sentence.of(doc.text)
        events.append(DraftEvent(sentence=sentence.number, date_text=when, description=gist(words)))
        notes.append(
            f'key_events: added sentence [{sentence.number}], which the text dates ("{when}")'
        )
    return draft.model_copy(update={"key_events": events}), notes


def _unusable(number: int, doc: Document) -> str | None:
    """Why sentence ``number`` cannot be evidence, or None when it can."""
    if doc[number] is None:
        return f"no sentence [{number}]"
    if number in doc.withheld:
        return f"sentence [{number}] addresses an AI model"
    return None


def _names_speaker(stance: str, speaker: str, draft: Draft) -> bool:
    """Whether ``stance`` names ``speaker``: their name, an alias, their surname, or a short
    role ("The mayor says ..." of the actor whose role is "mayor")."""
    listed = next((a for a in draft.actors if a.name == speaker), None)
    forms = [speaker, *(listed.aliases if listed else []), speaker.split()[-1]]
    if listed and 0 < len(listed.role.split()) <= 3:
        forms.append(listed.role)
    folded = stance.casefold()
    return any(writes(folded, f.casefold()) for f in forms if len(f) > 1)


def _settle(
    draft: Draft,
    spans: list[Spoken | None],
    doc: Document,
    names: dict[str, str],
    *,
    first: bool = True,
) -> tuple[Draft, list[Spoken | None], list[str]]:
    """``draft`` without the items the text does not back, and stances to ask for cleared.

    A stance that is a title, or (in a ``first`` answer, before the stances request) one that
    does not name its speaker, is cleared for the stances request; that request's own stances
    are kept as written.
    """
    notes: list[str] = []
    events = []
    for i, event in enumerate(draft.key_events, 1):
        if why := _unusable(event.sentence, doc):
            notes.append(f"key_events[{i}] dropped: {why}")
        else:
            events.append(event)
    roles = {a.name: a.role.casefold() for a in draft.actors}
    positions: list[DraftPosition] = []
    kept: list[Spoken | None] = []
    for i, (position, spoken) in enumerate(zip(draft.positions, spans, strict=True), 1):
        speaker = names.get(position.actor.strip().casefold(), position.actor.strip())
        why = _unusable(position.sentence, doc)
        if why is None and spoken is not None and not spoken.attributed:
            why = f"sentence [{position.sentence}] does not say {speaker} said it"
        if why is None and not (speaker in roles or writes(doc.text, speaker)):
            # A speaker the text never names is invented, and so is what they said.
            why = f'the source never names "{speaker}"'
        if why is not None or spoken is None:
            notes.append(f"positions[{i}] dropped: {why}")
            continue
        stance = position.stance.strip()
        if stance and (stance.casefold() == roles.get(speaker) or _is_title(stance)):
            notes.append(f'positions[{i}]: stance "{stance}" is a title; asked again')
            position = position.model_copy(update={"stance": ""})
        elif stance and first and not _names_speaker(stance, speaker, draft):
            # "He pointed, for instance, to ..." (the source's next sentence, copied) says
            # nothing of who holds the position: the stances request asks for name and verb.
            notes.append(f'positions[{i}]: stance "{stance[:60]}" does not name {speaker}; asked')
            position = position.model_copy(update={"stance": ""})
        positions.append(position)
        kept.append(spoken)
    questions = []
    for i, question in enumerate(draft.open_questions, 1):
        if why := _unusable(question.sentence, doc):
            notes.append(f"open_questions[{i}] dropped: {why}")
        else:
            questions.append(question)
    update = {"key_events": events, "positions": positions, "open_questions": questions}
    return draft.model_copy(update=update), kept, notes


def unwritten(draft: Draft | None) -> list[DraftPosition]:
    """The positions without a stance: those code added, or the rare one the model left empty."""
    return [p for p in draft.positions if not p.stance.strip()] if draft else []


def read_stances(content: str | None) -> list[str] | None:
    """The stances a stances answer writes, or None when it is no such answer."""
    try:
        return DraftStances.model_validate_json(_unfenced(content or "")).stances
    except ValidationError:
        return None


def apply_stances(draft: Draft, content: str | None) -> tuple[Draft, list[str]]:
    """``draft`` with the stances in ``content`` written into its :func:`unwritten` positions.

    The i-th sentence goes to the i-th unwritten position. One left without a sentence (a short
    list, an empty string, an unreadable answer) is dropped: it holds no claim of the brief.
    """
    sentences = iter(read_stances(content) or [])
    positions, notes = [], []
    for i, position in enumerate(draft.positions, 1):
        if not position.stance.strip():
            stance = next(sentences, "").strip()
            if not stance:
                notes.append(f"positions[{i}] dropped: no stance for {position.actor}")
                continue
            position = position.model_copy(update={"stance": stance})
        positions.append(position)
    return draft.model_copy(update={"positions": positions}), notes


def answer_text(content: str | None, limit: int = 8_000) -> str:
    """The previous answer as sent back in a re-ask: compact JSON, bounded in size.

    Only the latest answer is ever sent back, so re-asks never grow the prompt attempt by attempt.
    """
    text = (content or "").strip()
    with contextlib.suppress(ValueError):
        text = json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))
    return text[:limit]
