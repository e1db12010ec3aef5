"""Merge the briefings of a chunked source into one briefing of the whole source.

Pure: no I/O, no model. Evidence offsets are shifted by each chunk's start so they refer to the
whole source; actors met in several chunks become one (matched by name or alias); events are
ordered by date; positions and open questions keep their evidence; usage, attempts and warnings
are summed over every part, failed parts included.
"""

from __future__ import annotations

from collections.abc import Sequence

from briefgen.assemble import event_order, stamp, tally
from briefgen.chunking import Chunk
from briefgen.errors import ExtractionError
from briefgen.schema import (
    Actor,
    Briefing,
    Event,
    Evidence,
    OpenQuestion,
    Position,
    SourceInfo,
    Usage,
)

Part = tuple[Chunk, Briefing | ExtractionError]


def shift(evidence: Evidence, offset: int) -> Evidence:
    """``evidence`` with its span moved by ``offset`` characters; a missing quote has none."""
    if evidence.start is None or evidence.end is None:
        return evidence.model_copy()
    return evidence.model_copy(
        update={"start": evidence.start + offset, "end": evidence.end + offset}
    )


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def merge_actors(actors: Sequence[Actor]) -> tuple[list[Actor], dict[str, str]]:
    """One actor per person or body, matched by any shared name or alias (case-insensitive).

    Returns:
        The merged actors in first-seen order, and a map from every lower-cased form to the
        canonical (first-seen) name.
    """
    groups: list[list[Actor]] = []
    forms: list[set[str]] = []
    for actor in actors:
        keys = {_key(actor.name), *(_key(a) for a in actor.aliases)}
        hits = [i for i, known in enumerate(forms) if known & keys]
        if not hits:
            groups.append([actor])
            forms.append(keys)
            continue
        first = hits[0]
        for i in reversed(hits[1:]):  # this actor links two groups: join them
            groups[first] += groups.pop(i)
            forms[first] |= forms.pop(i)
        groups[first].append(actor)
        forms[first] |= keys
    merged: list[Actor] = []
    canonical: dict[str, str] = {}
    for group in groups:
        name = group[0].name
        aliases: dict[str, str] = {}
        for actor in group:
            for form in (actor.name, *actor.aliases):
                if _key(form) != _key(name):
                    aliases.setdefault(_key(form), form)
        merged.append(
            Actor(
                name=name,
                role=next((a.role for a in group if a.role), None),
                kind=next((a.kind for a in group if a.kind != "other"), "other"),
                aliases=list(aliases.values()),
            )
        )
        for form in (name, *aliases.values()):
            canonical[_key(form)] = name
    return merged, canonical


def _span_key(evidence: Evidence) -> tuple[object, ...]:
    if evidence.start is not None:
        return (evidence.start, evidence.end)
    return ("missing", _key(evidence.quote))


def join_parts(source: str, parts: Sequence[Part]) -> Briefing:
    """One briefing of ``source`` from the briefings (or failures) of its chunks, in order.

    Args:
        source: the whole source text.
        parts: each chunk with its briefing, or the error that stopped it.

    Raises:
        ExtractionError: no part could be briefed (attempts and usage summed over all).
    """
    total = len(parts)
    done = [(i, c, b) for i, (c, b) in enumerate(parts, 1) if isinstance(b, Briefing)]
    usage = Usage()
    attempts = 0
    warnings: list[str] = []
    for i, (_, result) in enumerate(parts, 1):
        if isinstance(result, Briefing):
            usage = usage + result.meta.usage
            attempts += result.meta.attempts
            warnings += [f"part {i}/{total}: {w}" for w in result.meta.warnings]
        else:
            usage = usage + (result.usage if isinstance(result.usage, Usage) else Usage())
            attempts += result.attempts
            warnings.append(f"part {i}/{total} could not be briefed: {result}")
    if not done:
        failure = next(r for _, r in parts if isinstance(r, ExtractionError))
        raise type(failure)(
            f"no part of the {total}-part source could be briefed; first failure: {failure}",
            attempts=attempts,
            usage=usage,
            last_output=failure.last_output,
        )
    actors, canonical = merge_actors([a for _, _, b in done for a in b.actors])

    def name(raw: str) -> str:
        return canonical.get(_key(raw), raw)

    events: dict[tuple[object, ...], Event] = {}
    positions: dict[tuple[object, ...], Position] = {}
    questions: dict[str, OpenQuestion] = {}
    for _, chunk, b in done:
        for e in b.key_events:
            ev = shift(e.evidence, chunk.start)
            names = list(dict.fromkeys(name(a) for a in e.actors))
            events.setdefault(_span_key(ev), e.model_copy(update={"evidence": ev, "actors": names}))
        for p in b.positions:
            ev = shift(p.evidence, chunk.start)
            key = (_key(name(p.actor)), *_span_key(ev))
            positions.setdefault(key, p.model_copy(update={"evidence": ev, "actor": name(p.actor)}))
        for q in b.open_questions:
            ev = shift(q.evidence, chunk.start)
            questions.setdefault(_key(q.question), q.model_copy(update={"evidence": ev}))
    first = done[0][2]
    info = SourceInfo()
    for _, _, b in done:  # each field from the first part that states it
        for field, value in b.source.model_dump(exclude_none=True).items():
            if getattr(info, field) is None:
                setattr(info, field, value)
    briefing = Briefing(
        title=first.title,
        summary=first.summary,
        source=info,
        key_events=sorted(events.values(), key=event_order),
        actors=actors,
        positions=list(positions.values()),
        open_questions=list(questions.values()),
        meta=first.meta.model_copy(
            update={
                "attempts": attempts,
                "usage": usage,
                "warnings": warnings,
                "chunks": total,
                **stamp(source),
            }
        ),
    )
    return tally(briefing)
