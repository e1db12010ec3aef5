"""The command line: arguments in, one brief or one clear error line out."""

from __future__ import annotations

import errno
import json
import os
import stat
import tempfile
import threading
from pathlib import Path

import pytest
from conftest import SOURCE, Script, completion, draft

from briefgen import cli
from briefgen.extract import generate_brief
from briefgen.renderers.json import render_json
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
    monkeypatch.setattr("briefgen.backends.sdk.make_client", lambda *a: script.client())
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


def test_output_into_a_fifo_reaches_its_reader(
    source_file: Path, saved_brief: Path, tmp_path: Path
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    assert cli.main([str(source_file), "--from-json", str(saved_brief), "-o", str(fifo)]) == 0
    reader.join(5)
    assert got and got[0].startswith(b"# Port authority approves night shipping")
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_dash_output_is_standard_output(
    source_file: Path,
    saved_brief: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    before = set(Path().iterdir())
    assert cli.main([str(source_file), "--from-json", str(saved_brief), "-o", "-"]) == 0
    assert capsys.readouterr().out.startswith("# Port authority approves night shipping")
    assert set(Path().iterdir()) == before  # no file called "-"


def test_output_onto_an_input_is_refused_before_any_request(
    source_file: Path,
    saved_brief: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def no_request(*args: object, **kwargs: object) -> None:
        raise AssertionError("the LLM was asked")

    monkeypatch.setattr("briefgen.extract.generate_brief", no_request)
    before = source_file.read_bytes(), saved_brief.read_bytes()
    assert cli.main([str(source_file), "-o", str(source_file)]) == 6
    err = capsys.readouterr().err.strip()
    assert "an input of this brief" in err and len(err.splitlines()) == 1
    rerender = [str(source_file), "--from-json", str(saved_brief), "-o", str(saved_brief)]
    assert cli.main(rerender) == 6
    assert (source_file.read_bytes(), saved_brief.read_bytes()) == before


# --- output folders and files the OS will not let us write: one line, exit 6 ---------------------

#: A server nothing listens on: a run that got as far as the LLM would fail, never hang.
NO_LLM = ["--base-url", "http://127.0.0.1:9/v1", "--model", "m"]


@pytest.fixture
def news(tmp_path: Path) -> Path:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "port.txt").write_text(SOURCE, encoding="utf-8")
    return folder


def _read_only(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    """Make ``root`` behave like a read-only file system (root ignores permission bits)."""
    real_mkdir, real_mkstemp, real_access = os.mkdir, tempfile.mkstemp, os.access

    def refuse(path: object) -> OSError:
        return OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))

    def mkdir(path: str, *args: object, **kwargs: object) -> None:
        if Path(path).is_relative_to(root) and not Path(path).is_dir():
            raise refuse(path)
        real_mkdir(path, *args, **kwargs)  # type: ignore[arg-type]

    def mkstemp(*args: object, dir: str | None = None, **kwargs: object) -> tuple[int, str]:
        if dir is not None and Path(dir).is_relative_to(root):
            raise refuse(dir)
        return real_mkstemp(*args, dir=dir, **kwargs)  # type: ignore[call-overload,no-any-return]

    def access(path: str, mode: int, **kwargs: object) -> bool:
        if Path(path).is_relative_to(root) and mode & os.W_OK:
            return False
        return real_access(path, mode, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "mkdir", mkdir)
    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    monkeypatch.setattr(os, "access", access)


def _one_line(capsys: pytest.CaptureFixture[str], needle: str) -> None:
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_batch_output_onto_a_file_is_one_line(
    news: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "briefs.md"
    target.write_text("keep", encoding="utf-8")
    # The layout check refuses it as a usage error, before the folder is made.
    assert cli.main([str(news), "-o", str(target), *NO_LLM]) == 2
    _one_line(capsys, "is a file: the briefs of a folder go to a folder")
    assert target.read_text(encoding="utf-8") == "keep"


@pytest.mark.parametrize("exists", [True, False])
def test_batch_output_on_a_read_only_file_system_is_one_line(
    news: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    exists: bool,
) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    out = ro / "briefs"
    if exists:
        out.mkdir()
    _read_only(monkeypatch, ro)
    assert cli.main([str(news), "-o", str(out), *NO_LLM]) == 6
    _one_line(capsys, "read-only" if exists else "Read-only file system")


def test_output_on_a_read_only_file_system_is_one_line(
    source_file: Path,
    saved_brief: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    _read_only(monkeypatch, ro)
    for target in (ro / "brief.md", ro / "new" / "brief.md"):
        code = cli.main([str(source_file), "--from-json", str(saved_brief), "-o", str(target)])
        assert code == 6
        _one_line(capsys, "Read-only file system")


@pytest.mark.parametrize("flag", [["--rpm", "0"], ["--rpm", "-1"], ["--tpm", "0"]])
def test_bad_rate_limits_are_one_line_before_any_source_is_read(
    news: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    flag: list[str],
) -> None:
    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("a source was read")

    monkeypatch.setattr("briefgen.batch.run.load_source", no_reading)
    assert cli.main([str(news), "-o", str(tmp_path / "out"), *flag, *NO_LLM]) == 2
    _one_line(capsys, f"{flag[0][2:]} must be a number above 0")


# --- what stderr shows: progress, -q, -v --------------------------------------------------------


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Script:
    """A scripted LLM server behind --base-url; no response cache."""
    script = Script(completion(draft()))
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr("briefgen.backends.sdk.make_client", lambda *a: script.client())
    return script


LLM = ["--base-url", "http://llm.test/v1", "--model", "m", "--no-cache"]


def test_off_a_terminal_a_brief_shows_no_progress(
    source_file: Path, tmp_path: Path, scripted: Script, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "brief.md"
    assert cli.main([str(source_file), *LLM, "-o", str(target)]) == 0
    assert capsys.readouterr().err == f"wrote {target}\n"


def test_quiet_keeps_only_the_warning(
    source_file: Path, unverified_brief: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "brief.md"
    args = [str(source_file), "--from-json", str(unverified_brief), "-o", str(target), "-q"]
    assert cli.main(args) == 0 and target.is_file()
    assert capsys.readouterr().err == (
        "briefgen: 1 position was left out of the brief — check before publishing.\n"
    )


def test_verbose_shows_the_librarys_log(
    source_file: Path, scripted: Script, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main([str(source_file), *LLM, "-v"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "briefgen: request 1: the draft"
    assert err[1].startswith("briefgen: request 1: answered in ")
    assert "sk-test-secret" not in "\n".join(err)


def test_quiet_and_verbose_do_not_go_together(
    source_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main([str(source_file), "-q", "-v"])
    assert done.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "not allowed with argument" in err and len(err.splitlines()) == 1


# --- several formats, and a saved brief without its source --------------------------------------


def test_several_formats_in_one_run(
    source_file: Path, saved_brief: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stem = tmp_path / "out" / "brief.md"
    args = [str(source_file), "--from-json", str(saved_brief), "-o", str(stem)]
    assert cli.main([*args, "--format", "md,pdf,html"]) == 0
    written = [tmp_path / "out" / f"brief.{ext}" for ext in ("md", "pdf", "html")]
    assert capsys.readouterr().err.splitlines() == [f"wrote {p}" for p in written]
    assert written[0].read_text("utf-8").startswith("# Port authority")
    assert written[1].read_bytes().startswith(b"%PDF-")
    assert "<!DOCTYPE html>" in written[2].read_text("utf-8")


def test_a_format_that_fails_leaves_none_of_the_others(
    source_file: Path,
    saved_brief: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from briefgen.errors import RenderError

    def broken(*args: object) -> bytes:
        raise RenderError("the PDF could not be laid out")

    monkeypatch.setattr("briefgen.renderers.pdf.render_pdf", broken)
    target = tmp_path / "brief"
    args = [str(source_file), "--from-json", str(saved_brief), "-o", str(target)]
    assert cli.main([*args, "-f", "md,pdf"]) == 6
    _one_line(capsys, "could not be laid out")
    assert sorted(tmp_path.iterdir()) == sorted([source_file, saved_brief])


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--format", "md,pdf"], "2 formats need -o"),
        (["--format", "md,docx", "-o", "b"], "unknown format 'docx'"),
    ],
)
def test_format_mistakes_are_one_line(
    source_file: Path,
    saved_brief: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    needle: str,
) -> None:
    try:
        code = cli.main([str(source_file), "--from-json", str(saved_brief), *args])
    except SystemExit as done:  # argparse's own checks
        code = int(done.code or 0)
    assert code == 2
    _one_line(capsys, needle)


@pytest.mark.parametrize("fmt", ["md", "json", "pdf"])
def test_a_saved_brief_renders_without_its_source(
    saved_brief: Path, tmp_path: Path, fmt: str
) -> None:
    target = tmp_path / f"again.{fmt}"
    assert cli.main(["--from-json", str(saved_brief), "-o", str(target)]) == 0
    assert target.stat().st_size > 0


def test_the_html_view_needs_the_source(
    saved_brief: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "again.html"
    assert cli.main(["--from-json", str(saved_brief), "-o", str(target)]) == 2
    _one_line(capsys, "give the source too")
    assert not target.exists()


def test_no_source_at_all_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    _one_line(capsys, "give a source to brief")


# --- Digests ---------------------------------------------------------------------------------


@pytest.fixture
def story(tmp_path: Path) -> list[str]:
    from conftest import PLANTED

    paths = []
    for sid, text in PLANTED.items():
        path = tmp_path / f"{sid.lower()}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    return paths


@pytest.fixture
def fake_llm():
    from fake_server import FakeServer

    with FakeServer() as server:
        yield ["--base-url", server.base_url, "--model", "fake-model", "--no-cache"]


def test_digest_prints_markdown_and_says_what_it_does(
    story: list[str], fake_llm: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--digest", *story, *fake_llm]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("# One story, several outlets")
    assert "## Where they differ" in out and "- **Framing:** Each outlet leads with" in out
    # Off a terminal the steps are not shown (a live status shows them on one).
    assert "briefing A" not in err and "merging" not in err


@pytest.mark.parametrize("ext", ["json", "jsonl", "pdf", "html", "md"])
def test_digest_writes_each_format_and_rerenders_from_json(
    story: list[str], fake_llm: list[str], tmp_path: Path, ext: str
) -> None:
    from briefgen.digest.schema import Digest

    saved = tmp_path / "d.json"
    assert cli.main(["--digest", *story, *fake_llm, "-o", str(saved)]) == 0
    digest = Digest.model_validate_json(saved.read_text("utf-8"))
    assert [s.id for s in digest.sources] == ["A", "B", "C"]
    target = tmp_path / f"again.{ext}"
    # Re-rendered from the JSON: no server needed.
    assert cli.main(["--digest", *story, "--from-json", str(saved), "-o", str(target)]) == 0
    data = target.read_bytes()
    if ext == "pdf":
        assert data.startswith(b"%PDF")
    elif ext in ("json", "jsonl"):
        assert Digest.model_validate_json(data) == digest
    else:
        assert "One story, several outlets" in data.decode("utf-8")


@pytest.mark.parametrize(
    ("args", "needle", "code"),
    [
        (["--digest", "{0}"], "a digest merges 2 to 8 sources, got 1", 2),
        (["{0}", "{1}"], "2 sources given: brief one at a time, or add --digest", 2),
        (["--digest", "{0}", "{1}", "-o", "{1}"], "is an input of this brief", 6),
        (["{0}", "--digest-by", "name:x", "-o", "out"], "groups the files of one folder", 2),
        (["--digest", "{0}", "{2}/missing.txt"], "does not exist", 3),
    ],
)
def test_digest_errors_are_one_line(
    story: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    needle: str,
    code: int,
) -> None:
    argv = [a.format(*story[:2], tmp_path) for a in args]
    assert cli.main(argv) == code
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1 and err.startswith("briefgen: error:")


def test_digest_by_writes_one_digest_per_story(
    story: list[str], fake_llm: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "digests"
    folder = Path(story[0]).parent
    assert cli.main([str(folder), "--digest-by", "name:^[a-c]$", "-o", str(out), *fake_llm]) == 3
    assert "no story of 2 to 8 files" in capsys.readouterr().err
    mapping = tmp_path / "stories.csv"
    mapping.write_text("file,story\na.txt,port\nb.txt,port\nc.txt,port\n", encoding="utf-8")
    code = cli.main([str(folder), "--digest-by", str(mapping), "-o", str(out), *fake_llm])
    err = capsys.readouterr().err
    assert code == 0 and "briefgen: 1 digested, 0 up to date, 0 failed" in err
    assert (out / "index.md").is_file() and (out / "port.md").is_file()


def test_digest_strict_exits_7_after_writing_an_unverified_digest(
    story: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from conftest import planted_digest

    saved = tmp_path / "failed.json"
    saved.write_text(planted_digest().model_dump_json(), encoding="utf-8")  # merge failed
    target = tmp_path / "d.md"
    argv = ["--digest", *story, "--from-json", str(saved), "-o", str(target)]
    assert cli.main([*argv, "--strict"]) == 7
    assert target.read_text("utf-8").startswith("# Port approves night shipping")
    err = capsys.readouterr().err
    assert "the digest is not verified: Events were aligned by code alone" in err
    assert cli.main(argv) == 0
    assert "— check before publishing." in capsys.readouterr().err
