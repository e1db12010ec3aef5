"""The package surface: a short sorted ``__all__``, loaded lazily; ``python -m briefgen``."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import briefgen

#: What start-up must not load: each costs tens to hundreds of milliseconds.
HEAVY = ("openai", "pydantic", "jinja2", "rich", "httpx", "trafilatura", "pypdf", "typst")


def loaded_after(code: str, *args: str) -> list[str]:
    """The HEAVY modules a fresh interpreter has loaded after running ``code``."""
    probe = (
        "import atexit, json, sys\n"
        f"atexit.register(lambda: print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]),"
        " file=sys.stderr))\n" + code
    )
    env = {**os.environ, "PYTHONPATH": str(Path(briefgen.__file__).parents[1])}
    done = subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, env=env, timeout=60
    )
    return list(json.loads(done.stderr.strip().splitlines()[-1]))


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert briefgen.__all__ == sorted(briefgen.__all__)
    for name in briefgen.__all__:
        assert getattr(briefgen, name) is not None, name
    assert set(briefgen.__all__) <= set(dir(briefgen))


def test_the_static_imports_match_the_lazy_ones() -> None:
    # Type checkers read the TYPE_CHECKING block; at run time __getattr__ serves the names.
    tree = ast.parse(Path(briefgen.__file__).read_text(encoding="utf-8"))
    typed = {
        alias.asname or alias.name: node.module
        for block in tree.body
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert sorted(typed) == briefgen.__all__
    assert {name: f"briefgen.{home}" for name, home in briefgen._HOMES.items()} == typed


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        briefgen.no_such_thing  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:
        raise AssertionError("no AttributeError")


def test_import_briefgen_loads_no_sdk_and_no_reader() -> None:
    assert loaded_after("import briefgen") == []


def test_help_loads_none_of_the_library() -> None:
    code = "from briefgen.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass"
    assert loaded_after(code, "--help") == []


def test_rerendering_a_saved_brief_loads_no_sdk(tmp_path: Path) -> None:
    fixtures = Path(__file__).parent / "fixtures"
    code = "from briefgen.cli import main\nmain()"
    args = [str(fixtures / "source.txt"), "--from-json", str(fixtures / "briefing.json")]
    loaded = loaded_after(code, *args, "-o", str(tmp_path / "b.md"))
    assert "openai" not in loaded and "trafilatura" not in loaded and "rich" not in loaded
    assert (tmp_path / "b.md").is_file()


def test_python_dash_m_briefgen_is_the_command() -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(briefgen.__file__).parents[1])}
    done = subprocess.run(
        [sys.executable, "-m", "briefgen", "--version"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0 and done.stdout.startswith("briefgen ")
    done = subprocess.run(
        [sys.executable, "-m", "briefgen", "no-such-file.txt"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 3 and done.stderr.strip().endswith("does not exist: check the path")
