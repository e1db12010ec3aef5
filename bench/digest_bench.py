"""Measure digests on BASIL stories: grounding, coverage, differences, seconds, requests.

    python bench/digest_bench.py --stories 3                 # embedded model (run under flock)
    python bench/digest_bench.py --only 6f95dcb9 --base-url http://gpu:8000/v1

For each story of three files (seeded choice among the shorter ones, or ``--only``), with a
fresh response cache: the three sources are first briefed alone, as ``briefgen FILE`` would,
then digested. The digest reuses the three briefs from the cache, so its own time is the merge
request's, and a digest from scratch costs the three single briefs plus that one request.
Printed per story: every source cited at least once, every citation's words equal to its
source's text, differences found by kind, seconds of the single briefs and of the digest, and
requests. ``--out`` keeps every digest as JSON.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from briefgen import Digest, Digester, Settings, Source, load_source
from briefgen.llm import tally

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "eval" / "basil"
GOLD = REPO.parent / "shared" / "eval" / "basil-gold.json"


def triplets(corpus: Path, gold: Path, n: int, seed: int, max_chars: int) -> list[list[str]]:
    """``n`` stories of exactly three files, each file at most ``max_chars`` long."""
    stories: dict[str, list[str]] = defaultdict(list)
    for record in json.loads(gold.read_text(encoding="utf-8")):
        stories[record["story"]].append(record["file"])
    fitting = [
        sorted(files)
        for _, files in sorted(stories.items())
        if len(files) == 3
        and all(len((corpus / f).read_text(encoding="utf-8")) <= max_chars for f in files)
    ]
    random.Random(seed).shuffle(fitting)
    return fitting[:n]


def load(corpus: Path, name: str, outlets: dict[str, tuple[str, str]]) -> Source:
    """The file with its outlet's publication date, which anchors its relative dates."""
    source = load_source(corpus / name)
    date = outlets[name][1]
    return dataclasses.replace(source, info=source.info.model_copy(update={"date": date}))


def check(made: Digest, texts: dict[str, str]) -> dict[str, Any]:
    """The figures the issue asks for, for one digest."""
    reports = made.reports()
    cited = {r.source for r in reports}
    return {
        "sources_cited": f"{len(cited)}/{len(made.sources)}",
        "every_source_cited": cited == {s.id for s in made.sources},
        "citations": len(reports),
        "citations_verbatim": sum(texts[r.source][r.start : r.end] == r.quote for r in reports),
        "differences": dict(Counter(f"{d.kind}/{d.about}" for d in made.differences)),
        "events": len(made.timeline),
        "events_several_sources": sum(1 for e in made.timeline if len(e.sources) > 1),
        "pairs_asked": made.meta.merge.pairs_asked,
        "pairs_same": made.meta.merge.pairs_same,
        "merge": made.meta.merge.status,
        "verified": made.verified,
    }


def run(args: argparse.Namespace) -> int:
    corpus, gold = Path(args.corpus), Path(args.gold)
    outlets = {
        r["file"]: (r["outlet"], r["date"]) for r in json.loads(gold.read_text(encoding="utf-8"))
    }
    if args.only:
        by_story: dict[str, list[str]] = defaultdict(list)
        for record in json.loads(gold.read_text(encoding="utf-8")):
            by_story[record["story"]].append(record["file"])
        chosen = [sorted(by_story[s]) for s in args.only]
    else:
        chosen = triplets(corpus, gold, args.stories, args.seed, args.max_chars)
    settings = Settings.load(base_url=args.base_url, model=args.model)
    records = []
    for files in chosen:
        sources = [load(corpus, f, outlets) for f in files]
        texts = dict(zip("ABC", (s.text for s in sources), strict=True))
        with tempfile.TemporaryDirectory() as cache, Digester(settings, cache_dir=cache) as d:
            singles = []
            for source in sources:  # as `briefgen FILE` would, one connection for all
                started = time.monotonic()
                with tally() as spent:
                    d.briefer.brief(source.text, info=source.info)
                singles.append((round(time.monotonic() - started, 1), spent.requests))
            started = time.monotonic()
            made = d.digest(sources, outlets=[outlets[f][0] for f in files])
            digest_seconds = round(time.monotonic() - started, 1)
        single_seconds = round(sum(s for s, _ in singles), 1)
        record = {
            "story": files,
            **check(made, texts),
            "single_briefs_seconds": [s for s, _ in singles],
            "single_briefs_requests": sum(n for _, n in singles),
            "digest_seconds": digest_seconds,
            "merge_seconds": made.meta.merge.seconds,
            "digest_requests": made.meta.calls,
            "briefs_reused": made.meta.briefs_reused,
            "triplet_seconds": round(single_seconds + digest_seconds, 1),
            "merge_tokens": made.meta.merge.spent.model_dump(),
            "title": made.title,
            "summary": made.summary,
        }
        records.append({**record, "digest": made.model_dump(mode="json")})
        print(
            f"{files[0][:10]} {'/'.join(outlets[f][0] for f in files)}: cited "
            f"{record['sources_cited']} sources, {record['citations_verbatim']}/"
            f"{record['citations']} citations verbatim, differences {record['differences']}, "
            f"{record['events_several_sources']}/{record['events']} events in 2+ sources, "
            f"pairs {record['pairs_same']}/{record['pairs_asked']} same, merge {record['merge']}"
            f" | single briefs {single_seconds} s ({record['single_briefs_requests']} req), "
            f"digest after them {digest_seconds} s ({record['digest_requests']} req, "
            f"{record['briefs_reused']} briefs reused), triplet {record['triplet_seconds']} s",
            flush=True,
        )
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(records, indent=1, ensure_ascii=False), "utf-8")
    n = len(records)
    if n:
        print(
            f"{n} stories: every source cited in {sum(r['every_source_cited'] for r in records)}"
            f"/{n}; citations verbatim {sum(r['citations_verbatim'] for r in records)}/"
            f"{sum(r['citations'] for r in records)}; differences per story "
            f"{sum(sum(r['differences'].values()) for r in records) / n:.1f}; seconds per "
            f"story: single briefs {sum(sum(r['single_briefs_seconds']) for r in records) / n:.0f}"
            f" + digest {sum(r['digest_seconds'] for r in records) / n:.0f} (merge "
            f"{sum(r['merge_seconds'] for r in records) / n:.0f}); requests per story: briefs "
            f"{sum(r['single_briefs_requests'] for r in records) / n:.1f} + digest "
            f"{sum(r['digest_requests'] for r in records) / n:.1f}"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(CORPUS))
    parser.add_argument("--gold", default=str(GOLD))
    parser.add_argument("--stories", type=int, default=3, help="stories of three files")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--max-chars", type=int, default=4000, help="longest file of a story")
    parser.add_argument("--only", nargs="+", help="these story ids (basil-gold.json's story)")
    parser.add_argument("--base-url", default=None)
    parser.add_argument("--model", default=None)
    parser.add_argument("--out", default=None, help="keep every digest here as JSON")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
