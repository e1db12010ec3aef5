"""What a batch run did: per-source results, the JSON run report, ``index.md`` / ``index.html``
and the JSON Lines a streamed run writes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from briefgen.costs import format_cost
from briefgen.renderers.base import escape_markdown, make_environment, template
from briefgen.schema import Briefing, Usage

if TYPE_CHECKING:
    import jinja2

#: ok: briefed this run; skipped: unchanged since a previous run; failed: see ``error``;
#: pending: never finished because the run was interrupted or aborted.
Status = Literal["ok", "skipped", "failed", "pending"]


@dataclass
class Summary:
    """What the index shows about one brief (kept in the run state so skipped sources list too)."""

    title: str
    date: str | None
    actors: list[str]
    verified: int
    quotes: int

    @classmethod
    def of(cls, briefing: Briefing) -> Summary:
        g = briefing.meta.grounding
        return cls(
            title=briefing.title,
            date=briefing.source.date,
            actors=[a.name for a in briefing.actors],
            verified=g.verified,
            quotes=g.total,
        )


@dataclass
class SourceResult:
    """The outcome for one source file.

    Attributes:
        source: the input path, relative to its folder.
        status: ok, skipped, failed or pending.
        outputs: written files, relative to OUTDIR.
        error: the one-line reason when it failed.
        attempts: model answers used (first ask plus re-asks).
        requests: HTTP requests sent this run (transport retries included, cache hits not).
        usage: tokens spent this run (cached answers and skipped sources spend none).
        cost_usd: dollars spent this run, None when the model's price is unknown.
        seconds: wall time spent on this source.
    """

    source: str
    status: Status = "pending"
    outputs: list[str] = field(default_factory=list)
    error: str | None = None
    attempts: int = 0
    requests: int = 0
    usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = 0.0
    seconds: float = 0.0
    summary: Summary | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["usage"] = self.usage.model_dump()
        data.pop("summary")
        return data


@dataclass(frozen=True)
class Briefed:
    """A source the run has just finished, briefed or failed (what ``on_brief`` is handed).

    Attributes:
        path: the source file, as found under the run's inputs.
        result: its outcome (status, error, tokens, cost, seconds).
        briefing: the brief; None when the source failed.
    """

    path: Path
    result: SourceResult
    briefing: Briefing | None

    def json_line(self) -> str:
        """One JSON Lines record, without the newline: ``source`` (the path), ``status``
        (``ok`` or ``failed``), ``error`` (None when ok) and ``briefing`` (the ``--format
        json`` contract, or None)."""
        head = {"source": str(self.path), "status": self.result.status, "error": self.result.error}
        briefing = self.briefing.model_dump_json() if self.briefing is not None else "null"
        # The brief is serialized once, by pydantic, into the record; JSON escapes newlines.
        return json.dumps(head, ensure_ascii=False)[:-1] + f', "briefing": {briefing}}}'


@dataclass(frozen=True)
class Ignored:
    """A file under an input folder that the run left out, and why (one line)."""

    source: str
    reason: str


class Tally:
    """Counts over a run's ``results`` (each with a ``status`` and a ``usage``), shared by the
    report of a batch of briefs and that of a batch of digests."""

    results: Sequence[Any]

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def ok(self) -> bool:
        return all(r.status in ("ok", "skipped") for r in self.results)

    @property
    def usage(self) -> Usage:
        return sum((r.usage for r in self.results), Usage())


@dataclass
class RunReport(Tally):
    """Everything a batch run did; ``ok`` is True only when every source is ok or skipped."""

    outdir: str
    backend: str = ""
    model: str = ""
    via: str = "live"
    seconds: float = 0.0
    results: list[SourceResult] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(r.requests for r in self.results)

    @property
    def cost_usd(self) -> float | None:
        """Total dollars; None when any source that spent tokens has an unknown price."""
        if any(r.cost_usd is None and r.usage.total_tokens for r in self.results):
            return None
        return sum(r.cost_usd or 0.0 for r in self.results)

    def to_json(self) -> str:
        totals = {
            "sources": len(self.results),
            **{s: self.count(s) for s in ("ok", "skipped", "failed", "pending")},
            "requests": self.requests,
            "usage": self.usage.model_dump(),
            "cost_usd": self.cost_usd,
        }
        data = {
            "outdir": self.outdir,
            "backend": self.backend,
            "model": self.model,
            "via": self.via,
            "seconds": round(self.seconds, 3),
            "ok": self.ok,
            "totals": totals,
            "sources": [r.to_json() for r in self.results],
            "ignored": [asdict(i) for i in self.ignored],
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


@cache
def _env() -> jinja2.Environment:
    return make_environment(escape_markdown)


def _plain(value: Any) -> Any:
    # Autoescape does the escaping; finalize only keeps ``None`` from printing as "None".
    return "" if value is None else value


@cache
def _html_env() -> jinja2.Environment:
    return make_environment(_plain, autoescape=True)


def preload_index(html: bool = False) -> None:
    """Compile the index templates once, while a batch's first requests are in flight."""
    template(_env(), "index.md.j2")
    if html:
        template(_html_env(), "index.html.j2")


def _target(result: SourceResult, prefer: str) -> str:
    """The output a row links to: the one with extension ``prefer`` if written, else the first."""
    for name in result.outputs:
        if name.endswith(prefer):
            return quote(name)
    return quote(result.outputs[0]) if result.outputs else ""


def _rows(report: RunReport, prefer: str) -> list[dict[str, Any]]:
    """One row per brief (title, link, date, actors, grounding, source)."""
    rows = []
    for r in report.results:
        if r.summary is None or r.status not in ("ok", "skipped"):
            continue
        s = r.summary
        rate = f"{s.verified}/{s.quotes} ({s.verified / s.quotes:.0%})" if s.quotes else "0/0"
        rows.append(
            {
                "title": s.title,
                "target": _target(r, prefer),
                "date": s.date or "",
                "actors": ", ".join(s.actors[:4]) + (" …" if len(s.actors) > 4 else ""),
                "grounding": rate,
                "source": r.source,
            }
        )
    return rows


def _render(report: RunReport, env: jinja2.Environment, name: str, prefer: str) -> str:
    return template(env, name).render(
        rows=_rows(report, prefer),
        failures=[r for r in report.results if r.status in ("failed", "pending")],
        report=report,
        tokens=f"{report.usage.total_tokens:,}",
        cost=format_cost(report.cost_usd),
    )


def render_index(report: RunReport) -> str:
    """``index.md``: one table row per brief (title, date, actors, grounding), then failures."""
    return _render(report, _env(), "index.md.j2", ".md")


def render_index_html(report: RunReport) -> str:
    """``index.html``: the same table as ``index.md``, its rows linking to the HTML briefs."""
    return _render(report, _html_env(), "index.html.j2", ".html")
