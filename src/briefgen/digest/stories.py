"""Which files of a folder tell one story: ``--digest-by MAPPING``.

Two ways to say it:

- a mapping file, ``stories.csv`` (a header row with ``file`` and ``story`` columns, optionally
  ``outlet`` and ``date``) or ``stories.json`` (``{"a.txt": "story-1", ...}``, or a list of
  objects with ``file`` and ``story`` and optionally ``outlet`` and ``date``, the shape of
  BASIL's ``basil-gold.json``). A file is matched by its path under the folder, else by its
  name when no other mapped file has that name. The date anchors the source's relative dates.
- ``name:REGEX``: the story is the part of each file's name (without its extension) the
  pattern finds, its first group if it has one: ``name:^(\\d{4}-\\d{2}-\\d{2})`` groups files by
  the date they start with, ``name:_(\\w+)$`` by the part after the last underscore.

Files no story claims are left out with the reason, as a batch leaves out what it cannot read.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from briefgen.discovery import Found
from briefgen.errors import ConfigError
from briefgen.runreport import Ignored

#: Largest mapping file read: a list of file names, never a corpus.
MAX_MAPPING_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Entry:
    """What a mapping says of one file: its story, and its outlet and date if it knows them."""

    story: str
    outlet: str | None = None
    date: str | None = None


@dataclass(frozen=True)
class Grouping:
    """A parsed ``--digest-by``: mapped entries by file, or a pattern over file names."""

    spec: str
    entries: dict[str, Entry] | None = None
    pattern: re.Pattern[str] | None = None

    def entry(self, found: Found, names: Counter[str]) -> Entry | None:
        """The story ``found`` belongs to, or None."""
        if self.pattern is not None:
            hit = self.pattern.search(PurePosixPath(found.name).stem)
            if hit is None:
                return None
            story = hit.group(1) if self.pattern.groups else hit.group(0)
            return Entry(story) if story else None
        assert self.entries is not None
        if (mapped := self.entries.get(found.name)) is not None:
            return mapped
        base = PurePosixPath(found.name).name
        return self.entries.get(base) if names[base] == 1 else None


def read_grouping(spec: str) -> Grouping:
    """Parse a ``--digest-by`` value (see the module docstring).

    Raises:
        ConfigError: an invalid pattern, or a mapping file that cannot be read or has no story.
    """
    if spec.startswith("name:"):
        try:
            pattern = re.compile(spec[5:])
        except re.error as exc:
            raise ConfigError(f"--digest-by {spec}: not a regular expression ({exc})") from exc
        return Grouping(spec, pattern=pattern)
    path = Path(spec)
    try:
        if path.stat().st_size > MAX_MAPPING_BYTES:
            raise ConfigError(f"--digest-by {spec} is over 5 MB: a mapping lists files, not texts")
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(
            f"cannot read --digest-by {spec} ({exc.strerror or exc}): give a .csv or .json "
            "mapping of file to story, or name:REGEX"
        ) from exc
    rows = _json_rows(text, spec) if path.suffix.lower() == ".json" else _csv_rows(text, spec)
    entries: dict[str, Entry] = {}
    for row in rows:
        name, story = str(row.get("file") or "").strip(), str(row.get("story") or "").strip()
        if name and story:
            outlet, date = row.get("outlet"), row.get("date")
            entries[PurePosixPath(name.replace("\\", "/")).as_posix()] = Entry(
                story,
                str(outlet).strip() or None if outlet else None,
                str(date)[:10] if date else None,
            )
    if not entries:
        raise ConfigError(
            f"--digest-by {spec} maps no file to a story: it needs file and story columns "
            '(CSV) or {"file": "story"} entries (JSON)'
        )
    return Grouping(spec, entries=entries)


def _csv_rows(text: str, spec: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    fields = {f.strip().casefold() for f in reader.fieldnames or []}
    if not {"file", "story"} <= fields:
        raise ConfigError(f"--digest-by {spec}: the CSV needs a header row with file and story")
    return [{(k or "").strip().casefold(): v for k, v in row.items()} for row in reader]


def _json_rows(text: str, spec: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"--digest-by {spec} is not valid JSON ({exc})") from exc
    if isinstance(data, dict):
        return [{"file": k, "story": v} for k, v in data.items() if isinstance(v, str)]
    if isinstance(data, list):
        return [row for row in data if isinstance(row, dict)]
    raise ConfigError(f'--digest-by {spec}: expected {{"file": "story"}} or a list of objects')


def group(
    found: Sequence[Found], grouping: Grouping
) -> tuple[dict[str, list[tuple[Found, Entry]]], list[Ignored]]:
    """The stories of ``found``, each with its files in name order, and the files left out."""
    names = Counter(PurePosixPath(n).name for n in (grouping.entries or {}))
    stories: dict[str, list[tuple[Found, Entry]]] = {}
    ignored = []
    for f in found:
        entry = grouping.entry(f, names)
        if entry is None:
            why = (
                f"its name has no match for {grouping.spec}"
                if grouping.pattern is not None
                else f"not in {grouping.spec}: no story"
            )
            ignored.append(Ignored(f.name, why))
        else:
            stories.setdefault(entry.story, []).append((f, entry))
    return dict(sorted(stories.items())), ignored
