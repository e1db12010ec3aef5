"""Write outputs atomically: a temp file beside the target, then rename.

A crash or kill at any moment leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable
from pathlib import Path, PurePath, PurePosixPath

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
