"""From source text to a grounded :class:`Briefing`: ask, check, and ask again only if needed.

:class:`Session` holds the loop's state and never does I/O, so the sync and async drivers share
every decision. A parsed answer is settled in code; a short request for missing stances may
follow, once. Only an answer that does not parse (or was cut off) is asked for again, bounded by
``max_attempts`` and ``max_total_tokens``; each re-ask sends the fixed prompt, the model's latest
answer and the exact problems, never the whole history. Token usage is summed over every
attempt, failed ones included.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeAlias, cast

from briefgen import assemble, chunking, merge, prompts, speakers
from briefgen.cache import ResponseCache
from briefgen.errors import ExtractionError, RefusalError, SourceError, TruncatedError
from briefgen.events import Answered, OnEvent, PartStarted, Planned, Requesting, emit
from briefgen.review import (
    Review,
    answer_text,
    apply_stances,
    check,
    check_answer,
    read_stances,
    unwritten,
)
from briefgen.schema import (
    MAX_POSITIONS,
    Briefing,
    Draft,
    DraftStances,
    SourceInfo,
    Usage,
    pinned,
    pinned_stances,
)
from briefgen.sentences import Document
from briefgen.settings import Settings
from briefgen.version import version

if TYPE_CHECKING:
    import openai  # only llm.py imports openai at run time

    from briefgen.llm import Connection, Reply

log = logging.getLogger(__name__)

TRUNCATED = (
    "Your answer was cut off at the token limit. Send the JSON object again with fewer and "
    "shorter items: short descriptions and stances."
)


class Session:
    """The state of briefing one source: what to send next and what to make of each reply.

    Args:
        source: the source text as loaded; every offset refers to it.
        settings: the attempt and token budgets.
        info: metadata the loader already knows (wins over what the model reads off the text).
        part: ``(index, total)`` when ``source`` is one chunk of a longer source.
    """

    def __init__(
        self,
        source: str,
        settings: Settings,
        *,
        info: SourceInfo | None = None,
        part: tuple[int, int] = (1, 1),
        doc: Document | None = None,
    ) -> None:
        if not source.strip():
            raise SourceError("the source is empty: give a file or text with something to brief")
        self.source = source
        self.doc = doc if doc is not None else Document(source)
        self.settings = settings
        self.info = info or SourceInfo()
        quoted = speakers.quoted(self.doc)[:MAX_POSITIONS]
        self.base = prompts.messages(
            self.doc,
            quoted=quoted,
            publication_date=self.info.date,
            chunk_index=part[0],
            chunk_total=part[1],
        )
        #: The draft's schema: its positions pinned to the people the text quotes.
        self.draft_schema = pinned([(q.name, q.sentence) for q in quoted])
        self.next_messages: list[dict[str, Any]] = list(self.base)
        #: What the next request asks for: the whole draft, or the stances ``self.current``'s
        #: draft lacks.
        self.next_schema: type[Draft] | type[DraftStances] = self.draft_schema
        self.current: Review | None = None
        self.attempts = 0
        self.usage = Usage()
        self.last_content: str | None = None
        self.last_problems: list[str] | None = None
        #: Whether the stances of positions code added were asked for: once a source.
        self.stanced = False
        #: How many speakers' stances that request asks for.
        self.asked_speakers = 0
        #: The replies the briefing is made of: the draft that parsed, and a stances answer
        #: that could be read. Only these are worth caching (see :meth:`LLM.keep`).
        self.accepted: list[Reply] = []
        self.mode = settings.mode

    def request_event(self, number: int) -> Requesting:
        """What the next request asks for, as the event a progress display shows."""
        if issubclass(self.next_schema, DraftStances):
            return Requesting(number, "stances", speakers=self.asked_speakers)
        if self.attempts:
            return Requesting(number, "reask", problems=len(self.last_problems or ()))
        return Requesting(number, "draft")

    def _out_of_budget(self) -> bool:
        return (
            self.attempts >= self.settings.max_attempts
            or self.usage.total_tokens >= self.settings.max_total_tokens
        )

    def feed(self, reply: Reply, *, backend: str, model: str) -> Briefing | None:
        """Take one reply; return the finished briefing, or None when another ask is needed.

        Raises:
            RefusalError: the model refused.
            TruncatedError: the last allowed answer was cut off at the token limit.
            ExtractionError: no answer ever matched the schema within the budget.
        """
        self.attempts += 1
        self.usage = self.usage + reply.usage
        # At temperature 0 a small model may send back its previous answer unchanged, or with
        # the same problems: another re-ask costs a whole answer for the same result, so either
        # ends the re-asks.
        repeated = reply.content is not None and reply.content == self.last_content
        self.last_content = reply.content
        self.mode = reply.mode
        if reply.refusal:
            raise RefusalError(
                f"the model refused to brief this source ({reply.refusal.strip()[:200]}): "
                "try another model",
                attempts=self.attempts,
                usage=self.usage,
                last_output=reply.content,
            )
        if issubclass(self.next_schema, DraftStances) and self.current is not None:
            result = self._with_stances(reply, self.current)
            if reply.finish_reason != "length" and read_stances(reply.content) is not None:
                self.accepted.append(reply)
        elif reply.finish_reason == "length":
            result = Review(None, [TRUNCATED])
        else:
            result = check_answer(reply.content, self.doc, anchor=self.info.date)
        if result.draft is not None:
            if self.next_schema is self.draft_schema:
                self.accepted.append(reply)
            if (
                unwritten(result.draft)
                and not self.stanced
                and self.usage.total_tokens < self.settings.max_total_tokens
            ):
                self._ask_stances(result)
                return None
            return self._build(result, backend=backend, model=model)
        # Only an answer that does not parse, or was cut off, is asked for again, whole.
        repeated |= result.problems == self.last_problems
        self.last_problems = result.problems
        if self._out_of_budget() or repeated:
            error = TruncatedError if reply.finish_reason == "length" else ExtractionError
            reason = (
                "its answers were cut off at the token limit"
                if error is TruncatedError
                else "no answer matched the briefing schema"
            )
            raise error(
                f"the model could not brief this source in {self.attempts} attempt(s): {reason}; "
                "raise BRIEFGEN_MAX_OUTPUT_TOKENS / --max-attempts or try a stronger model",
                attempts=self.attempts,
                usage=self.usage,
                last_output=reply.content,
            )
        # The problems may quote the answer, hence the source: never logged above DEBUG.
        log.debug("answer %d does not parse: %s", self.attempts, "; ".join(result.problems))
        self.next_schema, self.current = self.draft_schema, None
        self.next_messages = [
            *self.base,
            {"role": "assistant", "content": answer_text(reply.content)},
            {"role": "user", "content": prompts.reask(result.problems)},
        ]
        return None

    def _ask_stances(self, result: Review) -> None:
        """Ask for the stances of the positions without one, once a source.

        Those of speakers code added, or whose stance was a title: asked without the answer,
        which a small model copies from. Outside max_attempts: the request is a few sentences,
        and a spent budget must not cost a brief its speakers.
        """
        assert result.draft is not None
        self.stanced = True
        quoted = [
            (p.actor, self.source[s.start : s.end] if s else self.doc.words(p.sentence))
            for p, s in zip(result.draft.positions, result.spans, strict=True)
            if not p.stance.strip()
        ]
        self.next_schema = pinned_stances([speaker for speaker, _ in quoted])
        self.asked_speakers = len(quoted)
        self.current = result
        self.next_messages = [*self.base, {"role": "user", "content": prompts.stances(quoted)}]

    def _with_stances(self, reply: Reply, current: Review) -> Review:
        """Review ``current``'s draft with the stances in ``reply`` written in (or dropped)."""
        assert current.draft is not None
        content = reply.content if reply.finish_reason != "length" else None
        draft, notes = apply_stances(current.draft, content)
        # Stances are asked once: no speaker is added from now on.
        result = check(draft, self.doc, anchor=self.info.date, add_speakers=False)
        result.repairs = [*current.repairs, *notes, *result.repairs]
        return result

    def _build(self, result: Review, *, backend: str, model: str) -> Briefing:
        return assemble.briefing(
            result,
            self.doc,
            info=self.info,
            backend=backend,
            model=model,
            mode=self.mode,
            attempts=self.attempts,
            usage=self.usage,
            version=version(),
        )


