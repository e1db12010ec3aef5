"""Brief every supported file under a folder: concurrent, rate-limited, resumable, lossless.

A run plans first (load each source, skip those whose content and settings are unchanged), then
opens ONE LLM connection (one embedded server for the whole run) and briefs the rest with a
bounded pool of workers. Each brief is written atomically, then a per-source state file records
that it is done, so a run killed at any moment resumes where it stopped. One bad source never
stops the others; ``index.md`` (and ``index.html`` beside HTML briefs) and ``report.json`` are
written at the end, even on interrupt. Besides its own state under ``.briefgen/``, a run deletes
only the temp files a killed run left beside the files it writes.

A run without an OUTDIR writes nothing at all: it hands each brief to ``on_brief`` as it is made
(the CLI's JSON Lines on standard output), and briefs every source, as there is no record of
an earlier run to skip by.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

from briefgen.cache import ResponseCache, default_cache_dir
from briefgen.costs import cost_usd
from briefgen.discovery import (
    INDEX_HTML_NAME,
    INDEX_NAME,
    REPORT_NAME,
    STATE_DIR,
    check_layout,
    find,
    nothing_to_brief,
)
from briefgen.errors import BriefgenError, ConfigError
from briefgen.extract import AsyncBriefer
from briefgen.limits import RunLimiter
from briefgen.llm import AsyncClient, Connection, tally
from briefgen.output import ensure_folder, remove_temp_files, write_atomic
from briefgen.prompts import prompts_dir
from briefgen.renderers import Format, prepare, render
from briefgen.renderers.registry import BRIEF_FORMATS
from briefgen.runreport import (
    Briefed,
    Ignored,
    RunReport,
    SourceResult,
    Summary,
    Tally,
    prepare_index,
    render_index,
    render_index_html,
)
from briefgen.schema import Briefing, Usage
from briefgen.settings import Settings
from briefgen.sources import Source, load_source
from briefgen.version import version

log = logging.getLogger(__name__)

#: Workers against a remote server when --jobs is not given.
DEFAULT_JOBS = 8
Via = Literal["live", "batch-api"]


@dataclass(frozen=True)
class BatchOptions:
    """How a batch runs (the LLM itself is described by :class:`Settings`).

    Attributes:
        jobs: concurrent briefs; default 8, and always 1 for the embedded model, which serves
            one request at a time (more would only queue and time out).
        rpm: requests per minute across the run, or None.
        tpm: tokens per minute across the run (prompt estimate plus output cap), or None.
        force: redo every source even when its brief is up to date.
        formats: output formats written for each source (none when the run has no OUTDIR).
        cache_dir: the LLM response cache; None disables it.
        via: ``live`` requests, or the OpenAI ``batch-api`` (half price, results within 24 h).
        poll_interval: seconds between Batch API status checks.
    """

    jobs: int | None = None
    rpm: float | None = None
    tpm: float | None = None
    force: bool = False
    formats: tuple[Format, ...] = ("md",)
    cache_dir: Path | None = field(default_factory=default_cache_dir)
    via: Via = "live"
    poll_interval: float = 30.0


@dataclass(frozen=True)
class Progress:
    """A snapshot for progress displays, sent after every finished source."""

    total: int
    done: int
    failed: int
    skipped: int
    tokens: int
    cost_usd: float | None
    current: str | None = None

    @property
    def remaining(self) -> int:
        return self.total - self.done - self.failed - self.skipped

    @classmethod
    def of(cls, report: Tally, *, cost_usd: float | None, current: str | None) -> Progress:
        """The snapshot of a run's report (of briefs or of digests)."""
        return cls(
            total=len(report.results),
            done=report.count("ok"),
            failed=report.count("failed"),
            skipped=report.count("skipped"),
            tokens=report.usage.total_tokens,
            cost_usd=cost_usd,
            current=current,
        )


@dataclass
class Job:
    """One source file of the run and where its outputs go."""

    path: Path
    name: str  # the input path relative to its folder, for the report
    stem: PurePosixPath  # the safe output path without extension, relative to OUTDIR
    result: SourceResult
    source: Source | None = None
    fingerprint: str = ""


def discover(inputs: Sequence[str | Path], outdir: Path | None) -> tuple[list[Job], list[Ignored]]:
    """The run's jobs: the sources under ``inputs`` (see :func:`briefgen.discovery.find`)."""
    found, ignored = find(inputs, outdir)
    jobs = [Job(f.path, f.name, f.stem, SourceResult(source=f.name)) for f in found]
    return jobs, ignored


#: Settings that change how a run goes but not what a brief says.
_NOT_IN_FINGERPRINT = frozenset(
    {"api_key", "request_timeout", "deadline", "transport_retries", "threads"}
)


