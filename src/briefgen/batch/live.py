"""Brief a run's sources live: a bounded pool of workers over one LLM connection.

Each worker briefs one source at a time; a finished brief is written by a task of its own, so
the worker's next request goes out first and the writes happen while it waits on the LLM.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from briefgen.batch.run import Job, Run, effective_jobs
from briefgen.errors import BriefgenError, ConfigError
from briefgen.extract import AsyncBriefer
from briefgen.llm import AsyncClient, tally
from briefgen.schema import Briefing, Usage

log = logging.getLogger(__name__)
T = TypeVar("T")


async def pool(
    items: Sequence[T],
    work: Callable[[T], Awaitable[None]],
    workers: int,
    *,
    beside: Callable[[asyncio.TaskGroup], None] | None = None,
) -> None:
    """Run ``work`` on every item, ``workers`` at a time, in one task group.

    Args:
        items: what to work through, in order.
        work: handles one item and records its outcome itself; only a run-wide error escapes.
        workers: the most items in hand at once.
        beside: may start more tasks in the group (warm-ups, writes); the pool waits for them.

    Raises:
        ConfigError: a bad key or model, which fails every item alike: it stops the others.
    """
    queue = deque(items)

    async def worker() -> None:
        while queue:
            await work(queue.popleft())

    try:
        async with asyncio.TaskGroup() as group:
            if beside is not None:
                beside(group)
            for _ in range(min(workers, len(items))):
                group.create_task(worker())
    except BaseExceptionGroup as failed:  # only a run-wide ConfigError gets here
        raise failed.exceptions[0] from None


class LiveRun:
    """Brief ``run``'s sources over ``briefer``'s connection, recording whatever happens."""

    def __init__(self, run: Run, briefer: AsyncBriefer) -> None:
        self.run = run
        self.briefer = briefer
        #: Where finished briefs get written, each by a task of its own.
        self.writers: asyncio.TaskGroup | None = None

    async def brief(self, job: Job) -> None:
        """Brief one source over the shared connection, recording whatever happens.

        The finished brief is written by a task of its own, so this worker's next request goes
        out first and the writes happen while it waits on the LLM.
        """
        assert job.source is not None
        result, started = job.result, time.monotonic()
        briefing = None
        with tally() as spent:
            try:
                briefing = await self.briefer.brief(job.source.text, info=job.source.info)
                result.attempts = briefing.meta.attempts
            except ConfigError:
                raise  # a bad key or model fails every source alike: stop the run
            except BriefgenError as exc:
                result.status, result.error = "failed", str(exc)
                result.attempts = getattr(exc, "attempts", 0)
            except Exception as exc:  # one source's bug must not stop the others
                result.status, result.error = "failed", f"unexpected {type(exc).__name__}: {exc}"
            finally:
                result.requests = spent.requests
        if briefing is None:
            result.usage, result.cost_usd = spent.spent, self.run.cost(spent.spent)
            log.info("%s: failed: %s", job.name, result.error)
            self.done(job, started)
        elif self.writers is not None:
            self.writers.create_task(self.write(job, briefing, spent.spent, started))
        else:
            await self.write(job, briefing, spent.spent, started)

    async def write(self, job: Job, briefing: Briefing, spent: Usage, started: float) -> None:
        """Write a finished brief (in a thread: renders and fsyncs) and record the source."""
        try:
            await asyncio.to_thread(self.run.finish, job, briefing, spent)
        except Exception as exc:  # a full disk fails this source, not the run
            job.result.status = "failed"
            job.result.error = f"cannot write the brief: {type(exc).__name__}: {exc}"
            job.result.usage, job.result.cost_usd = spent, self.run.cost(spent)
            log.info("%s: %s", job.name, job.result.error)
            self.done(job, started)
            return
        log.info("%s: briefed in %.1f s", job.name, time.monotonic() - started)
        self.done(job, started, briefing)

    def done(self, job: Job, started: float, briefing: Briefing | None = None) -> None:
        job.result.seconds = round(time.monotonic() - started, 3)
        self.run.settled(job, briefing)

    def start(self, group: asyncio.TaskGroup) -> None:
        """Write into ``group``, and load what briefs need while the first requests wait."""
        self.writers = group
        # Renderers and the price table load while the first requests wait on the LLM, not
        # after them: else every first-round brief waits on them in turn.
        group.create_task(asyncio.to_thread(self.run.preload))


async def brief_live(run: Run, todo: list[Job], client: AsyncClient | None) -> None:
    """Brief ``todo`` with live requests; results, failures and progress land in ``run``."""
    async with AsyncBriefer(run.settings, client=client) as briefer:
        assert briefer.connection is not None
        run.attach(briefer.connection)
        live = LiveRun(run, briefer)
        await pool(todo, live.brief, effective_jobs(run.options, run.settings), beside=live.start)
