"""Render the prompt templates (``prompts/*.j2``) into chat messages.

The source text is passed as a variable, never compiled as template source, so Jinja syntax in an
article stays text. The system prompt carries no per-source content: it is an identical prefix for
every source, which llama.cpp's prompt cache then processes once per batch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from briefgen import speakers
from briefgen.injection import ADDRESSES_THE_MODEL, WITHHELD
from briefgen.sentences import Document

_DELIMITER = re.compile(r"<(/?)(source)>", re.IGNORECASE)


def prompts_dir() -> Path:
    """The prompt templates: inside the installed wheel, or the repository's ``prompts/``."""
    packaged = Path(__file__).with_name("prompts")
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "prompts"


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(prompts_dir()),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        auto_reload=False,
    )


def render(name: str, **context: Any) -> str:
    """Render ``prompts/<name>.j2`` with ``context``."""
    return _env().get_template(f"{name}.j2").render(**context).strip()


def fence(source: str) -> str:
    """The source as it goes into the prompt: data that cannot act as instructions.

    A ``<source>`` tag inside it can't close the block, and text addressed to an AI model
    ("ignore previous instructions ...", "SYSTEM: ...") is withheld to the end of its
    paragraph. Only the prompt copy changes; grounding and offsets use the text as loaded.
    """
    text = ADDRESSES_THE_MODEL.sub(WITHHELD, source)
    return _DELIMITER.sub(_angled, text)


def numbered(doc: Document) -> str:
    """The source as the prompt shows it: ``[n] text``, one sentence a line, paragraphs apart.

    Text addressed to an AI model is withheld from where it starts (:mod:`briefgen.injection`),
    and a ``<source>`` tag cannot close the block.
    """
    lines: list[str] = []
    paragraph = None
    for s in doc.sentences:
        if paragraph is not None and s.paragraph != paragraph:
            lines.append("")
        paragraph = s.paragraph
        text = s.of(doc.text)
        cut = doc.withheld.get(s.number)
        if cut is not None:
            text = f"{text[:cut].rstrip()} {WITHHELD}".lstrip()
        lines.append(f"[{s.number}] {_DELIMITER.sub(_angled, text)}")
    return "\n".join(lines)


def _angled(found: re.Match[str]) -> str:
    return f"\u2039{found.group(1)}{found.group(2)}\u203a"


def messages(
    doc: Document,
    *,
    quoted: Sequence[speakers.Quoted] = (),
    publication_date: str | None = None,
    chunk_index: int = 1,
    chunk_total: int = 1,
) -> list[dict[str, Any]]:
    """The first request's messages: the fixed system prompt, then the numbered source.

    The source comes first in the user message and the per-source task after it, so a re-ask
    or a stances request that repeats them reuses the server's cached prefix.
    """
    # Every sentence the text dates is a candidate key event: named, the model picks from them.
    dated = list(doc.dated.items())
    user = render(
        "user",
        source=numbered(doc),
        dated=dated,
        quoted=[(q.name, q.sentence, _shown(q, doc.text)) for q in quoted],
        publication_date=publication_date,
        chunk_index=chunk_index,
        chunk_total=chunk_total,
    )
    return [
        {"role": "system", "content": render("system")},
        {"role": "user", "content": user},
    ]


#: Words of a speaker's quotation the prompt shows beside their name: enough for the model to
#: write a stance without looking the sentence up (a small model's look-ups go astray).
_OPENING_WORDS = 14


def _shown(said: speakers.Quoted, text: str) -> str:
    """A speaker's first words as the prompt lists them: a quotation in its marks; reported
    speech as the sentence says it, from their name and verb on ("Dana Loesch accused the NAACP
    of ..."), which a small model otherwise copied after a verb of its own ("says 'accused
    ...'")."""
    words = text[said.start : said.end]
    if said.reported:
        return _opening(f"{said.name} {words}")
    return f'"{_opening(words)}"'


def _opening(words: str) -> str:
    cut = words.split()
    shown = " ".join(cut[:_OPENING_WORDS])
    return shown + "\u2026" if len(cut) > _OPENING_WORDS else shown.rstrip(",;:")


def reask(problems: list[str]) -> str:
    """The follow-up message that lists what was wrong with the previous answer."""
    return render("reask", problems=problems)


def stances(quoted: list[tuple[str, str]]) -> str:
    """The request for the stances of positions code added: one per ``(speaker, quote)``."""
    return render("stances", quoted=quoted)
