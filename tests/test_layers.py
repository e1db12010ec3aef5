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
        *("schema.py", "grounding.py", "review.py", "repair.py", "dates.py"),
        *(path.relative_to(PACKAGE).as_posix() for path in (PACKAGE / "renderers").glob("*.py")),
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


def test_batch_runners_share_the_run_and_never_import_each_other() -> None:
    # batch/run.py is what every way of briefing a batch shares; the entry picks a runner.
    assert importers("briefgen.batch.provider") <= {"batch/brief.py"}
    assert importers("briefgen.batch.live") <= {"batch/brief.py", "digest/batch.py"}
    assert importers("briefgen.batch.brief") <= {"batch/__init__.py"}
    for path in (PACKAGE / "batch").glob("*.py"):
        if path.name != "__init__.py":  # the package's names are for callers outside it
            assert "briefgen.batch" not in runtime_imports(path), path.name


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


def module_name(path: Path) -> str:
    """``briefgen.renderers.pdf`` for ``renderers/pdf.py`` (a package is its ``__init__``)."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


#: Every module that renders a brief or a digest.
RENDERING = [
    *sorted((PACKAGE / "renderers").glob("*.py")),
    *(PACKAGE / "digest" / f"{name}.py" for name in ("render", "html", "pdf")),
]


def test_the_renderers_import_no_cycle() -> None:
    names = {module_name(path): path for path in RENDERING}
    graph = {
        name: {n for n in runtime_imports(path) if n in names and n != name}
        for name, path in names.items()
    }
    done: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        assert name not in trail, " -> ".join((*trail, name))
        if name in done:
            return
        for imported in graph[name]:
            visit(imported, (*trail, name))
        done.add(name)

    for name in graph:
        visit(name, ())


def test_the_registry_and_the_shared_helpers_import_no_format() -> None:
    for shared in ("base.py", "registry.py", "__init__.py"):
        imported = runtime_imports(PACKAGE / "renderers" / shared)
        within = {n for n in imported if n.startswith("briefgen.renderers")}
        assert within <= {"briefgen.renderers.base", "briefgen.renderers.registry"}, shared
        assert not any(n.startswith("briefgen.digest") for n in imported), shared


def test_a_format_module_imports_no_other_format() -> None:
    shared = {"briefgen.renderers", "briefgen.renderers.base", "briefgen.renderers.registry"}
    for path in (PACKAGE / "renderers").glob("*.py"):
        within = {n for n in runtime_imports(path) if n.startswith("briefgen.renderers")}
        assert within <= shared | {module_name(path)}, path.name