def chunks_for(text: str, settings: Settings, backend: str | None = None) -> list[chunking.Chunk]:
    """The chunks ``text`` will be briefed in with ``backend``: one when it fits the budget."""
    return chunking.split(text, settings.input_budget(backend))


def part_sessions(
    text: str, chunks: Sequence[chunking.Chunk], settings: Settings, info: SourceInfo | None
) -> Iterator[tuple[chunking.Chunk, Session]]:
    """One session per chunk of ``text``, made as they are needed.

    The parts share one numbering of the whole source's sentences, so a part's prompt shows its
    own sentences under their global numbers (and a sentence a boundary cuts keeps its number).
    """
    whole = Document(text)
    for i, chunk in enumerate(chunks, 1):
        part = (i, len(chunks))
        doc = whole.part(chunk.start, chunk.end)
        yield chunk, Session(chunk.of(text), settings, info=info, part=part, doc=doc)


#: A brief's parts as sessions to run; each is sent back its briefing or the error that ended it.
_PartFlow: TypeAlias = Generator["Session", "Briefing | ExtractionError", Briefing]


def _send(flow: _PartFlow, outcome: Briefing | ExtractionError) -> Session | Briefing:
    """Send a part's outcome into ``flow``: the next part's session, or the finished brief."""
    try:
        return flow.send(outcome)
    except StopIteration as finished:
        return cast(Briefing, finished.value)


