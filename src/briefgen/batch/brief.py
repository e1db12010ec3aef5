"""Brief every supported file under a folder: concurrent, rate-limited, resumable, lossless.

A run plans first (load each source, skip those whose content and settings are unchanged), then
opens ONE LLM connection (one embedded server for the whole run) and briefs the rest, live with a
bounded pool of workers (:mod:`briefgen.batch.live`) or through the provider's Batch API
(:mod:`briefgen.batch.provider`). Each brief is written atomically, then a per-source state file
records that it is done, so a run killed at any moment resumes where it stopped. One bad source
never stops the others; ``index.md`` (and ``index.html`` beside HTML briefs) and ``report.json``
are written at the end, even on interrupt. Besides its own state under ``.briefgen/``, a run
deletes only the temp files a killed run left beside the files it writes.

A run without an OUTDIR writes nothing at all: it hands each brief to ``on_brief`` as it is made
(the CLI's JSON Lines on standard output), and briefs every source, as there is no record of
an earlier run to skip by.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from briefgen.batch.live import brief_live
from briefgen.batch.provider import STATE_NAME, brief_via_batch_api
from briefgen.batch.run import (
    BatchOptions,
    BatchProgress,
    Job,
    Run,
    RunState,
    discover,
    exclusive,
    heap_frozen,
    output_name,
)
from briefgen.discovery import (
    INDEX_HTML_NAME,
    INDEX_NAME,
    REPORT_NAME,
    STATE_DIR,
    check_layout,
    nothing_to_brief,
)
from briefgen.errors import ConfigError
from briefgen.llm import AsyncClient
from briefgen.output import ensure_folder, remove_temp_files
from briefgen.renderers.registry import BRIEF_FORMATS
from briefgen.runreport import Briefed, RunReport
from briefgen.settings import Settings


async def arun_batch(
    inputs: Sequence[str | Path],
    outdir: str | Path | None,
    settings: Settings | None = None,
    options: BatchOptions | None = None,
    *,
    client: AsyncClient | None = None,
    on_progress: Callable[[BatchProgress], None] | None = None,
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
    with lock, heap_frozen():
        if out is not None:
            # Debris of a run killed mid-write, beside the files this run writes, and only there.
            remove_temp_files(own_files(out, jobs))
        run = Run(out, settings, options, on_progress, on_brief)
        run.report.ignored = ignored
        run.report.results = [j.result for j in jobs]
        try:
            todo = await asyncio.to_thread(run.pending, jobs)
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


async def _brief_all(run: Run, todo: list[Job], client: AsyncClient | None) -> None:
    if run.options.via == "batch-api":
        await brief_via_batch_api(run, todo, client)
    else:
        await brief_live(run, todo, client)


def own_files(outdir: Path, jobs: Sequence[Job]) -> list[Path]:
    """Every file a run over ``jobs`` may write under ``outdir``: the briefs in any format,
    their run state, the index, the report and the Batch API's saved batch id."""
    state = RunState(outdir)
    files = [outdir / INDEX_NAME, outdir / INDEX_HTML_NAME, outdir / REPORT_NAME]
    files.append(outdir / STATE_DIR / STATE_NAME)
    for job in jobs:
        files.append(state.path(job.stem))
        files.extend(outdir / output_name(job, fmt) for fmt in BRIEF_FORMATS.names())
    return files


def run_batch(
    inputs: Sequence[str | Path],
    outdir: str | Path | None,
    settings: Settings | None = None,
    options: BatchOptions | None = None,
    *,
    client: AsyncClient | None = None,
    on_progress: Callable[[BatchProgress], None] | None = None,
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
        on_progress: called with a :class:`BatchProgress` after each source (never prints itself).
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
