"""Who said what across sources: positions by speaker, and words outlets give to different people.

Pure. Each brief's positions are grouped under the merged speaker (:mod:`briefgen.digest.actors`),
each keeping its source's own words as evidence. When two sources quote the same words
(rapidfuzz over the normalized quotes) but give them to different speakers, both positions say
so and a ``conflict`` difference about the attribution cites both quotes.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

from rapidfuzz import fuzz

from briefgen.digest.actors import Cast
from briefgen.digest.align import View
from briefgen.digest.schema import Difference, DigestPosition, Report
from briefgen.grounding import normalize
from briefgen.schema import Position

#: Two quotes are the same words at this rapidfuzz ratio, or partial ratio for long ones.
SAME_WORDS = 90.0
_LONG = 25


def same_words(a: str, b: str) -> bool:
    """Whether two quotes are the same words, up to quote marks, case, spacing and a few
    characters (one outlet's "gonna" against another's "going to" is not)."""
    x, y = (normalize(q)[0].strip("\"'.,;:") for q in (a, b))
    if not x or not y:
        return False
    if fuzz.ratio(x, y) >= SAME_WORDS:
        return True
    return min(len(x), len(y)) >= _LONG and fuzz.partial_ratio(x, y) >= 95


def positions(views: Sequence[View], cast: Cast) -> tuple[list[DigestPosition], list[Difference]]:
    """The briefs' positions by speaker, and the attribution conflicts between sources."""
    said: list[tuple[View, Position, str, Report]] = []
    for view in views:
        for p in view.brief.positions if view.brief else []:
            ev = p.evidence
            if ev.start is None or ev.end is None:
                continue
            said.append((view, p, cast.name(p.actor), view.span(ev.start, ev.end, "brief")))
    merged: dict[str, DigestPosition] = {}
    for _, p, speaker, report in said:
        entry = merged.setdefault(
            speaker, DigestPosition(actor=speaker, position=p.position, evidence=[])
        )
        if entry.speaks_for is None and p.speaks_for:
            entry.speaks_for = cast.name(p.speaks_for)
        if all((r.source, r.start) != (report.source, report.start) for r in entry.evidence):
            entry.evidence.append(report)
        if report.source not in entry.sources:
            entry.sources.append(report.source)
    found: list[Difference] = []
    for (va, pa, a, ra), (vb, pb, b, rb) in combinations(said, 2):
        if va.id == vb.id or a == b or not same_words(ra.quote, rb.quote):
            continue
        # One outlet names the officer, another the body the officer speaks for: no conflict.
        if b == (pa.speaks_for and cast.name(pa.speaks_for)) or a == (
            pb.speaks_for and cast.name(pb.speaks_for)
        ):
            continue
        merged[a].attributed_differently.append(f"{vb.id} gives these words to {b}")
        merged[b].attributed_differently.append(f"{va.id} gives these words to {a}")
        found.append(
            Difference(
                kind="conflict",
                about="attribution",
                description=f"{va.id} gives the same words to {a}, {vb.id} to {b}.",
                evidence=[ra, rb],
                sources=[va.id, vb.id],
            )
        )
    return list(merged.values()), found
