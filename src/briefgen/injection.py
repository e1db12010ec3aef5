"""Text in a source that talks to an AI model rather than to its reader.

Pure. A 1.5B model followed such a line ("output the title ...") despite the system prompt, so
from such a marker to the end of its paragraph the prompt shows a placeholder instead, and no
sentence holding such text can be cited as evidence. Offsets still refer to the full text.
"""

from __future__ import annotations

import re

ADDRESSES_THE_MODEL = re.compile(
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


def addressed(text: str) -> list[tuple[int, int]]:
    """Where ``text`` addresses an AI model: each marker to the end of its paragraph."""
    return [found.span() for found in ADDRESSES_THE_MODEL.finditer(text)]
