"""The ``briefgen`` command: parse arguments, call the library, turn errors into one line.

This is the only module that prints or exits.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, TextColumn

from briefgen.batch import BatchOptions, run_batch
from briefgen.batch import Progress as BatchProgress
from briefgen.cache import default_cache_dir
from briefgen.costs import format_cost
from briefgen.digest.batch import run_digests
from briefgen.digest.render import render_digest
from briefgen.digest.run import Digester, load_all, load_digest
from briefgen.digest.run import require_verified as require_verified_digest
from briefgen.digest.schema import SOURCE_IDS
from briefgen.errors import BriefgenError, ConfigError, UnverifiedError
from briefgen.extract import generate_brief, load_briefing, plan, version
from briefgen.limits import check_rates
from briefgen.notices import require_verified
from briefgen.output import resolve_output, write_output
from briefgen.redaction import environment_secrets, redact
from briefgen.rendering import FORMATS, Format, format_for, render
from briefgen.settings import Settings
from briefgen.sources import load_source


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="briefgen",
        description="Turn a source text into a grounded brief: events, actors, positions, "
        "open questions, every quote checked against the source.",
    )
    parser.add_argument(
        "sources",
        nargs="+",
        metavar="SOURCE",
        help="a .txt/.md/.html/.pdf file, an http(s):// URL, or - for standard input; "
        "a folder for a batch; 2-8 of them with --digest",
    )
    parser.add_argument(
        "--digest",
        action="store_true",
        help="merge the SOURCEs (2-8 accounts of one story) into one digest: a timeline of "
        "who reported what, positions by speaker, and where the accounts differ",
    )
    parser.add_argument(
        "-o", "--output", help="write here (format from the extension); - for standard output"
    )
    parser.add_argument(
        "-f", "--format", choices=FORMATS, help="md (default), json, jsonl, pdf, html"
    )
    parser.add_argument(
        "--from-json",
        metavar="BRIEF.json",
        help="re-render a brief (with --digest, a digest) saved with --format json for these "
        "sources; no LLM call",
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
        "--digest-by",
        metavar="MAPPING",
        help="one digest per story: a .csv (file,story[,outlet,date]) or .json mapping of "
        "file to story, or name:REGEX for the part of each file name that names its story",
    )
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


def batch_options(args: argparse.Namespace) -> BatchOptions:
    """What a folder run takes from the flags."""
    check_rates(args.rpm, args.tpm)  # before any source is read or model loaded
    return BatchOptions(
        jobs=args.jobs,
        rpm=args.rpm,
        tpm=args.tpm,
        force=args.force,
        formats=(args.format or "md",),
        via=args.via,
        cache_dir=None if args.no_cache else default_cache_dir(),
    )


@contextmanager
def progress_bar(console: Console, label: str) -> Iterator[Callable[[BatchProgress], None]]:
    """A progress bar on a terminal (nothing elsewhere); yields the run's progress callback."""
    columns = (*Progress.get_default_columns(), TextColumn("{task.fields[info]}"))
    with Progress(*columns, console=console, disable=not console.is_terminal) as bar:
        task = bar.add_task(label, total=None, info="")

        def show(p: BatchProgress) -> None:
            info = f"{p.failed} failed · {p.tokens:,} tokens · {format_cost(p.cost_usd)}"
            bar.update(task, total=p.total, completed=p.total - p.remaining, info=info)

        yield show


def run_folder(args: argparse.Namespace, settings: Settings) -> int:
    """Brief a folder with a progress bar on a terminal; exit 0 only if every source is done."""
    if not args.output:
        raise BriefgenError(f"{args.source} is a folder: add -o OUTDIR for the briefs")
    options = batch_options(args)
    console = Console(stderr=True)
    with progress_bar(console, "briefing") as show:
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


def run_digest_folder(args: argparse.Namespace, settings: Settings) -> int:
    """One digest per story of a folder; exit 0 only if every story is digested."""
    if not args.output:
        raise BriefgenError(f"{args.source} is a folder: add -o OUTDIR for the digests")
    options = batch_options(args)
    console = Console(stderr=True)
    with progress_bar(console, "digesting") as show:
        report = run_digests(
            args.source, args.output, args.digest_by, settings, options, on_progress=show
        )
    console.print(
        f"briefgen: {report.count('ok')} digested, {report.count('skipped')} up to date, "
        f"{report.count('failed')} failed, {len(report.ignored)} files left out · "
        f"{report.usage.total_tokens:,} tokens · {Path(args.output) / 'index.md'}",
        highlight=False,
        soft_wrap=True,
    )
    return 0 if report.ok else 1


def emit(data: bytes, output: str | None, inputs: Sequence[str | None]) -> None:
    """Write ``data`` to ``output`` (atomically) or standard output."""
    if output:
        write_output(output, data, inputs=inputs)
        print(f"wrote {output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


def run_digest(args: argparse.Namespace, settings: Settings) -> int:
    """Digest the sources given: one story told by several of them."""
    output = None if args.output == "-" else args.output
    fmt: Format = args.format or format_for(output)
    if fmt == "pdf" and not output and sys.stdout.isatty():
        raise BriefgenError("a PDF does not belong on a terminal: add -o digest.pdf")
    inputs = (*args.sources, args.from_json)
    if output:
        resolve_output(output, inputs=inputs)  # refuse a bad target before any LLM request
    sources = load_all(args.sources, allow_private_urls=args.allow_private_urls)
    texts = {sid: s.text for sid, s in zip(SOURCE_IDS, sources, strict=False)}
    if args.from_json:
        made = load_digest(args.from_json, texts)
    else:
        cache_dir = None if args.no_cache else default_cache_dir()

        def say(step: str) -> None:
            print(f"briefgen: {step}", file=sys.stderr)

        made = Digester(settings, cache_dir=cache_dir, on_progress=say).digest(sources)
    emit(render_digest(made, fmt, texts=texts), output, inputs)
    if args.verbose:
        for note in made.meta.warnings:
            print(f"briefgen: note: {note}", file=sys.stderr)
    if args.strict:
        require_verified_digest(made)  # after writing: the digest is still there to inspect
    elif made.banner:
        print(f"briefgen: {made.banner}", file=sys.stderr)
    return 0


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
    args.source = args.sources[0]
    if args.digest_by:
        if len(args.sources) > 1 or not Path(args.source).is_dir():
            raise ConfigError("--digest-by groups the files of one folder: give the folder")
        return run_digest_folder(args, settings)
    if args.digest:
        return run_digest(args, settings)
    if len(args.sources) > 1:
        raise ConfigError(
            f"{len(args.sources)} sources given: brief one at a time, or add --digest to merge "
            "2-8 accounts of one story"
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
    emit(render(briefing, fmt, source=source.text), output, inputs)
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
