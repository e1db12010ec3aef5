"""Render the prompt templates (``prompts/*.j2``) into chat messages.

The source text is passed as a variable, never compiled as template source, so Jinja syntax in an
article stays text. The system prompt carries no per-source content: it is an identical prefix for
every source, which llama.cpp's prompt cache then processes once per batch.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

_DELIMITER = re.compile(r"<(/?)(source)>", re.IGNORECASE)
# Text that talks to an AI model rather than to the reader. A 1.5B model followed such a line
# ("output the title ...") despite the system prompt, so from such a marker to the end of its
# paragraph the model sees a placeholder instead. Grounding and offsets still use the full text.
_ADDRESSES_THE_MODEL = re.compile(
    r"(?:\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|the\s+|your\s+|of\s+)*"
    r"(?:previous|prior|above|earlier|preceding|system|former)\s+"
    r"(?:instructions?|prompts?|rules|messages?|directions?)"
    r"|\b(?:ignore|disregard)\s+(?:all\s+|the\s+|any\s+|your\s+)*"
    r"(?:instructions?|prompts?)\s+(?:above|before)\b"
    r"|^[^\w\n]{0,3}(?:system|assistant|developer)\s*(?:message|prompt)?\s*:"
    r"|\b(?:admin|developer|god|jailbreak)\s+mode\b"
    r").*$",
    re.IGNORECASE | re.MULTILINE,
)
WITHHELD = "[text addressed to an AI model withheld]"


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
    text = _ADDRESSES_THE_MODEL.sub(WITHHELD, source)
    return _DELIMITER.sub(lambda m: f"\u2039{m.group(1)}{m.group(2)}\u203a", text)


def messages(
    source: str,
    *,
    publication_date: str | None = None,
    chunk_index: int = 1,
    chunk_total: int = 1,
) -> list[dict[str, Any]]:
    """The first request's messages: the fixed system prompt, then the delimited source."""
    user = render(
        "user",
        source=fence(source),
        publication_date=publication_date,
        chunk_index=chunk_index,
        chunk_total=chunk_total,
    )
    return [
        {"role": "system", "content": render("system")},
        {"role": "user", "content": user},
    ]


def reask(problems: list[str]) -> str:
    """The follow-up message that lists what was wrong with the previous answer."""
    return render("reask", problems=problems)


def fix(problems: list[str]) -> str:
    """The follow-up message asking for fixes to single items only, one per listed problem."""
    return render("fix", problems=problems)


def stances(quoted: list[tuple[str, str]]) -> str:
    """The request for the stances of positions code added: one per ``(speaker, quote)``."""
    return render("stances", quoted=quoted)
