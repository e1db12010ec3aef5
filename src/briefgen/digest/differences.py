"""Where aligned sources differ, found by code: figures, dates, events only one reports, framing.

Pure. Numbers are read off the sentences of each event with their unit, the word after them
("3,000 jobs", "three-day conference", "$2 million"): two sources that give one unit different
values conflict; a figure one source gives that no other source writes anywhere is only in
that source. Date expressions are blanked before numbers are read, so "March 4, 2025" is a
date, never two figures. Every difference cites the sentences it rests on, in every source
involved.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from briefgen.dates import dates_in
from briefgen.digest.align import MAYBE, Alignment, Cluster, View
from briefgen.digest.schema import Difference, Report

_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90, "hundred": 100, "dozen": 12,
}  # fmt: skip
_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_ONES = "one|two|three|four|five|six|seven|eight|nine"
#: "sixty-two" before "sixty", then every number word, longest first.
_WORDS = f"(?:{_TENS})-(?:{_ONES})|" + "|".join(sorted(_UNITS, key=len, reverse=True))
_FIGURE = re.compile(
    rf"(?<![\w.,])(?P<cur>\$|€|£)?(?P<num>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|"
    rf"(?:{_WORDS})\b)(?![\w,]*\d)(?:[ -](?P<scale>{'|'.join(_SCALES)}))?"
    r"(?P<pct>[ ]?(?:%|percent\b|per cent\b))?"
    r"(?:[ -](?:of[ ])?(?:the[ ])?(?P<unit>[A-Za-z][a-z]+))?",
    re.IGNORECASE,
)
#: Words after a number that are no unit of it.
_NOT_UNITS = frozenset(
    [
        *("a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "by", "for", "from"),
        *("with", "as", "is", "are", "was", "were", "be", "has", "have", "had", "it", "its", "he"),
        *("she", "they", "who", "that", "which", "than", "more", "less", "times"),
    ]
)


@dataclass(frozen=True)
class Figure:
    """A number a sentence gives, as written, with its value and the unit it counts."""

    text: str
    value: float
    unit: str


def _value(found: re.Match[str]) -> float:
    raw = found["num"].casefold()
    if raw[:1].isdigit():
        value = float(raw.replace(",", ""))
    else:
        value = float(sum(_UNITS[part] for part in raw.split("-")))
    if found["scale"]:
        value *= _SCALES[found["scale"].casefold()]
    return value


def _unit(word: str | None) -> str | None:
    if word is None or word.casefold() in _NOT_UNITS:
        return None
    word = word.casefold()
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def figures(text: str) -> list[Figure]:
    """The figures ``text`` gives with a unit; years, dates, ordinals and "one" left out."""
    blank = text
    for written in dates_in(text):
        blank = blank.replace(written, " " * len(written))
    found = []
    for match in _FIGURE.finditer(blank):
        raw = match["num"].casefold()
        unit = _unit(match["unit"])
        if match["pct"]:
            unit = "percent"
        elif match["cur"]:
            unit = "dollar" if match["cur"] == "$" else match["cur"]
        if unit is None or raw == "one":
            continue
        if re.fullmatch(r"1[5-9]\d\d|20\d\d", raw) and not (match["cur"] or match["scale"]):
            continue  # a year
        # As written: the number with its unit word, or with its percent sign or word alone.
        written = (
            match.group(0)[: match.end("pct") - match.start()] if match["pct"] else match.group(0)
        )
        found.append(Figure(written.strip(), _value(match), unit))
    return found


def _listed(found: list[Figure]) -> str:
    return " and ".join(dict.fromkeys(f.text for f in found))


def _all_values(view: View) -> set[float]:
    return {f.value for f in figures(view.doc.text)}


def _members(cluster: Cluster, views: dict[str, View]) -> list[tuple[View, Report]]:
    return [
        (views[m.source], views[m.source].report(m.sentence, m.via))
        for m in sorted(cluster.members.values(), key=lambda m: m.source)
    ]


def conflicts(alignment: Alignment, views: Sequence[View]) -> list[Difference]:
    """Figures and dates that aligned sentences of two sources give differently, and figures
    one source's sentence gives that no other source writes."""
    by_id = {v.id: v for v in views}
    values = {v.id: _all_values(v) for v in views}
    found: list[Difference] = []
    for cluster in alignment.clusters:
        if len(cluster.members) < 2:
            continue
        members = _members(cluster, by_id)
        given = {r.source: figures(r.quote) for _, r in members}
        for (_, a), (_, b) in combinations(members, 2):
            for unit in {f.unit for f in given[a.source]} & {f.unit for f in given[b.source]}:
                # Two sentences that both give 21 and 17 percent agree; one that gives a value
                # the other lacks, while the other gives one it lacks, does not.
                fa = [f for f in given[a.source] if f.unit == unit]
                fb = [f for f in given[b.source] if f.unit == unit]
                only_a = [f for f in fa if f.value not in {g.value for g in fb}]
                only_b = [f for f in fb if f.value not in {g.value for g in fa}]
                if only_a and only_b:
                    found.append(
                        Difference(
                            kind="conflict",
                            about="number",
                            description=f"{a.source} gives {_listed(only_a)}, {b.source} "
                            f"{_listed(only_b)}.",
                            evidence=[a, b],
                            sources=[a.source, b.source],
                        )
                    )
            da = alignment.said[(a.source, a.sentence or 0)].date
            db = alignment.said[(b.source, b.sentence or 0)].date
            if da and db and not (da.startswith(db) or db.startswith(da)):
                found.append(
                    Difference(
                        kind="conflict",
                        about="date",
                        description=f"{a.source} dates it {da}, {b.source} {db}.",
                        evidence=[a, b],
                        sources=[a.source, b.source],
                    )
                )
        for _, r in members:
            others = [s for s in cluster.members if s != r.source]
            units = {f.unit for s in others for f in given[s]}
            for figure in given[r.source]:
                if figure.unit in units or any(
                    figure.value in values[s] for s in by_id if s != r.source
                ):
                    continue
                found.append(
                    Difference(
                        kind="only_in",
                        about="number",
                        description=f"Only {r.source} gives {figure.text}.",
                        evidence=[r],
                        sources=[r.source],
                    )
                )
    return _deduplicated(found)


