"""Build the :class:`Digest` from code's plan and the merge answer (or its failure).

Pure: the one place a digest is built. The answer decides only what the plan asked; every id it
cites is checked (:mod:`briefgen.digest.cites`), and every report is a sentence's own words.
Without a usable answer the digest stands on code's merge: candidate pairs stay apart, events
keep their briefs' descriptions, and the summary is each outlet's own bottom line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import ValidationError
from rapidfuzz import fuzz

from briefgen.digest.align import Cluster, View
from briefgen.digest.cites import dropped, resolve, unbracket
from briefgen.digest.differences import conflicts, framing, only_in
from briefgen.digest.request import Plan
from briefgen.digest.schema import (
    Difference,
    Digest,
    DigestMeta,
    DigestNote,
    DigestQuestion,
    DigestSource,
    DraftMerge,
    Report,
    TimelineEvent,
)

Status = Literal["ok", "failed", "refused", "truncated", "invalid", "not_asked"]
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)
#: Open questions of two sources are one when their wording is this alike (rapidfuzz).
SAME_QUESTION = 85.0


@dataclass(frozen=True)
class Outcome:
    """What became of the merge request: its answer, or why there is none."""

    status: Status
    content: str | None = None
    error: str | None = None


def parse(content: str | None) -> DraftMerge | None:
    """The merge answer, or None when it does not parse or match the schema."""
    if not content:
        return None
    text = content.strip()
    if fenced := _FENCE.match(text):
        text = fenced.group(1)
    try:
        return DraftMerge.model_validate_json(text)
    except ValidationError:
        return None


def digest(
    plan: Plan, outcome: Outcome, *, sources: list[DigestSource], meta: DigestMeta
) -> Digest:
    """The digest of ``plan``'s sources, given what the merge request came to.

    Args:
        plan: code's alignment and the request it made.
        outcome: the answer, or the failure that left none.
        sources: the digest's sources, ids matching the plan's views.
        meta: run facts (version, model, usage); notes and warnings are added here.
    """
    views = {v.id: v for v in plan.views}
    warnings = list(meta.warnings)
    answer = parse(outcome.content) if outcome.status == "ok" else None
    status: Status = outcome.status
    if outcome.status == "ok" and answer is None:
        status = "invalid"
        warnings.append("merge: the answer does not match the merge schema; code's merge stands")
    record = meta.merge.model_copy(
        update={
            "status": status,
            "pairs_asked": len(plan.pairs),
            "sentences_shown": len(plan.shown),
            "error": outcome.error if status != "ok" else None,
        }
    )
    decided = _decide(plan, answer, warnings)
    record.pairs_same = decided.count(True)
    described: dict[int, str] = {}
    summary_evidence: list[Report] = []
    extra: list[Difference] = []
    frame = None
    title, summary = _fallback(plan)
    if answer is not None:
        for item in answer.events:
            cluster = plan.events.get(item.event)
            where = f"events.{item.event}"
            text, _ = unbracket(item.description, plan.shown, views, where, warnings)
            if cluster is not None and text:
                described[id(cluster)] = finished(text, where, warnings)
        record.events_described = len(described)
        frame, _ = unbracket(answer.framing, plan.shown, views, "framing", warnings)
        frame = finished(frame, "framing", warnings) if frame else frame
        extra = _differences(answer, plan, views, warnings)
        text, inline = unbracket(answer.summary, plan.shown, views, "summary", warnings)
        summary = finished(text, "summary", warnings) if text else summary
        summary_evidence = _unique(
            [*inline, *resolve(answer.cites, plan.shown, views, "summary.cites", warnings)]
        )
        title = unbracket(answer.title, plan.shown, views, "title", warnings)[0] or title
    # Conflicts again, now that the model's pairs are joined: their sentences are aligned too.
    differences = [
        *([f] if (f := framing(plan.views, frame or None)) else []),
        *conflicts(plan.alignment, plan.views),
        *plan.attributions,
        *extra,
        *only_in(plan.alignment, plan.views, set(decided_ids(plan, answer))),
    ]
    meta = meta.model_copy(
        update={
            "merge": record,
            "warnings": warnings,
            "notes": [*meta.notes, *_notes(status, outcome, warnings, plan)],
        }
    )
    return Digest(
        title=title,
        summary=summary,
        summary_evidence=summary_evidence,
        sources=sources,
        timeline=_timeline(plan, views, described),
        actors=plan.cast.actors,
        positions=plan.positions,
        differences=differences,
        open_questions=_questions(plan),
        meta=meta,
    )


def _decide(plan: Plan, answer: DraftMerge | None, warnings: list[str]) -> list[bool]:
    """Apply the answer's pair decisions: a "same" pair's events become one."""
    if answer is None:
        return []
    decisions = []
    for item in answer.pairs:
        pair = plan.pairs.get(item.pair)
        if pair is None:
            warnings.append(f"pairs: ignored {item.pair}, which was not asked")
            continue
        decisions.append(item.same)
        if item.same and not plan.alignment.join(pair):
            warnings.append(f"pairs.{item.pair}: same, but its events share a source; kept apart")
    return decisions


#: Field lengths of the merge answer: text that reaches one was cut there by the grammar.
_BOUNDS = {"summary": 260}
_LINE = 100
_ENDS = (".", "!", "?", '"', "\u201d", ")", "\u2026")


def finished(text: str, where: str, warnings: list[str]) -> str:
    """``text``, or when the answer's length bound cut it mid-sentence, its whole words and a
    "…" that shows it was cut."""
    limit = _BOUNDS.get(where, _LINE)
    if len(text) < limit - 2 or text.rstrip().endswith(_ENDS):
        return text
    warnings.append(f"{where}: cut off at {limit} characters; shortened to whole words")
    return text[: text.rstrip().rfind(" ")].rstrip(" ,;:-") + "\u2026"


def decided_ids(plan: Plan, answer: DraftMerge | None) -> list[int]:
    """``id()`` of the events whose candidate pairs the model answered."""
    if answer is None:
        return []
    found = []
    for item in answer.pairs:
        if (pair := plan.pairs.get(item.pair)) is not None:
            for node in (pair.left, pair.right):
                if (cluster := plan.alignment.cluster_of(node)) is not None:
                    found.append(id(cluster))
    return found


def _differences(
    answer: DraftMerge, plan: Plan, views: dict[str, View], warnings: list[str]
) -> list[Difference]:
    """The differences the model added: each rests on its checked ids, a conflict or framing
    on two sources at least."""
    kept: list[Difference] = []
    for i, item in enumerate(answer.differences, 1):
        where = f"differences[{i}]"
        text, inline = unbracket(item.description, plan.shown, views, where, warnings)
        reports = _unique([*inline, *resolve(item.cites, plan.shown, views, where, warnings)])
        sources = sorted({r.source for r in reports})
        if not text or not reports or (item.kind != "only_in" and len(sources) < 2):
            warnings.append(f"{where} dropped: it cites {len(sources)} source(s) it rests on")
            continue
        text = finished(text, where, warnings)
        if any(d.description == text for d in kept):
            warnings.append(f"{where} dropped: the same as one before it")
            continue
        kept.append(
            Difference(
                kind=item.kind,
                description=text,
                evidence=reports,
                sources=sources,
                described_by="model",
            )
        )
    return kept


def _fallback(plan: Plan) -> tuple[str, str]:
    """Title and summary without the model: the first brief's title, each outlet's summary."""
    briefs = [(v.id, v.brief) for v in plan.views if v.brief is not None]
    if not briefs:
        return "Digest", "No source could be briefed."
    summary = " ".join(f"{sid}: {b.summary}" for sid, b in briefs)
    return briefs[0][1].title, summary


def _timeline(plan: Plan, views: dict[str, View], described: dict[int, str]) -> list[TimelineEvent]:
    events = []
    for cluster in plan.alignment.clusters:
        if not cluster.anchored:
            continue  # a candidate sentence the model did not join to any brief's event
        events.append((_order(cluster, views), _event(plan, cluster, views, described)))
    events.sort(key=lambda item: item[0])
    return [e for _, e in events]


def _order(cluster: Cluster, views: dict[str, View]) -> tuple[bool, str, float]:
    first = min(cluster.members.values(), key=lambda m: m.source)
    dates = [m.event.date for m in cluster.members.values() if m.event and m.event.date]
    view = views[first.source]
    sentence = view.doc[first.sentence]
    where = sentence.start / max(1, len(view.doc.text)) if sentence else 1.0
    return (not dates, min(dates) if dates else "", where)


def _event(
    plan: Plan, cluster: Cluster, views: dict[str, View], described: dict[int, str]
) -> TimelineEvent:
    members = sorted(cluster.members.values(), key=lambda m: m.source)
    briefed = [m.event for m in members if m.event is not None]
    dated = next((e for e in briefed if e.date), None)
    said = [plan.alignment.said[(m.source, m.sentence)] for m in members]
    actors = [plan.cast.name(a) for e in briefed for a in e.actors]
    actors += sorted({a for s in said for a in s.actors})
    text = described.get(id(cluster))
    return TimelineEvent(
        date=dated.date if dated else next((s.date for s in said if s.date), None),
        date_text=dated.date_text
        if dated
        else next((e.date_text for e in briefed if e.date_text), None),
        description=text or (briefed[0].description if briefed else ""),
        described_by="model" if text else "brief",
        actors=list(dict.fromkeys(actors)),
        sources=[m.source for m in members],
        reports=[views[m.source].report(m.sentence, m.via) for m in members],
    )


def _questions(plan: Plan) -> list[DigestQuestion]:
    merged: list[DigestQuestion] = []
    for view in plan.views:
        for q in view.brief.open_questions if view.brief else []:
            ev = q.evidence
            if ev.start is None or ev.end is None:
                continue
            report = view.span(ev.start, ev.end, "brief")
            same = next(
                (
                    m
                    for m in merged
                    if fuzz.token_set_ratio(m.question, q.question) >= SAME_QUESTION
                ),
                None,
            )
            if same is None:
                merged.append(
                    DigestQuestion(question=q.question, evidence=[report], sources=[view.id])
                )
            elif view.id not in same.sources:
                same.evidence.append(report)
                same.sources.append(view.id)
    return merged


def _unique(reports: list[Report]) -> list[Report]:
    seen: set[tuple[str, int]] = set()
    kept = []
    for r in reports:
        if (r.source, r.start) not in seen:
            seen.add((r.source, r.start))
            kept.append(r)
    return kept


def _notes(status: Status, outcome: Outcome, warnings: list[str], plan: Plan) -> list[DigestNote]:
    notes = []
    if status != "ok":
        why = {
            "failed": "the merge request failed",
            "refused": "the model refused the merge request",
            "truncated": "the merge answer was cut off",
            "invalid": "the merge answer did not match its schema",
            "not_asked": "the merge request was not sent",
        }[status]
        notes.append(
            DigestNote(
                kind="merge_failed",
                text=f"Events were aligned by code alone ({why}); the summary is each outlet's own",
                serious=True,
            )
        )
    if n := dropped(warnings):
        notes.append(
            DigestNote(
                kind="cites_dropped",
                text=f"Removed {n} citation{'s' if n != 1 else ''} the model gave to sentences "
                "it was not shown or that do not exist",
                serious=True,
            )
        )
    if (n := len(plan.pairs)) and status == "ok":
        notes.append(
            DigestNote(
                kind="pairs_decided",
                text=f"The model decided {n} pair{'s' if n != 1 else ''} of sentences code could "
                "not align alone",
            )
        )
    return notes
