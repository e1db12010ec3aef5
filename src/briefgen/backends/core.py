"""The sans-I/O core of one structured-output request: what to send, retry, fall back or stop.

:class:`Core` builds the request, answers it from the response cache, counts it, and decides
after each failed attempt whether to wait and resend (transport faults: 429 honouring
``Retry-After``, 5xx, timeouts, dropped connections, with bounded exponential backoff, jitter and
an overall deadline), drop from json_schema to json_object (``auto`` mode), or give up with an
error that says what to do. It does no I/O: :meth:`Core.exchange` yields :class:`Send` and
:class:`Sleep` steps, and :class:`briefgen.llm.LLM` carries them out, once blocking and once with
``await``, so the sync and async paths cannot drift apart. Validation re-asks live one level up,
in :mod:`briefgen.extract`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import time
from collections.abc import Awaitable, Callable, Generator, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from briefgen.backends.base import Backend, Client, Fault, Messages, Reply, StructuredMode
from briefgen.backends.compatible import Compatible
from briefgen.cache import ResponseCache, request_key
from briefgen.errors import ConfigError
from briefgen.events import OnEvent, TransportRetry, emit
from briefgen.limits import RunLimiter
from briefgen.redaction import redact, redact_error
from briefgen.schema import Usage
from briefgen.settings import Mode, Settings

log = logging.getLogger(__name__)
#: Longest wait a server's Retry-After may impose before we retry anyway.
MAX_RETRY_AFTER = 120.0


def backoff(attempt: int) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1-based) when the server names none:
    exponential from 1 s, capped at 30 s, plus up to 1 s of jitter so workers spread out."""
    return max(0.0, min(2.0 ** (attempt - 1) + random.uniform(0, 1.0), 30.0))


@dataclass(frozen=True)
class Timing:
    """How the retry loop tells time and waits; tests pass fakes, nothing patches a global.

    Attributes:
        sleep: a blocking wait, for sync callers.
        asleep: an awaitable wait, for async callers.
        clock: monotonic seconds, for the overall deadline.
        backoff: seconds to wait after a failed attempt when the server names none.
    """

    sleep: Callable[[float], object] = time.sleep
    asleep: Callable[[float], Awaitable[object]] = asyncio.sleep
    clock: Callable[[], float] = time.monotonic
    backoff: Callable[[int], float] = backoff


@dataclass
class Tally:
    """What the calls made inside one :func:`tally` block cost: requests and tokens spent."""

    requests: int = 0
    spent: Usage = field(default_factory=Usage)


_TALLY: ContextVar[Tally | None] = ContextVar("briefgen_tally", default=None)


@contextmanager
def tally() -> Iterator[Tally]:
    """Count the HTTP requests and tokens of every LLM call in this block (per asyncio task).

    A batch wraps each source in one, so concurrent sources over one client are counted apart;
    answers served from the response cache spend nothing.
    """
    current = Tally()
    token = _TALLY.set(current)
    try:
        yield current
    finally:
        _TALLY.reset(token)


@dataclass(frozen=True)
class Send:
    """Send ``body`` (once the rate limiter admits it); answer with the body or the exception."""

    body: dict[str, Any]


@dataclass(frozen=True)
class Sleep:
    """Wait ``seconds`` before the next step; answer with None."""

    seconds: float


Step = Send | Sleep
#: What a driver sends back into :meth:`Core.exchange` after a step.
Outcome = dict[str, Any] | Exception | None


class Retries:
    """Transport retries of one request, bounded by count and by an overall deadline.

    Args:
        settings: the retry budget (``transport_retries``) and ``deadline``.
        timing: the clock and the backoff.
        on_event: told of every retry, with its wait.
    """

    def __init__(self, settings: Settings, timing: Timing, on_event: OnEvent | None) -> None:
        self.settings = settings
        self.timing = timing
        self.on_event = on_event
        self.started = timing.clock()
        self.attempts = 0

    def after(self, fault: Fault) -> float | None:
        """Seconds to wait before resending after ``fault``; None to give up."""
        self.attempts += 1
        if not fault.transient:
            return None
        retries = self.settings.transport_retries
        elapsed = self.timing.clock() - self.started
        if self.attempts > retries or elapsed >= self.settings.deadline:
            return None
        if fault.retry_after is not None:
            wait = min(fault.retry_after, MAX_RETRY_AFTER)
        else:
            wait = float(self.timing.backoff(self.attempts))
        emit(log, self.on_event, TransportRetry(fault.summary, wait, self.attempts, retries))
        return wait


