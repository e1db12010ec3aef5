"""The ``md`` format: a brief as Markdown (``templates/brief.md.j2``), for the terminal and docs."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from briefgen.renderers.base import escape_markdown, make_environment, template
from briefgen.renderers.registry import BRIEF_FORMATS, OutputFormat

if TYPE_CHECKING:
    import jinja2

    from briefgen.schema import Briefing


@cache
def _markdown_env() -> jinja2.Environment:
    return make_environment(escape_markdown)


def render_markdown(briefing: Briefing) -> str:
    """The brief as Markdown, for the terminal and for docs."""
    return template(_markdown_env(), "brief.md.j2").render(b=briefing)


def preload() -> None:
    """Compile the template ahead of the first brief."""
    template(_markdown_env(), "brief.md.j2")


def _render(briefing: Briefing, source: str | None) -> bytes:
    return render_markdown(briefing).encode("utf-8")


MARKDOWN = BRIEF_FORMATS.register(
    OutputFormat("md", ".md", _render, suffixes=(".markdown",), preload=preload)
)
