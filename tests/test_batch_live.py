"""Batch runs against the fake server: concurrency, resume, skip, failures, index and report."""

from __future__ import annotations

import gc
import json
import re
from pathlib import Path

import pytest
from conftest import BASIL, connect_with
from fake_server import FakeServer, Faults

from briefgen.batch import BatchOptions, BatchProgress, run_batch
from briefgen.cli import main
from briefgen.errors import ConfigError
from briefgen.llm import Timing
from briefgen.output import remove_temp_files, safe_relative_path
from briefgen.runreport import Ignored
from briefgen.settings import Settings

ARTICLES = {
    "harbor.txt": "Harbor votes on night shipping\n\nThe Harbor Port Authority voted on Tuesday "
    "to allow night traffic. Maria Lopez, the chair, said the plan keeps the port competitive. "
    "Residents of the Eastside district said they will appeal the decision in court.",
    "sub/school.md": "Schools delay start times\n\nThe Riverside school board agreed to start "
    "classes an hour later next year. Parents at the meeting asked how buses will adapt. "
    "Board member Ana Silva said the district will publish a plan in the spring.",
    "sub/deep/budget.txt": "City budget passes\n\nThe Council of Northfield passed its budget "
    "on Monday night after a long debate. Mayor Joan Park said the budget protects libraries. "
    "Opponents said the plan raises fees on small shops without a public hearing.",
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "in"
    for name, text in ARTICLES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    (root / "photo.jpg").write_bytes(b"\xff\xd8not text")
    (root / ".hidden.txt").write_text("never briefed", encoding="utf-8")
    return root


@pytest.fixture
def server() -> FakeServer:
    with FakeServer(latency=0.0) as s:
        yield s


def settings_for(server: FakeServer) -> Settings:
    return Settings(base_url=server.base_url, model="fake-model", api_key="sk-test")


def options(tmp_path: Path, **kw: object) -> BatchOptions:
    return BatchOptions(**{"cache_dir": tmp_path / "cache", **kw})  # type: ignore[arg-type]


def test_briefs_every_supported_file_keeping_subfolders(folder, tmp_path, server):
    out = tmp_path / "out"
    report = run_batch([folder], out, settings_for(server), options(tmp_path, jobs=3))
    assert report.ok and report.count("ok") == 3
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.md")) == [
        "harbor.md",
        "index.md",
        "sub/deep/budget.md",
        "sub/school.md",
    ]
    assert report.ignored == [Ignored("photo.jpg", "unsupported file type .jpg")]
    assert server.chat_requests == 3
    index = (out / "index.md").read_text("utf-8")
    assert "[Harbor votes on night shipping](harbor.md)" in index
    assert "(sub/deep/budget.md)" in index
    # Each brief's evidence, all of it found in its source.
    assert len(re.findall(r"\| (\d+)/\1 \(100%\) \|", index)) == 3
    data = json.loads((out / "report.json").read_text("utf-8"))
    assert data["ok"] is True and data["totals"]["ok"] == 3
    first = data["sources"][0]
    assert {"status", "error", "attempts", "requests", "usage", "cost_usd", "seconds"} <= set(first)
    assert first["usage"]["total_tokens"] > 0 and first["cost_usd"] is None  # fake model: unknown


def test_second_run_skips_unchanged_and_redoes_changed(folder, tmp_path, server):
    out, settings = tmp_path / "out", settings_for(server)
    run_batch([folder], out, settings, options(tmp_path))
    (folder / "harbor.txt").write_text(ARTICLES["harbor.txt"] + " It passed 5-2.", "utf-8")
    report = run_batch([folder], out, settings, options(tmp_path))
    statuses = {r.source: r.status for r in report.results}
    assert statuses == {
        "harbor.txt": "ok",
        "sub/deep/budget.txt": "skipped",
        "sub/school.md": "skipped",
    }
    assert server.chat_requests == 4
    # changed settings redo everything; the cache answers repeated requests without the server
    report = run_batch([folder], out, settings.replace(max_attempts=2), options(tmp_path))
    assert report.count("ok") == 3 and report.requests == 0 and server.chat_requests == 4
    assert report.usage.total_tokens == 0


