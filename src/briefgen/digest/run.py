"""Digest several sources of one story: brief each, align them in code, ask the model once.

:class:`Digester` and :class:`AsyncDigester` only do I/O (load the sources, run the briefs
through a :class:`~briefgen.extract.Briefer`, send the one merge request); what to make of each
result is decided by the functions they share here and by the pure modules of this package.
A source already briefed with the same settings costs nothing: its answers come from the
response cache.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from briefgen.costs import cost_usd
from briefgen.digest.align import View
from briefgen.digest.assemble import Outcome, digest, parse
from briefgen.digest.differences import headline_and_lead
from briefgen.digest.render import check_texts
from briefgen.digest.request import Plan, plan
from briefgen.digest.schema import (
    MAX_SOURCES,
    MIN_SOURCES,
    SOURCE_IDS,
    BriefRecord,
    Digest,
    DigestMeta,
    DigestNote,
    DigestSource,
    MergeRecord,
)
from briefgen.errors import (
    ConfigError,
    ExtractionError,
    LLMError,
    RenderError,
    SourceError,
    UnverifiedError,
)
from briefgen.extract import AsyncBriefer, Briefer, version
from briefgen.llm import Connection, Reply, Tally, tally
from briefgen.schema import Briefing, Usage
from briefgen.sentences import Document
from briefgen.settings import Settings
from briefgen.sources import Source, is_url, load_source

if TYPE_CHECKING:  # only llm.py imports openai at run time
    import openai

#: What :meth:`Digester.digest` takes for a source: a path, a URL, ``-`` or a loaded Source.
DigestInput = str | Path | Source


def load_all(inputs: Sequence[DigestInput], *, allow_private_urls: bool = False) -> list[Source]:
    """Load every source of a digest: 2 to 8 of them, standard input at most once.

    Raises:
        ConfigError: too few or too many sources, or ``-`` twice.
        SourceError: a source cannot be loaded (the first such one).
    """
    if not MIN_SOURCES <= len(inputs) <= MAX_SOURCES:
        raise ConfigError(
            f"a digest merges {MIN_SOURCES} to {MAX_SOURCES} sources, got {len(inputs)}: "
            "give the files or URLs that tell one story"
        )
    if sum(1 for i in inputs if not isinstance(i, Source) and str(i) == "-") > 1:
        raise ConfigError("standard input (-) can be only one of a digest's sources")
    return [
        i if isinstance(i, Source) else load_source(i, allow_private_urls=allow_private_urls)
        for i in inputs
    ]


def load_digest(path: str | Path, texts: Mapping[str, str]) -> Digest:
    """Read a digest saved as JSON, checking it was made from ``texts`` (by source id).

    Raises:
        SourceError: unreadable, not a digest, or made from other texts.
    """
    try:
        made = Digest.model_validate_json(Path(path).read_bytes())
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise SourceError(
            f"{path} is not a briefgen JSON digest: make it with --format json"
        ) from exc
    try:
        check_texts(made, texts)
    except RenderError as exc:
        raise SourceError(f"{path} was made from other sources: digest these anew ({exc})") from exc
    return made


def require_verified(made: Digest) -> Digest:
    """``made`` itself when it is verified.

    Raises:
        UnverifiedError: it is not (a source unbriefed, the merge failed, a citation dropped);
            the digest is attached as ``briefing``, to write it anyway.
    """
    if made.verified:
        return made
    line = (made.banner or "").removesuffix(" — check before publishing.")
    raise UnverifiedError(
        f"the digest is not verified: {line}; check it against the sources before publishing",
        briefing=made,
    )


def _outlet(source: Source, given: str | None) -> str | None:
    if given:
        return given
    if is_url(source.origin):
        host = urlsplit(source.origin).hostname or ""
        return host.removeprefix("www.") or None
    return None


def _record(brief: Briefing | Exception, spent: Tally, seconds: float) -> BriefRecord:
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


def _source(
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


class _DigesterBase:
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
            view = View(sid, Document(source.text), made, anchor)
            entry = _source(sid, source, made, record, _outlet(source, outlet))
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
                notes.append(
                    DigestNote(kind="brief_unverified", text=f"{sid}'s brief: {made.banner}")
                )
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


#: A merge that cannot be had leaves code's merge standing; a bad key or model stops the digest.
_MERGE_ERRORS: tuple[type[Exception], ...] = (LLMError, ExtractionError)


class Digester(_DigesterBase):
    """Digests several sources of one story over one LLM connection.

    Example:
        >>> digest = Digester(Settings.load()).digest(["fox.txt", "nyt.html"])  # doctest: +SKIP
        >>> with Digester() as d:  # one connection for many digests       # doctest: +SKIP
        ...     digests = [d.digest(group) for group in groups]
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        client: openai.OpenAI | None = None,
        cache_dir: str | Path | None = None,
        allow_private_urls: bool = False,
        on_progress: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(
            settings,
            cache_dir=cache_dir,
            allow_private_urls=allow_private_urls,
            on_progress=on_progress,
        )
        self._sync_client = client
        self._briefer: Briefer | None = None

    def __enter__(self) -> Digester:
        self._briefer = Briefer(self.settings, client=self._sync_client, cache_dir=self._cache_dir)
        self._briefer.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._briefer is not None:
            self._briefer.__exit__(exc_type, exc, tb)
        self._briefer = None

    def digest(
        self, sources: Sequence[DigestInput], *, outlets: Sequence[str | None] | None = None
    ) -> Digest:
        """Digest ``sources`` (2-8 paths, URLs, ``-`` or loaded :class:`Source` objects).

        Args:
            sources: the accounts of one story; their ids are ``A``, ``B``, ... in this order.
            outlets: each source's outlet name, for badges and legends (else the URL's host).

        Raises:
            ConfigError: not 2-8 sources, stdin twice, or the LLM rejects the key or model.
            SourceError: a source cannot be loaded.
            ExtractionError: no source could be briefed.
        """
        loaded = load_all(sources, allow_private_urls=self.allow_private_urls)
        if self._briefer is None:
            with self:
                return self._digest(loaded, outlets)
        return self._digest(loaded, outlets)

    def _digest(self, loaded: list[Source], outlets: Sequence[str | None] | None) -> Digest:
        briefer = self._briefer
        assert briefer is not None and briefer.connection is not None
        conn = briefer.connection
        started = time.monotonic()
        briefs: list[Briefing | Exception] = []
        records = []
        for sid, source in zip(SOURCE_IDS, loaded, strict=False):
            self._say(f"briefing {sid}: {source.origin}")
            t0 = time.monotonic()
            with tally() as spent:
                try:
                    brief: Briefing | Exception = briefer.brief(source.text, info=source.info)
                except ExtractionError as exc:
                    brief = exc
            briefs.append(brief)
            records.append(_record(brief, spent, time.monotonic() - t0))
        views, described, warnings, notes = self._views(
            loaded, briefs, records, list(outlets or [None] * len(loaded))
        )
        made = plan(views)
        self._say(f"merging: one request about {len(made.shown)} sentences")
        t0 = time.monotonic()
        with tally() as merge_spent:
            try:
                reply: Reply | Exception = conn.llm.complete(made.messages, made.schema)
            except _MERGE_ERRORS as exc:
                reply = exc
        took = (time.monotonic() - started, time.monotonic() - t0)
        return self._finish(conn, made, described, warnings, notes, reply, merge_spent, took)


