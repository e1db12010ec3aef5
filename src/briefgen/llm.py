"""The LLM caller briefgen's code uses: one backend, one client, sync and async drivers.

The request itself (its body, the cache, transport retries, the auto-mode fallback, errors) is
decided in the sans-I/O :class:`briefgen.backends.core.Core`; :class:`LLM` only carries out its
steps, blocking in :meth:`LLM.complete` and awaiting in :meth:`LLM.acomplete`. Which server and
how to talk to it is the backend's (:mod:`briefgen.backends`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from briefgen import backends
from briefgen.backends.base import Backend, Reply
from briefgen.backends.core import Core, Outcome, Retries, Sleep, Step, Tally, Timing, tally
from briefgen.backends.sdk import AsyncClient

if TYPE_CHECKING:
    from pydantic import BaseModel

    from briefgen.events import OnEvent
    from briefgen.settings import Settings

__all__ = [
    "LLM",
    "AsyncClient",
    "Connection",
    "Reply",
    "Tally",
    "Timing",
    "connect",
    "tally",
]

log = logging.getLogger(__name__)
Messages = list[dict[str, Any]]
T = TypeVar("T")


@dataclass
class LLM(Core):
    """A structured-output caller over one backend's client, sync or async.

    Takes :class:`briefgen.backends.core.Core`'s arguments; the client decides which of
    :meth:`complete` and :meth:`acomplete` works.
    """

    def complete(self, messages: Messages, schema: type[BaseModel]) -> Reply:
        """Ask once (with transport retries) and return the raw structured answer."""
        steps = self.exchange(messages, schema)
        outcome: Outcome = None
        while True:
            try:
                step = steps.send(outcome)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            outcome = self._do(step)

    async def acomplete(self, messages: Messages, schema: type[BaseModel]) -> Reply:
        """Async twin of :meth:`complete`: the same steps, awaited."""
        steps = self.exchange(messages, schema)
        outcome: Outcome = None
        while True:
            try:
                step = steps.send(outcome)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            outcome = await self._ado(step)

    def _do(self, step: Step) -> Outcome:
        if isinstance(step, Sleep):
            self.timing.sleep(step.seconds)
            return None
        if self.limiter is not None:
            self.limiter.acquire_blocking(step.body)
        try:
            return self.backend.post(self.client, step.body)
        except Exception as exc:  # the core decides what it means
            return exc

    async def _ado(self, step: Step) -> Outcome:
        if isinstance(step, Sleep):
            await self.timing.asleep(step.seconds)
            return None
        if self.limiter is not None:
            await self.limiter.acquire(step.body)
        try:
            return await self.backend.apost(self.client, step.body)
        except Exception as exc:  # the core decides what it means
            return exc

    async def aretry(self, call: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Run another async backend call (Batch API upload, poll, download) under the same
        transport-retry policy and error messages as the chat requests."""
        retries = Retries(self.settings, self.timing, self.on_event)
        while True:
            try:
                return await call(*args, **kwargs)
            except Exception as exc:
                wait = self.retrying(exc, retries)
            await self.timing.asleep(wait)

    def keep(self, replies: Iterable[Reply]) -> None:
        """Store answers the caller used in a brief in the response cache.

        Answers are not cached when they arrive: a refusal, a cut-off answer or one that does
        not parse would then be replayed on every rerun, which could never succeed without
        ``--no-cache``. The briefer calls this once a brief (or one part of it) is made.
        """
        if self.cache is None:
            return
        for reply in replies:
            if reply.cache_key and reply.raw is not None:
                self.cache.put(reply.cache_key, reply.raw)
                log.debug("answer %s… stored in the response cache", reply.cache_key[:12])


@dataclass(frozen=True)
class Connection:
    """A ready LLM plus what the brief's metadata says about it."""

    llm: LLM
    backend: str
    model: str
    owned: bool = False

    @property
    def capabilities(self) -> backends.Capabilities:
        """What the connected backend can do."""
        return self.llm.backend.capabilities

    async def aclose(self) -> None:
        """Close an async client this module created (sync ones close on leaving ``connect``)."""
        if self.owned:
            await self.llm.backend.aclose(self.llm.client)


@contextmanager
def connect(
    settings: Settings,
    *,
    client: Any = None,
    asynchronous: bool = False,
    on_event: OnEvent | None = None,
    timing: Timing | None = None,
) -> Iterator[Connection]:
    """Open the LLM the settings describe, starting the embedded server if that is the backend.

    Args:
        settings: which backend, model and limits.
        client: a caller's own configured OpenAI client; used as given (retries aside).
        asynchronous: build an async client instead of a sync one.
        on_event: told when the embedded model loads and of every transport retry.
        timing: how transport retries wait and tell time (the real clock by default).
    """
    timing = timing or Timing()
    if client is not None:
        backend: Backend = backends.for_client(client)
        model = backend.model_for(client, settings)
        llm = LLM(client, model, settings, backend, timing, on_event=on_event)
        yield Connection(llm, backend.name, model)
        return
    backend = backends.get(settings.backend)
    with backend.open(settings, asynchronous=asynchronous, on_event=on_event) as opened:
        llm = LLM(opened.client, opened.model, settings, backend, timing, on_event=on_event)
        yield Connection(llm, backend.name, opened.model, owned=True)