class _BrieferBase:
    """What the sync and async briefers share: settings, one connection, the response cache."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        client: openai.OpenAI | openai.AsyncOpenAI | None = None,
        cache_dir: str | Path | None = None,
        on_event: OnEvent | None = None,
    ):
        self.settings = settings or Settings.load()
        self._client = client
        self._cache_dir = cache_dir
        self._cm: Any = None
        self.connection: Connection | None = None
        self.on_event = on_event

    def _open(self, *, asynchronous: bool) -> None:
        # Imported here, not at the top: loading a saved brief, or importing briefgen, should
        # not pay for the OpenAI SDK (~0.3 s).
        from briefgen.llm import connect

        self._cm = connect(
            self.settings, client=self._client, asynchronous=asynchronous, on_event=self.on_event
        )
        self.connection = self._cm.__enter__()
        if self._cache_dir is not None:
            self.connection.llm.cache = ResponseCache(self._cache_dir)

    def _close(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._cm is not None:
            self._cm.__exit__(exc_type, exc, tb)
        self._cm = self.connection = None

    def _chunks(self, text: str, usage: str) -> list[chunking.Chunk]:
        if self.connection is None:
            raise RuntimeError(usage)
        chunks = chunks_for(text, self.settings, self.connection.backend)
        budget = self.settings.input_budget(self.connection.backend)
        emit(log, self.on_event, Planned(len(text), len(chunks), budget))
        if len(chunks) > self.settings.max_parts:
            raise SourceError(
                f"the source is too long to brief: {len(chunks)} parts, over the limit of "
                f"{self.settings.max_parts}; split it, or raise --max-parts"
            )
        return chunks

    def _sessions(self, text: str, info: SourceInfo | None, usage: str) -> _PartFlow:
        """The sessions briefing ``text`` takes, one per part; each is sent back its outcome.

        What the sync and async briefers share: they run each session against the LLM and
        send its briefing (or the ExtractionError that ended it) back in. A text that fits the
        budget is one part; a longer one is briefed part by part, then merged, and one part that
        fails does not lose the others. Parts go one after another: concurrency is the batch's
        to spend, across sources.
        """
        chunks = self._chunks(text, usage)
        if len(chunks) == 1:
            outcome = yield Session(text, self.settings, info=info, part=(1, 1))
            if isinstance(outcome, ExtractionError):
                raise outcome
            return outcome
        parts: list[merge.Part] = []
        for i, (chunk, session) in enumerate(part_sessions(text, chunks, self.settings, info), 1):
            emit(log, self.on_event, PartStarted(i, len(chunks)))
            outcome = yield session
            if isinstance(outcome, ExtractionError):
                log.info("part %d of %d could not be briefed: %s", i, len(chunks), outcome)
            parts.append((chunk, outcome))
        return merge.join_parts(text, parts)

    def _asking(self, session: Session, sent: int) -> int:
        """Announce ``session``'s next request; return its number in this brief.

        Args:
            session: the part being briefed.
            sent: requests this brief's earlier parts made.
        """
        number = sent + session.attempts + 1
        emit(log, self.on_event, session.request_event(number))
        return number

    def _answered(self, number: int, reply: Reply, started: float) -> None:
        seconds = time.monotonic() - started
        usage, cached = reply.usage, reply.calls == 0
        rate = None if cached else _generation_rate(reply)
        answered = Answered(
            number, seconds, usage.completion_tokens, usage.prompt_tokens, cached, rate
        )
        emit(log, self.on_event, answered)


def _generation_rate(reply: Reply) -> float | None:
    """Tokens written per second as the server measured it (llama.cpp's ``timings``)."""
    timings = (reply.raw or {}).get("timings")
    rate = timings.get("predicted_per_second") if isinstance(timings, dict) else None
    return float(rate) if isinstance(rate, (int, float)) and rate > 0 else None


class Briefer(_BrieferBase):
    """Briefs many sources over one LLM connection (one embedded server for a whole batch).

    Example:
        >>> with Briefer(Settings.load()) as briefer:  # doctest: +SKIP
        ...     briefing = briefer.brief(text)
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        client: openai.OpenAI | None = None,
        cache_dir: str | Path | None = None,
        on_event: OnEvent | None = None,
    ):
        super().__init__(settings, client=client, cache_dir=cache_dir, on_event=on_event)

    def __enter__(self) -> Briefer:
        self._open(asynchronous=False)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._close(exc_type, exc, tb)

    def brief(self, text: str, *, info: SourceInfo | None = None) -> Briefing:
        """Brief one source text; one over the input budget is briefed in chunks, then merged."""
        flow = self._sessions(text, info, "use Briefer as a context manager: with Briefer() as b")
        step: Session | Briefing = next(flow)
        sent = 0
        while isinstance(step, Session):
            try:
                outcome: Briefing | ExtractionError = self._run(step, sent)
            except ExtractionError as exc:  # one part's failure: the flow decides
                outcome = exc
            sent += step.attempts
            step = _send(flow, outcome)
        return step

    def _run(self, session: Session, sent: int) -> Briefing:
        conn = self.connection
        assert conn is not None
        while True:
            number, started = self._asking(session, sent), time.monotonic()
            reply = conn.llm.complete(session.next_messages, session.next_schema)
            self._answered(number, reply, started)
            done = session.feed(reply, backend=conn.backend, model=conn.model)
            if done is not None:
                conn.llm.keep(session.accepted)
                return done


class AsyncBriefer(_BrieferBase):
    """Async twin of :class:`Briefer`; briefs may run concurrently over one connection."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        client: openai.AsyncOpenAI | None = None,
        cache_dir: str | Path | None = None,
        on_event: OnEvent | None = None,
    ):
        super().__init__(settings, client=client, cache_dir=cache_dir, on_event=on_event)

    async def __aenter__(self) -> AsyncBriefer:
        self._open(asynchronous=True)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.connection is not None:
            await self.connection.aclose()
        self._close(exc_type, exc, tb)

    async def brief(self, text: str, *, info: SourceInfo | None = None) -> Briefing:
        """Brief one source text; one over the input budget is briefed in chunks, then merged."""
        flow = self._sessions(text, info, "use AsyncBriefer with 'async with'")
        step: Session | Briefing = next(flow)
        sent = 0
        while isinstance(step, Session):
            try:
                outcome: Briefing | ExtractionError = await self._run(step, sent)
            except ExtractionError as exc:  # one part's failure: the flow decides
                outcome = exc
            sent += step.attempts
            step = _send(flow, outcome)
        return step

    async def ask(self, session: Session) -> Reply:
        """Send ``session``'s next request and return the answer.

        The one place this briefer gets answers: the Batch API run overrides it to answer
        from the batch's results (:mod:`briefgen.batch.provider`), so its briefs go through
        every step and guard of this class.
        """
        conn = self.connection
        assert conn is not None
        return await conn.llm.acomplete(session.next_messages, session.next_schema)

    async def _run(self, session: Session, sent: int) -> Briefing:
        conn = self.connection
        assert conn is not None
        while True:
            number, started = self._asking(session, sent), time.monotonic()
            reply = await self.ask(session)
            self._answered(number, reply, started)
            done = session.feed(reply, backend=conn.backend, model=conn.model)
            if done is not None:
                conn.llm.keep(session.accepted)
                return done


