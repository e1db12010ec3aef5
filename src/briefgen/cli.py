"""The ``briefgen`` command: parse arguments, call the library, turn errors into one line.

This is the only module that exits; it and :mod:`briefgen.terminal` are the only ones that
print. The library is imported inside the functions that use it, so ``briefgen --help`` starts
without loading the OpenAI SDK, pydantic or the document readers.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from briefgen.errors import BriefgenError, ConfigError, UnverifiedError
from briefgen.renderers import Format
from briefgen.renderers.registry import BRIEF_FORMATS
from briefgen.terminal import Terminal, cost_label

if TYPE_CHECKING:
    from briefgen.batch import BatchOptions
    from briefgen.renderers.registry import OutputFormat
    from briefgen.runreport import Briefed
    from briefgen.schema import Briefing
    from briefgen.settings import Settings
    from briefgen.terminal import BriefStatus


def streaming(names: Sequence[str]) -> list[str]:
    """The formats among ``names`` that stream a folder's briefs to ``-o -`` (``jsonl``)."""
    return [name for name in names if BRIEF_FORMATS[name].streams]


def formats(value: str) -> tuple[str, ...]:
    """``--format``'s value: one format, or several separated by commas (``md,pdf,html``)."""
    names = tuple(dict.fromkeys(v.strip().lower() for v in value.split(",") if v.strip()))
    known = BRIEF_FORMATS.names()
    for name in names:
        if name not in known:
            raise argparse.ArgumentTypeError(
                f"unknown format {name!r}: use {', '.join(known)}, or several as md,pdf,html"
            )
    if not names:
        raise argparse.ArgumentTypeError(f"name a format: {', '.join(known)}")
    for name in streaming(names):
        if len(names) > 1:
            raise argparse.ArgumentTypeError(f"{name} goes alone: it streams briefs to -o -")
    return names


def format_help() -> str:
    """``--format``'s help, from the registry: the file formats, then the streaming ones."""
    first, *others = [f.name for f in BRIEF_FORMATS if not f.streams]
    streams = "".join(f"; {f.name} {f.help}" for f in BRIEF_FORMATS if f.streams)
    return (
        f"{', '.join([f'{first} (default)', *others])}; several at once with -o, e.g. "
        f"md,pdf,html (-o brief writes brief.md, brief.pdf, brief.html){streams}"
    )


EXAMPLES = """\
examples:
  briefgen article.txt                        Markdown on stdout
  briefgen article.txt -o b -f md,pdf,html    b.md, b.pdf and b.html
  briefgen --from-json b.json -o b.pdf        re-render, no LLM call
  briefgen news/ -o briefs/ -f md,html        a folder; index.md, index.html
  briefgen news/ -f jsonl -o - | jq .source   a JSON line per finished brief
  python -m briefgen ...                      the same command

exit codes: 2 usage or configuration, 3 source, 4 LLM service, 5 extraction,
6 rendering, 7 unverified brief under --strict; 1 when a folder run leaves a
source unbriefed.
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, like every other error of the command (argparse adds the usage above it).
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class _Version(argparse.Action):
    """``--version``, reading the installed version only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        from briefgen.version import version

        print(f"briefgen {version()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="briefgen",
        description="Turn a source text into a grounded brief: events, actors, positions,\n"
        "open questions, every quote checked against the source.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "sources",
        nargs="*",
        metavar="SOURCE",
        help="a .txt/.md/.html/.pdf file, an http(s):// URL, - for standard input, or a folder; "
        "2-8 of them with --digest; with --from-json it may be left out for md, json and pdf",
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
        "-f",
        "--format",
        type=formats,
        metavar="FORMAT",
        help=format_help(),
    )
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
    talk = parser.add_mutually_exclusive_group()
    talk.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print only errors and the unverified-brief warning: no progress, no 'wrote' lines",
    )
    talk.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also print what the library logs (requests, retries, re-asks, cache hits, parts) "
        "and the check's diagnostics (every change to the model's answer)",
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
    batch = parser.add_argument_group(
        "batch (SOURCE is a folder; -o OUTDIR, or -o - with -f jsonl)"
    )
    batch.add_argument("--jobs", type=int, help="concurrent briefs (default 8; 1 for embedded)")
    batch.add_argument("--rpm", type=float, help="at most this many requests per minute")
    batch.add_argument("--tpm", type=float, help="at most this many tokens per minute")
    batch.add_argument(
        "--digest-by",
        metavar="MAPPING",
        help="one digest per story: a .csv (file,story[,outlet,date]) or .json mapping of "
        "file to story, or name:REGEX for the part of each file name that names its story",
    )
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
    parser.add_argument("--version", action=_Version, help="show the version and exit")
    return parser


