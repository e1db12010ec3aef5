"""Digest several sources of one story: brief each, align them in code, ask the model once.

:class:`Digester` and :class:`AsyncDigester` only do I/O (load the sources, run the briefs
through a :class:`~briefgen.extract.Briefer`, send the one merge request); what to make of each
result is decided by what they share (:mod:`briefgen.digest.core`) and the pure modules of
this package.
A source already briefed with the same settings costs nothing: its answers come from the
response cache.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from briefgen.digest.core import DigesterBase, brief_record
from briefgen.digest.render import check_texts
from briefgen.digest.request import plan
from briefgen.digest.schema import (
    MAX_SOURCES,
    MIN_SOURCES,
    SOURCE_IDS,
    BriefRecord,
    Digest,
)
from briefgen.errors import (
    ConfigError,
    ExtractionError,
    LLMError,
    RenderError,
    SourceError,
    UnverifiedError,
)
from briefgen.extract import AsyncBriefer, Briefer
from briefgen.llm import Connection, Reply, tally
from briefgen.schema import Briefing
from briefgen.settings import Settings
from briefgen.sources import Source, load_source

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


#: A merge that cannot be had leaves code's merge standing; a bad key or model stops the digest.
_MERGE_ERRORS: tuple[type[Exception], ...] = (LLMError, ExtractionError)


class Digester(DigesterBase):
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

    @property
    def briefer(self) -> Briefer:
        """The open digester's :class:`Briefer`: its connection and response cache, to brief
        sources alone with (``with Digester() as d: d.briefer.brief(text)``)."""
        if self._briefer is None:
            raise RuntimeError("use Digester as a context manager: with Digester() as d")
        return self._briefer

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

    def _brief(self, sid: str, source: Source) -> tuple[Briefing | Exception, BriefRecord]:
        briefer = self._briefer
        assert briefer is not None
        self._say(f"briefing {sid}: {source.origin}")
        t0 = time.monotonic()
        with tally() as spent:
            try:
                brief: Briefing | Exception = briefer.brief(source.text, info=source.info)
            except ExtractionError as exc:
                brief = exc
        return brief, brief_record(brief, spent, time.monotonic() - t0)

    def _digest(self, loaded: list[Source], outlets: Sequence[str | None] | None) -> Digest:
        briefer = self._briefer
        assert briefer is not None and briefer.connection is not None
        conn = briefer.connection
        started = time.monotonic()
        done = [self._brief(i, s) for i, s in zip(SOURCE_IDS, loaded, strict=False)]
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
                reply: Reply | Exception = conn.llm.complete(made.messages, made.schema)
            except _MERGE_ERRORS as exc:
                reply = exc
        took = (time.monotonic() - started, time.monotonic() - t0)
        return self._finish(conn, made, described, warnings, notes, reply, merge_spent, took)


class AsyncDigester(DigesterBase):
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
        return brief, brief_record(brief, spent, time.monotonic() - t0)

    async def _digest(self, loaded: list[Source], outlets: Sequence[str | None] | None) -> Digest:
        briefer = self._briefer
        assert briefer is not None and briefer.connection is not None
        conn = briefer.connection
        started = time.monotonic()
        done: list[Any]
        if conn.capabilities.concurrency == 1:
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