def settings_digest(settings: Settings) -> str:
    """Hash of everything besides the text that decides a brief: settings, prompts, version."""
    relevant = {k: v for k, v in asdict(settings).items() if k not in _NOT_IN_FINGERPRINT}
    prompts = sorted((p.name, p.read_text("utf-8")) for p in prompts_dir().glob("*.j2"))
    blob = json.dumps(
        {"settings": relevant, "prompts": prompts, "version": version()},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def fingerprint(text: str, digest: str) -> str:
    """Hash of a source text plus :func:`settings_digest`: equal means the brief is up to date."""
    return hashlib.sha256(f"{digest}\n{text}".encode()).hexdigest()


class RunState:
    """Per-source ``done`` records under ``OUTDIR/.briefgen/state``; written after the outputs."""

    def __init__(self, outdir: Path) -> None:
        self.root = outdir / STATE_DIR / "state"

    def path(self, job: Job) -> Path:
        """Where ``job``'s done record goes."""
        return self.root / f"{job.stem}.json"

    def is_done(self, job: Job, formats: Sequence[Format], outdir: Path) -> Summary | None:
        """The stored summary when the job's fingerprint matches and every output exists."""
        try:
            data = json.loads(self.path(job).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if data.get("fingerprint") != job.fingerprint:
            return None
        outputs = [output_name(job, fmt) for fmt in formats]
        if not all((outdir / o).is_file() for o in outputs):
            return None
        job.result.outputs = outputs
        return Summary(**data["summary"])

    def mark_done(self, job: Job, summary: Summary) -> None:
        data = {"fingerprint": job.fingerprint, "source": job.name, "summary": asdict(summary)}
        state = json.dumps(data, ensure_ascii=False).encode("utf-8")
        write_atomic(self.path(job), state, durable=False)  # lost state only means a redo


def own_files(outdir: Path, jobs: Sequence[Job]) -> list[Path]:
    """Every file a run over ``jobs`` may write under ``outdir``: the briefs in any format,
    their run state, the index, the report and the Batch API's saved batch id."""
    from briefgen.batch_api import STATE_NAME

    state = RunState(outdir)
    files = [outdir / INDEX_NAME, outdir / INDEX_HTML_NAME, outdir / REPORT_NAME]
    files.append(outdir / STATE_DIR / STATE_NAME)
    for job in jobs:
        files.append(state.path(job))
        files.extend(outdir / output_name(job, fmt) for fmt in BRIEF_FORMATS.names())
    return files


def output_name(job: Job, fmt: Format) -> str:
    """Where ``job``'s brief in ``fmt`` goes, relative to OUTDIR."""
    return f"{job.stem}{BRIEF_FORMATS[fmt].extension}"


@contextlib.contextmanager
def _heap_frozen() -> Iterator[None]:
    """Keep the objects that exist when a run starts out of the cycle collector until it ends.

    The imported modules (the SDK's types alone are ~600k objects) are alive for good, yet a
    full collection walks all of them: ~85 ms, triggered in a fresh process by the first
    request's lazy imports, while every worker waits. Frozen, a collection only walks what
    the run itself made. Thawed at the end, so nothing the caller had is kept from the
    collector after the run. A caller that froze objects itself (a pre-fork server) keeps
    its freeze: the run then leaves the collector alone.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextlib.contextmanager
def exclusive(outdir: Path) -> Iterator[None]:
    """Refuse a second concurrent run on the same OUTDIR; the OS drops the lock on kill -9."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; runs are then not guarded
        yield
        return
    lock_path = outdir / STATE_DIR / "lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise ConfigError(
                f"another briefgen run is writing to {outdir}: wait for it or pick another -o"
            ) from exc
        yield


class _Run:
    """The mutable state of one run, shared by its workers."""

    def __init__(
        self,
        outdir: Path | None,
        settings: Settings,
        options: BatchOptions,
        on_progress: Callable[[Progress], None] | None,
        on_brief: Callable[[Briefed], None] | None = None,
    ) -> None:
        self.outdir = outdir
        self.settings = settings
        self.options = options
        self.on_progress = on_progress
        self.on_brief = on_brief
        self.state = RunState(outdir) if outdir is not None else None
        self.report = RunReport(outdir=str(outdir or ""), via=options.via)
        self.conn: Connection | None = None
        self.briefer: AsyncBriefer | None = None
        #: Where finished briefs get written, each by a task of its own.
        self.writers: asyncio.TaskGroup | None = None

    def progress(self, current: str | None = None) -> None:
        if self.on_progress is None:
            return
        self.on_progress(Progress.of(self.report, cost_usd=self.report.cost_usd, current=current))

    def plan(self, jobs: list[Job]) -> list[Job]:
        """Load every source and return those that need the LLM; the rest are done or failed."""
        todo = []
        digest = settings_digest(self.settings)
        for job in jobs:
            try:
                job.source = load_source(job.path)
            except BriefgenError as exc:
                job.result.status, job.result.error = "failed", str(exc)
                continue
            except Exception as exc:  # a reader's bug on one file fails only that file
                job.result.status = "failed"
                job.result.error = f"cannot read {job.name}: {type(exc).__name__}: {exc}"
                continue
            job.fingerprint = fingerprint(job.source.text, digest)
            summary = None
            if not self.options.force and self.state is not None and self.outdir is not None:
                summary = self.state.is_done(job, self.options.formats, self.outdir)
            if summary is not None:
                job.result.status, job.result.summary = "skipped", summary
            else:
                todo.append(job)
        return todo

    def finish(self, job: Job, briefing: Briefing, spent: Usage) -> None:
        """Write every format atomically, then record the source as done."""
        assert job.source is not None and self.conn is not None
        result = job.result
        if self.outdir is not None:
            # Every format is rendered before any is written: one that fails writes none.
            rendered = [
                (output_name(job, fmt), render(briefing, fmt, source=job.source.text))
                for fmt in self.options.formats
            ]
            for name, data in rendered:
                write_atomic(self.outdir / name, data)
                result.outputs.append(name)
        summary = Summary.of(briefing)
        if self.state is not None:
            self.state.mark_done(job, summary)
        result.status, result.summary, result.usage = "ok", summary, spent
        result.cost_usd = self.cost(spent)

    def prepare(self) -> None:
        """Load the renderers and this model's price once, ahead of the first brief."""
        prepare(self.options.formats)
        if self.outdir is not None:
            prepare_index(html="html" in self.options.formats)
        self.cost(Usage())

    def cost(self, spent: Usage) -> float | None:
        assert self.conn is not None
        return cost_usd(
            spent,
            self.conn.model,
            backend=self.conn.backend,
            base_url=str(self.conn.llm.client.base_url),
            batch=self.options.via == "batch-api",
        )

    async def brief(self, job: Job) -> None:
        """Brief one source over the shared connection, recording whatever happens.

        The finished brief is written by a task of its own, so this worker's next request goes
        out first and the writes happen while it waits on the LLM.
        """
        assert job.source is not None and self.briefer is not None
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
            result.usage, result.cost_usd = spent.spent, self.cost(spent.spent)
            log.info("%s: failed: %s", job.name, result.error)
            self.done(job, started)
        elif self.writers is not None:
            self.writers.create_task(self.write(job, briefing, spent.spent, started))
        else:
            await self.write(job, briefing, spent.spent, started)

    async def write(self, job: Job, briefing: Briefing, spent: Usage, started: float) -> None:
        """Write a finished brief (in a thread: renders and fsyncs) and record the source."""
        try:
            await asyncio.to_thread(self.finish, job, briefing, spent)
        except Exception as exc:  # a full disk fails this source, not the run
            job.result.status = "failed"
            job.result.error = f"cannot write the brief: {type(exc).__name__}: {exc}"
            job.result.usage, job.result.cost_usd = spent, self.cost(spent)
            log.info("%s: %s", job.name, job.result.error)
            self.done(job, started)
            return
        log.info("%s: briefed in %.1f s", job.name, time.monotonic() - started)
        self.done(job, started, briefing)

    def done(self, job: Job, started: float, briefing: Briefing | None = None) -> None:
        job.result.seconds = round(time.monotonic() - started, 3)
        self.settled(job, briefing)

    def settled(self, job: Job, briefing: Briefing | None = None) -> None:
        """``job`` is finished, briefed (``briefing``) or failed: tell the caller."""
        if self.on_brief is not None:
            self.on_brief(Briefed(job.path, job.result, briefing))
        self.progress(job.name)

    async def work(self, queue: asyncio.Queue[Job]) -> None:
        while True:
            try:
                job = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            await self.brief(job)

    def write_summary(self) -> None:
        out = self.outdir
        if out is None:
            return
        write_atomic(out / REPORT_NAME, self.report.to_json().encode("utf-8"))
        write_atomic(out / INDEX_NAME, render_index(self.report).encode("utf-8"))
        if "html" in self.options.formats:
            write_atomic(out / INDEX_HTML_NAME, render_index_html(self.report).encode("utf-8"))


def effective_jobs(options: BatchOptions, settings: Settings) -> int:
    """Workers to run: the embedded server answers one request at a time, so it gets one."""
    if settings.backend == "embedded":
        return 1
    return max(1, options.jobs or DEFAULT_JOBS)


async def arun_batch(
    inputs: Sequence[str | Path],
    outdir: str | Path | None,
    settings: Settings | None = None,
    options: BatchOptions | None = None,
    *,
    client: AsyncClient | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    on_brief: Callable[[Briefed], None] | None = None,
) -> RunReport:
    """Brief every supported file under ``inputs`` into ``outdir``; see :func:`run_batch`."""
    settings = settings or Settings.load()
    options = options or BatchOptions()
    out = Path(outdir) if outdir is not None else None
    if out is None and options.via == "batch-api":
        raise ConfigError("--via batch-api keeps its batch in OUTDIR to resume: give -o OUTDIR")
    if out is not None:
        check_layout(inputs, out)
    jobs, ignored = discover(inputs, out)
    if not jobs:
        raise nothing_to_brief(inputs, ignored)
    if out is not None:
        ensure_folder(out)
    started = time.monotonic()
    lock = exclusive(out) if out is not None else contextlib.nullcontext()
    with lock, _heap_frozen():
        if out is not None:
            # Debris of a run killed mid-write, beside the files this run writes, and only there.
            remove_temp_files(own_files(out, jobs))
        run = _Run(out, settings, options, on_progress, on_brief)
        run.report.ignored = ignored
        run.report.results = [j.result for j in jobs]
        try:
            todo = await asyncio.to_thread(run.plan, jobs)
            run.progress()
            for job in jobs:
                if job.result.status == "failed":  # unreadable: settled before any request
                    run.settled(job)
            if todo:
                await _brief_all(run, todo, client)
        finally:
            run.report.seconds = time.monotonic() - started
            run.write_summary()
    return run.report


async def _brief_all(run: _Run, todo: list[Job], client: AsyncClient | None) -> None:
    options = run.options
    async with AsyncBriefer(run.settings, client=client) as briefer:
        conn = briefer.connection
        assert conn is not None
        run.conn, run.briefer = conn, briefer
        run.report.backend, run.report.model = conn.backend, conn.model
        conn.llm.cache = ResponseCache(options.cache_dir) if options.cache_dir else None
        # Always there for its 429 gate, which slows every worker when one is rate limited.
        conn.llm.limiter = RunLimiter(options.rpm, options.tpm)
        if options.via == "batch-api":
            from briefgen.batch_api import brief_via_batch_api

            await brief_via_batch_api(run, todo)
            return
        queue: asyncio.Queue[Job] = asyncio.Queue()
        for job in todo:
            queue.put_nowait(job)
        count = min(effective_jobs(options, run.settings), len(todo))
        try:
            async with asyncio.TaskGroup() as group:
                run.writers = group
                # Renderers and the price table load while the first requests wait on the
                # LLM, not after them: else every first-round brief waits on them in turn.
                group.create_task(asyncio.to_thread(run.prepare))
                for _ in range(count):
                    group.create_task(run.work(queue))
        except BaseExceptionGroup as failed:  # only a run-wide ConfigError gets here
            raise failed.exceptions[0] from None


def run_batch(
    inputs: Sequence[str | Path],
    outdir: str | Path | None,
    settings: Settings | None = None,
    options: BatchOptions | None = None,
    *,
    client: AsyncClient | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    on_brief: Callable[[Briefed], None] | None = None,
) -> RunReport:
    """Brief every supported file under ``inputs`` into ``outdir``, resumably.

    Args:
        inputs: folders (searched recursively, hidden entries skipped) and/or files.
        outdir: where briefs, ``index.md`` (and ``index.html`` with HTML briefs),
            ``report.json`` and the run state go. None writes nothing: every source is
            briefed and handed to ``on_brief`` (``options.formats`` is then ignored).
        settings: the LLM backend, model and budgets; ``Settings.load()`` when omitted.
        options: concurrency, rate limits, formats, cache, ``force``, ``via``.
        client: your own ``openai.AsyncOpenAI`` client instead of one built from settings.
        on_progress: called with a :class:`Progress` after each source (never prints itself).
        on_brief: called with each source this run briefs or fails (a
            :class:`~briefgen.runreport.Briefed`: its path, result and brief, None if it
            failed) in the order they finish, after its files are written; sources that
            cannot be read come first. From the run's event loop, one call at a time.

    Returns:
        The run report; ``report.ok`` is True only when every source succeeded or was skipped.

    Raises:
        ConfigError: the LLM rejects the key or model; OUTDIR is busy, unusable, or unsafe
            beside the sources (see :mod:`briefgen.discovery` for the safe layouts).
        SourceError: ``inputs`` hold no source file at all; nothing was written.
    """
    return asyncio.run(
        arun_batch(
            inputs,
            outdir,
            settings,
            options,
            client=client,
            on_progress=on_progress,
            on_brief=on_brief,
        )
    )