def batch_options(args: argparse.Namespace, formats: tuple[Format, ...] = ()) -> BatchOptions:
    """What a folder run takes from the flags; rates are checked before any source is read."""
    from briefgen.batch import BatchOptions
    from briefgen.cache import default_cache_dir
    from briefgen.limits import check_rates

    check_rates(args.rpm, args.tpm)
    return BatchOptions(
        jobs=args.jobs,
        rpm=args.rpm,
        tpm=args.tpm,
        force=args.force,
        formats=formats,
        via=args.via,
        cache_dir=None if args.no_cache else default_cache_dir(),
    )


def run_folder(args: argparse.Namespace, settings: Settings, term: Terminal) -> int:
    """Brief a folder with a progress bar on a terminal; exit 0 only if every source is done."""
    from briefgen.batch import run_batch

    if not args.output:
        raise BriefgenError(f"{args.source} is a folder: add -o OUTDIR for the briefs")
    stream = args.output == "-"
    fmts: tuple[Format, ...] = args.format or ("md",)
    streams = streaming(fmts)
    if stream and not streams:
        named = streaming(BRIEF_FORMATS.names())[0]
        raise ConfigError(f"-o - takes a folder's briefs as JSON Lines: add --format {named}")
    if not stream and streams:
        raise ConfigError(f"--format {streams[0]} streams the briefs to standard output: use -o -")
    options = batch_options(args, formats=() if stream else fmts)
    outdir = None if stream else args.output
    with term.batch_bar() as show:
        report = run_batch(
            [args.source],
            outdir,
            settings,
            options,
            on_progress=show,
            on_brief=_write_line if stream else None,
        )
    where = "" if stream else f" · {Path(args.output) / 'index.md'}"
    term.say(
        f"briefgen: {report.count('ok')} briefed, {report.count('skipped')} up to date, "
        f"{report.count('failed')} failed, {len(report.ignored)} left out · "
        f"{report.usage.total_tokens:,} tokens · {cost_label(report.cost_usd)}{where}"
    )
    return 0 if report.ok else 1


def _write_line(briefed: Briefed) -> None:
    """One JSON line on standard output per finished source, as soon as it finishes."""
    sys.stdout.buffer.write(briefed.json_line().encode("utf-8") + b"\n")
    sys.stdout.flush()


def run_digest_folder(args: argparse.Namespace, settings: Settings, term: Terminal) -> int:
    """One digest per story of a folder; exit 0 only if every story is digested."""
    from briefgen.digest.batch import run_digests

    if not args.output:
        raise BriefgenError(f"{args.source} is a folder: add -o OUTDIR for the digests")
    options = batch_options(args, formats=args.format or ("md",))
    with term.batch_bar() as show:
        report = run_digests(
            args.source, args.output, args.digest_by, settings, options, on_progress=show
        )
    term.say(
        f"briefgen: {report.count('ok')} digested, {report.count('skipped')} up to date, "
        f"{report.count('failed')} failed, {len(report.ignored)} files left out · "
        f"{report.usage.total_tokens:,} tokens · {Path(args.output) / 'index.md'}"
    )
    return 0 if report.ok else 1


def run_digest(args: argparse.Namespace, settings: Settings, term: Terminal) -> int:
    """Digest the sources given: one story told by several of them."""
    from briefgen.cache import default_cache_dir
    from briefgen.digest.render import DIGEST_FORMATS, render_digest
    from briefgen.digest.run import Digester, load_all, load_digest
    from briefgen.digest.run import require_verified as require_verified_digest
    from briefgen.digest.schema import SOURCE_IDS
    from briefgen.output import resolve_output, write_output

    output = None if args.output == "-" else args.output
    if args.format and len(args.format) > 1:
        raise ConfigError("a digest is written in one format at a time: give one --format")
    fmt: Format = args.format[0] if args.format else DIGEST_FORMATS.format_for(output)
    if DIGEST_FORMATS[fmt].binary and not output and sys.stdout.isatty():
        raise BriefgenError(_not_for_a_terminal(DIGEST_FORMATS[fmt], "digest"))
    inputs = (*args.sources, args.from_json)
    if output:
        resolve_output(output, inputs=inputs)  # refuse a bad target before any LLM request
    sources = load_all(args.sources, allow_private_urls=args.allow_private_urls)
    texts = {sid: s.text for sid, s in zip(SOURCE_IDS, sources, strict=False)}
    if args.from_json:
        made = load_digest(args.from_json, texts)
    else:
        cache_dir = None if args.no_cache else default_cache_dir()
        with term.status() as status:
            made = Digester(settings, cache_dir=cache_dir, on_progress=status.stage).digest(sources)
    data = render_digest(made, fmt, texts=texts)
    if output:
        write_output(output, data, inputs=inputs)
        term.say(f"wrote {output}")
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    if args.verbose:
        for note in made.meta.warnings:
            term.warn(f"briefgen: note: {note}")
    if args.strict:
        require_verified_digest(made)  # after writing: the digest is still there to inspect
    elif made.banner:
        term.warn(f"briefgen: {made.banner}")
    return 0