@dataclass
class Core:
    """A structured-output caller's state and decisions, without I/O (see the module docstring).

    Args:
        client: the backend's client (an ``openai.OpenAI`` or ``AsyncOpenAI`` for the shipped
            backends), configured by :meth:`Backend.configure`: its own retries are disabled.
        model: the model name sent with every request.
        settings: timeouts, retry budget, mode, sampling.
        backend: the kind of server (:mod:`briefgen.backends`); its name labels the brief.
        timing: how retries wait and tell time (tests pass fakes).
        cache: answer repeated requests from disk instead of the server.
        limiter: run-wide rate limits and 429 back-off shared with other concurrent calls.
        on_event: told of every transport retry (see :mod:`briefgen.events`).
    """

    client: Client
    model: str
    settings: Settings
    backend: Backend = field(default_factory=Compatible)
    timing: Timing = field(default_factory=Timing)
    cache: ResponseCache | None = None
    limiter: RunLimiter | None = None
    on_event: OnEvent | None = None
    mode: Mode = field(init=False)
    calls: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.client = self.backend.configure(self.client, self.settings)
        self.mode = self.settings.mode
        if self.mode != "auto" and self.mode not in self.backend.capabilities.modes:
            raise ConfigError(
                f"the {self.backend.name} backend does not serve mode {self.mode!r}: "
                f"use one of {', '.join(sorted(self.backend.capabilities.modes))} or auto"
            )

    # -- request shape -----------------------------------------------------------------------

    @property
    def wire_mode(self) -> StructuredMode:
        """The mode requests go out in now: ``auto`` asks json_schema until it falls back."""
        return "json_schema" if self.mode == "auto" else self.mode

    def request_body(self, messages: Messages, schema: type[BaseModel]) -> dict[str, Any]:
        """The JSON body of the request for ``messages``: exactly what goes on the wire, and
        what cache keys and Batch API lines are made of."""
        return self.backend.request_body(
            messages, schema, model=self.model, mode=self.wire_mode, settings=self.settings
        )

    def request_id(self, messages: Messages, schema: type[BaseModel]) -> str:
        """A stable key of the request for ``messages``: its body and the server it goes to."""
        scope = self.backend.cache_scope(str(self.client.base_url))
        return request_key(self.request_body(messages, schema), scope)

    def cache_key(self, messages: Messages, schema: type[BaseModel]) -> str | None:
        """The response-cache key of the request for ``messages``; None without a cache."""
        if self.cache is None:
            return None
        return self.request_id(messages, schema)

    def reply(self, data: dict[str, Any], *, calls: int = 1, cache_key: str | None = None) -> Reply:
        """Read a chat-completion response body (from the server, the cache or a batch file).

        Args:
            data: the response body.
            calls: HTTP requests it took.
            cache_key: where :meth:`briefgen.llm.LLM.keep` stores it if the caller accepts it.
        """
        parsed = self.backend.parse(data, mode=self.wire_mode, model=self.model)
        kept = cache_key if self.cache is not None else None
        return dataclasses.replace(parsed, calls=calls, cache_key=kept)

    # -- one request -------------------------------------------------------------------------

    def exchange(
        self, messages: Messages, schema: type[BaseModel]
    ) -> Generator[Step, Outcome, Reply]:
        """The steps of asking once for ``messages`` (with transport retries and the auto-mode
        fallback); returns the raw structured answer.

        A driver sends the response body or the raised exception back in after a
        :class:`Send`, and None after a :class:`Sleep`.
        """
        while True:
            body = self.request_body(messages, schema)
            key = self.cache_key(messages, schema)
            if key and self.cache and (hit := self.cache.get(key)) is not None:
                log.debug("answer %s… from the response cache", key[:12])
                return self.reply(hit, calls=0)
            self._sending(body, schema)
            retries = Retries(self.settings, self.timing, self.on_event)
            calls = 0
            while True:
                self.calls += 1
                calls += 1
                if (counter := _TALLY.get()) is not None:
                    counter.requests += 1
                outcome = yield Send(body)
                if isinstance(outcome, dict):
                    return self._received(key, outcome, calls)
                assert isinstance(outcome, Exception), "a Send is answered with a body or an error"
                fault = self.backend.fault(outcome)
                if fault is None:
                    raise outcome
                if fault.rate_limited and self.limiter is not None:
                    self.limiter.back_off(fault.retry_after)  # hold back every worker, not just us
                wait = retries.after(fault)
                if wait is None:
                    break
                yield Sleep(wait)
            if self._fallback(fault):
                continue
            raise self.error(outcome) from outcome

    def retrying(self, exc: Exception, retries: Retries) -> float:
        """Seconds to wait before repeating a call that raised ``exc`` (any backend call, not
        only a chat request).

        Raises:
            Exception: the error to raise instead, when ``exc`` is not worth retrying.
        """
        fault = self.backend.fault(exc)
        if fault is None:
            raise exc
        wait = retries.after(fault)
        if wait is None:
            raise self.error(exc) from exc
        return wait

    def _fallback(self, fault: Fault) -> bool:
        """In auto mode, drop to json_object once when the server rejects json_schema."""
        if self.mode != "auto" or not fault.rejects_schema:
            return False
        log.info("%s rejected a json_schema request: asking with json_object", self._safe_where())
        self.mode = "json_object"
        return True

    def _received(self, key: str | None, data: dict[str, Any], calls: int) -> Reply:
        reply = self.reply(data, calls=calls, cache_key=key)
        if (counter := _TALLY.get()) is not None:
            counter.spent = counter.spent + reply.usage
        return reply

    def _sending(self, body: dict[str, Any], schema: type[BaseModel]) -> None:
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "POST %s%s: model %s, %s, %d messages, %d characters",
                self._safe_where(),
                self.backend.path,
                self.model,
                schema.__name__,
                len(body["messages"]),
                sum(len(str(m.get("content") or "")) for m in body["messages"]),
            )

    # -- errors ------------------------------------------------------------------------------

    def _where(self) -> str:
        return str(self.client.base_url).rstrip("/")

    def _secrets(self) -> list[str | None]:
        return [self.settings.api_key, self.client.api_key]

    def _safe_where(self) -> str:
        """The server's URL for a log line: a password in it masked."""
        return redact(self._where(), self._secrets())

    def error(self, exc: BaseException) -> Exception:
        """The error to raise for ``exc``, a server's echo of the key or a password masked."""
        described = self.backend.error(
            exc, where=self._where(), model=self.model, settings=self.settings
        )
        return redact_error(described, self._secrets())