def only_in(alignment: Alignment, views: Sequence[View], decided: set[int]) -> list[Difference]:
    """Events one source's brief names that no other source reports: nothing in the others
    scored even :data:`MAYBE`, or the model said the candidate was another event.

    Args:
        decided: ``id()`` of the clusters whose candidate pairs the model answered.
    """
    by_id = {v.id: v for v in views}
    found = []
    for cluster in alignment.clusters:
        if len(cluster.members) != 1 or not cluster.anchored or len(views) < 2:
            continue
        (member,) = cluster.members.values()
        near = [s for s, score in cluster.nearest.items() if score >= MAYBE]
        if near and id(cluster) not in decided:
            continue
        described = member.event.description if member.event else ""
        found.append(
            Difference(
                kind="only_in",
                about="event",
                description=f"Only {member.source} reports it: {described}".rstrip(": "),
                evidence=[by_id[member.source].report(member.sentence, member.via)],
                sources=[member.source],
            )
        )
    return found


def headline_and_lead(view: View) -> tuple[Report | None, Report | None]:
    """The source's headline (its first sentence) and its lead: the first sentence after it of
    eight words or more that does not repeat it (files often repeat the headline)."""
    sentences = [s for s in view.doc.sentences if s.number not in view.doc.withheld]
    if not sentences:
        return None, None
    head = sentences[0]
    said = " ".join(head.of(view.doc.text).split()).casefold()
    for s in sentences[1:]:
        words = s.of(view.doc.text)
        if len(words.split()) >= 8 and " ".join(words.split()).casefold() != said:
            return view.report(head.number, "code"), view.report(s.number, "code")
    return view.report(head.number, "code"), None


def framing(views: Sequence[View], description: str | None) -> Difference | None:
    """How each source's headline and lead frame the story: one difference citing them all.

    ``description`` is the model's line; without one, code says what the evidence is.
    """
    evidence = [r for v in views for r in headline_and_lead(v) if r is not None]
    if len({r.source for r in evidence}) < 2:
        return None
    return Difference(
        kind="framing",
        about="framing",
        description=description or "Each outlet's headline and first sentence, side by side.",
        evidence=evidence,
        sources=sorted({r.source for r in evidence}),
        described_by="model" if description else "code",
    )


def _deduplicated(found: list[Difference]) -> list[Difference]:
    seen: set[tuple[str, str]] = set()
    kept = []
    for d in found:
        if (d.kind, d.description) not in seen:
            seen.add((d.kind, d.description))
            kept.append(d)
    return kept
