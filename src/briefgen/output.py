"""Write outputs atomically: a temp file beside the target, then rename.

A crash or kill at any moment leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from briefgen.errors import RenderError


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` so readers never see a partial file.

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
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise RenderError(f"cannot write {target}: {exc.strerror or exc}") from exc
        raise
    return target
