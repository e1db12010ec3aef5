"""Render a :class:`Digest` in any format of :data:`DIGEST_FORMATS`; the md, json and jsonl ones.

Markdown comes from ``templates/digest.md.j2`` through the same escaping environment as a
brief (every value inert Markdown). The PDF and HTML formats live in their own modules, which
register with :data:`DIGEST_FORMATS` as a brief's formats do with ``BRIEF_FORMATS``; the registry
imports them on first use. The HTML view shows the sources beside the digest, so it needs their
texts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import cache

import jinja2

from briefgen.digest.schema import Digest, DigestSource, Report
from briefgen.errors import RenderError
from briefgen.renderers.base import escape_markdown, make_environment, template
from briefgen.renderers.registry import OutputFormat, Registry

#: How a digest can be written; adding a format adds its module here.
DIGEST_FORMATS: Registry[Digest, Mapping[str, str]] = Registry(
    "digest", ("briefgen.digest.render", "briefgen.digest.pdf", "briefgen.digest.html")
)
#: A digest format's name, one of ``DIGEST_FORMATS.names()``.
DigestFormat = str
KIND_LABELS = {"only_in": "Only one reports", "conflict": "Conflict", "framing": "Framing"}


def brief_status(source: DigestSource) -> str:
    """What became of a source's own brief, in a few words: "reused", "made (2 requests)"."""
    b = source.brief
    if b.status == "failed":
        return "could not be briefed"
    if b.reused:
        return "brief reused"
    return f"briefed ({b.requests} request{'s' if b.requests != 1 else ''})"


def verbatim_line(digest: Digest) -> str:
    """``14 quotes from 3 sources, all verbatim`` — what every format's footer says."""
    reports = digest.reports()
    exact = sum(1 for r in reports if r.match == "exact")
    sources = len({r.source for r in reports})
    tail = "all verbatim" if exact == len(reports) else f"{exact} verbatim"
    return f"{len(reports)} quotes from {sources} sources, {tail}"


def clip(text: str | None, limit: int) -> str | None:
    """``text`` cut to ``limit`` characters, ending in "…" when cut."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "\u2026"


def add_filters(env: jinja2.Environment) -> jinja2.Environment:
    """``env`` with the filters every digest template uses."""
    env.filters["kind_label"] = lambda kind: KIND_LABELS.get(kind, kind)
    env.filters["brief_status"] = brief_status
    env.filters["verbatim"] = verbatim_line
    return env


@cache
def _markdown_env() -> jinja2.Environment:
    return add_filters(make_environment(escape_markdown))


def render_markdown(digest: Digest) -> str:
    """The digest as Markdown."""
    return template(_markdown_env(), "digest.md.j2").render(d=digest)


def render_json(digest: Digest) -> str:
    """The digest as indented JSON (the ``--format json`` contract)."""
    return digest.model_dump_json(indent=2) + "\n"


def render_jsonl(digest: Digest) -> str:
    """The digest as one JSON line, for streams that hold one digest a line."""
    return digest.model_dump_json() + "\n"


def check_texts(digest: Digest, texts: Mapping[str, str]) -> None:
    """Refuse texts that are not the ones the digest was made from, or reports that are not
    their words.

    Raises:
        RenderError: a text is missing or differs, or a report is not ``text[start:end]``.
    """
    for source in digest.sources:
        text = texts.get(source.id)
        if text is None or hashlib.sha256(text.encode("utf-8")).hexdigest() != source.sha256:
            raise RenderError(
                f"the text of source {source.id} differs from the one the digest was made "
                "from: pass the same files"
            )
    for report in digest.reports():
        if not _is_words_of(report, texts[report.source]):
            raise RenderError(
                f"a quote of source {report.source} is not its text at [{report.start}, "
                f"{report.end}): pass the texts the digest was made from"
            )


def _is_words_of(report: Report, text: str) -> bool:
    return (
        0 <= report.start < report.end <= len(text)
        and text[report.start : report.end] == report.quote
    )


def render_digest(
    digest: Digest, fmt: DigestFormat = "md", *, texts: Mapping[str, str] | None = None
) -> bytes:
    """Render ``digest`` in ``fmt`` and return the bytes to write.

    Args:
        digest: the digest.
        fmt: a registered format: ``md``, ``json``, ``jsonl``, ``pdf`` or ``html``.
        texts: each source's text by id; needed by the HTML view, which shows them.

    Raises:
        RenderError: an unknown format, or HTML without the texts it shows.
    """
    return DIGEST_FORMATS.render(digest, fmt, texts)


def _render_markdown(digest: Digest, texts: Mapping[str, str] | None) -> bytes:
    return render_markdown(digest).encode("utf-8")


def _render_json(digest: Digest, texts: Mapping[str, str] | None) -> bytes:
    return render_json(digest).encode("utf-8")


def _render_jsonl(digest: Digest, texts: Mapping[str, str] | None) -> bytes:
    return render_jsonl(digest).encode("utf-8")


def _preload_markdown() -> None:
    template(_markdown_env(), "digest.md.j2")


DIGEST_FORMATS.register(
    OutputFormat("md", ".md", _render_markdown, suffixes=(".markdown",), preload=_preload_markdown)
)
DIGEST_FORMATS.register(OutputFormat("json", ".json", _render_json))
DIGEST_FORMATS.register(OutputFormat("jsonl", ".jsonl", _render_jsonl))