def test_force_redoes_and_new_format_costs_no_tokens(folder, tmp_path, server):
    out, settings = tmp_path / "out", settings_for(server)
    run_batch([folder], out, settings, options(tmp_path))
    report = run_batch([folder], out, settings, options(tmp_path, formats=("json",)))
    assert report.count("ok") == 3 and server.chat_requests == 3  # all from the response cache
    assert json.loads((out / "harbor.json").read_text("utf-8"))["title"]
    report = run_batch([folder], out, settings, options(tmp_path, force=True, cache_dir=None))
    assert report.count("ok") == 3 and server.chat_requests == 6


def test_resume_after_kill_leaves_no_temp_and_finishes_the_rest(folder, tmp_path, server):
    out, settings = tmp_path / "out", settings_for(server)
    run_batch([folder / "harbor.txt"], out, settings, options(tmp_path))
    # what kill -9 mid-write leaves behind: a temp file beside a target, no state for it
    debris = out / "sub" / ".school.md.k2x9_q7z.tmp"
    debris.parent.mkdir(parents=True)
    debris.write_text("# half a bri", "utf-8")
    (out / "index.md").unlink()
    report = run_batch([folder], out, settings, options(tmp_path))
    assert {r.source: r.status for r in report.results}["harbor.txt"] == "skipped"
    assert report.count("ok") == 2 and report.ok
    assert not list(out.rglob("*.tmp"))
    assert (out / "sub" / "school.md").read_text("utf-8").startswith("# ")
    assert (out / "index.md").is_file()


def test_one_bad_source_never_stops_the_others(folder, tmp_path, server):
    (folder / "empty.txt").write_text("   \n", "utf-8")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    out = tmp_path / "out"
    report = run_batch([folder], out, settings_for(server), options(tmp_path))
    assert not report.ok and report.count("ok") == 3 and report.count("failed") == 2
    failed = {r.source: r.error for r in report.results if r.status == "failed"}
    assert set(failed) == {"empty.txt", "binary.txt"} and all(failed.values())
    index = (out / "index.md").read_text("utf-8")
    assert "## Not briefed" in index and "empty.txt" in index


def test_run_keeps_the_heap_from_the_collector_and_thaws_it_after(folder, tmp_path, server):
    frozen_during: list[int] = []
    on_progress = lambda _: frozen_during.append(gc.get_freeze_count())  # noqa: E731
    assert gc.get_freeze_count() == 0
    out = tmp_path / "out"
    run_batch([folder], out, settings_for(server), options(tmp_path), on_progress=on_progress)
    assert frozen_during and min(frozen_during) > 0  # what existed at the start is frozen
    assert gc.get_freeze_count() == 0  # and thawed at the end
    with pytest.raises(ConfigError):  # a run that fails thaws it too
        run_batch([folder], folder, settings_for(server), options(tmp_path))
    assert gc.get_freeze_count() == 0


def test_a_callers_own_freeze_is_left_alone(folder, tmp_path, server):
    gc.freeze()
    try:
        run_batch([folder], tmp_path / "out", settings_for(server), options(tmp_path))
        assert gc.get_freeze_count() > 0  # the run did not thaw what the caller froze
    finally:
        gc.unfreeze()