def load_briefing(path: str | Path, source: str | None = None) -> Briefing:
    """Read a briefing saved as JSON, checking it was made from ``source`` when one is given.

    Raises:
        SourceError: unreadable or not a briefing, or made from a different source text.
    """
    try:
        briefing = Briefing.model_validate_json(Path(path).read_bytes())
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise SourceError(
            f"{path} is not a briefgen JSON brief: make it with --format json"
        ) from exc
    if source is None:
        return briefing
    if hashlib.sha256(source.encode("utf-8")).hexdigest() != briefing.meta.source_sha256:
        raise SourceError(f"{path} was made from a different source text: brief this one anew")
    # What a reader sees is the source's own words at the evidence's offsets, never a quote as
    # a model (or an older briefgen) typed it.
    for ev in briefing.evidence():
        if ev.start is not None and ev.end is not None and 0 <= ev.start < ev.end <= len(source):
            ev.quote = source[ev.start : ev.end]
    return briefing


def generate_brief(
    text: str,
    *,
    settings: Settings | None = None,
    client: openai.OpenAI | None = None,
    info: SourceInfo | None = None,
    cache_dir: str | Path | None = None,
    on_event: OnEvent | None = None,
) -> Briefing:
    """Brief one source text with the configured LLM (the embedded model when none is set).

    Args:
        text: the source text; evidence offsets refer to it exactly as given.
        settings: backend, model and budgets; ``Settings.load()`` when omitted.
        client: your own configured ``openai.OpenAI`` client (base URL, key, headers).
        info: metadata you already know (title, author, date); wins over the model's reading.
        cache_dir: reuse LLM answers stored here for identical requests (and store new ones),
            so briefing the same text again, e.g. for another format, costs no tokens.
        on_event: called with each step (model loading, parts, requests, answers, retries;
            see :mod:`briefgen.events`), e.g. to show progress. Nothing is printed.

    Raises:
        BriefgenError: one of its subclasses, with a message that says what to do next.
    """
    with Briefer(settings, client=client, cache_dir=cache_dir, on_event=on_event) as briefer:
        return briefer.brief(text, info=info)


async def agenerate_brief(
    text: str,
    *,
    settings: Settings | None = None,
    client: openai.AsyncOpenAI | None = None,
    info: SourceInfo | None = None,
    cache_dir: str | Path | None = None,
    on_event: OnEvent | None = None,
) -> Briefing:
    """Async twin of :func:`generate_brief`."""
    async with AsyncBriefer(
        settings, client=client, cache_dir=cache_dir, on_event=on_event
    ) as briefer:
        return await briefer.brief(text, info=info)
