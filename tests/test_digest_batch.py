"""One digest per story of a folder, against the fake server: outputs, report, resume, safety."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import PLANTED
from fake_server import FakeServer

from briefgen.batch import BatchOptions
from briefgen.digest.batch import run_digests
from briefgen.digest.schema import Digest
from briefgen.errors import ConfigError, SourceError
from briefgen.settings import Settings


@pytest.fixture
def server() -> FakeServer:
    with FakeServer(latency=0.0) as s:
        yield s


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "news"
    (root / "sub").mkdir(parents=True)
    for sid, text in PLANTED.items():
        (root / ("sub" if sid == "C" else "") / f"port_{sid.lower()}.txt").write_text(
            text, encoding="utf-8"
        )
    (root / "school_a.txt").write_text(
        "Schools delay start times\n\nThe Riverside school board agreed on Monday, May 5, "
        "2025 to start classes an hour later next year.",
        encoding="utf-8",
    )
    (root / "mapping.csv").write_text("not a source", encoding="utf-8")  # no .csv sources
    return root


def mapping(tmp_path: Path, rows: dict[str, str]) -> str:
    path = tmp_path / "stories.json"
    path.write_text(
        json.dumps(
            [
                {"file": f, "story": s, "outlet": f"Outlet {Path(f).stem[-1]}"}
                for f, s in rows.items()
            ]
        ),
        encoding="utf-8",
    )
    return str(path)


STORIES = {"port_a.txt": "port", "port_b.txt": "port", "sub/port_c.txt": "port"}


def options(tmp_path: Path, **kw: object) -> BatchOptions:
    return BatchOptions(**{"cache_dir": tmp_path / "cache", **kw})  # type: ignore[arg-type]


def settings_for(server: FakeServer) -> Settings:
    return Settings(base_url=server.base_url, model="fake-model")


def test_one_digest_per_story_with_report_and_index(folder, tmp_path, server):
    out = tmp_path / "out"
    rows = {**STORIES, "school_a.txt": "school"}
    report = run_digests(
        folder, out, mapping(tmp_path, rows), settings_for(server),
        options(tmp_path, formats=("json",)),
    )  # fmt: skip
    assert report.ok and [r.story for r in report.results] == ["port"]
    made = Digest.model_validate_json((out / "port.json").read_text("utf-8"))
    assert [s.label for s in made.sources] == ["Outlet a", "Outlet b", "Outlet c"]
    assert [s.path for s in made.sources] == [
        str(folder / "port_a.txt"),
        str(folder / "port_b.txt"),
        str(folder / "sub" / "port_c.txt"),
    ]
    for r in made.reports():
        assert PLANTED[r.source][r.start : r.end] == r.quote
    data = json.loads((out / "report.json").read_text("utf-8"))
    assert data["totals"]["ok"] == 1 and data["stories"][0]["outputs"] == ["port.json"]
    reasons = {i["source"]: i["reason"] for i in data["ignored"]}
    assert reasons["school_a.txt"] == "the only file of story school"
    assert reasons["mapping.csv"] == "unsupported file type .csv"
    index = (out / "index.md").read_text("utf-8")
    assert "[One story, several outlets](port.json)" in index and "## Left out" in index


def test_an_unchanged_story_is_skipped_and_force_redoes_it(folder, tmp_path, server):
    out, spec = tmp_path / "out", mapping(tmp_path, STORIES)
    run_digests(folder, out, spec, settings_for(server), options(tmp_path))
    asked = server.chat_requests
    again = run_digests(folder, out, spec, settings_for(server), options(tmp_path))
    assert again.count("skipped") == 1 and server.chat_requests == asked
    assert again.results[0].title == "One story, several outlets"
    (folder / "port_b.txt").write_text(PLANTED["B"] + " More news.", encoding="utf-8")
    changed = run_digests(folder, out, spec, settings_for(server), options(tmp_path))
    assert changed.count("ok") == 1
    forced = run_digests(folder, out, spec, settings_for(server), options(tmp_path, force=True))
    assert forced.count("ok") == 1


def test_links_are_never_followed(folder, tmp_path, server):
    secret = tmp_path / "secret.txt"
    secret.write_text("Private notes about the port plan.", encoding="utf-8")
    os.symlink(secret, folder / "port_d.txt")
    rows = {**STORIES, "port_d.txt": "port"}
    report = run_digests(
        folder, tmp_path / "out", mapping(tmp_path, rows), settings_for(server), options(tmp_path)
    )
    assert report.results[0].sources == ["port_a.txt", "port_b.txt", "sub/port_c.txt"]
    assert any(i.source == "port_d.txt" and "not followed" in i.reason for i in report.ignored)
    assert not any("Private notes" in json.dumps(b) for b in server.bodies)


def test_a_story_of_more_than_eight_files_fails_alone(tmp_path, server):
    root = tmp_path / "many"
    root.mkdir()
    for i in range(9):
        (root / f"big_{i}.txt").write_text(PLANTED["A"], encoding="utf-8")
    for sid in "AB":
        (root / f"small_{sid}.txt").write_text(PLANTED[sid], encoding="utf-8")
    report = run_digests(
        root, tmp_path / "out", r"name:^([a-z]+)_", settings_for(server), options(tmp_path)
    )
    status = {r.story: (r.status, r.error) for r in report.results}
    assert status["big"] == ("failed", "9 files: a digest merges 2 to 8")
    assert status["small"] == ("ok", None) and not report.ok


def test_nothing_to_digest_and_unsafe_outdirs(folder, tmp_path, server):
    with pytest.raises(SourceError, match="no story of 2 to 8 files"):
        run_digests(folder, tmp_path / "out", "name:^school", settings_for(server))
    with pytest.raises(ConfigError, match="is the source folder"):
        run_digests(folder, folder, mapping(tmp_path, STORIES), settings_for(server))
    with pytest.raises(ConfigError, match="drop --via batch-api"):
        run_digests(
            folder, tmp_path / "o", "name:x", settings_for(server), BatchOptions(via="batch-api")
        )


def test_the_index_escapes_story_names_and_titles():
    from briefgen.digest.batch import DigestRunReport, StoryResult, render_index
    from briefgen.runreport import Ignored

    hazard = "a|b # <script> [x](y)"
    report = DigestRunReport(
        outdir="out",
        mapping="name:x",
        results=[StoryResult(hazard, [hazard], "a_b", "ok", ["a b.md"], title=hazard)],
        ignored=[Ignored(hazard, hazard)],
    )
    index = render_index(report)
    rows = [line for line in index.splitlines() if line.startswith("| a")]
    assert rows and all("a\\|b \\# \\<script\\> \\[x\\](y)" in row for row in rows)
    assert "](a%20b.md)" in index and "<script>" not in index
