"""The command line: arguments in, one brief or one clear error line out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SOURCE, Script, completion, draft

from briefgen import cli
from briefgen.extract import generate_brief
from briefgen.rendering import render_json
from briefgen.settings import Settings


@pytest.fixture
def source_file(tmp_path: Path) -> Path:
    path = tmp_path / "port.txt"
    path.write_text(SOURCE, encoding="utf-8")
    return path


@pytest.fixture
def saved_brief(tmp_path: Path) -> Path:
    script = Script(completion(draft()))
    briefing = generate_brief(SOURCE, settings=Settings(model="m"), client=script.client())
    path = tmp_path / "port.json"
    path.write_text(render_json(briefing), encoding="utf-8")
    return path


def test_rerender_from_json_to_markdown_and_file(
    source_file: Path, saved_brief: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main([str(source_file), "--from-json", str(saved_brief)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Port authority approves night shipping")
    target = tmp_path / "out" / "brief.json"
    assert cli.main([str(source_file), "--from-json", str(saved_brief), "-o", str(target)]) == 0
    assert json.loads(target.read_text())["title"] == "Port authority approves night shipping"
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".")]


def test_rerender_refuses_a_brief_of_another_source(
    tmp_path: Path, saved_brief: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.txt"
    other.write_text("A different article.", encoding="utf-8")
    assert cli.main([str(other), "--from-json", str(saved_brief)]) != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("briefgen: error:") and "different source" in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("setup", "needle"),
    [
        (lambda d: d / "missing.txt", "does not exist"),
        (lambda d: (d / "empty.txt").write_text("  \n") and d / "empty.txt", "empty"),
    ],
)
def test_user_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setup: object, needle: str
) -> None:
    path = setup(tmp_path)  # type: ignore[operator]
    code = cli.main([str(path)])
    err = capsys.readouterr().err.strip()
    assert code != 0 and needle in err and len(err.splitlines()) == 1
    assert "Traceback" not in err


def test_no_backend_at_all_names_the_three_ways_out(
    source_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.metadata

    for var in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "BRIEFGEN_BASE_URL",
        "BRIEFGEN_API_KEY",
        "BRIEFGEN_MODEL_PATH",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("BRIEFGEN_CONFIG", str(source_file.parent / "none.toml"))
    (source_file.parent / "none.toml").write_text("")
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", str(source_file.parent / "cache"))

    def missing(name: str) -> None:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    assert cli.main([str(source_file)]) == 2
    err = capsys.readouterr().err
    assert "briefgen[local]" in err and "OPENAI_API_KEY" in err and "--base-url" in err


def test_unreachable_server_is_one_line(
    source_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    no_sleep: list[float],
) -> None:
    code = cli.main([str(source_file), "--base-url", "http://127.0.0.1:9/v1", "--model", "m"])
    err = capsys.readouterr().err.strip()
    assert code == 4 and "cannot reach the LLM server" in err and len(err.splitlines()) == 1


def test_second_format_reuses_the_cached_answer(
    source_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = Script(completion(draft()), completion(draft()))
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr("briefgen.llm._make_client", lambda *a: script.client())
    base = [str(source_file), "--base-url", "http://llm.test/v1", "--model", "m"]
    assert cli.main([*base, "-o", str(tmp_path / "b.json")]) == 0
    assert cli.main([*base, "-o", str(tmp_path / "b.md")]) == 0
    assert len(script.requests) == 1  # the Markdown run cost no request
    assert cli.main([*base, "--no-cache", "-o", str(tmp_path / "c.md")]) == 0
    assert len(script.requests) == 2


@pytest.fixture
def unverified_brief(saved_brief: Path) -> Path:
    data = json.loads(saved_brief.read_text(encoding="utf-8"))
    data["meta"]["warnings"] = [
        "repaired: positions[2] dropped: sentence [4] does not say Tom Reed said it",
        'repaired: actors[4]: dropped "Tom Reed", listed twice',
    ]
    saved_brief.write_text(json.dumps(data), encoding="utf-8")
    return saved_brief


def test_strict_fails_with_its_own_code_and_still_writes_the_brief(
    source_file: Path, unverified_brief: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "brief.md"
    args = [str(source_file), "--from-json", str(unverified_brief), "-o", str(target)]
    assert cli.main([*args, "--strict"]) == 7
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == (
        "briefgen: error: the brief is not verified: 1 position was left out of the brief; "
        "check it against the source before publishing"
    )
    assert "1 position was left out of the brief — check before publishing." in target.read_text()


def test_without_strict_an_unverified_brief_succeeds_and_says_so(
    source_file: Path, unverified_brief: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main([str(source_file), "--from-json", str(unverified_brief)]) == 0
    captured = capsys.readouterr()
    assert captured.err == (
        "briefgen: 1 position was left out of the brief — check before publishing.\n"
    )
    assert "Removed 1 position the model could not tie" in captured.out
    assert "positions[" not in captured.out + captured.err  # diagnostics only with -v


def test_strict_passes_a_verified_brief(
    source_file: Path, saved_brief: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main([str(source_file), "--from-json", str(saved_brief), "--strict"]) == 0
    assert capsys.readouterr().err == ""


def test_verbose_prints_the_diagnostics(
    source_file: Path, unverified_brief: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main([str(source_file), "--from-json", str(unverified_brief), "-v"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[:2] == [
        "briefgen: note: repaired: positions[2] dropped: sentence [4] does not say Tom Reed "
        "said it",
        'briefgen: note: repaired: actors[4]: dropped "Tom Reed", listed twice',
    ]


def test_strict_is_for_one_brief_not_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main([str(tmp_path), "-o", str(tmp_path / "out"), "--strict"]) == 2
    assert "--strict checks one brief" in capsys.readouterr().err
