"""Digest a folder story by story: ``briefgen DIR --digest-by MAPPING -o OUT``.

The folder is read as a batch reads it (:func:`briefgen.discovery.find`: links never followed,
hidden files passed over, what is left out listed with the reason), its files are grouped into
stories (:mod:`briefgen.digest.stories`), and each story of 2 to 8 files becomes one digest in
OUT, written atomically, over one LLM connection. A story whose files and settings did not
change since the last run is skipped; ``report.json`` and ``index.md`` list every story.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import jinja2

from briefgen.batch.live import pool
from briefgen.batch.run import (
    BatchOptions,
    BatchProgress,
    RunState,
    effective_jobs,
    exclusive,
    settings_digest,
    share_limits,
)
from briefgen.costs import cost_usd
from briefgen.digest.render import DIGEST_FORMATS, render_digest
from briefgen.digest.run import AsyncDigester
from briefgen.digest.schema import MAX_SOURCES, MIN_SOURCES, Digest
from briefgen.digest.stories import Entry, Grouping, group, read_grouping
from briefgen.discovery import INDEX_NAME, REPORT_NAME, Found, check_layout, find
from briefgen.errors import BriefgenError, ConfigError, SourceError
from briefgen.llm import AsyncClient
from briefgen.output import ensure_folder, remove_temp_files, safe_relative_path, write_atomic
from briefgen.renderers.base import Raw, escape_markdown, make_environment, template
from briefgen.runreport import Ignored, Tally
from briefgen.schema import Usage
from briefgen.settings import Settings
from briefgen.sources import Source, load_source

Status = Literal["ok", "skipped", "failed", "pending"]


@dataclass
class StoryResult:
    """The outcome for one story."""

    story: str
    sources: list[str]
    name: str = ""
    status: Status = "pending"
    outputs: list[str] = field(default_factory=list)
    error: str | None = None
    title: str | None = None
    events: int = 0
    differences: int = 0
    verified: bool | None = None
    requests: int = 0
    usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = 0.0
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["usage"] = self.usage.model_dump()
        return data


@dataclass
class DigestRunReport(Tally):
    """Everything a digest run did; ``ok`` only when every story is ok or skipped."""

    outdir: str
    mapping: str
    backend: str = ""
    model: str = ""
    seconds: float = 0.0
    results: list[StoryResult] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)

    def to_json(self) -> str:
        data = {
            "outdir": self.outdir,
            "mapping": self.mapping,
            "backend": self.backend,
            "model": self.model,
            "seconds": round(self.seconds, 3),
            "ok": self.ok,
            "totals": {
                "stories": len(self.results),
                **{s: self.count(s) for s in ("ok", "skipped", "failed", "pending")},
                "requests": sum(r.requests for r in self.results),
                "usage": self.usage.model_dump(),
            },
            "stories": [r.to_json() for r in self.results],
            "ignored": [asdict(i) for i in self.ignored],
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


@dataclass
class _Story:
    result: StoryResult
    members: list[tuple[Found, Entry]]
    sources: list[Source] = field(default_factory=list)
    fingerprint: str = ""


def _names(stories: Sequence[str]) -> list[str]:
    """Each story's output name: safe, distinct (case folded), never the run's own files."""
    taken = {INDEX_NAME.rsplit(".", 1)[0], REPORT_NAME.rsplit(".", 1)[0]}
    names = []
    for story in stories:
        name = "_".join(safe_relative_path(story).parts)
        while name.casefold() in taken:
            name += "_"
        taken.add(name.casefold())
        names.append(name)
    return names


@cache
def _index_env() -> jinja2.Environment:
    return make_environment(escape_markdown)


def render_index(report: DigestRunReport) -> str:
    """``index.md``: one row per story (digest, sources, differences, status), then what was
    left out."""
    links = {
        r.story: Raw(f"[{escape_markdown(r.title or r.story)}]({quote(r.outputs[0])})")
        for r in report.results
        if r.outputs
    }
    return template(_index_env(), "digest_index.md.j2").render(report=report, links=links)


class _Run:
    def __init__(
        self,
        outdir: Path,
        settings: Settings,
        options: BatchOptions,
        report: DigestRunReport,
        on_progress: Callable[[BatchProgress], None] | None,
    ) -> None:
        self.outdir, self.settings, self.options = outdir, settings, options
        self.report, self.on_progress = report, on_progress
        self.state = RunState(outdir, "digests")
        self.digester: AsyncDigester | None = None

    def progress(self, current: str | None = None) -> None:
        if self.on_progress is None:
            return
        self.on_progress(BatchProgress.of(self.report, cost_usd=None, current=current))

    def pending(self, stories: list[_Story]) -> list[_Story]:
        """Load each story's sources; return the stories that need digesting."""
        digest = settings_digest(self.settings)
        todo = []
        for story in stories:
            result = story.result
            try:
                for found, entry in story.members:
                    source = load_source(found.path)
                    if entry.date:  # the mapping's date anchors the source's relative dates
                        info = source.info.model_copy(update={"date": entry.date})
                        source = dataclasses.replace(source, info=info)
                    story.sources.append(source)
            except BriefgenError as exc:
                result.status, result.error = "failed", str(exc)
                continue
            blob = json.dumps(
                [digest, result.sources, [asdict(e) for _, e in story.members]],
                sort_keys=True,
            )
            texts = "\n\x00".join(s.text for s in story.sources)
            story.fingerprint = hashlib.sha256(f"{blob}\n{texts}".encode()).hexdigest()
            if not self.options.force and self._done(story):
                result.status = "skipped"
            else:
                todo.append(story)
        return todo

    def _done(self, story: _Story) -> bool:
        outputs = [story.result.name + DIGEST_FORMATS[f].extension for f in self.options.formats]
        data = self.state.done(story.result.name, story.fingerprint, outputs)
        if data is None:
            return False
        story.result.outputs = outputs
        for key in ("title", "events", "differences", "verified"):
            setattr(story.result, key, data.get("summary", {}).get(key))
        return True

    def write(self, story: _Story, made: Digest) -> None:
        result = story.result
        texts = {s.id: src.text for s, src in zip(made.sources, story.sources, strict=True)}
        for fmt in self.options.formats:
            name = result.name + DIGEST_FORMATS[fmt].extension
            write_atomic(self.outdir / name, render_digest(made, fmt, texts=texts))
            result.outputs.append(name)
        result.title, result.verified = made.title, made.verified
        result.events, result.differences = len(made.timeline), len(made.differences)
        summary = {k: getattr(result, k) for k in ("title", "events", "differences", "verified")}
        self.state.mark_done(result.name, {"fingerprint": story.fingerprint, "summary": summary})

    async def digest(self, story: _Story) -> None:
        assert self.digester is not None
        result, started = story.result, time.monotonic()
        outlets = [entry.outlet for _, entry in story.members]
        try:
            made = await self.digester.digest(story.sources, outlets=outlets)
            await asyncio.to_thread(self.write, story, made)
            result.status = "ok"
            result.requests, result.usage = made.meta.calls, made.meta.usage
            result.cost_usd = made.meta.cost_usd
        except ConfigError:
            raise  # a bad key or model fails every story alike: stop the run
        except BriefgenError as exc:
            result.status, result.error = "failed", str(exc)
        except Exception as exc:  # one story's bug must not stop the others
            result.status, result.error = "failed", f"unexpected {type(exc).__name__}: {exc}"
        result.seconds = round(time.monotonic() - started, 3)
        self.progress(result.story)


