"""What the sync and async digesters share: every decision about what a brief or the merge
reply means, and how the digest's sources and meta are described.

Sans I/O: the digesters in :mod:`briefgen.digest.run` load sources and talk to the LLM, then
hand each result here, so both make the same digest from the same answers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from briefgen.costs import cost_usd
from briefgen.digest.align import View
from briefgen.digest.assemble import Outcome, digest, parse
from briefgen.digest.differences import headline_and_lead
from briefgen.digest.request import Plan
from briefgen.digest.schema import (
    SOURCE_IDS,
    BriefRecord,
    Digest,
    DigestMeta,
    DigestNote,
    DigestSource,
    MergeRecord,
)
from briefgen.errors import ExtractionError
from briefgen.llm import Connection, Reply, Tally
from briefgen.schema import Briefing, Usage
from briefgen.sentences import Document
from briefgen.settings import Settings
from briefgen.sources import Source, is_url
from briefgen.version import version


def outlet_of(source: Source, given: str | None) -> str | None:
    if given:
        return given
    if is_url(source.origin):
        host = urlsplit(source.origin).hostname or ""
        return host.removeprefix("www.") or None
    return None


def brief_record(brief: Briefing | Exception, spent: Tally, seconds: float) -> BriefRecord:
    if isinstance(brief, Exception):
        return BriefRecord(
            status="failed",
            requests=spent.requests,
            attempts=getattr(brief, "attempts", 0),
            spent=spent.spent,
            seconds=round(seconds, 2),
            error=str(brief),
        )
    return BriefRecord(
        reused=spent.requests == 0,
        requests=spent.requests,
        attempts=brief.meta.attempts,
        spent=spent.spent,
        seconds=round(seconds, 2),
        verified=brief.verified,
    )


def digest_source(
    sid: str, source: Source, brief: Briefing | None, record: BriefRecord, outlet: str | None
) -> DigestSource:
    info = source.info
    url = source.origin if is_url(source.origin) else None
    title = info.title or (brief.source.title if brief else None)
    author = info.author or (brief.source.author if brief else None)
    name = Path(source.origin).name if not url else source.origin
    return DigestSource(
        id=sid,
        title=title,
        outlet=outlet,
        author=author,
        date=info.date or (brief.source.date if brief else None),
        path=None if url else source.origin,
        url=url,
        sha256=hashlib.sha256(source.text.encode("utf-8")).hexdigest(),
        chars=len(source.text),
        label=(outlet or author or name)[:40],
        brief=record,
    )


class DigesterBase:
    """What the sync and async digesters share: settings, the briefer's options, and every
    decision about what a brief or the merge reply means."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        cache_dir: str | Path | None = None,
        allow_private_urls: bool = False,
        on_progress: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings or Settings.load()
        self._cache_dir = cache_dir
        self.allow_private_urls = allow_private_urls
        self._on_progress = on_progress

    def _say(self, step: str) -> None:
        if self._on_progress is not None:
            self._on_progress(step)

    def _views(
        self,
        sources: Sequence[Source],
        briefs: Sequence[Briefing | Exception],
        records: Sequence[BriefRecord],
        outlets: Sequence[str | None],
    ) -> tuple[list[View], list[DigestSource], list[str], list[DigestNote]]:
        if all(isinstance(b, Exception) for b in briefs):
            first = next(b for b in briefs if isinstance(b, Exception))
            raise ExtractionError(f"no source of the digest could be briefed; first: {first}")
        views, described, warnings, notes = [], [], [], []
        for sid, source, brief, record, outlet in zip(
            SOURCE_IDS[: len(sources)], sources, briefs, records, outlets, strict=True
        ):
            made = brief if isinstance(brief, Briefing) else None
            anchor = source.info.date or (made.source.date if made else None)
            named = outlet_of(source, outlet)
            view = View(sid, Document(source.text), made, anchor, named)
            entry = digest_source(sid, source, made, record, named)
            entry.headline, entry.lead = headline_and_lead(view)
            views.append(view)
            described.append(entry)
            if made is None:
                warnings.append(f"sources.{sid}: could not be briefed: {record.error}")
                notes.append(
                    DigestNote(
                        kind="source_failed",
                        text=f"Source {sid} could not be briefed; only its sentences that match "
                        "the others' events are cited",
                        serious=True,
                    )
                )
            elif not made.verified:
                # The brief's own banner, without its "check before publishing": the digest
                # keeps only what it quotes, and says so once, in its own banner if at all.
                said = (made.banner or "").removesuffix(" — check before publishing.")
                notes.append(DigestNote(kind="brief_unverified", text=f"{sid}'s brief: {said}"))
        return views, described, warnings, notes

    @staticmethod
    def _outcome(reply: Reply | Exception) -> Outcome:
        if isinstance(reply, Exception):
            return Outcome("failed", error=str(reply))
        if reply.refusal:
            return Outcome("refused", error=reply.refusal.strip()[:200])
        if reply.finish_reason == "length":
            return Outcome("truncated", error="the answer hit the token limit")
        return Outcome("ok", content=reply.content)

    def _finish(
        self,
        conn: Connection,
        made: Plan,
        described: list[DigestSource],
        warnings: list[str],
        notes: list[DigestNote],
        reply: Reply | Exception,
        merge_spent: Tally,
        seconds: tuple[float, float],
    ) -> Digest:
        outcome = self._outcome(reply)
        if (
            outcome.status == "ok"
            and parse(outcome.content) is not None
            and isinstance(reply, Reply)
        ):
            conn.llm.keep([reply])  # only an answer the digest is made of is worth replaying
        spent = sum((s.brief.spent for s in described), Usage()) + merge_spent.spent
        calls = sum(s.brief.requests for s in described) + merge_spent.requests
        meta = DigestMeta(
            briefgen_version=version(),
            backend=conn.backend,
            model=conn.model,
            created=datetime.now(UTC).replace(microsecond=0).isoformat(),
            calls=calls,
            usage=spent,
            cost_usd=cost_usd(
                spent, conn.model, backend=conn.backend, base_url=str(conn.llm.client.base_url)
            ),
            briefs_reused=sum(1 for s in described if s.brief.reused),
            merge=MergeRecord(
                requests=merge_spent.requests,
                reused=merge_spent.requests == 0 and not isinstance(reply, Exception),
                spent=merge_spent.spent,
                seconds=round(seconds[1], 2),
            ),
            seconds=round(seconds[0], 2),
            warnings=warnings,
            notes=notes,
        )
        return digest(made, outcome, sources=described, meta=meta)
