"""Architecture rules, checked on the source: who may import the LLM SDK and the CLI framework."""

from __future__ import annotations

import ast
from pathlib import Path

import briefgen

PACKAGE = Path(briefgen.__file__).parent
#: The command line: argument parsing, what stderr shows, ``python -m briefgen``.
COMMAND_LINE = {"cli.py", "terminal.py", "__main__.py"}


def runtime_imports(path: Path) -> set[str]:
    """Top-level module names a file imports at run time (``if TYPE_CHECKING`` blocks excluded)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for n in ast.walk(node))
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def modules() -> list[Path]:
    """Every module of the package, sub-packages included."""
    return sorted(PACKAGE.rglob("*.py"))


def importers(prefix: str) -> set[str]:
    """The modules (paths relative to the package) that import ``prefix`` at run time."""
    return {
        path.relative_to(PACKAGE).as_posix()
        for path in modules()
        if any(n == prefix or n.startswith(prefix + ".") for n in runtime_imports(path))
    }


#: The backends that speak the OpenAI SDK: the only modules that may import ``openai``.
SDK_MODULES = {"backends/sdk.py", "backends/openai.py"}


def test_only_the_sdk_backends_import_openai() -> None:
    assert importers("openai") <= SDK_MODULES


def test_only_cli_imports_cli_frameworks() -> None:
    for framework in ("argparse", "rich"):
        assert importers(framework) <= COMMAND_LINE, framework


def test_pure_layers_never_reach_the_llm() -> None:
    pure = {
        *("schema.py", "grounding.py", "rendering.py", "review.py", "repair.py", "dates.py"),
        *("pdf.py", "html_view.py"),
    }
    for module in ("briefgen.llm", "briefgen.extract", "briefgen.backends"):
        assert not (importers(module) & pure), module


def test_the_digests_pure_modules_never_reach_the_llm() -> None:
    pure = {
        f"digest/{name}.py"
        for name in ("schema", "align", "actors", "differences", "positions", "cites")
    } | {f"digest/{name}.py" for name in ("request", "assemble", "render", "pdf", "html")}
    for module in ("briefgen.llm", "briefgen.extract", "briefgen.backends", "briefgen.digest.run"):
        assert not (importers(module) & pure), module


def test_library_never_prints_or_exits() -> None:
    for path in modules():
        if path.name in COMMAND_LINE:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = {ast.unparse(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
        assert not calls & {"print", "sys.exit", "exit", "quit"}, path.name


def test_the_library_never_reaches_the_command_line() -> None:
    for module in ("briefgen.cli", "briefgen.terminal"):
        assert importers(module) <= COMMAND_LINE, module
