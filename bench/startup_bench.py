"""Start-up time: what a fresh process pays before briefgen does any work.

    python bench/startup_bench.py [--repeat 5] [--modules]

Each command runs in a new Python process, ``--repeat`` times; the best wall time is kept (the
least disturbed by other work on the machine; the OS file cache is warm after the first run).
``--modules`` also lists which heavy third-party packages each command imported. Run it with the
checkout's ``src`` first on ``PYTHONPATH`` to measure the working tree.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures"

#: Packages that cost tens to hundreds of milliseconds to import.
HEAVY = (
    "openai",
    "httpx",
    "pydantic",
    "jinja2",
    "rich",
    "trafilatura",
    "pypdf",
    "pikepdf",
    "typst",
    "charset_normalizer",
    "genai_prices",
    "aiolimiter",
    "sentencex",
    "rapidfuzz",
)

#: The console script's own code: ``briefgen ARGS`` is this with ARGS in ``sys.argv``.
_CLI = "import sys; from briefgen.cli import main; sys.exit(main())"


def commands(tmp: Path) -> dict[str, list[str]]:
    """Label -> argv of every measured command."""
    py = sys.executable
    rerender = [str(FIXTURE / "source.txt"), "--from-json", str(FIXTURE / "briefing.json")]
    return {
        "python -c 'import briefgen'": [py, "-c", "import briefgen"],
        "briefgen --help": [py, "-c", _CLI, "--help"],
        "briefgen --version": [py, "-c", _CLI, "--version"],
        "briefgen SRC --from-json B -o b.md": [py, "-c", _CLI, *rerender, "-o", str(tmp / "b.md")],
        "from briefgen import generate_brief": [
            py,
            "-c",
            "from briefgen import generate_brief",
        ],
        # What a brief of a .txt imports before its first request (the cli's own imports).
        "a brief's imports (cli, sources, extract, llm)": [
            py,
            "-c",
            "import briefgen.cli, briefgen.sources, briefgen.extract, briefgen.llm",
        ],
        "a folder run's imports (cli, batch)": [py, "-c", "import briefgen.cli, briefgen.batch"],
    }


def best_of(argv: list[str], repeat: int) -> float:
    """Best wall time of ``argv`` in seconds over ``repeat`` fresh processes."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        best = min(best, time.perf_counter() - t0)
    return best


def imported(argv: list[str]) -> list[str]:
    """The heavy packages ``argv`` (a ``python -c`` command) had imported when it exited."""
    code = argv[2]
    probe = (
        "import atexit, json, sys\n"
        f"atexit.register(lambda: print(json.dumps(sorted(m for m in {HEAVY!r} "
        "if m in sys.modules)), file=sys.stderr))\n" + code
    )
    done = subprocess.run([*argv[:2], probe, *argv[3:]], capture_output=True, text=True)
    last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "[]"
    return list(json.loads(last))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--modules", action="store_true", help="list heavy imports too")
    args = parser.parse_args()
    tmp = Path(subprocess.check_output(["mktemp", "-d"], text=True).strip())
    base = best_of([sys.executable, "-c", "pass"], args.repeat)
    print(f"{'python -c pass (interpreter alone)':<48} {base * 1000:7.0f} ms")
    for label, argv in commands(tmp).items():
        line = f"{label:<48} {best_of(argv, args.repeat) * 1000:7.0f} ms"
        if args.modules:
            line += "  " + " ".join(imported(argv))
        print(line)


if __name__ == "__main__":
    main()
