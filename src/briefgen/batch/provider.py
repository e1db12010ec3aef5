"""``--via batch-api``: brief a folder through OpenAI's Batch API (JSONL upload, poll, collect).

Half the price of live requests, results within 24 hours. Work goes in rounds: every source is
briefed by the normal briefing path (:class:`~briefgen.extract.AsyncBriefer`, so its part
limit and every other guard apply) with answers replayed from the response cache and the run's
own store of batch answers; each request neither can answer goes into one JSONL batch, keyed by
its request key; the batch's answers are stored and the replay runs again, so re-asks become the
next round. Like live answers, only the answers a brief was made of go into the response cache;
the store, which holds every answer (refusals and cut-off ones too), is emptied when the run
ends, so a rerun asks again for what failed. The batch id is saved under ``OUTDIR/.briefgen``
before polling starts: a run killed while waiting resumes the same batch (and keeps the store)
instead of paying twice.

This module talks to the Batch API through the client :mod:`briefgen.llm` built; it does not
import ``openai`` itself.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from briefgen.batch.run import Job, Run
from briefgen.cache import ResponseCache
from briefgen.discovery import STATE_DIR
from briefgen.errors import BriefgenError, ConfigError, ExtractionError, LLMError
from briefgen.extract import AsyncBriefer, Session
from briefgen.output import write_atomic
from briefgen.schema import Briefing, Usage
from briefgen.settings import Settings

if TYPE_CHECKING:
    from briefgen.llm import AsyncClient, Reply

ENDPOINT = "/v1/chat/completions"
STATE_NAME = "batch-api.json"
#: Under ``OUTDIR/.briefgen``: the answers of this run's batches, accepted or not.
STORE_NAME = "batch-answers"
#: Batch rounds a single request may fail in before its source is given up.
MAX_REQUEST_FAILURES = 3
_TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})


@dataclass
class _Replay:
    """Where replaying one source got to."""

    briefing: Briefing | None = None
    needed: dict[str, dict[str, Any]] = field(default_factory=dict)  # cache key -> body
    spent: Usage = field(default_factory=Usage)
    requests: int = 0
    attempts: int = 0


class _Unanswered(ExtractionError):
    """A request no batch has answered yet: the part that sent it waits for the next round."""


class ReplayBriefer(AsyncBriefer):
    """Briefs from answers at hand: the response cache first, then the run's batch answers.

    Every brief takes the normal briefing path; a request neither holds is noted in the
    replay's ``needed`` and ends its part as a failed one would, so the flow goes on to the
    next part and a long source's parts all go up in the same batch.

    Args:
        settings: the LLM backend, model and budgets.
        store: the run's batch answers, by request key.
        client: your own ``openai.AsyncOpenAI`` client.
    """

    def __init__(
        self, settings: Settings, store: ResponseCache, *, client: AsyncClient | None = None
    ) -> None:
        super().__init__(settings, client=client)
        self.store = store
        #: Keys a batch answered in this run: their tokens count.
        self.fresh: set[str] = set()
        #: The source being replayed: sources are replayed one at a time.
        self._replay = _Replay()

    def answered(self, key: str, body: dict[str, Any]) -> None:
        """Store a batch's answer to the request ``key``."""
        self.store.put(key, body)
        self.fresh.add(key)

    async def replay(self, job: Job) -> _Replay:
        """Brief ``job`` as far as the answers at hand go.

        Raises:
            BriefgenError: the source cannot be briefed, whatever a batch may answer.
        """
        assert job.source is not None
        self._replay = out = _Replay()
        try:
            briefing = await self.brief(job.source.text, info=job.source.info)
        except BriefgenError:
            if not out.needed:
                raise
        else:
            if not out.needed:  # else a part waits: the brief is made again next round
                out.briefing = briefing
        return out

    async def ask(self, session: Session) -> Reply:
        """The stored answer to ``session``'s next request, or _Unanswered."""
        conn = self.connection
        assert conn is not None
        llm, out = conn.llm, self._replay
        key = llm.request_id(session.next_messages, session.next_schema)
        if llm.cache is not None and (kept := llm.cache.get(key)) is not None:
            reply = llm.reply(kept)
        elif (data := self.store.get(key)) is not None:
            reply = llm.reply(data, cache_key=key)
        else:
            out.needed[key] = llm.request_body(session.next_messages, session.next_schema)
            raise _Unanswered("waiting for the Batch API's answer")
        if key in self.fresh:
            out.spent, out.requests = out.spent + reply.usage, out.requests + 1
        out.attempts += 1
        return reply


