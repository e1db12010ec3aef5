"""Which files a batch briefs, and under which names in OUTDIR.

A folder is walked without following links; what is left out is listed with the reason. Every
source gets an output name of its own, the same from run to run, that no other source and none
of the run's own files (``index.md``, ``index.html``, ``report.json``, ``.briefgen/``) can take.

Safe layouts of source folders and OUTDIR (:func:`check_layout` refuses the others):

- apart (``news/ -o briefs/``): always;
- OUTDIR inside a source folder (``news/ -o news/briefs``): when OUTDIR is new, empty or made
  by an earlier run (it holds ``.briefgen/``). It is left out of the sources, so briefs are
  never briefed again; a folder already holding files may hold sources, which its briefs
  could overwrite and which would silently not be briefed;
- never a source folder inside OUTDIR (``news/ -o .``): its briefs would land among OUTDIR's
  other files and, from a sub-folder of the sources named like the folder, inside the sources.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from briefgen.errors import ConfigError, SourceError
from briefgen.output import safe_relative_path
from briefgen.runreport import Ignored
from briefgen.sources import SUFFIX_KINDS

STATE_DIR = ".briefgen"
INDEX_NAME = "index.md"
#: Written beside index.md when the run writes HTML briefs.
INDEX_HTML_NAME = "index.html"
REPORT_NAME = "report.json"
#: The run's own files at the top of OUTDIR, whose names no brief may take in any format.
_RUN_FILES = frozenset({INDEX_NAME, INDEX_HTML_NAME, REPORT_NAME})
_RUN_STEMS = frozenset(name.rsplit(".", 1)[0] for name in _RUN_FILES)


@dataclass(frozen=True)
class Found:
    """A source file and where its briefs go.

    Attributes:
        path: the file, as reached from the input it was found under.
        name: its path relative to that input folder, for the report.
        stem: its output path without extension, relative to OUTDIR.
    """

    path: Path
    name: str
    stem: PurePosixPath


def _not_a_source(path: Path) -> str | None:
    """Why ``path`` (no link) is not briefed as a source, or None when it is one."""
    if not path.is_file():
        return "not a regular file"
    suffix = path.suffix.lower()
    if not suffix:  # LICENSE, Makefile: a folder's own files, not articles
        return "no file extension: name it .txt to brief it"
    if suffix not in SUFFIX_KINDS:
        return f"unsupported file type {suffix}"
    return None


def _link(path: Path, root: Path, outdir: Path | None) -> str:
    """Why the link ``path`` under ``root`` is left out: a run never follows one.

    A link out of the folder could hand any file the user can read to the model; a link to a
    file inside it is a second name for a file the walk finds (and briefs) under its own name.
    """
    target = path.resolve()
    if not target.exists():
        return "a broken link"
    if not target.is_relative_to(root):
        return "a link to a place outside the folder: not followed"
    where = target.relative_to(root)
    briefed = not (
        target.is_dir()
        or any(p.startswith(".") for p in where.parts)
        or (outdir is not None and target.is_relative_to(outdir))
        or _not_a_source(target)
    )
    if briefed:
        return f"a link to {where.as_posix()}, which is briefed under its own name"
    return f"a link to {where.as_posix()}: links are not followed"


def find(inputs: Sequence[str | Path], outdir: Path | None) -> tuple[list[Found], list[Ignored]]:
    """The sources under ``inputs`` (sorted), and the files left out with the reason why.

    Under a folder, a source is a regular file with a source extension (.txt, .md, .html,
    .pdf, ...). Hidden files and folders and anything inside ``outdir`` (None: a run that
    writes no files) are passed over silently; links (which are never followed), files
    without an extension or of another type are left out with a reason. Files named as
    ``inputs`` are taken as given; a file named twice is briefed once.
    """
    found: list[tuple[Path, str]] = []
    ignored: list[Ignored] = []
    out = outdir.resolve() if outdir is not None else None
    seen: set[Path] = set()
    for item in map(Path, inputs):
        if not item.is_dir():
            if (real := item.resolve()) not in seen:
                seen.add(real)
                found.append((item, item.name))
            continue
        root = item.resolve()
        for path in sorted(item.rglob("*")):  # rglob does not descend into linked folders
            rel = path.relative_to(item)
            real = root / rel  # no link in it but perhaps the last part
            hidden = any(p.startswith(".") for p in rel.parts)
            if hidden or (out is not None and real.is_relative_to(out)):
                continue
            if path.is_symlink():
                ignored.append(Ignored(rel.as_posix(), _link(path, root, out)))
            elif path.is_dir() or real in seen:
                continue
            elif why := _not_a_source(path):
                ignored.append(Ignored(rel.as_posix(), why))
            else:
                seen.add(real)
                found.append((path, rel.as_posix()))
    stems = _stems([(path.suffix, name) for path, name in found])
    return [
        Found(path, name, stem) for (path, name), stem in zip(found, stems, strict=True)
    ], ignored


def _fold(stem: PurePosixPath) -> str:
    # Case-insensitive file systems (macOS, Windows) make Index.md and index.md one file.
    return stem.as_posix().casefold()


def _stems(sources: Sequence[tuple[str, str]]) -> list[PurePosixPath]:
    """Each source's output path without extension, given its (suffix, name); all distinct.

    Stems do not depend on the format, so a source's briefs in every format, and its run
    state, share one name from run to run. Two sources that would share one (story.txt and
    story.html) get their suffix added (story_txt, story_html); so do sources whose briefs would
    take the run's own names (index.txt would be index.md): the index and the report keep
    their documented names.
    """
    stems = [safe_relative_path(PurePosixPath(name).with_suffix("")) for _, name in sources]
    count = Counter(map(_fold, stems))
    taken = set(_RUN_STEMS)
    result = []
    for (suffix, _), stem in zip(sources, stems, strict=True):
        if len(stem.parts) > 1 and stem.parts[0].casefold() in _RUN_FILES:  # a folder index.md/
            stem = PurePosixPath(f"{stem.parts[0]}_", *stem.parts[1:])
        if count[_fold(stem)] > 1 or _fold(stem) in _RUN_STEMS:
            stem = stem.with_name(f"{stem.name}_{suffix.lstrip('.') or 'file'}")
        while _fold(stem) in taken:
            stem = stem.with_name(f"{stem.name}_")
        taken.add(_fold(stem))
        result.append(stem)
    return result


def _made_by_a_run_or_empty(folder: Path) -> bool:
    return not folder.exists() or (folder / STATE_DIR).is_dir() or not any(folder.iterdir())


def check_layout(inputs: Sequence[str | Path], outdir: Path) -> None:
    """Refuse an OUTDIR that is not a folder, or that holds or sits among sources unsafely.

    See the module docstring for the layouts that are safe.

    Raises:
        ConfigError: the layout is unsafe; the message says where to write instead.
    """
    if outdir.exists() and not outdir.is_dir():
        raise ConfigError(f"-o {outdir} is a file: the briefs of a folder go to a folder")
    out = outdir.resolve()
    for item in map(Path, inputs):
        real = item.resolve()
        if not item.is_dir():
            if real.is_relative_to(out):
                raise ConfigError(
                    f"{item} is inside -o {outdir}, where its brief could overwrite it: "
                    "write the briefs to another folder"
                )
            continue
        instead = f"e.g. -o {real.name or 'source'}-briefs"
        if real == out:
            raise ConfigError(
                f"-o {outdir} is the source folder: write the briefs somewhere else, {instead}"
            )
        if real.is_relative_to(out):
            raise ConfigError(
                f"-o {outdir} holds the source folder {item}, and briefs would land among its "
                f"other files: write them to a folder of their own, {instead}"
            )
        if out.is_relative_to(real) and not _made_by_a_run_or_empty(outdir):
            raise ConfigError(
                f"-o {outdir} is inside the source folder {item} and holds files of its own, "
                f"which its briefs could overwrite: pick a new folder, {instead}"
            )


def nothing_to_brief(inputs: Sequence[str | Path], ignored: Sequence[Ignored]) -> SourceError:
    """The error for inputs that hold no source at all, naming what was left out."""
    where = ", ".join(str(i) for i in inputs)
    message = f"{where} holds no source files (.txt, .md, .html, .pdf): nothing to brief"
    if ignored:
        first = ignored[0]
        message += f"; {len(ignored)} left out, e.g. {first.source} ({first.reason})"
    return SourceError(message)
