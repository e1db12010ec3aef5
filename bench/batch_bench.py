"""Batch benchmark against the fake server in its own process: prints the three issue-#4 numbers.

1. 100 sources, 0.5 s latency, --jobs 16: wall time vs the ideal 100 x 0.5 / 16 s (goal <= 1.25x),
   in a fresh process (the headline) and again once the process is warm.
2. 30% of requests failing transiently: every source succeeds; LLM calls per source (goal <= 1.6).
3. A second run over the unchanged folder: LLM calls (goal 0) and wall time (goal < 2 s).

Sources are the BASIL articles in ../shared/eval/basil (read in place), or generated text.
Run: python bench/batch_bench.py
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path

from briefgen import BatchOptions, Settings, run_batch

# The fake server is a test double: it lives with the tests, outside the installed package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from fake_server import FakeServer, Faults

BASIL = Path(__file__).resolve().parents[2] / "shared" / "eval" / "basil"
N, LATENCY, JOBS = 100, 0.5, 16


def _serve(latency: float, rate: float, queue: mp.Queue) -> None:  # type: ignore[type-arg]
    server = FakeServer(latency=latency, faults=Faults.transient(rate, retry_after=0.2), seed=7)
    queue.put(server.base_url)
    server.serve_forever()


def start_server(latency: float, rate: float = 0.0) -> tuple[mp.Process, str]:
    """The fake server in a child process, so it does not share this process's GIL."""
    queue: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    proc = mp.Process(target=_serve, args=(latency, rate, queue), daemon=True)
    proc.start()
    return proc, queue.get(timeout=30)


def sources(tmp: Path) -> list[Path]:
    if BASIL.is_dir():
        return sorted(BASIL.glob("*.txt"))[:N]
    folder = tmp / "generated"
    folder.mkdir()
    for i in range(N):
        text = (
            f"Council vote number {i}\n\nThe Council of Northfield voted on item {i} on Monday. "
            f"Mayor Joan Park said item {i} protects libraries and parks. "
            "Opponents said the plan raises fees on small shops without a hearing."
        )
        (folder / f"s{i:03d}.txt").write_text(text, "utf-8")
    return sorted(folder.glob("*.txt"))


def run(files: list[Path], out: Path, url: str, cache: Path | None) -> tuple[float, object]:
    settings = Settings(base_url=url, model="fake-model", transport_retries=8)
    options = BatchOptions(jobs=JOBS, cache_dir=cache)
    started = time.perf_counter()
    report = run_batch(files, out, settings, options)
    return time.perf_counter() - started, report


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        files = sources(tmp)
        origin = "BASIL" if BASIL.is_dir() else "generated"
        print(f"{len(files)} {origin} sources, --jobs {JOBS}, fake server in a child process")

        proc, url = start_server(LATENCY)
        wall, report = run(files, tmp / "out1", url, None)
        ideal = len(files) * LATENCY / JOBS
        ok = report.count("ok")  # type: ignore[attr-defined]
        print(
            f"1. latency {LATENCY} s: wall {wall:.2f} s, ideal {ideal:.2f} s, "
            f"ratio {wall / ideal:.2f}x (goal <= 1.25x); {ok}/{len(files)} ok"
        )
        # The same batch again in this process, into a fresh folder: one-time process costs
        # (lazy imports of the HTTP stack, TLS context, template compile, price table) paid.
        warm, _ = run(files, tmp / "out1-warm", url, None)
        print(
            f"   same batch, warm process: wall {warm:.2f} s, ratio {warm / ideal:.2f}x "
            f"(floor {-(-len(files) // JOBS) * LATENCY / ideal:.2f}x: {JOBS} workers need "
            f"{-(-len(files) // JOBS)} rounds)"
        )
        again, report2 = run(files, tmp / "out1", url, None)
        calls = report2.requests  # type: ignore[attr-defined]
        skipped = report2.count("skipped")  # type: ignore[attr-defined]
        print(
            f"3. unchanged rerun: {calls} LLM calls (goal 0), {skipped} skipped, "
            f"wall {again:.2f} s (goal < 2 s)"
        )
        proc.terminate()

        proc, url = start_server(0.05, rate=0.3)
        wall, report = run(files, tmp / "out2", url, None)
        ok = report.count("ok")  # type: ignore[attr-defined]
        per = report.requests / len(files)  # type: ignore[attr-defined]
        print(
            f"2. 30% transient faults: {ok}/{len(files)} ok, {per:.2f} LLM calls per source "
            f"(goal <= 1.6), wall {wall:.1f} s"
        )
        proc.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
