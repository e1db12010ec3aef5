"""Atomic writes: whole files only, with ordinary permissions."""

from __future__ import annotations

import os
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from briefgen.errors import RenderError
from briefgen.output import write_atomic, write_mode, write_output


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


# --- where a brief goes: only a regular file is replaced ---------------------------------------


def _stat(kind: int) -> os.stat_result:
    return os.stat_result((kind | 0o644, 1, 1, 1, 0, 0, 0, 0, 0, 0))


@pytest.mark.parametrize(
    ("kind", "mode"),
    [
        (stat.S_IFREG, "replace"),
        (stat.S_IFIFO, "stream"),
        (stat.S_IFCHR, "stream"),
        (stat.S_IFBLK, "stream"),
    ],
)
def test_only_a_regular_file_is_replaced(kind: int, mode: str) -> None:
    assert write_mode(_stat(kind), "x") == mode
    assert write_mode(None, "x") == "replace"  # a new path


@pytest.mark.parametrize(
    ("kind", "needle"), [(stat.S_IFDIR, "is a folder"), (stat.S_IFSOCK, "neither a file")]
)
def test_folders_and_sockets_take_no_brief(kind: int, needle: str) -> None:
    with pytest.raises(RenderError, match=needle):
        write_mode(_stat(kind), "x")


def _read_fifo(path: Path) -> tuple[threading.Thread, list[bytes]]:
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(path.read_bytes()), daemon=True)
    reader.start()
    return reader, got


def test_a_fifo_is_written_into_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader, got = _read_fifo(fifo)
    write_output(fifo, b"# Brief\n")
    reader.join(5)
    assert got == [b"# Brief\n"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]  # no temp file left beside it


def test_a_link_to_a_fifo_is_written_through(tmp_path: Path) -> None:
    # The shape of /dev/stdout: a symbolic link to a pipe or a terminal.
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "stdout").symlink_to(fifo)
    reader, got = _read_fifo(fifo)
    write_output(tmp_path / "stdout", b"brief")
    reader.join(5)
    assert got == [b"brief"]
    assert (tmp_path / "stdout").is_symlink() and stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_symlink_stays_a_link_and_its_target_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "briefs").mkdir()
    real = tmp_path / "briefs" / "real.md"
    real.write_bytes(b"old")
    link = tmp_path / "link.md"
    link.symlink_to(Path("briefs") / "real.md")
    assert write_output(link, b"new") == real.resolve()
    assert link.is_symlink() and real.read_bytes() == b"new"
    assert [p.name for p in (tmp_path / "briefs").iterdir()] == ["real.md"]


def test_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link.md"
    link.symlink_to("made.md")
    write_output(link, b"new")
    assert link.is_symlink() and (tmp_path / "made.md").read_bytes() == b"new"


def test_an_input_is_never_the_output(tmp_path: Path) -> None:
    source = tmp_path / "story.txt"
    source.write_bytes(b"the source")
    (tmp_path / "link.md").symlink_to(source)
    os.link(source, tmp_path / "hard.md")
    for target in (source, tmp_path / "link.md", tmp_path / "hard.md"):
        with pytest.raises(RenderError, match="an input of this brief") as info:
            write_output(target, b"brief", inputs=["-", None, source])
        assert "\n" not in str(info.value)
    assert source.read_bytes() == b"the source"
    write_output(tmp_path / "brief.md", b"brief", inputs=[source])  # any other file is fine
