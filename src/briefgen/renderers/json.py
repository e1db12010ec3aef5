"""The ``json`` and ``jsonl`` formats: the validated brief as JSON, indented or on one line.

``jsonl`` is a brief as one JSON line. Over a folder it means more: the run streams one record
per finished source to standard output (:meth:`briefgen.runreport.Briefed.json_line`, whose
``briefing`` is this line) instead of writing files, which the format declares with ``streams``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from briefgen.renderers.registry import BRIEF_FORMATS, OutputFormat

if TYPE_CHECKING:
    from briefgen.schema import Briefing


def render_json(briefing: Briefing) -> str:
    """The validated briefing as JSON (the ``--format json`` contract)."""
    return briefing.model_dump_json(indent=2) + "\n"


def render_json_line(briefing: Briefing) -> str:
    """The briefing as one JSON line, for streams and files that hold many briefs."""
    return briefing.model_dump_json() + "\n"


def _render_json(briefing: Briefing, source: str | None) -> bytes:
    return render_json(briefing).encode("utf-8")


def _render_json_line(briefing: Briefing, source: str | None) -> bytes:
    return render_json_line(briefing).encode("utf-8")


JSON = BRIEF_FORMATS.register(OutputFormat("json", ".json", _render_json))
JSON_LINES = BRIEF_FORMATS.register(
    OutputFormat(
        "jsonl",
        ".jsonl",
        _render_json_line,
        help="streams a folder's briefs to -o -, one JSON line each",
        streams=True,
    )
)
