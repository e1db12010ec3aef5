"""The one merge request of a digest: only what code could not decide, about few sentences.

Pure. Code has aligned what it could (:mod:`briefgen.digest.align`) and found the differences it
can see; the request shows the model only the sentences it must read (each source's headline
and lead, the sentences of the events several sources report, the undecided pairs), numbered
by source (``[A12]``), and asks for the decisions and the few lines code cannot write. Its
schema pins every listed id and limits citations to the sentences shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from briefgen import prompts
from briefgen.digest.actors import Cast, cast
from briefgen.digest.align import Alignment, Cluster, Pair, View, align
from briefgen.digest.differences import conflicts, headline_and_lead
from briefgen.digest.positions import positions
from briefgen.digest.schema import (
    MAX_MERGED_EVENTS,
    MAX_PAIRS,
    Difference,
    DigestPosition,
    DraftMerge,
    cite_id,
    pinned_merge,
)

#: Words of a sentence the prompt shows; a longer one ends in "…" (the id still cites it whole).
SHOWN_WORDS = 45
#: Differences code found that the prompt lists, so the model neither repeats nor misses them.
LISTED_FOUND = 4


@dataclass
class Plan:
    """Everything code decided about a digest, and the request for the rest."""

    views: list[View]
    cast: Cast
    alignment: Alignment
    #: The events several sources report, whose descriptions are asked for: ``E1`` ...
    events: dict[str, Cluster]
    #: The candidate pairs the model decides: ``P1`` ...
    pairs: dict[str, Pair]
    #: Every sentence the prompt shows, by id: the only ones the answer may cite.
    shown: dict[str, tuple[str, int]]
    #: Conflicts code found before the model answered, listed in the prompt.
    differences: list[Difference]
    #: Words two sources give to different people.
    attributions: list[Difference]
    positions: list[DigestPosition]
    messages: list[dict[str, Any]] = field(default_factory=list)
    schema: type[DraftMerge] = DraftMerge


def label(view: View) -> str:
    """How the prompt introduces a source: its headline, outlet and date as known.

    The outlet only as the caller or the URL names it: an author a small model read off the
    text (the story's subject, as often as not) would mislead the merge.
    """
    head, _ = headline_and_lead(view)
    title = head.quote if head else view.id
    extra = [x for x in (view.outlet, view.anchor) if x]
    said = f"\u201c{_clip(title, 20)}\u201d" + (f" ({', '.join(extra)})" if extra else "")
    return prompts.fence(said)  # words of the source, before its block: they cannot close it


def _clip(text: str, words: int) -> str:
    cut = text.split()
    return " ".join(cut[:words]) + ("\u2026" if len(cut) > words else "")


def plan(views: Sequence[View]) -> Plan:
    """Align ``views``, find what code can, and build the merge request for the rest."""
    views = list(views)
    actors = cast(views)
    alignment = align(views, actors.forms, max_pairs=MAX_PAIRS)
    said, attributions = positions(views, actors)
    found = [*conflicts(alignment, views), *attributions]
    multi = sorted(
        (c for c in alignment.clusters if len(c.members) > 1),
        key=lambda c: (-len(c.members), min((m.source, m.sentence) for m in c.members.values())),
    )[:MAX_MERGED_EVENTS]
    events = {f"E{i}": c for i, c in enumerate(multi, 1)}
    pairs = {f"P{i}": p for i, p in enumerate(alignment.pairs, 1)}
    result = Plan(views, actors, alignment, events, pairs, {}, found, attributions, said)
    _request(result)
    return result


def _request(p: Plan) -> None:
    """Fill ``p``'s messages, shown sentences and pinned schema."""
    nodes: list[tuple[str, int]] = []
    framing = []
    for view in p.views:
        heads = [r for r in headline_and_lead(view) if r is not None and r.sentence]
        nodes += [(r.source, r.sentence or 0) for r in heads]
        framing.append((view.id, [f"[{cite_id(r.source, r.sentence or 0)}]" for r in heads]))
    listed_events = []
    for name, cluster in p.events.items():
        members = sorted((m.source, m.sentence) for m in cluster.members.values())
        nodes += members
        listed_events.append((name, [f"[{cite_id(*n)}]" for n in members]))
    listed_pairs = []
    for name, pair in p.pairs.items():
        nodes += [pair.left, pair.right]
        listed_pairs.append((name, f"[{cite_id(*pair.left)}]", f"[{cite_id(*pair.right)}]"))
    p.shown = {cite_id(*n): n for n in sorted(set(nodes))}
    found = []
    for d in p.differences:
        cited = [cite_id(r.source, r.sentence or 0) for r in d.evidence]
        if d.kind == "conflict" and all(c in p.shown for c in cited):
            found.append(f"{d.description} {' '.join(f'[{c}]' for c in cited)}")
    user = prompts.render(
        "digest/user",
        sources=[(v.id, label(v)) for v in p.views],
        sentences=_numbered(p),
        framing=framing,
        events=listed_events,
        pairs=listed_pairs,
        found=found[:LISTED_FOUND],
    )
    p.messages = [
        {"role": "system", "content": prompts.render("digest/system")},
        {"role": "user", "content": user},
    ]
    p.schema = pinned_merge(list(p.events), list(p.pairs), list(p.shown))


def _numbered(p: Plan) -> str:
    """The shown sentences as the prompt lists them, ``[A12] words``, sources apart."""
    views = {v.id: v for v in p.views}
    lines: list[str] = []
    source = None
    for cite, (sid, number) in p.shown.items():
        if source is not None and sid != source:
            lines.append("")
        source = sid
        words = " ".join(views[sid].doc.words(number).split())
        lines.append(f"[{cite}] {prompts.fence(_clip(words, SHOWN_WORDS))}")
    return "\n".join(lines)
