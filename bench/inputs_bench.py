"""Benchmark the input paths: HTML and PDF extraction time, legacy-encoding detection, and peak
memory while loading and chunking a large text (and refusing an over-limit one).

Run: python bench/inputs_bench.py  (about 20 s; makes its inputs in a temp folder, prints numbers)
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import typst

from briefgen import Settings, SourceError, load_source
from briefgen.extract import chunks_for

WORDS = [
    *("council", "harbour", "budget", "mayor", "storm", "vote", "plan", "minister", "report"),
    *("flood", "residents", "officials", "said", "approved", "delayed", "district", "project"),
    *("million", "euros", "tram", "airport", "night", "shipping"),
]


def paragraphs(n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        sentences = [
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 22))).capitalize() + "."
            for _ in range(rng.randint(2, 6))
        ]
        out.append(" ".join(sentences))
    return out


def html_page(n: int) -> str:
    nav = "".join(f'<li><a href="/s/{i}">Section {i}</a></li>' for i in range(60))
    body = "".join(f"<p>{p}</p>" for p in paragraphs(n))
    comments = "".join(f'<div class="comment"><p>Comment {i}: first!</p></div>' for i in range(50))
    return (
        "<!DOCTYPE html><html><head><title>Harbour report</title>"
        '<meta name="author" content="Jane Roe">'
        '<meta property="article:published_time" content="2024-12-10"></head><body>'
        f"<nav><ul>{nav}</ul></nav><div class='cookie-banner'>We use cookies.</div>"
        f"<article><h1>Harbour report</h1>{body}</article>"
        f"<section id='comments'>{comments}</section><footer>Copyright</footer></body></html>"
    )


def timed(fn: Callable[[], object], repeat: int = 5) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def peak_mb(fn: Callable[[], object]) -> tuple[float, object]:
    tracemalloc.start()
    try:
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20, result


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for n in (20, 400):
            page = folder / f"page-{n}.html"
            page.write_text(html_page(n), encoding="utf-8")
            seconds, source = timed(lambda p=page: load_source(p))
            print(
                f"html  {page.stat().st_size / 1024:7.0f} KB -> {len(source.text):8,} chars "
                f"in {seconds * 1000:7.1f} ms (median of 5)"
            )
        for pages in (2, 40):
            body = "\n\n".join(paragraphs(pages * 8))
            pdf = folder / f"report-{pages}.pdf"
            pdf.write_bytes(typst.compile(f'#set document(title: "Report")\n{body}'.encode()))
            seconds, source = timed(lambda p=pdf: load_source(p))
            print(
                f"pdf   {pdf.stat().st_size / 1024:7.0f} KB -> {len(source.text):8,} chars "
                f"in {seconds * 1000:7.1f} ms (median of 5)"
            )
        legacy = folder / "wire-cp1252.txt"
        text = "\n\n".join(paragraphs(3000)).replace("said", "“said”")
        legacy.write_bytes(text.encode("cp1252"))
        seconds, source = timed(lambda: load_source(legacy), repeat=3)
        assert source.text == text
        print(f"cp1252 {legacy.stat().st_size / 2**20:6.1f} MB decoded in {seconds * 1000:7.1f} ms")

        large = folder / "large.txt"
        with large.open("w", encoding="utf-8") as fh:
            chunk = "\n\n".join(paragraphs(2000))
            while fh.tell() < 15 * 2**20:
                fh.write(chunk + "\n\n")
        size_mb = large.stat().st_size / 2**20
        settings = Settings()

        def load_and_plan() -> int:
            source = load_source(large)
            return len(chunks_for(source.text, settings, "embedded"))

        start = time.perf_counter()
        mb, parts = peak_mb(load_and_plan)
        seconds = time.perf_counter() - start
        print(
            f"large {size_mb:6.1f} MB text: loaded and chunked into {parts:,} parts "
            f"(embedded budget {settings.input_budget('embedded'):,} tokens), "
            f"peak traced memory {mb:6.1f} MB ({mb / size_mb:.1f}x the file), {seconds:.1f} s"
        )
        huge = folder / "huge.txt"
        with huge.open("wb") as fh:
            fh.truncate(50 * 2**20)

        def refuse() -> str:
            try:
                load_source(huge)
            except SourceError as exc:
                return str(exc)
            raise AssertionError("a 50 MB file must be refused")

        mb, message = peak_mb(refuse)
        print(f"huge  50 MB text: refused with peak traced memory {mb:.2f} MB: {message}")


if __name__ == "__main__":
    main()
