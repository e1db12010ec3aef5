"""The ``briefgen`` command: parse arguments, call the library, turn errors into one line.

This is the only module that prints or exits.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, TextColumn

from briefgen.batch import BatchOptions, run_batch
from briefgen.batch import Progress as BatchProgress
from briefgen.cache import default_cache_dir
from briefgen.costs import format_cost
from briefgen.errors import BriefgenError, ConfigError, UnverifiedError
from briefgen.extract import generate_brief, load_briefing, plan
from briefgen.limits import check_rates
from briefgen.notices import require_verified
from briefgen.output import resolve_output, write_output
from briefgen.redaction import environment_secrets, redact
from briefgen.rendering import FORMATS, Format, format_for, render
from briefgen.settings import Settings
from briefgen.sources import load_source
from briefgen.version import version


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="briefgen",
        description="Turn a source text into a grounded brief: events, actors, positions, "
        "open questions, every quote checked against the source.",
    )
    parser.add_argument(
        "source", help="a .txt/.md/.html/.pdf file, an http(s):// URL, or - for standard input"
    )
    parser.add_argument(
        "-o", "--output", help="write here (format from the extension); - for standard output"
    )
    parser.add_argument("-f", "--format", choices=FORMATS, help="md (default), json, pdf, html")
    parser.add_argument(
        "--from-json",
        metavar="BRIEF.json",
        help="re-render a brief saved with --format json for this source; no LLM call",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help=f"fail with exit code {UnverifiedError.exit_code} when a quote is unverified or "
        "the check left items out (the brief is still written, to inspect)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also print the check's diagnostics (every change to the model's answer)",
    )
    parser.add_argument(
        "--allow-private-urls",
        action="store_true",
        help="let a URL source reach localhost and private-network addresses",
    )
    llm = parser.add_argument_group("LLM (default: the embedded local model)")
    llm.add_argument("--base-url", help="OpenAI-compatible server URL [OPENAI_BASE_URL]")
    llm.add_argument("--model", help="model name [BRIEFGEN_MODEL]")
    llm.add_argument("--model-path", help="run this GGUF file in the embedded llama.cpp server")
    llm.add_argument(
        "--mode",
        choices=("auto", "json_schema", "json_object", "tools"),
        help="how structured output is requested (default auto)",
    )
    llm.add_argument(
        "--max-attempts",
        type=int,
        help="requests per source, re-asks included (plus one for stances)",
    )
    llm.add_argument("--n-ctx", type=int, help="context size of the embedded model")
    llm.add_argument(
        "--input-budget",
        type=int,
        metavar="TOKENS",
        help="source tokens per request; a longer source is briefed in parts "
        "[BRIEFGEN_INPUT_BUDGET_TOKENS]",
    )
    llm.add_argument(
        "--max-parts",
        type=int,
        metavar="N",
        help="refuse a source that needs more parts than this (default 60) [BRIEFGEN_MAX_PARTS]",
    )
    batch = parser.add_argument_group("batch (SOURCE is a folder; -o names the output folder)")
    batch.add_argument("--jobs", type=int, help="concurrent briefs (default 8; 1 for embedded)")
    batch.add_argument("--rpm", type=float, help="at most this many requests per minute")
    batch.add_argument("--tpm", type=float, help="at most this many tokens per minute")
    batch.add_argument("--force", action="store_true", help="redo sources already up to date")
    batch.add_argument(
        "--via",
        choices=("live", "batch-api"),
        default="live",
        help="live requests, or OpenAI's Batch API (half price, results within 24 h)",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="ask the LLM again even when an identical request was answered before",
    )
    parser.add_argument("--version", action="version", version=f"briefgen {version()}")
    return parser


def run_folder(args: argparse.Namespace, settings: Settings) -> int:
    """Brief a folder with a progress bar on a terminal; exit 0 only if every source is done."""
    if not args.output:
        raise BriefgenError(f"{args.source} is a folder: add -o OUTDIR for the briefs")
    check_rates(args.rpm, args.tpm)  # before any source is read or model loaded
    options = BatchOptions(
        jobs=args.jobs,
        rpm=args.rpm,
        tpm=args.tpm,
        force=args.force,
        formats=(args.format or "md",),
        via=args.via,
        cache_dir=None if args.no_cache else default_cache_dir(),
    )
    console = Console(stderr=True)
    columns = (*Progress.get_default_columns(), TextColumn("{task.fields[info]}"))
    with Progress(*columns, console=console, disable=not console.is_terminal) as bar:
        task = bar.add_task("briefing", total=None, info="")

        def show(p: BatchProgress) -> None:
            info = f"{p.failed} failed · {p.tokens:,} tokens · {format_cost(p.cost_usd)}"
            bar.update(task, total=p.total, completed=p.total - p.remaining, info=info)

        report = run_batch([args.source], args.output, settings, options, on_progress=show)
    console.print(
        f"briefgen: {report.count('ok')} briefed, {report.count('skipped')} up to date, "
        f"{report.count('failed')} failed, {len(report.ignored)} left out · "
        f"{report.usage.total_tokens:,} tokens · "
        f"{format_cost(report.cost_usd)} · {Path(args.output) / 'index.md'}",
        highlight=False,
        soft_wrap=True,
    )
    return 0 if report.ok else 1


def run(args: argparse.Namespace) -> int:
    settings = Settings.load(
        base_url=args.base_url,
        model=args.model,
        model_path=args.model_path,
        mode=args.mode,
        max_attempts=args.max_attempts,
        n_ctx=args.n_ctx,
        input_budget_tokens=args.input_budget,
        max_parts=args.max_parts,
    )
    if Path(args.source).is_dir():
        if args.strict:
            raise ConfigError("--strict checks one brief: give a file, not a folder")
        return run_folder(args, settings)
    output = None if args.output == "-" else args.output
    fmt: Format = args.format or format_for(output)
    if fmt == "pdf" and not output and sys.stdout.isatty():
        raise BriefgenError("a PDF does not belong on a terminal: add -o brief.pdf")
    inputs = (args.source, args.from_json)
    if output:
        resolve_output(output, inputs=inputs)  # refuse a bad target before any LLM request
    source = load_source(args.source, allow_private_urls=args.allow_private_urls)
    if args.from_json:
        briefing = load_briefing(args.from_json, source.text)
    else:
        parts = len(plan(source.text, settings))
        if parts > 1:
            print(f"briefgen: long source: chunked into {parts} parts", file=sys.stderr)
        cache_dir = None if args.no_cache else default_cache_dir()
        briefing = generate_brief(
            source.text, settings=settings, info=source.info, cache_dir=cache_dir
        )
    data = render(briefing, fmt, source=source.text)
    if output:
        write_output(output, data, inputs=inputs)
        print(f"wrote {output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    if args.verbose:
        for note in briefing.meta.warnings:
            print(f"briefgen: note: {note}", file=sys.stderr)
    if args.strict:
        require_verified(briefing)  # after writing: a failed brief is still there to inspect
    elif briefing.banner:
        print(f"briefgen: {briefing.banner}", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``briefgen`` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except BriefgenError as exc:
        print(f"briefgen: error: {redact(str(exc), environment_secrets())}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("briefgen: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
