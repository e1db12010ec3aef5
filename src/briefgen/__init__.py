"""briefgen: grounded, verifiable briefings from news articles and reports.

>>> import briefgen
>>> briefing = briefgen.generate_brief(text)            # doctest: +SKIP
>>> print(briefgen.render_markdown(briefing))           # doctest: +SKIP
>>> digest = briefgen.Digester().digest(["fox.txt", "nyt.txt", "hpo.txt"])  # doctest: +SKIP

The names below are loaded on first use (module ``__getattr__``), so ``import briefgen`` and
``briefgen --help`` do not pay for the OpenAI SDK, pydantic or the document readers.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the same names, eagerly, for type checkers and IDEs
    from briefgen.batch import BatchOptions, arun_batch, run_batch
    from briefgen.digest import AsyncDigester, Digest, Digester
    from briefgen.digest.render import render_digest
    from briefgen.errors import (
        BriefgenError,
        ConfigError,
        ExtractionError,
        LLMError,
        RefusalError,
        RenderError,
        SourceError,
        TruncatedError,
        UnverifiedError,
    )
    from briefgen.extract import AsyncBriefer, Briefer, agenerate_brief, generate_brief
    from briefgen.grounding import locate
    from briefgen.renderers import render
    from briefgen.renderers.json import render_json
    from briefgen.renderers.markdown import render_markdown
    from briefgen.schema import (
        Actor,
        Briefing,
        Event,
        Evidence,
        OpenQuestion,
        Position,
        SourceInfo,
    )
    from briefgen.settings import Settings
    from briefgen.sources import Source, load_source

__all__ = [
    "Actor",
    "AsyncBriefer",
    "AsyncDigester",
    "BatchOptions",
    "Briefer",
    "BriefgenError",
    "Briefing",
    "ConfigError",
    "Digest",
    "Digester",
    "Event",
    "Evidence",
    "ExtractionError",
    "LLMError",
    "OpenQuestion",
    "Position",
    "RefusalError",
    "RenderError",
    "Settings",
    "Source",
    "SourceError",
    "SourceInfo",
    "TruncatedError",
    "UnverifiedError",
    "agenerate_brief",
    "arun_batch",
    "generate_brief",
    "load_source",
    "locate",
    "render",
    "render_digest",
    "render_json",
    "render_markdown",
    "run_batch",
]

#: Where each public name lives.
_HOMES = {
    **dict.fromkeys(
        (
            "BriefgenError",
            "ConfigError",
            "ExtractionError",
            "LLMError",
            "RefusalError",
            "RenderError",
            "SourceError",
            "TruncatedError",
            "UnverifiedError",
        ),
        "errors",
    ),
    **dict.fromkeys(("AsyncBriefer", "Briefer", "agenerate_brief", "generate_brief"), "extract"),
    "locate": "grounding",
    "render": "renderers",
    "render_json": "renderers.json",
    "render_markdown": "renderers.markdown",
    **dict.fromkeys(
        ("Actor", "Briefing", "Event", "Evidence", "OpenQuestion", "Position", "SourceInfo"),
        "schema",
    ),
    "Settings": "settings",
    **dict.fromkeys(("Source", "load_source"), "sources"),
    **dict.fromkeys(("AsyncDigester", "Digest", "Digester"), "digest"),
    "render_digest": "digest.render",
    **dict.fromkeys(("BatchOptions", "arun_batch", "run_batch"), "batch"),
}

# A library logs and lets the application decide where records go: without a handler of its
# own, Python would print the package's warnings to stderr.
logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'briefgen' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"briefgen.{home}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