class AsyncDigester(_DigesterBase):
    """Async twin of :class:`Digester`; briefs of one digest run concurrently on a remote
    server (one after another on the embedded model, which answers one request at a time)."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        client: openai.AsyncOpenAI | None = None,
        cache_dir: str | Path | None = None,
        allow_private_urls: bool = False,
        on_progress: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(
            settings,
            cache_dir=cache_dir,
            allow_private_urls=allow_private_urls,
            on_progress=on_progress,
        )
        self._async_client = client
        self._briefer: AsyncBriefer | None = None

    @property
    def connection(self) -> Connection:
        """The LLM connection of an open digester (``async with``)."""
        if self._briefer is None or self._briefer.connection is None:
            raise RuntimeError("use AsyncDigester with 'async with' to share its connection")
        return self._briefer.connection

    async def __aenter__(self) -> AsyncDigester:
        self._briefer = AsyncBriefer(
            self.settings, client=self._async_client, cache_dir=self._cache_dir
        )
        await self._briefer.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._briefer is not None:
            await self._briefer.__aexit__(exc_type, exc, tb)
        self._briefer = None

    async def digest(
        self, sources: Sequence[DigestInput], *, outlets: Sequence[str | None] | None = None
    ) -> Digest:
        """Async twin of :meth:`Digester.digest`."""
        loaded = await asyncio.to_thread(
            load_all, sources, allow_private_urls=self.allow_private_urls
        )
        if self._briefer is None:
            async with self:
                return await self._digest(loaded, outlets)
        return await self._digest(loaded, outlets)

    async def _brief(self, sid: str, source: Source) -> tuple[Briefing | Exception, BriefRecord]:
        briefer = self._briefer
        assert briefer is not None
        self._say(f"briefing {sid}: {source.origin}")
        t0 = time.monotonic()
        with tally() as spent:
            try:
                brief: Briefing | Exception = await briefer.brief(source.text, info=source.info)
            except ExtractionError as exc:
                brief = exc
        return brief, _record(brief, spent, time.monotonic() - t0)

    async def _digest(self, loaded: list[Source], outlets: Sequence[str | None] | None) -> Digest:
        briefer = self._briefer
        assert briefer is not None and briefer.connection is not None
        conn = briefer.connection
        started = time.monotonic()
        done: list[Any]
        if conn.backend == "embedded":
            done = [await self._brief(i, s) for i, s in zip(SOURCE_IDS, loaded, strict=False)]
        else:
            briefs = (self._brief(i, s) for i, s in zip(SOURCE_IDS, loaded, strict=False))
            done = list(await asyncio.gather(*briefs))
        views, described, warnings, notes = self._views(
            loaded,
            [b for b, _ in done],
            [r for _, r in done],
            list(outlets or [None] * len(loaded)),
        )
        made = plan(views)
        self._say(f"merging: one request about {len(made.shown)} sentences")
        t0 = time.monotonic()
        with tally() as merge_spent:
            try:
                reply: Reply | Exception = await conn.llm.acomplete(made.messages, made.schema)
            except _MERGE_ERRORS as exc:
                reply = exc
        took = (time.monotonic() - started, time.monotonic() - t0)
        return self._finish(conn, made, described, warnings, notes, reply, merge_spent, took)
