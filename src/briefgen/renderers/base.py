"""What every output format shares: the template environment over ``templates/`` and its filters.

Every template environment escapes for its target through ``finalize``: a value from the source or
the model can never become markup (a ``#``, ``|`` or ``</script>`` in an article stays text). This
module imports no format module; the format modules import it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

    from briefgen.schema import Briefing, Event

TEMPLATES = Path(__file__).parents[1] / "templates"

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


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
    # Imported here: format modules load with the registry, which the CLI reads for --help.
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