def run(args: argparse.Namespace, term: Terminal) -> int:
    args.source = args.sources[0] if args.sources else None
    if args.source is None and not args.from_json:
        raise ConfigError("give a source to brief: a file, a URL, a folder, or - for stdin")
    from briefgen.settings import Settings

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
    if args.digest_by:
        if len(args.sources) != 1 or not Path(args.source).is_dir():
            raise ConfigError("--digest-by groups the files of one folder: give the folder")
        return run_digest_folder(args, settings, term)
    if args.digest:
        return run_digest(args, settings, term)
    if len(args.sources) > 1:
        raise ConfigError(
            f"{len(args.sources)} sources given: brief one at a time, or add --digest to merge "
            "2-8 accounts of one story"
        )
    if args.source is not None and Path(args.source).is_dir():
        if args.strict:
            raise ConfigError("--strict checks one brief: give a file, not a folder")
        return run_folder(args, settings, term)
    return run_one(args, settings, term)


def run_one(args: argparse.Namespace, settings: Settings, term: Terminal) -> int:
    """Brief one source (or re-render a saved brief) in one or more formats."""
    from briefgen.notices import require_verified
    from briefgen.output import resolve_output, write_output
    from briefgen.renderers import format_for, output_paths, render

    output = None if args.output == "-" else args.output
    fmts: tuple[Format, ...] = args.format or (format_for(output),)
    if len(fmts) > 1 and not output:
        raise ConfigError(f"{len(fmts)} formats need -o: e.g. -o brief writes brief.md, brief.pdf")
    binary = [f for f in fmts if BRIEF_FORMATS[f].binary]
    if binary and not output and sys.stdout.isatty():
        raise BriefgenError(_not_for_a_terminal(BRIEF_FORMATS[binary[0]], "brief"))
    needs_source = [f for f in fmts if BRIEF_FORMATS[f].needs_source]
    if args.source is None and needs_source:
        raise ConfigError(
            f"the {needs_source[0].upper()} view shows the brief beside its source: give the "
            "source too, briefgen SOURCE --from-json BRIEF.json"
        )
    targets = output_paths(output, fmts) if output else []
    inputs = (args.source, args.from_json)
    for target in targets:
        resolve_output(target, inputs=inputs)  # refuse a bad target before any LLM request
    with term.status() as status:
        briefing, text = _briefing(args, settings, status)
        for stage in dict.fromkeys(BRIEF_FORMATS[f].stage for f in fmts):
            if stage:
                status.stage(stage)
        # Every format is rendered before any is written: one that fails leaves no file.
        rendered = [render(briefing, fmt, source=text) for fmt in fmts]
    if not targets:
        sys.stdout.buffer.write(rendered[0])
        sys.stdout.flush()
    else:
        for target, data in zip(targets, rendered, strict=True):
            write_output(target, data, inputs=inputs)
            term.say(f"wrote {target}")
    if args.verbose:
        for note in briefing.meta.warnings:
            term.warn(f"briefgen: note: {note}")
    if args.strict:
        require_verified(briefing)  # after writing: a failed brief is still there to inspect
    elif briefing.banner:
        term.warn(f"briefgen: {briefing.banner}")
    return 0


def _not_for_a_terminal(fmt: OutputFormat[Any, Any], document: str) -> str:
    return f"a {fmt.name.upper()} does not belong on a terminal: add -o {document}{fmt.extension}"


def _briefing(
    args: argparse.Namespace, settings: Settings, status: BriefStatus
) -> tuple[Briefing, str | None]:
    """The brief, made or read back, and the source text (None when it was not given)."""
    from briefgen.extract import generate_brief, load_briefing
    from briefgen.sources import load_source

    if args.source is None:  # a saved brief alone: its quotes as saved
        return load_briefing(args.from_json), None
    status.stage(f"reading {args.source}")
    source = load_source(args.source, allow_private_urls=args.allow_private_urls)
    if args.from_json:
        return load_briefing(args.from_json, source.text), source.text
    from briefgen.cache import default_cache_dir

    briefing = generate_brief(
        source.text,
        settings=settings,
        info=source.info,
        cache_dir=None if args.no_cache else default_cache_dir(),
        on_event=status,
    )
    return briefing, source.text


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``briefgen`` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    term = Terminal(quiet=args.quiet, verbose=args.verbose)
    try:
        with term.library_log():
            return run(args, term)
    except BriefgenError as exc:
        from briefgen.redaction import environment_secrets, redact

        term.warn(f"briefgen: error: {redact(str(exc), environment_secrets())}")
        return exc.exit_code
    except KeyboardInterrupt:
        term.warn("briefgen: interrupted")
        return 130
    except BrokenPipeError:
        # The reader of standard output left (`| head -1`): stop quietly, as other tools do,
        # and keep Python from reporting the pipe again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
