"""Atomic writes: whole files only, with ordinary permissions."""

from __future__ import annotations

import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from briefgen.errors import RenderError
from briefgen.output import write_atomic


def test_written_file_gets_umask_permissions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("briefgen.output._UMASK", 0o022)  # the process's umask, read at import
    path = write_atomic(tmp_path / "sub" / "brief.md", b"# Brief\n")
    assert path.read_bytes() == b"# Brief\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in path.parent.iterdir()] == ["brief.md"]


def test_writes_from_many_threads_leave_the_umask_alone(tmp_path: Path) -> None:
    before = os.umask(0o022)
    try:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: write_atomic(tmp_path / f"{i}.md", b"x"), range(200)))
        assert os.umask(0o022) == 0o022
    finally:
        os.umask(before)


def test_unwritable_target_is_a_render_error_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "brief.md"
    target.mkdir()  # a folder where the file should go: the rename fails
    with pytest.raises(RenderError, match="cannot write"):
        write_atomic(target, b"data")
    assert list(tmp_path.iterdir()) == [target] and list(target.iterdir()) == []