def test_a_brief_that_cannot_be_written_fails_only_its_source(
    folder, tmp_path, server, monkeypatch
):
    import briefgen.batch.run

    real = briefgen.batch.run.write_atomic

    def full_disk(path: Path, data: bytes, **kw: object) -> None:
        if path.name.startswith("school"):
            raise OSError(28, "No space left on device")
        real(path, data, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(briefgen.batch.run, "write_atomic", full_disk)
    out = tmp_path / "out"
    report = run_batch([folder], out, settings_for(server), options(tmp_path))
    assert report.count("ok") == 2 and report.count("failed") == 1
    (failed,) = [r for r in report.results if r.status == "failed"]
    assert failed.source == "sub/school.md" and "No space left" in (failed.error or "")
    assert failed.usage.total_tokens > 0 and failed.seconds > 0
    # Not recorded as done: the next run briefs it again.
    monkeypatch.setattr(briefgen.batch.run, "write_atomic", real)
    again = run_batch([folder], out, settings_for(server), options(tmp_path))
    assert again.count("ok") == 1 and again.count("skipped") == 2


def test_transient_faults_are_retried_and_every_source_succeeds(folder, tmp_path, monkeypatch):
    connect_with(monkeypatch, Timing(backoff=lambda attempt: 0.01))
    with FakeServer(faults=Faults.transient(0.4, retry_after=0.01), seed=3) as server:
        report = run_batch([folder], tmp_path / "out", settings_for(server), options(tmp_path))
        assert report.ok and report.count("ok") == 3
        assert server.chat_requests > 3 and server.stats["ok"] >= 3
        assert report.requests == server.chat_requests  # per-source tallies add up


def test_ungrounded_answers_are_settled_without_a_reask(folder, tmp_path):
    # An answer citing a sentence the source lacks loses that item in code: no request more.
    with FakeServer(faults=Faults(ungrounded=1.0), seed=1) as server:
        opts = options(tmp_path, cache_dir=None, formats=("json",))
        report = run_batch([folder], tmp_path / "out", settings_for(server), opts)
        assert report.ok and server.chat_requests == 3
    assert sum(r.attempts for r in report.results) == 3
    for name in ("harbor.json", "sub/school.json", "sub/deep/budget.json"):
        brief = tmp_path / "out" / name
        warnings = json.loads(brief.read_text("utf-8"))["meta"]["warnings"]
        assert "repaired: key_events[1] dropped: no sentence [" in " ".join(warnings), brief


def test_invalid_answers_are_reasked(folder, tmp_path):
    # One source at a time, so the seeded faults fall on the same requests every run: the first
    # answer of the first two sources is cut off, and their re-asks are answered.
    with FakeServer(faults=Faults(invalid_json=0.5), seed=3) as server:
        # A cached re-ask would replay the same answer.
        opts = options(tmp_path, cache_dir=None, jobs=1)
        report = run_batch([folder], tmp_path / "out", settings_for(server), opts)
        assert report.ok
        assert server.stats["invalid_json"] == 2
        assert sum(r.attempts for r in report.results) == server.chat_requests == 5


def test_failed_answers_are_not_replayed_by_a_rerun(folder, tmp_path):
    # Every answer is cut off mid-JSON: none is cached, so once the server is mended the rerun
    # asks it again instead of replaying the failures with no request at all.
    with FakeServer(faults=Faults(invalid_json=1.0)) as server:
        out, settings = tmp_path / "out", settings_for(server)
        first = run_batch([folder], out, settings, options(tmp_path))
        assert first.count("failed") == 3 and first.requests > 0
        server.faults = Faults()
        again = run_batch([folder], out, settings, options(tmp_path))
        assert again.ok and again.count("ok") == 3 and again.requests == 3


def test_jobs_bound_concurrency_and_progress_reports_each_source(tmp_path):
    root = tmp_path / "many"
    root.mkdir()
    for i in range(8):
        (root / f"a{i}.txt").write_text(ARTICLES["harbor.txt"] + f" Item {i}.", "utf-8")
    seen: list[BatchProgress] = []
    with FakeServer(latency=0.2) as server:
        report = run_batch(
            [root],
            tmp_path / "out",
            settings_for(server),
            options(tmp_path, jobs=4),
            on_progress=seen.append,
        )
    assert report.ok
    # 8 sources, 4 at a time, 0.2 s each: two waves, not eight
    assert max(r.seconds for r in report.results) < 1.0
    assert report.seconds < 8 * 0.2
    assert seen[-1].done == 8 and seen[-1].remaining == 0


def test_identical_system_prompt_across_sources_for_prefix_cache(folder, tmp_path, server):
    run_batch([folder], tmp_path / "out", settings_for(server), options(tmp_path))
    systems = {json.dumps(b["messages"][0]) for b in server.bodies}
    assert len(systems) == 1


def test_outdir_equal_to_source_folder_is_refused(folder, tmp_path, server):
    with pytest.raises(ConfigError, match="source folder"):
        run_batch([folder], folder, settings_for(server), options(tmp_path))


def test_a_run_deletes_no_temp_file_it_did_not_make(folder, tmp_path, server):
    out = tmp_path / "out"
    (out / "app").mkdir(parents=True)
    theirs = [out / "app" / ".session.tmp", out / ".notes.md.k2x9_q7z.tmp", out / ".x.tmp"]
    for path in theirs:
        path.write_text("someone else's", "utf-8")
    ours = out / ".harbor.md.k2x9_q7z.tmp"  # a brief this run writes, half written by a kill
    ours.write_text("# half a bri", "utf-8")
    report = run_batch([folder], out, settings_for(server), options(tmp_path))
    assert report.ok and not ours.exists()
    assert all(path.read_text("utf-8") == "someone else's" for path in theirs)


def test_an_outdir_holding_the_source_folder_is_refused(tmp_path, server, monkeypatch, capsys):
    # cd box; briefgen news -o .   : briefs would land among box's own files
    box = tmp_path / "box"
    (box / "news").mkdir(parents=True)
    (box / "news" / "harbor.txt").write_text(ARTICLES["harbor.txt"], "utf-8")
    (box / "app").mkdir()
    session = box / "app" / ".session.tmp"
    session.write_text("unsaved work", "utf-8")
    monkeypatch.chdir(box)
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", str(tmp_path / "cache"))
    code = main(["news", "-o", ".", "--base-url", server.base_url, "--model", "fake-model"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "-o . holds the source folder news" in err and "-o news-briefs" in err
    assert session.read_text("utf-8") == "unsaved work"
    assert sorted(p.name for p in box.iterdir()) == ["app", "news"] and server.chat_requests == 0
    with pytest.raises(ConfigError, match="is inside -o"):  # a source file inside OUTDIR too
        run_batch([box / "news" / "harbor.txt"], box, settings_for(server), options(tmp_path))


def test_an_outdir_inside_the_source_folder_must_be_new_or_a_runs_own(folder, tmp_path, server):
    # news/sub holds sources: its briefs could overwrite them, and they would not be briefed.
    with pytest.raises(ConfigError, match=r"inside the source folder .* holds files of its own"):
        run_batch([folder], folder / "sub", settings_for(server), options(tmp_path))
    assert server.chat_requests == 0
    (folder / "empty").mkdir()
    report = run_batch([folder], folder / "empty", settings_for(server), options(tmp_path))
    assert report.ok and report.count("ok") == 3  # and again, now that a run made it:
    assert run_batch([folder], folder / "empty", settings_for(server), options(tmp_path)).ok


def test_an_outdir_that_is_a_file_is_refused(folder, tmp_path, server):
    (tmp_path / "out").write_text("mine", "utf-8")
    with pytest.raises(ConfigError, match="is a file"):
        run_batch([folder], tmp_path / "out", settings_for(server), options(tmp_path))
    assert (tmp_path / "out").read_text("utf-8") == "mine"


def test_a_folder_with_nothing_to_brief_is_an_error_that_says_why(tmp_path, server, capsys):
    root = tmp_path / "in"
    root.mkdir()
    (root / "LICENSE").write_text("MIT License", "utf-8")
    (root / "photo.jpg").write_bytes(b"\xff\xd8")
    out = tmp_path / "out"
    args = [str(root), "-o", str(out), "--base-url", server.base_url, "--model", "fake-model"]
    assert main([*args, "--no-cache"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "holds no source files (.txt, .md, .html, .pdf)" in err
    assert "2 left out, e.g. LICENSE (no file extension" in err
    assert not out.exists() and server.chat_requests == 0


def test_output_inside_source_folder_is_not_rebriefed(folder, tmp_path, server):
    out = folder / "briefs"
    run_batch([folder], out, settings_for(server), options(tmp_path))
    report = run_batch([folder], out, settings_for(server), options(tmp_path))
    assert {r.source for r in report.results} == set(ARTICLES)


def test_links_and_files_without_an_extension_are_left_out_with_the_reason(tmp_path, server):
    root, elsewhere = tmp_path / "in", tmp_path / "elsewhere"
    (root / "sub").mkdir(parents=True)
    elsewhere.mkdir()
    (root / "harbor.txt").write_text(ARTICLES["harbor.txt"], "utf-8")
    (elsewhere / "secret.txt").write_text("SECRET-TOKEN 42 is the password. " * 5, "utf-8")
    (root / "passwd.txt").symlink_to(elsewhere / "secret.txt")  # out of the folder
    (root / "up.txt").symlink_to("../elsewhere/secret.txt")  # the same, relative
    (root / "linked").symlink_to(elsewhere, target_is_directory=True)
    (root / "copy.txt").symlink_to(root / "harbor.txt")  # a second name for a source
    (root / "sub" / "again.md").symlink_to("../harbor.txt")
    (root / "gone.txt").symlink_to(root / "nowhere.txt")
    (root / "LICENSE").write_text("MIT License\n\nPermission is hereby granted.", "utf-8")
    (root / "Makefile").write_text("all:\n\techo hello world, this is no article\n", "utf-8")
    out = tmp_path / "out"
    report = run_batch([root], out, settings_for(server), options(tmp_path))
    assert [(r.source, r.status) for r in report.results] == [("harbor.txt", "ok")]
    assert server.chat_requests == 1  # briefed once, under its own name
    assert "SECRET-TOKEN" not in json.dumps(server.bodies)
    outside = "a link to a place outside the folder: not followed"
    same = "a link to harbor.txt, which is briefed under its own name"
    assert {(i.source, i.reason) for i in report.ignored} == {
        ("passwd.txt", outside),
        ("up.txt", outside),
        ("linked", outside),
        ("copy.txt", same),
        ("sub/again.md", same),
        ("gone.txt", "a broken link"),
        ("LICENSE", "no file extension: name it .txt to brief it"),
        ("Makefile", "no file extension: name it .txt to brief it"),
    }
    data = json.loads((out / "report.json").read_text("utf-8"))
    assert {"source": "passwd.txt", "reason": outside} in data["ignored"]
    index = (out / "index.md").read_text("utf-8")
    assert "## Left out" in index and f"| passwd.txt | {outside} |" in index


def test_sources_named_like_the_runs_own_files_keep_their_briefs(tmp_path, server):
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    (root / "index.txt").write_text(ARTICLES["harbor.txt"], "utf-8")
    (root / "report.txt").write_text(ARTICLES["sub/school.md"], "utf-8")
    (root / "sub" / "index.txt").write_text(ARTICLES["sub/deep/budget.txt"], "utf-8")
    out, settings = tmp_path / "out", settings_for(server)
    opts = options(tmp_path, formats=("md", "json"))
    report = run_batch([root], out, settings, opts)
    assert report.ok and report.count("ok") == 3
    outputs = {r.source: r.outputs for r in report.results}
    assert outputs == {
        "index.txt": ["index_txt.md", "index_txt.json"],
        "report.txt": ["report_txt.md", "report_txt.json"],
        "sub/index.txt": ["sub/index.md", "sub/index.json"],  # no run file there to collide with
    }
    assert (out / "index_txt.md").read_text("utf-8").startswith("# Harbor votes")
    assert json.loads((out / "report_txt.json").read_text("utf-8"))["title"]
    index = (out / "index.md").read_text("utf-8")
    assert index.startswith("# Briefs") and "(index_txt.md)" in index and "(index.md)" not in index
    assert json.loads((out / "report.json").read_text("utf-8"))["totals"]["ok"] == 3
    again = run_batch([root], out, settings, opts)
    assert again.count("skipped") == 3 and again.requests == 0


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "etc/passwd"),
        ("/abs/story.txt", "abs/story.txt"),
        ("C:\\news\\..\\story.txt", "news/story.txt"),
        ("a/./b/c.txt", "a/b/c.txt"),
        (".hidden", "hidden"),
        ("CON.txt", "_CON.txt"),
        ("evil\u202etxt.exe", "eviltxt.exe"),
        ("..", "source"),
        ("sp ace/ok.txt", "sp ace/ok.txt"),
        ("caf\u0065\u0301.txt", "caf\u00e9.txt"),
    ],
)
def test_safe_relative_path_never_escapes(name, expected, tmp_path):
    got = safe_relative_path(name)
    assert got.as_posix() == expected
    assert (tmp_path / got).resolve().is_relative_to(tmp_path.resolve())


def test_remove_temp_files_only_touches_write_atomic_debris_of_the_targets(tmp_path):
    for name in ("keep.md", "keep.tmp", ".brief.md.x1y2.tmp", ".other.md.k2x9_q7z.tmp"):
        (tmp_path / name).write_text("x", "utf-8")
    (tmp_path / ".brief.md.k2x9_q7z.tmp").write_text("x", "utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / ".brief.md.a1b2c3d4.tmp").write_text("x", "utf-8")
    targets = [tmp_path / "brief.md", tmp_path / "sub" / "brief.md", tmp_path / "new" / "x.md"]
    assert remove_temp_files(targets) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".brief.md.x1y2.tmp",  # not a name write_atomic makes
        ".other.md.k2x9_q7z.tmp",  # debris, but beside no target of this run
        "keep.md",
        "keep.tmp",
        "sub",
    ]
    assert not list((tmp_path / "sub").iterdir())


def test_cli_folder_exit_codes(folder, tmp_path, server, monkeypatch, capsys):
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", str(tmp_path / "cache"))
    args = [str(folder), "-o", str(tmp_path / "out"), "--base-url", server.base_url]
    assert main([*args, "--model", "fake-model", "--jobs", "2"]) == 0
    assert "3 briefed, 0 up to date, 0 failed, 1 left out" in capsys.readouterr().err
    (folder / "empty.txt").write_text(" ", "utf-8")
    assert main([*args, "--model", "fake-model"]) == 1
    assert "1 failed" in capsys.readouterr().err
    assert main([str(folder), "--base-url", server.base_url]) != 0  # a folder needs -o
    assert "-o OUTDIR" in capsys.readouterr().err


def test_cli_folder_summary_labels_its_cost(folder, tmp_path, server, monkeypatch, capsys):
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", str(tmp_path / "cache"))
    args = [str(folder), "-o", str(tmp_path / "out"), "--base-url", server.base_url]
    assert main([*args, "--model", "fake-model"]) == 0
    assert " tokens · cost unknown · " in capsys.readouterr().err  # a fake model has no price


# --- several formats, index.html, JSON Lines on standard output ---------------------------------


def test_several_formats_and_an_html_index_beside_the_markdown_one(folder, tmp_path, server):
    out = tmp_path / "out"
    opts = options(tmp_path, formats=("md", "html"))
    report = run_batch([folder], out, settings_for(server), opts)
    assert report.ok and server.chat_requests == 3
    assert (out / "sub" / "school.md").is_file() and (out / "sub" / "school.html").is_file()
    index_md = (out / "index.md").read_text("utf-8")
    index_html = (out / "index.html").read_text("utf-8")
    assert "[Harbor votes on night shipping](harbor.md)" in index_md
    assert '<a href="harbor.html">Harbor votes on night shipping</a>' in index_html
    assert "photo.jpg" in index_html  # left out, with the reason, as in index.md
    # A second run finds both formats written: nothing to redo.
    again = run_batch([folder], out, settings_for(server), opts)
    assert again.count("skipped") == 3 and server.chat_requests == 3


def test_a_run_without_outdir_hands_over_each_brief_and_writes_nothing(
    folder, tmp_path, server, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    (folder / "empty.txt").write_text(" ", "utf-8")
    before = sorted(tmp_path.rglob("*"))
    seen = []
    opts = options(tmp_path, cache_dir=None)
    report = run_batch([folder], None, settings_for(server), opts, on_brief=seen.append)
    assert sorted(tmp_path.rglob("*")) == before
    assert report.count("ok") == 3 and report.count("failed") == 1
    assert sorted(str(b.path.relative_to(folder)) for b in seen) == [
        "empty.txt",
        "harbor.txt",
        "sub/deep/budget.txt",
        "sub/school.md",
    ]
    # The source that cannot be read is handed over first, before any request.
    assert seen[0].briefing is None and seen[0].result.status == "failed" and seen[0].result.error
    # And nothing to skip by: a second run briefs every source again.
    run_batch([folder], None, settings_for(server), opts)
    assert server.chat_requests == 6


def test_each_brief_is_handed_over_as_soon_as_its_files_are_written(folder, tmp_path):
    out, seen = tmp_path / "out", []

    def on_brief(briefed):
        # Written, and recorded as done, when handed over; the sources after it not yet.
        assert all((out / name).is_file() for name in briefed.result.outputs)
        seen.append((briefed.path.name, server.chat_requests))

    with FakeServer(latency=0.05) as server:
        opts = options(tmp_path, jobs=1, cache_dir=None)
        run_batch([folder], out, settings_for(server), opts, on_brief=on_brief)
    assert [name for name, _ in seen] == ["harbor.txt", "budget.txt", "school.md"]
    assert seen[0][1] < 3  # the first was handed over while the run still had requests to make


def test_cli_streams_json_lines_to_standard_output(folder, tmp_path, server, monkeypatch, capsys):
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", str(tmp_path / "cache"))
    (folder / "empty.txt").write_text(" ", "utf-8")
    llm = ["--base-url", server.base_url, "--model", "fake-model"]
    assert main([str(folder), "--format", "jsonl", "-o", "-", *llm]) == 1  # one source failed
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert sorted(line["source"] for line in lines) == sorted(
        str(folder / n) for n in ("empty.txt", "harbor.txt", "sub/deep/budget.txt", "sub/school.md")
    )
    by_source = {Path(line["source"]).name: line for line in lines}
    assert by_source["harbor.txt"]["status"] == "ok" and by_source["harbor.txt"]["error"] is None
    assert by_source["harbor.txt"]["briefing"]["title"] == "Harbor votes on night shipping"
    assert by_source["harbor.txt"]["briefing"]["meta"]["grounding"]["exact"] > 0
    assert (
        by_source["empty.txt"]["status"] == "failed" and by_source["empty.txt"]["briefing"] is None
    )
    assert "3 briefed, 0 up to date, 1 failed" in captured.err and "index.md" not in captured.err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["-o", "-"], "add --format jsonl"),
        (["-o", "OUT", "--format", "jsonl"], "use -o -"),
        (["-o", "-", "--format", "jsonl", "--via", "batch-api"], "give -o OUTDIR"),
    ],
)
def test_cli_stream_mistakes_are_one_line(folder, tmp_path, server, capsys, args, needle):
    args = [a.replace("OUT", str(tmp_path / "out")) for a in args]
    code = main([str(folder), *args, "--base-url", server.base_url, "--model", "fake-model"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and needle in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists() and server.chat_requests == 0


def test_a_json_line_is_the_brief_contract_with_its_source_path(folder, tmp_path, server):
    seen = []
    run_batch(
        [folder / "harbor.txt"], None, settings_for(server), options(tmp_path), on_brief=seen.append
    )
    (briefed,) = seen
    line = briefed.json_line()
    assert "\n" not in line
    record = json.loads(line)
    assert list(record) == ["source", "status", "error", "briefing"]
    assert record["source"] == str(folder / "harbor.txt")
    assert record["briefing"] == json.loads(briefed.briefing.model_dump_json())


@pytest.mark.skipif(not BASIL.is_dir(), reason="the BASIL articles are not on this machine")
def test_basil_articles_brief_and_resume(tmp_path, server):
    files = sorted(BASIL.glob("*.txt"))[:12]
    out, settings = tmp_path / "out", settings_for(server)
    report = run_batch(files, out, settings, options(tmp_path, jobs=6))
    assert report.ok and report.count("ok") == 12
    # One draft per article, and a stances request where the check wants a speaker the prompt
    # did not list: the fake answers the prompt alone.
    asked = server.chat_requests
    assert report.requests == asked and 12 <= asked <= 24
    again = run_batch(files, out, settings, options(tmp_path, jobs=6))
    assert again.count("skipped") == 12 and server.chat_requests == asked
