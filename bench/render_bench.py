"""Render time per format, and memory over 100 PDFs in one process.

    python bench/render_bench.py [--repeat 30] [briefing.json source.txt]

Defaults to the test fixture. Prints milliseconds per render (median and p90 over ``--repeat``
runs after a warm-up) for md, json, html and pdf, the PDF fit statistics for a normal and an
oversized brief, and resident memory before and after 100 PDFs with distinct content.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from briefgen import Briefing, render
from briefgen.renderers.pdf import layout_pdf

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "briefing.json"
SOURCE = ROOT / "tests" / "fixtures" / "source.txt"


def timed(fn: Callable[[int], object], repeat: int) -> tuple[float, float]:
    """Median and p90 wall time of ``fn(i)`` in milliseconds, after two warm-up calls."""
    fn(-1)
    fn(-2)
    samples = []
    for i in range(repeat):
        t0 = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.9 * (len(samples) - 1))]


def rss_mib() -> float:
    status = Path("/proc/self/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+)", status)
    return int(match.group(1)) / 1024 if match else float("nan")


def oversized(b: Briefing, factor: int) -> Briefing:
    """Every list ``factor`` times over and every description doubled."""
    return b.model_copy(
        update={
            "summary": b.summary * 2,
            "key_events": [
                e.model_copy(update={"description": e.description * 2})
                for e in b.key_events * factor
            ],
            "actors": b.actors * factor,
            "positions": b.positions * factor,
            "open_questions": b.open_questions * factor,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("briefing", nargs="?", default=str(FIXTURE))
    parser.add_argument("source", nargs="?", default=str(SOURCE))
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    b = Briefing.model_validate_json(Path(args.briefing).read_text(encoding="utf-8"))
    source = Path(args.source).read_text(encoding="utf-8")

    def variant(i: int) -> Briefing:
        # A distinct title per call, so no layer can answer from a cache of the same input.
        return b.model_copy(update={"title": f"{b.title} ({i})"})

    print(f"render time per format, ms (median / p90 over {args.repeat} runs)")
    for fmt in ("md", "json", "html", "pdf"):
        med, p90 = timed(lambda i, fmt=fmt: render(variant(i), fmt, source=source), args.repeat)
        print(f"  {fmt:<5} {med:8.2f} / {p90:8.2f}")

    for label, brief in (("normal", b), ("3x", oversized(b, 3)), ("6x", oversized(b, 6))):
        t0 = time.perf_counter()
        layout = layout_pdf(brief)
        ms = (time.perf_counter() - t0) * 1000
        print(
            f"pdf {label:<6}: {layout.pages} page, {ms:6.1f} ms, {layout.compiles} compiles, "
            f"{layout.size} pt, dropped {layout.dropped or 'nothing'}"
            f"{', text shortened' if layout.clipped else ''}"
        )

    before = rss_mib()
    t0 = time.perf_counter()
    for i in range(100):
        render(variant(1000 + i), "pdf")
    elapsed = time.perf_counter() - t0
    print(
        f"100 PDFs: {elapsed * 10:.1f} ms each; RSS {before:.1f} -> {rss_mib():.1f} MiB "
        f"({rss_mib() - before:+.1f})"
    )


if __name__ == "__main__":
    main()
