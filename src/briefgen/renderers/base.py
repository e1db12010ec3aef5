"""Render a :class:`Briefing` to Markdown or JSON from the Jinja templates in ``templates/``.

Every template environment escapes for its target through ``finalize``: a value from the source or
the model can never become markup (a ``#``, ``|`` or ``</script>`` in an article stays text).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from briefgen.errors import RenderError

if TYPE_CHECKING:
    import jinja2

    from briefgen.schema import Briefing, Event

Format = Literal["md", "json", "jsonl", "pdf", "html"]
FORMATS: tuple[Format, ...] = ("md", "json", "jsonl", "pdf", "html")
_EXTENSIONS: dict[str, Format] = {
    ".md": "md",
    ".markdown": "md",
    ".json": "json",
    ".jsonl": "jsonl",
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
}
TEMPLATES = Path(__file__).parents[1] / "templates"

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


def format_for(path: str | Path | None, default: Format = "md") -> Format:
    """The output format an output file name implies (``brief.pdf`` → ``pdf``)."""
    if path is None:
        return default
    return _EXTENSIONS.get(Path(path).suffix.lower(), default)


def output_paths(path: str | Path, formats: Sequence[Format]) -> list[Path]:
    """Where a brief in each of ``formats`` goes when ``-o`` names ``path``.

    One format: ``path`` itself, whatever its extension. Several: ``path`` with each format's
    extension in place of a brief extension it has (``brief.md`` or ``brief`` with md and pdf:
    ``brief.md``, ``brief.pdf``); another suffix is kept (``brief.v2`` gives ``brief.v2.md``).
    """
    given = Path(path)
    if len(formats) == 1:
        return [given]
    stem = given.with_suffix("") if given.suffix.lower() in _EXTENSIONS else given
    return [stem.with_name(f"{stem.name}.{fmt}") for fmt in formats]


def escape_markdown(value: Any) -> str:
    """Make any value inert inline Markdown: one line, markup characters backslash-escaped."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    return _MD_SPECIAL.sub(r"\\\1", text)


def restates(event: Event) -> bool:
    """Whether the event's line is its own sentence's words (code writes it so when the model
    only points at the sentence): shown beside that sentence, it would say the same twice, so
    the sentence is shown once, whole."""
    said = " ".join(event.description.removesuffix("\u2026").split())
    return bool(said) and said in " ".join(event.evidence.quote.split())


def make_environment(finalize: Callable[[Any], Any], **options: Any) -> jinja2.Environment:
    """A template environment over ``templates/`` that passes every value through ``finalize``.

    Strings marked safe with the ``raw`` filter (template-made markup) skip the escaping.
    """
    # Imported here: the CLI reads FORMATS from this module before it knows it will render.
    import jinja2

    def _finalize(value: Any) -> Any:
        if isinstance(value, Raw):
            return str(value)
        return finalize(value)

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # shipped templates do not change while running: no stat per render
        **options,
    )
    env.filters["raw"] = Raw
    env.filters["grounding"] = grounding_line
    env.filters["bare"] = bare_quote
    env.filters["restates"] = restates
    return env


_COMPILING = threading.Lock()


def template(env: jinja2.Environment, name: str) -> jinja2.Template:
    """``env``'s template ``name``, compiled once even when a batch's threads ask at once
    (unguarded, each of them compiled it: ~0.15 s apiece in the first round)."""
    with _COMPILING:
        return env.get_template(name)


_QUOTE_MARKS = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb\u201e"


def bare_quote(text: str) -> str:
    """A quote without the quotation marks around it: templates add their own, and a quote
    copied with its marks ("“This keeps…,”") would otherwise show them twice."""
    return text.strip().strip(_QUOTE_MARKS).strip()


class Raw(str):
    """Template-made markup that must not be escaped again."""


def grounding_line(briefing: Briefing) -> str:
    """``7/8 quotes verified`` — the figure every format's footer shows."""
    g = briefing.meta.grounding
    return f"{g.verified}/{g.total} quotes verified"


@cache
def _markdown_env() -> jinja2.Environment:
    return make_environment(escape_markdown)


def render_markdown(briefing: Briefing) -> str:
    """The brief as Markdown, for the terminal and for docs."""
    return template(_markdown_env(), "brief.md.j2").render(b=briefing)


def render_json(briefing: Briefing) -> str:
    """The validated briefing as JSON (the ``--format json`` contract)."""
    return briefing.model_dump_json(indent=2) + "\n"


def prepare(formats: Iterable[str]) -> None:
    """Load what rendering ``formats`` takes once per process (compiled templates; the PDF
    compiler and its fonts). A batch runs this while its first requests are in flight, so
    its first briefs do not all wait on it."""
    for fmt in formats:
        if fmt == "md":
            template(_markdown_env(), "brief.md.j2")
        elif fmt == "pdf":
            from briefgen.renderers.pdf import prepare as prepare_pdf

            prepare_pdf()
        elif fmt == "html":
            from briefgen.renderers.html import prepare as prepare_html

            prepare_html()


def render(briefing: Briefing, fmt: Format = "md", *, source: str | None = None) -> bytes:
    """Render ``briefing`` in ``fmt`` and return the bytes to write.

    Args:
        briefing: the brief.
        fmt: ``md``, ``json``, ``jsonl`` (the JSON on one line), ``pdf`` or ``html``.
        source: the source text, needed by the HTML evidence view.
    """
    if fmt == "md":
        return render_markdown(briefing).encode("utf-8")
    if fmt == "json":
        return render_json(briefing).encode("utf-8")
    if fmt == "jsonl":  # one brief a line, for streams and files that hold many
        return (briefing.model_dump_json() + "\n").encode("utf-8")
    # Imported on demand: typst is a large native extension that md/json users never need.
    if fmt == "pdf":
        from briefgen.renderers.pdf import render_pdf

        return render_pdf(briefing)
    if fmt == "html":
        from briefgen.renderers.html import render_html

        if source is None:
            raise RenderError("the HTML evidence view needs the source text: pass source=...")
        return render_html(briefing, source).encode("utf-8")
    raise RenderError(f"format {fmt!r} is not available: use one of {', '.join(FORMATS)}")
