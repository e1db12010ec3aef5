"""End to end with the real embedded model on the seed article (slow: minutes on 2 cores).

Run with ``pytest -m slow``; needs ``briefgen[local]``. No network, no key.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import SEED

pytestmark = pytest.mark.slow


def test_seed_brief_with_the_embedded_model() -> None:
    pytest.importorskip("xllamacpp")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "BRIEFGEN_"))}
    done = subprocess.run(
        [sys.executable, "-m", "briefgen.cli", str(SEED), "--format", "json", "--no-cache"],
        capture_output=True,
        env=env,
        timeout=1800,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    brief = json.loads(done.stdout)
    source = SEED.read_text(encoding="utf-8")
    assert brief["meta"]["backend"] == "embedded"
    assert brief["meta"]["model"].startswith("qwen2.5-coder-1.5b")
    assert brief["actors"] and brief["title"]
    names = {a["name"] for a in brief["actors"]}
    for item in [*brief["key_events"], *brief["positions"], *brief["open_questions"]]:
        ev = item["evidence"]
        if ev["match"] == "exact":
            assert source[ev["start"] : ev["end"]] == ev["quote"]
    for position in brief["positions"]:
        assert position["actor"] in names
