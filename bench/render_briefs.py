"""Re-render the committed example briefs: ``briefs/<seed>.json`` → ``.pdf`` and ``.html``.

    python bench/render_briefs.py [briefs/000_9c79eb009ab07a8d.json ...]

Each JSON brief is paired with ``seeds/<same name>.txt`` (loaded the way the CLI loads it, so the
evidence offsets and the SHA-256 match). Prints one line per file written, with the PDF's fit.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from briefgen import BriefgenError, Briefing, load_source
from briefgen.output import write_atomic
from briefgen.renderers.html import render_html
from briefgen.renderers.pdf import layout_pdf

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("briefs", nargs="*", type=Path)
    args = parser.parse_args()
    paths = args.briefs or sorted((ROOT / "briefs").glob("*.json"))
    if not paths:
        print("no briefs/*.json to render", file=sys.stderr)
        return 1
    for path in paths:
        briefing = Briefing.model_validate_json(path.read_text(encoding="utf-8"))
        seed = ROOT / "seeds" / f"{path.stem}.txt"
        try:
            layout = layout_pdf(briefing)
            write_atomic(path.with_suffix(".pdf"), layout.pdf)
            write_atomic(
                path.with_suffix(".html"), render_html(briefing, load_source(seed).text).encode()
            )
        except BriefgenError as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            return 1
        print(
            f"wrote {path.with_suffix('.pdf')} ({layout.pages} page, {layout.size} pt, "
            f"dropped {layout.dropped or 'nothing'}) and {path.with_suffix('.html')}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
