"""briefgen: grounded, verifiable briefings from news articles and reports.

>>> import briefgen
>>> briefing = briefgen.generate_brief(text)            # doctest: +SKIP
>>> print(briefgen.render_markdown(briefing))           # doctest: +SKIP
>>> digest = briefgen.Digester().digest(["fox.txt", "nyt.txt", "hpo.txt"])  # doctest: +SKIP
"""

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
from briefgen.rendering import render, render_json, render_markdown
from briefgen.schema import Actor, Briefing, Event, Evidence, OpenQuestion, Position, SourceInfo
from briefgen.settings import Settings
from briefgen.sources import Source, load_source

__all__ = [
    "Actor",
    "AsyncBriefer",
    "AsyncDigester",
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
    "generate_brief",
    "load_source",
    "locate",
    "render",
    "render_digest",
    "render_json",
    "render_markdown",
]
