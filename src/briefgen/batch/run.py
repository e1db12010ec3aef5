"""What a batch run shares however it briefs, live or through a provider's Batch API.

Its options, its jobs (one a source file), the fingerprints that say a brief is up to date, the
per-source ``done`` records, the lock on OUTDIR, and :class:`Run`: the state of one run, which
plans it, writes each finished brief and records how every source went.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

from briefgen import backends
from briefgen.cache import ResponseCache, default_cache_dir
from briefgen.costs import cost_usd
from briefgen.discovery import INDEX_HTML_NAME, INDEX_NAME, REPORT_NAME, STATE_DIR, find
from briefgen.errors import BriefgenError, ConfigError
from briefgen.limits import RunLimiter
from briefgen.output import write_atomic
from briefgen.prompts import prompts_dir
from briefgen.renderers import Format, render
from briefgen.renderers import preload as preload_renderers
from briefgen.renderers.registry import BRIEF_FORMATS
from briefgen.runreport import (
    Briefed,
    Ignored,
    RunReport,
    SourceResult,
    Summary,
    Tally,
    preload_index,
    render_index,
    render_index_html,
)
from briefgen.schema import Briefing, Usage
from briefgen.settings import Settings
from briefgen.sources import Source, load_source
from briefgen.version import version

if TYPE_CHECKING:
    from briefgen.llm import Connection

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
class BatchProgress:
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
    def of(cls, report: Tally, *, cost_usd: float | None, current: str | None) -> BatchProgress:
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
    """Per-item ``done`` records under ``OUTDIR/.briefgen/<folder>``, written after the outputs.

    A record holds the item's fingerprint: an item whose fingerprint changed, or one of whose
    outputs is gone, is not done. Briefs keep theirs in ``state``, digests in ``digests``.
    """

    def __init__(self, outdir: Path, folder: str = "state") -> None:
        self.outdir = outdir
        self.root = outdir / STATE_DIR / folder

    def path(self, name: str | PurePosixPath) -> Path:
        """Where the done record of the item ``name`` (its output path, no extension) goes."""
        return self.root / f"{name}.json"

    def done(
        self, name: str | PurePosixPath, fingerprint: str, outputs: Sequence[str]
    ) -> dict[str, Any] | None:
        """The stored record when its fingerprint matches and every output (under OUTDIR)
        exists; None when the item must be made again."""
        try:
            data = json.loads(self.path(name).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if data.get("fingerprint") != fingerprint:
            return None
        if not all((self.outdir / o).is_file() for o in outputs):
            return None
        return dict(data)

    def mark_done(self, name: str | PurePosixPath, record: dict[str, Any]) -> None:
        """Record the item as done; ``record`` holds its ``fingerprint``."""
        state = json.dumps(record, ensure_ascii=False).encode("utf-8")
        write_atomic(self.path(name), state, durable=False)  # lost state only means a redo


def output_name(job: Job, fmt: Format) -> str:
    """Where ``job``'s brief in ``fmt`` goes, relative to OUTDIR."""
    return f"{job.stem}{BRIEF_FORMATS[fmt].extension}"


def share_limits(conn: Connection, options: BatchOptions) -> None:
    """Put the run's rate limits on ``conn``: every worker's requests then share them.

    Always a limiter, even without ``--rpm``/``--tpm``, for its 429 gate: one rate-limited
    answer slows every worker, not just the one that got it.
    """
    conn.llm.limiter = RunLimiter(options.rpm, options.tpm)


@contextlib.contextmanager
def heap_frozen() -> Iterator[None]:
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


class Run:
    """The state of one run, shared by its workers whichever way they brief.

    Args:
        outdir: where briefs and the run's record go; None writes nothing (see ``on_brief``).
        settings: the LLM backend, model and budgets.
        options: how the batch runs.
        on_progress: told of a :class:`BatchProgress` snapshot after every settled source.
        on_brief: told of every source this run briefs or fails, once settled.
    """

    def __init__(
        self,
        outdir: Path | None,
        settings: Settings,
        options: BatchOptions,
        on_progress: Callable[[BatchProgress], None] | None,
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

    def attach(self, conn: Connection) -> None:
        """Brief over ``conn``: the run's response cache and rate limits go on its LLM."""
        options = self.options
        self.conn = conn
        self.report.backend, self.report.model = conn.backend, conn.model
        conn.llm.cache = ResponseCache(options.cache_dir) if options.cache_dir else None
        share_limits(conn, options)

    def progress(self, current: str | None = None) -> None:
        if self.on_progress is None:
            return
        self.on_progress(
            BatchProgress.of(self.report, cost_usd=self.report.cost_usd, current=current)
        )

    def pending(self, jobs: list[Job]) -> list[Job]:
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
            summary = None if self.options.force else self.up_to_date(job)
            if summary is not None:
                job.result.status, job.result.summary = "skipped", summary
            else:
                todo.append(job)
        return todo

    def up_to_date(self, job: Job) -> Summary | None:
        """The stored summary when ``job``'s brief is up to date in every format."""
        if self.state is None:
            return None
        outputs = [output_name(job, fmt) for fmt in self.options.formats]
        record = self.state.done(job.stem, job.fingerprint, outputs)
        if record is None:
            return None
        job.result.outputs = outputs
        return Summary(**record["summary"])

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
            record = {"fingerprint": job.fingerprint, "source": job.name}
            self.state.mark_done(job.stem, {**record, "summary": asdict(summary)})
        result.status, result.summary, result.usage = "ok", summary, spent
        result.cost_usd = self.cost(spent)

    def preload(self) -> None:
        """Load the renderers and this model's price once, ahead of the first brief."""
        preload_renderers(self.options.formats)
        if self.outdir is not None:
            preload_index(html="html" in self.options.formats)
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

    def settled(self, job: Job, briefing: Briefing | None = None) -> None:
        """``job`` is finished, briefed (``briefing``) or failed: tell the caller."""
        if self.on_brief is not None:
            self.on_brief(Briefed(job.path, job.result, briefing))
        self.progress(job.name)

    def write_summary(self) -> None:
        out = self.outdir
        if out is None:
            return
        write_atomic(out / REPORT_NAME, self.report.to_json().encode("utf-8"))
        write_atomic(out / INDEX_NAME, render_index(self.report).encode("utf-8"))
        if "html" in self.options.formats:
            write_atomic(out / INDEX_HTML_NAME, render_index_html(self.report).encode("utf-8"))


def effective_jobs(options: BatchOptions, settings: Settings) -> int:
    """Workers to run: as many as the backend answers at once (the embedded server one), else
    the run's ``--jobs``."""
    return backends.capabilities(settings.backend).concurrency or max(
        1, options.jobs or DEFAULT_JOBS
    )
