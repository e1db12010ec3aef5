"""Measure brief quality on annotated news: run briefgen over a fixed sample, score, compare.

    python bench/evaluate.py run --n 6 --out bench/out/baseline.json   # embedded model
    python bench/evaluate.py show bench/out/baseline.json               # re-score, print tables
    python bench/evaluate.py compare bench/out/baseline.json bench/out/after.json

The sample is seeded and takes at most one article per event (BASIL date), so runs made with the
same ``--seed``/``--n``/``--max-chars`` brief the same files. The result JSON keeps every
briefing, so scoring changes can be re-applied to old runs with ``show``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from scoring import (
    ArticleScore,
    Gold,
    load_gold,
    score_article,
    score_failure,
    summarize,
)

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "eval" / "basil"
DEFAULT_GOLD = REPO.parent / "shared" / "eval" / "basil-gold.json"


def sample(corpus: Path, n: int, seed: int, max_chars: int, min_chars: int = 0) -> list[Path]:
    """``n`` articles, one per event (date), chosen with ``seed`` among those of
    ``min_chars``..``max_chars`` characters.

    Long articles are left out so one run fits the time a 1.5B CPU model needs; the cap is part
    of what makes two runs comparable, so it is recorded in the result.
    """
    by_date: dict[str, list[Path]] = defaultdict(list)
    for path in sorted(corpus.glob("*.txt")):
        if min_chars <= len(path.read_text(encoding="utf-8")) <= max_chars:
            by_date[path.name.split("_")[0]].append(path)
    rng = random.Random(seed)
    dates = sorted(by_date)
    rng.shuffle(dates)
    return [rng.choice(by_date[d]) for d in dates[:n]]


def _write(out: Path, result: dict[str, Any]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    tmp.replace(out)


def _trace_reviews(log: list[list[str]]) -> None:
    """Record the problems of every attempt, to see which rules cost re-asks.

    Wraps the two review functions the extraction loop calls (a whole answer, and a draft with
    fixes applied); it changes no decision.
    """
    from briefgen import extract

    def tracing(original: Any) -> Any:
        def traced(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            log.append(list(result.problems))
            return result

        return traced

    for name in ("review", "check"):  # whichever the extraction loop of this checkout calls
        if hasattr(extract, name):
            setattr(extract, name, tracing(getattr(extract, name)))


def _trace_calls(log: list[dict[str, Any]]) -> None:
    """Record each request's schema, seconds and tokens, to see where an article's time goes."""
    from briefgen import llm

    original = llm.LLM.complete

    def traced(self: Any, messages: Any, schema: Any) -> Any:
        started = time.monotonic()
        reply = original(self, messages, schema)
        log.append(
            {
                "schema": schema.__name__,
                "seconds": round(time.monotonic() - started, 1),
                "prompt_tokens": reply.usage.prompt_tokens,
                "completion_tokens": reply.usage.completion_tokens,
            }
        )
        return reply

    llm.LLM.complete = traced  # type: ignore[method-assign]


def run(args: argparse.Namespace) -> int:
    """Brief every sampled article with one Briefer, saving the result after each article."""
    from briefgen import Briefer, BriefgenError, ExtractionError, Settings, SourceInfo

    attempts_log: list[list[str]] = []
    _trace_reviews(attempts_log)
    calls_log: list[dict[str, Any]] = []
    _trace_calls(calls_log)

    corpus, gold = Path(args.corpus), load_gold(Path(args.gold))
    files = sample(corpus, args.n, args.seed, args.max_chars, args.min_chars)
    if args.only:  # a quick look at some of the sample; not comparable with a full run
        files = [f for f in files if any(part in f.name for part in args.only)]
    overrides = {"base_url": args.base_url, "model": args.model, "mode": args.mode}
    overrides["repeat_penalty"] = args.repeat_penalty  # an ablation knob for the embedded model
    settings = Settings.load(**overrides)
    result: dict[str, Any] = {
        "label": args.label,
        "config": {
            "n": args.n,
            "seed": args.seed,
            "max_chars": args.max_chars,
            "min_chars": args.min_chars,
            "only": args.only,
            "backend": settings.backend,
            "mode": settings.mode,
            "n_ctx": settings.n_ctx,
            "max_attempts": settings.max_attempts,
            "max_output_tokens": settings.max_output_tokens,
            "temperature": settings.temperature,
            "repeat_penalty": settings.repeat_penalty if settings.backend == "embedded" else None,
        },
        "articles": [],
    }
    out = Path(args.out)
    with Briefer(settings) as briefer:
        for path in files:
            text = path.read_text(encoding="utf-8")
            record: dict[str, Any] = {"file": path.name}
            attempts_log.clear()
            calls_log.clear()
            started = time.monotonic()
            try:
                briefing = briefer.brief(text, info=SourceInfo(date=gold[path.name].date))
            except ExtractionError as exc:
                usage = exc.usage.model_dump() if exc.usage is not None else {}
                record.update(error=str(exc), attempts=exc.attempts, usage=usage)
            except BriefgenError as exc:
                record.update(error=str(exc), attempts=0, usage={})
            else:
                record.update(
                    briefing=briefing.model_dump(mode="json"),
                    attempts=briefing.meta.attempts,
                    usage=briefing.meta.usage.model_dump(),
                )
            record["seconds"] = round(time.monotonic() - started, 1)
            record["problems"] = list(attempts_log)
            record["requests"] = list(calls_log)
            result["articles"].append(record)
            _write(out, result)
            each = ", ".join(f"{c['schema']} {c['seconds']} s" for c in calls_log)
            print(
                f"{path.name}: {record['seconds']} s, {record['attempts']} call(s): {each}",
                flush=True,
            )
    scores = rescore(result, corpus, gold)
    print(table(scores))
    return 0


def rescore(result: dict[str, Any], corpus: Path, gold: dict[str, Gold]) -> list[ArticleScore]:
    """Score every article record of a saved result with the current scoring rules."""
    from briefgen import Briefing

    scores = []
    for record in result["articles"]:
        name = record["file"]
        source = (corpus / name).read_text(encoding="utf-8")
        cost = (record["seconds"], record.get("attempts", 0), record.get("usage") or {})
        if "briefing" in record:
            briefing = Briefing.model_validate(record["briefing"])
            scores.append(score_article(name, briefing, source, gold[name], *cost))
        else:
            scores.append(score_failure(name, record.get("error", "failed"), gold[name], *cost))
    return scores


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table(scores: list[ArticleScore]) -> str:
    """A per-article table followed by the summary line."""
    head = (
        f"{'article':34} {'ok':>3} {'grnd':>5} {'actR':>5} {'spkR':>5} "
        f"{'invA':>4} {'invD':>4} {'sec':>6} {'calls':>5} {'tokens':>6}"
    )
    lines = [head, "-" * len(head)]
    for s in scores:
        lines.append(
            f"{s.file[:34]:34} {'yes' if s.valid else 'NO':>3} {_fmt(s.grounded):>5} "
            f"{_fmt(s.actor_recall):>5} {_fmt(s.speaker_recall):>5} {s.invented_actors:>4} "
            f"{s.invented_dates:>4} {s.seconds:>6.1f} {s.calls:>5} {s.tokens:>6}"
        )
        for note in s.notes:
            lines.append(f"    {note}")
    lines += ["", summary_line(summarize(scores))]
    return "\n".join(lines)


def summary_line(summary: dict[str, float]) -> str:
    """One line with every summary figure, as recorded in bench/RESULTS.md."""
    return (
        f"valid {summary['valid_rate']:.0%} | grounded {summary['grounded']:.2f} | "
        f"actor recall {summary['actor_recall']:.2f} "
        f"({summary.get('actor_recall_named', 0.0):.2f} of those the text names) | speaker recall "
        f"{summary['speaker_recall']:.2f} ({summary.get('speaker_recall_own', 0.0):.2f} by the "
        f"speakers' own names) | invented actors {summary['invented_actors']:.0f} | "
        f"invented dates {summary['invented_dates']:.0f} | misattributed "
        f"{summary['misattributed']:.0f} | {summary['seconds']:.0f} s, "
        f"{summary['calls']:.1f} calls, {summary['tokens']:.0f} tokens "
        f"({summary.get('output_tokens', 0.0):.0f} written) per article | "
        f"{summary.get('events', 0.0):.0f} key events (min {summary.get('min_events', 0.0):.0f}, "
        f"{summary.get('dated_events', 0.0):.0f} dated), {summary.get('positions', 0.0):.0f} "
        f"positions | retyped quotes {summary.get('retyped_quotes', 0.0):.0f}, date_text "
        f"outside its evidence {summary.get('loose_date_texts', 0.0):.0f}, stances opening "
        f"with a quotation mark {summary.get('quoting_stances', 0.0):.0f} "
        f"(n={summary['articles']:.0f})"
    )


def show(args: argparse.Namespace) -> int:
    """Re-score a saved result and print its table; ``--json`` writes the scores too."""
    result = json.loads(Path(args.result).read_text(encoding="utf-8"))
    scores = rescore(result, Path(args.corpus), load_gold(Path(args.gold)))
    print(table(scores))
    if args.json:
        payload = {"scores": [s.as_dict() for s in scores], "summary": summarize(scores)}
        Path(args.json).write_text(json.dumps(payload, indent=1), encoding="utf-8")
    return 0


def compare(args: argparse.Namespace) -> int:
    """Print both summaries side by side, and the per-article figures that changed."""
    corpus, gold = Path(args.corpus), load_gold(Path(args.gold))
    runs = []
    for name in (args.before, args.after):
        result = json.loads(Path(name).read_text(encoding="utf-8"))
        runs.append({s.file: s for s in rescore(result, corpus, gold)})
    before, after = runs
    common = [f for f in before if f in after]
    if not common:
        print("the two results share no article: run both with the same --seed/--n/--max-chars")
        return 1
    sb = summarize([before[f] for f in common])
    sa = summarize([after[f] for f in common])
    print(f"{'metric':18} {'before':>9} {'after':>9} {'delta':>9}")
    for key in sb:
        print(f"{key:18} {sb[key]:9.2f} {sa[key]:9.2f} {sa[key] - sb[key]:+9.2f}")
    print()
    print("before:", summary_line(sb))
    print("after: ", summary_line(sa))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS), help="folder of BASIL .txt")
    parser.add_argument("--gold", default=str(DEFAULT_GOLD), help="basil-gold.json")
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="brief a seeded sample and score it")
    p_run.add_argument("--n", type=int, default=12, help="articles (one per event)")
    p_run.add_argument("--seed", type=int, default=2019)
    p_run.add_argument("--max-chars", type=int, default=5_000, help="skip longer articles")
    p_run.add_argument("--min-chars", type=int, default=0, help="skip shorter articles")
    p_run.add_argument("--out", default=str(REPO / "bench" / "out" / "eval.json"))
    p_run.add_argument("--label", default="", help="what this run measures")
    p_run.add_argument("--base-url", default=None, help="an OpenAI-compatible server instead")
    p_run.add_argument("--model", default=None)
    p_run.add_argument("--mode", default=None)
    p_run.add_argument("--only", nargs="+", default=None, help="sampled files whose name has one")
    p_run.add_argument("--repeat-penalty", type=float, default=None, help="embedded model only")
    p_run.set_defaults(func=run)
    p_show = sub.add_parser("show", help="re-score a saved result")
    p_show.add_argument("result")
    p_show.add_argument("--json", default=None, help="also write the scores here")
    p_show.set_defaults(func=show)
    p_cmp = sub.add_parser("compare", help="compare two saved results")
    p_cmp.add_argument("before")
    p_cmp.add_argument("after")
    p_cmp.set_defaults(func=compare)
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
