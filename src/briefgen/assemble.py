"""Build the :class:`Briefing` from a checked draft: the one place evidence gets its words.

Pure. Every piece of evidence is ``source[start:end]`` of a sentence the model cited (for a
position, the speaker's own words inside it), so a quote shown to a reader is always the
source's own words. What the text does not back was already left out, with a note, by the check
(:func:`briefgen.review.check`); a position whose stance was never written is left out here.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import TypeVar

from briefgen.bodies import speaks_for
from briefgen.dates import iso_date
from briefgen.repair import writes
from briefgen.review import Review
from briefgen.schema import (
    Actor,
    Briefing,
    DraftEvent,
    DraftQuestion,
    Event,
    Evidence,
    GroundingCounts,
    Meta,
    OpenQuestion,
    Position,
    SourceInfo,
    Usage,
)
from briefgen.sentences import Document, Sentence
from briefgen.speakers import forms_of


def cited(doc: Document, start: int, end: int) -> Evidence:
    """The evidence for ``[start, end)`` of ``doc``: the source's words there, matched exactly."""
    return Evidence(quote=doc.text[start:end], start=start, end=end, match="exact")


def event_order(event: Event) -> tuple[bool, str, int]:
    """Dated events in time order, then undated ones in reading order."""
    start = event.evidence.start if event.evidence.start is not None else 2**62
    return (event.date is None, event.date or "", start)


def tally(briefing: Briefing) -> Briefing:
    """``briefing`` with its grounding counts taken from its evidence."""
    counts = GroundingCounts()
    for ev in briefing.evidence():
        setattr(counts, ev.match, getattr(counts, ev.match) + 1)
    briefing.meta.grounding = counts
    return briefing


def stamp(source: str) -> dict[str, object]:
    """The meta fields that describe ``source`` and the time the brief was made."""
    return {
        "created": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "source_chars": len(source),
        "source_sha256": hashlib.sha256(source.encode("utf-8")).hexdigest(),
    }


_Cites = TypeVar("_Cites", DraftEvent, DraftQuestion)


def _citing(
    items: list[_Cites], label: str, doc: Document, warnings: list[str]
) -> list[tuple[_Cites, Sentence]]:
    """Each item with the sentence it cites; one citing none (checked drafts cite real ones) is
    left out with a warning."""
    found = []
    for i, item in enumerate(items, 1):
        sentence = doc[item.sentence]
        if sentence is None:
            warnings.append(f"repaired: {label}[{i}] dropped: no sentence [{item.sentence}]")
        else:
            found.append((item, sentence))
    return found


def briefing(
    result: Review,
    doc: Document,
    *,
    info: SourceInfo,
    backend: str,
    model: str,
    mode: str,
    attempts: int,
    usage: Usage,
    version: str,
) -> Briefing:
    """The briefing of ``doc`` from the checked draft in ``result``.

    Args:
        result: a reviewed draft; its problems left unresolved become warnings.
        doc: the numbered text the draft cites.
        info: metadata the loader knows; wins over what the model read off the text.
        backend, model, mode, attempts, usage, version: the brief's ``meta``.
    """
    draft = result.draft
    assert draft is not None
    text = doc.text
    # A note made again when a later answer is checked is listed once.
    warnings = [f"repaired: {note}" for note in dict.fromkeys(result.repairs)]
    actors = [
        Actor(name=a.name, role=a.role or None, kind=a.kind, aliases=a.aliases)
        for a in draft.actors
    ]
    known = {a.name for a in actors}
    events = []
    for e, sentence in _citing(draft.key_events, "key_events", doc, warnings):
        words = sentence.of(text)
        # The actors of an event are those its own sentence names.
        folded = words.casefold()
        named = [
            a.name for a in draft.actors if any(writes(folded, f.casefold()) for f in forms_of(a))
        ]
        events.append(
            Event(
                date=iso_date(e.date_text, info.date) if e.date_text else None,
                date_text=e.date_text,
                description=e.description,
                actors=named,
                evidence=cited(doc, sentence.start, sentence.end),
            )
        )
    positions = []
    for i, (p, spoken) in enumerate(zip(draft.positions, result.spans, strict=True), 1):
        speaker = result.names.get(p.actor.strip().casefold(), p.actor.strip())
        if spoken is None or not p.stance.strip():
            warnings.append(f"repaired: positions[{i}] dropped: no stance for {speaker}")
            continue
        if speaker not in known:  # a speaker the text names, not yet listed
            actors.append(Actor(name=speaker, role=None, kind="other"))
            known.add(speaker)
        evidence = cited(doc, spoken.start, spoken.end)
        positions.append(Position(actor=speaker, position=p.stance, evidence=evidence))
    by_name = {a.name: a for a in actors}
    for position in positions:
        position.speaks_for = speaks_for(by_name[position.actor], actors, text)
    questions = [
        OpenQuestion(question=q.question, evidence=cited(doc, sentence.start, sentence.end))
        for q, sentence in _citing(draft.open_questions, "open_questions", doc, warnings)
    ]
    # An unstated source.date was already dropped by the repair.
    source = SourceInfo(**{**draft.source.model_dump(), **info.model_dump(exclude_none=True)})
    made = Briefing(
        title=draft.title,
        summary=draft.summary,
        source=source,
        key_events=sorted(events, key=event_order),
        actors=actors,
        positions=positions,
        open_questions=questions,
        meta=Meta(
            briefgen_version=version,
            backend=backend,
            model=model,
            mode=mode,
            attempts=attempts,
            usage=usage,
            grounding=GroundingCounts(),
            warnings=warnings,
            date_anchor=info.date,
            **stamp(text),  # type: ignore[arg-type]
        ),
    )
    return tally(made)
