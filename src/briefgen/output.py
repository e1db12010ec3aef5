"""Write outputs atomically: a temp file beside the target, then rename.

A crash or kill at any moment leaves either the old file or the new one, never half of one.
Only a regular file (or a new path) is replaced so; a pipe or a device is written into, and a
symbolic link keeps pointing where it did while the file it names is replaced.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
import unicodedata
from collections.abc import Iterable
from pathlib import Path, PurePath, PurePosixPath
from typing import Literal

from briefgen.errors import RenderError


def write_atomic(path: str | Path, data: bytes, *, durable: bool = True) -> Path:
    """Write ``data`` to ``path`` so readers never see a partial file.

    Args:
        path: the target file.
        data: its new content.
        durable: fsync before the rename so the file also survives a power cut; caches and
            run state, which are cheap to rebuild, skip it (an fsync costs milliseconds).

    Raises:
        RenderError: the folder is missing or not writable.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise RenderError(f"cannot write {target}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            # mkstemp creates 0600; a brief should get the permissions any new file would.
            os.fchmod(fh.fileno(), 0o666 & ~_UMASK)
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise RenderError(f"cannot write {target}: {exc.strerror or exc}") from exc
        raise
    return target


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Read once, at import: reading it means setting it, and a batch writes briefs from several
#: threads at once, where one thread's read could leave the process with umask 0.
_UMASK = _read_umask()


#: How a brief reaches its target: ``replace`` a regular file (or a new path) atomically, or
#: ``stream`` into a pipe or device, which a rename would turn into a regular file.
WriteMode = Literal["replace", "stream"]


def write_mode(st: os.stat_result | None, where: str | Path) -> WriteMode:
    """How to write to a target whose ``os.stat`` is ``st`` (None: nothing there yet).

    Raises:
        RenderError: the target is a folder, a socket or another thing no brief can go into.
    """
    if st is None or stat.S_ISREG(st.st_mode):
        return "replace"
    if stat.S_ISFIFO(st.st_mode) or stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        return "stream"
    if stat.S_ISDIR(st.st_mode):
        raise RenderError(f"{where} is a folder: name a file for the brief, e.g. {where}/brief.md")
    raise RenderError(f"cannot write to {where}: it is neither a file, a pipe nor a device")


def resolve_output(
    path: str | Path, *, inputs: Iterable[str | Path | None] = ()
) -> tuple[Path, WriteMode]:
    """Where a brief written to ``path`` really goes, and how (see :func:`write_mode`).

    A symbolic link is followed, so the file it names is replaced and the link stays a link.
    Call it before the brief is made, to refuse a bad target before any LLM request.

    Args:
        path: the output path as the user gave it.
        inputs: the files the brief is made from (``-`` and None are skipped).

    Raises:
        RenderError: the target is one of ``inputs``, a folder, or cannot be examined.
    """
    given = Path(path)
    try:
        st: os.stat_result | None = os.stat(given)  # follows links, /proc's /dev/stdout too
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise RenderError(f"cannot write {given}: {exc.strerror or exc}") from exc
    mode = write_mode(st, given)
    if mode == "replace" and st is not None:  # writing into a pipe or terminal destroys nothing
        for item in inputs:
            if item is not None and _same_file(st, item):
                also = "" if Path(item) == given else f" ({item})"
                raise RenderError(
                    f"{given} is an input of this brief{also}: write the brief to another file"
                )
    # Only a link in the last place matters: the rename replaces that name, not what it names.
    # A pipe or device is opened by its given name (/dev/stdout's link only resolves in /proc).
    if mode == "replace" and given.is_symlink():
        return Path(os.path.realpath(given)), mode
    return given, mode


def _same_file(st: os.stat_result, item: str | Path) -> bool:
    if str(item) == "-":  # standard input, whatever file may be called "-"
        return False
    try:
        other = os.stat(item)
    except OSError:
        return False
    return (st.st_dev, st.st_ino) == (other.st_dev, other.st_ino)


def write_output(
    path: str | Path, data: bytes, *, inputs: Iterable[str | Path | None] = ()
) -> Path:
    """Write a brief to ``path`` the way its target calls for; return where it went.

    A regular file or a new path is replaced atomically (:func:`write_atomic`), the file a
    symbolic link names included; a pipe or a device (a terminal, ``/dev/stdout``) is written
    into, never replaced (a pipe waits for its reader, as a shell's ``>`` does). ``path`` must
    not be one of ``inputs``.

    Raises:
        RenderError: see :func:`resolve_output`, or the write failed.
    """
    target, mode = resolve_output(path, inputs=inputs)
    if mode == "replace":
        return write_atomic(target, data)
    try:
        # No O_CREAT, no O_TRUNC: only an existing pipe or device is opened here.
        fd = os.open(target, os.O_WRONLY | os.O_NOCTTY)
    except OSError as exc:
        raise RenderError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        raise RenderError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return target


def ensure_folder(path: str | Path) -> Path:
    """Create the output folder ``path`` if needed and check that files can be made in it.

    Raises:
        RenderError: ``path`` is a file, cannot be created, or is read-only.
    """
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise RenderError(
            f"{folder} is a file, not a folder: name a folder for the briefs"
        ) from exc
    except OSError as exc:
        raise RenderError(f"cannot create {folder}: {exc.strerror or exc}") from exc
    # Checked before the run's lock and state go in, so a read-only folder is one error line.
    if not os.access(folder, os.W_OK | os.X_OK):
        raise RenderError(
            f"cannot write to {folder} (read-only, or not yours): pick another folder"
        )
    return folder


#: Characters no output file name may contain (Windows reserves the printable ones too).
_UNSAFE_CHARS = frozenset('<>:"/\\|?*')
_RESERVED_NAMES = frozenset(
    {
        "CON",
        "PRN",
        "AUX",
        "NUL",
        *(f"COM{i}" for i in range(1, 10)),
        *(f"LPT{i}" for i in range(1, 10)),
    }
)
#: Longest file or folder name we produce, in UTF-8 bytes (most file systems allow 255).
MAX_NAME_BYTES = 180


def _safe_part(part: str) -> str:
    part = unicodedata.normalize("NFC", part)
    # Control and format characters (bidi overrides, zero-width joiners) can disguise a name.
    part = "".join(
        "_" if ch in _UNSAFE_CHARS else ch
        for ch in part
        if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn")
    )
    part = part.strip().lstrip(".").rstrip(". ")  # no hidden files, no Windows-trailing dots
    if part.split(".")[0].upper() in _RESERVED_NAMES:
        part = f"_{part}"
    encoded = part.encode("utf-8")[:MAX_NAME_BYTES]
    return encoded.decode("utf-8", errors="ignore")


def safe_relative_path(name: str | PurePath) -> PurePosixPath:
    """A relative path derived from ``name`` that cannot leave the folder it is joined to.

    Sub-folders are kept; ``..``, ``.``, absolute roots, drive letters, backslashes, control and
    bidi characters are removed, so ``OUTDIR / safe_relative_path(x)`` is always inside OUTDIR.

    Example:
        >>> safe_relative_path("../../etc/passwd")
        PurePosixPath('etc/passwd')
    """
    raw = str(name).replace("\\", "/")
    parts: list[str] = []
    for piece in raw.split("/"):
        if piece in ("", ".", ".."):
            continue
        if len(piece) == 2 and piece[1] == ":" and not parts:  # a drive letter such as C:
            continue
        if cleaned := _safe_part(piece):
            parts.append(cleaned)
    return PurePosixPath(*parts) if parts else PurePosixPath("source")


#: The temp name write_atomic gives a target: mkstemp's 8 random characters between the
#: target's name and ``.tmp``.
_TEMP_NAME = re.compile(r"\.(?P<target>.+)\.[a-z0-9_]{8}\.tmp")


def remove_temp_files(targets: Iterable[str | Path]) -> int:
    """Delete the temp files a killed :func:`write_atomic` left beside ``targets``; return how many.

    Only ``.<target>.<8 random characters>.tmp`` beside one of ``targets`` is touched: a folder
    may hold other programs' temp files (an editor's ``.session.tmp``), which are not ours.
    """
    wanted: dict[Path, set[str]] = {}
    for target in map(Path, targets):
        wanted.setdefault(target.parent, set()).add(target.name)
    removed = 0
    for folder, names in wanted.items():
        try:
            entries = list(os.scandir(folder))
        except OSError:  # no such folder yet: nothing was left there
            continue
        for entry in entries:
            found = _TEMP_NAME.fullmatch(entry.name)
            if found and found["target"] in names and entry.is_file(follow_symlinks=False):
                Path(entry.path).unlink(missing_ok=True)
                removed += 1
    return removed