class BatchApiRun:
    """Rounds of Batch API requests for one run; see the module docstring."""

    def __init__(self, run: Run, replayer: ReplayBriefer) -> None:
        assert run.conn is not None and run.outdir is not None
        self.run = run
        self.replayer = replayer
        self.llm = run.conn.llm
        self.state_path = run.outdir / STATE_DIR / STATE_NAME
        self.failures: dict[str, list[str]] = {}

    async def submit(self, waiting: dict[str, dict[str, Any]]) -> str:
        """Upload one JSONL file of requests and start a batch; return its id (saved first)."""
        lines = [
            json.dumps(
                {"custom_id": key, "method": "POST", "url": ENDPOINT, "body": body},
                ensure_ascii=False,
            )
            for key, body in waiting.items()
        ]
        data = ("\n".join(lines) + "\n").encode("utf-8")
        client: Any = self.llm.client  # always the AsyncOpenAI client connect() made
        upload = await self.llm.aretry(
            client.files.create, file=("briefgen.jsonl", data), purpose="batch"
        )
        batch = await self.llm.aretry(
            client.batches.create,
            input_file_id=upload.id,
            endpoint=ENDPOINT,
            completion_window="24h",
            metadata={"created_by": "briefgen"},
        )
        state = {"batch_id": batch.id, "keys": sorted(waiting)}
        write_atomic(self.state_path, json.dumps(state).encode("utf-8"))
        return str(batch.id)

    def saved_batch(self) -> str | None:
        try:
            return str(json.loads(self.state_path.read_text("utf-8"))["batch_id"])
        except (OSError, ValueError, KeyError):
            return None

    async def collect(self, batch_id: str) -> None:
        """Wait for the batch to end and store every answer it produced in the cache."""
        client: Any = self.llm.client
        while True:
            batch = await self.llm.aretry(client.batches.retrieve, batch_id)
            if batch.status in _TERMINAL:
                break
            await asyncio.sleep(self.run.options.poll_interval)
        if batch.status == "failed" and not batch.output_file_id:
            errors = getattr(getattr(batch, "errors", None), "data", None) or []
            detail = "; ".join(str(getattr(e, "message", e)) for e in errors[:3]) or "no detail"
            self.state_path.unlink(missing_ok=True)
            raise LLMError(f"OpenAI rejected batch {batch_id} ({detail}): fix it, then rerun")
        for file_id in (batch.output_file_id, batch.error_file_id):
            if file_id:
                content = await self.llm.aretry(client.files.content, file_id)
                self._store(content.text)
        self.state_path.unlink(missing_ok=True)

    def _store(self, jsonl: str) -> None:
        for line in jsonl.splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            key, response = item.get("custom_id"), item.get("response") or {}
            if not key:
                continue
            if response.get("status_code") == 200 and isinstance(response.get("body"), dict):
                self.replayer.answered(key, response["body"])
            else:
                error = (response.get("body") or {}).get("error") or item.get("error") or {}
                message = error.get("message") if isinstance(error, dict) else str(error)
                status = response.get("status_code")
                self.failures.setdefault(key, []).append(f"{status}: {message or 'no detail'}")

    async def run_rounds(self, todo: list[Job]) -> None:
        """Replay, batch what is missing, collect; until every source is done or failed."""
        if (saved := self.saved_batch()) is not None:
            await self.collect(saved)  # a previous run's batch: its answers are already paid for
        pending = list(todo)
        while pending:
            waiting: dict[str, dict[str, Any]] = {}
            still: list[Job] = []
            for job in pending:
                if await self._step(job, waiting):
                    still.append(job)
            pending = still
            if not waiting:
                break
            await self.collect(await self.submit(waiting))
        # Every source is briefed or failed: what the briefs used is in the response cache.
        shutil.rmtree(self.replayer.store.root, ignore_errors=True)

    async def _step(self, job: Job, waiting: dict[str, dict[str, Any]]) -> bool:
        """Advance one job; True while it still waits on a batch answer."""
        result = job.result
        try:
            state = await self.replayer.replay(job)
        except BriefgenError as exc:
            result.status, result.error = "failed", str(exc)
            self.run.settled(job)
            return False
        result.attempts, result.requests = state.attempts, state.requests
        result.usage, result.cost_usd = state.spent, self.run.cost(state.spent)
        if state.briefing is not None:
            self.run.finish(job, state.briefing, state.spent)
            self.run.settled(job, state.briefing)
            return False
        for key in state.needed:
            if len(errors := self.failures.get(key, [])) >= MAX_REQUEST_FAILURES:
                result.status = "failed"
                result.error = f"the Batch API failed a request {len(errors)} times: {errors[-1]}"
                self.run.settled(job)
                return False
        waiting.update(state.needed)
        return True


async def brief_via_batch_api(run: Run, todo: list[Job], client: AsyncClient | None) -> None:
    """Brief ``todo`` through the Batch API; results, failures and progress land in ``run``."""
    assert run.outdir is not None  # arun_batch refuses a Batch API run without OUTDIR
    store = ResponseCache(run.outdir / STATE_DIR / STORE_NAME)
    replayer = ReplayBriefer(run.settings, store, client=client)
    async with replayer:
        assert replayer.connection is not None
        run.attach(replayer.connection)
        if not replayer.connection.capabilities.batch_api:
            raise ConfigError("--via batch-api needs OpenAI or a compatible batch service")
        await BatchApiRun(run, replayer).run_rounds(todo)