async def arun_digests(
    folder: str | Path,
    outdir: str | Path,
    digest_by: str | Grouping,
    settings: Settings | None = None,
    options: BatchOptions | None = None,
    *,
    client: AsyncClient | None = None,
    on_progress: Callable[[BatchProgress], None] | None = None,
) -> DigestRunReport:
    """Write one digest per story of ``folder`` into ``outdir``; see :func:`run_digests`."""
    settings = settings or Settings.load()
    options = options or BatchOptions()
    if options.via != "live":
        raise ConfigError("digests are made live: drop --via batch-api")
    grouping = read_grouping(digest_by) if isinstance(digest_by, str) else digest_by
    out = Path(outdir)
    check_layout([folder], out)
    found, ignored = find([folder], out)
    stories, left_out = group(found, grouping)
    report = DigestRunReport(outdir=str(out), mapping=grouping.spec, ignored=[*ignored, *left_out])
    planned = []
    for (story, members), name in zip(stories.items(), _names(list(stories)), strict=True):
        result = StoryResult(story, [f.name for f, _ in members], name)
        if len(members) < MIN_SOURCES:
            report.ignored += [
                Ignored(f.name, f"the only file of story {story}") for f, _ in members
            ]
            continue
        if len(members) > MAX_SOURCES:
            result.status = "failed"
            result.error = f"{len(members)} files: a digest merges {MIN_SOURCES} to {MAX_SOURCES}"
        planned.append(_Story(result, members))
        report.results.append(result)
    if not planned:
        raise SourceError(
            f"{folder} holds no story of {MIN_SOURCES} to {MAX_SOURCES} files under "
            f"{grouping.spec}: nothing to digest"
        )
    ensure_folder(out)
    started = time.monotonic()
    run = _Run(out, settings, options, report, on_progress)
    with exclusive(out):
        own = [out / INDEX_NAME, out / REPORT_NAME]
        own += [
            out / (s.result.name + DIGEST_FORMATS[f].extension)
            for s in planned
            for f in options.formats
        ]
        remove_temp_files(own)
        try:
            ready = [s for s in planned if s.result.status == "pending"]
            todo = await asyncio.to_thread(run.pending, ready)
            run.progress()
            if todo:
                await _digest_all(run, todo, client)
        finally:
            report.seconds = time.monotonic() - started
            write_atomic(out / REPORT_NAME, report.to_json().encode("utf-8"))
            write_atomic(out / INDEX_NAME, render_index(report).encode("utf-8"))
    return report


