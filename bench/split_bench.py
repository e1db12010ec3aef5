"""One request or two? Time the draft as one request against the same draft in two requests.

    python bench/split_bench.py --n 6 --seed 2026 --min-chars 3400 --max-chars 7500

Both ways send the same messages (the fixed system prompt, then the numbered source and its
task); two requests share that prefix, so the second processes only what differs, and each asks
for half the draft's fields (who: title, summary, source, actors, positions; what: key events
and open questions). Each way runs on a server of its own over the same articles, so neither
reuses the other's cached prompt. Prints seconds and written tokens per article; it measures
cost only: what each way's answers say is not scored.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from evaluate import DEFAULT_CORPUS, sample
from pydantic import BaseModel, ConfigDict, Field

from briefgen import Settings, llm, prompts
from briefgen.llm import connect
from briefgen.schema import (
    MAX_ACTORS,
    MAX_DRAFT_POSITIONS,
    MAX_EVENTS,
    MAX_QUESTIONS,
    Draft,
    DraftActor,
    DraftEvent,
    DraftPosition,
    DraftQuestion,
    DraftSource,
    Line,
    Summary,
)
from briefgen.sentences import Document


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Who(_Strict):
    """The first half of the draft: what it says and who speaks."""

    title: Line
    summary: Summary
    source: DraftSource
    actors: list[DraftActor] = Field(max_length=MAX_ACTORS)
    positions: list[DraftPosition] = Field(max_length=MAX_DRAFT_POSITIONS)


class What(_Strict):
    """The second half: what happened and what is open."""

    key_events: list[DraftEvent] = Field(max_length=MAX_EVENTS)
    open_questions: list[DraftQuestion] = Field(max_length=MAX_QUESTIONS)


def _ask(model: llm.LLM, messages: list[dict[str, Any]], schema: type[BaseModel]) -> int:
    return model.complete(messages, schema).usage.completion_tokens


def run_way(files: list[Path], split: bool) -> list[tuple[float, int]]:
    """Seconds and written tokens of each article's draft, one way, on a server of its own."""
    done = []
    with connect(Settings.load(), asynchronous=False) as conn:
        for path in files:
            base = prompts.messages(Document(path.read_text(encoding="utf-8")))
            started = time.monotonic()
            if split:
                written = _ask(conn.llm, base, Who) + _ask(conn.llm, base, What)
            else:
                written = _ask(conn.llm, base, Draft)
            done.append((time.monotonic() - started, written))
            print(f"{'two' if split else 'one'} {path.name}: {done[-1][0]:.1f} s, {written} tokens")
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=6)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--min-chars", type=int, default=3400)
    parser.add_argument("--max-chars", type=int, default=7500)
    args = parser.parse_args(argv)
    files = sample(DEFAULT_CORPUS, args.n, args.seed, args.max_chars, args.min_chars)
    one, two = run_way(files, split=False), run_way(files, split=True)
    for label, runs in (("one request", one), ("two requests", two)):
        seconds = statistics.median(s for s, _ in runs)
        tokens = statistics.mean(t for _, t in runs)
        print(f"{label}: median {seconds:.1f} s, mean {tokens:.0f} written tokens per article")
    return 0


if __name__ == "__main__":
    sys.exit(main())
