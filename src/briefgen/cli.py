"""The ``briefgen`` command: parse arguments, call the library, turn errors into one line.

This is the only module that prints or exits.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from briefgen.errors import BriefgenError
from briefgen.extract import generate_brief, load_briefing, plan, version
from briefgen.output import write_atomic
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
        "source", help="a .txt/.md/.html/.pdf file, an http(s):// URL, or - for standard input"
    )
    parser.add_argument("-o", "--output", help="write here (format from the extension)")
    parser.add_argument("-f", "--format", choices=FORMATS, help="md (default), json, pdf, html")
    parser.add_argument(
        "--from-json",
        metavar="BRIEF.json",
        help="re-render a brief saved with --format json for this source; no LLM call",
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
    llm.add_argument("--max-attempts", type=int, help="requests per source, re-asks included")
    llm.add_argument("--n-ctx", type=int, help="context size of the embedded model")
    llm.add_argument(
        "--input-budget",
        type=int,
        metavar="TOKENS",
        help="source tokens per request; a longer source is briefed in parts "
        "[BRIEFGEN_INPUT_BUDGET_TOKENS]",
    )
    parser.add_argument("--version", action="version", version=f"briefgen {version()}")
    return parser


def run(args: argparse.Namespace) -> int:
    settings = Settings.load(
        base_url=args.base_url,
        model=args.model,
        model_path=args.model_path,
        mode=args.mode,
        max_attempts=args.max_attempts,
        n_ctx=args.n_ctx,
        input_budget_tokens=args.input_budget,
    )
    fmt: Format = args.format or format_for(args.output)
    if fmt == "pdf" and not args.output and sys.stdout.isatty():
        raise BriefgenError("a PDF does not belong on a terminal: add -o brief.pdf")
    source = load_source(args.source, allow_private_urls=args.allow_private_urls)
    if args.from_json:
        briefing = load_briefing(args.from_json, source.text)
    else:
        parts = len(plan(source.text, settings))
        if parts > 1:
            print(f"briefgen: long source: chunked into {parts} parts", file=sys.stderr)
        briefing = generate_brief(source.text, settings=settings, info=source.info)
    data = render(briefing, fmt, source=source.text)
    if args.output:
        write_atomic(args.output, data)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
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