async def _digest_all(run: _Run, todo: list[_Story], client: AsyncClient | None) -> None:
    options = run.options
    async with AsyncDigester(run.settings, client=client, cache_dir=options.cache_dir) as digester:
        conn = digester.connection
        run.digester = digester
        run.report.backend, run.report.model = conn.backend, conn.model
        share_limits(conn, options)
        base_url = str(conn.llm.client.base_url)
        cost_usd(Usage(), conn.model, backend=conn.backend, base_url=base_url)  # load prices
        await pool(todo, run.digest, effective_jobs(options, run.settings))


def run_digests(
    folder: str | Path,
    outdir: str | Path,
    digest_by: str | Grouping,
    settings: Settings | None = None,
    options: BatchOptions | None = None,
    *,
    client: AsyncClient | None = None,
    on_progress: Callable[[BatchProgress], None] | None = None,
) -> DigestRunReport:
    """Digest every story of ``folder`` into ``outdir``, resumably.

    Args:
        folder: the sources (searched recursively, links never followed).
        outdir: where the digests, ``index.md``, ``report.json`` and the run state go.
        digest_by: a mapping file or ``name:REGEX`` (see :mod:`briefgen.digest.stories`).
        settings: the LLM backend, model and budgets; ``Settings.load()`` when omitted.
        options: concurrency, rate limits, formats, cache and ``force`` (``via`` must be live).
        client: your own ``openai.AsyncOpenAI`` client.
        on_progress: called after each story.

    Raises:
        ConfigError: a bad mapping, an unsafe OUTDIR, or the LLM rejects the key or model.
        SourceError: no story of 2 to 8 files.
    """
    return asyncio.run(
        arun_digests(
            folder, outdir, digest_by, settings, options, client=client, on_progress=on_progress
        )
    )
