"""Split a source too long for one request into chunks on paragraph, line or sentence boundaries.

Chunks are ``[start, end)`` spans that tile the source exactly, so an offset found inside a chunk
becomes an offset into the whole source by adding the chunk's start. Sizes are estimated, not
tokenized: the estimate is deliberately pessimistic for non-Latin scripts, and additive, so a
long source is measured piece by piece and never copied whole.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

#: Characters per token for ASCII text (English BPE vocabularies average about four).
ASCII_CHARS_PER_TOKEN = 4.0
#: Characters per token for everything else: Cyrillic, Greek and CJK tokenize far worse.
OTHER_CHARS_PER_TOKEN = 1.5

#: Where a sentence ends: after . ! ? … or CJK stops, and any closing quote or bracket.
SENTENCE_END = re.compile(r"(?<=[.!?\u2026\u3002\uff01\uff1f])[\"'\u201d\u2019\u00bb)\]]*\s+")
# Boundaries tried in order, coarsest first; each match ends a piece (separator included).
_BOUNDARIES = (
    re.compile(r"\n[ \t\r\f\v]*\n\s*"),  # paragraphs
    re.compile(r"\n\s*"),  # lines
    SENTENCE_END,
    re.compile(r"\s+"),  # words
)


@dataclass(frozen=True)
class Chunk:
    """One part of a source: ``source[start:end]``."""

    start: int
    end: int

    def of(self, source: str) -> str:
        """This chunk's text, cut from the whole ``source``."""
        return source[self.start : self.end]


def estimate_tokens(text: str) -> int:
    """A pessimistic token count for ``text`` (no tokenizer needed, additive over pieces)."""
    if text.isascii():
        return math.ceil(len(text) / ASCII_CHARS_PER_TOKEN)
    ascii_chars = len(text.encode("ascii", "ignore"))
    other = len(text) - ascii_chars
    return math.ceil(ascii_chars / ASCII_CHARS_PER_TOKEN + other / OTHER_CHARS_PER_TOKEN)


def _pieces(
    text: str, start: int, end: int, budget: int, level: int
) -> Iterator[tuple[int, int, int]]:
    """``(start, end, tokens)`` tiling ``text[start:end]``, each within ``budget``."""
    if level == len(_BOUNDARIES):
        # One "word" over the budget (a base64 blob, a URL list): cut it where it must be.
        step = max(1, math.floor(budget * OTHER_CHARS_PER_TOKEN))
        for cut in range(start, end, step):
            stop = min(cut + step, end)
            yield cut, stop, estimate_tokens(text[cut:stop])
        return
    cut = start
    for match in _BOUNDARIES[level].finditer(text, start, end):
        if match.end() <= cut or match.end() == end:
            continue
        yield from _fit(text, cut, match.end(), budget, level)
        cut = match.end()
    yield from _fit(text, cut, end, budget, level)


def _fit(
    text: str, start: int, end: int, budget: int, level: int
) -> Iterator[tuple[int, int, int]]:
    size = estimate_tokens(text[start:end])
    if size <= budget:
        yield start, end, size
    else:
        yield from _pieces(text, start, end, budget, level + 1)


def split(text: str, budget_tokens: int) -> list[Chunk]:
    """Cut ``text`` into as few chunks as fit ``budget_tokens`` each, on natural boundaries.

    Paragraphs are kept whole when they fit; a longer one is cut between lines, then sentences,
    then words. Whitespace-only chunks never occur: trailing blanks join the chunk before.

    Args:
        text: the whole source.
        budget_tokens: the most (estimated) tokens one chunk may hold.

    Returns:
        Chunks in order, tiling ``text`` exactly; a single chunk when it all fits.
    """
    if budget_tokens < 1:
        raise ValueError("budget_tokens must be at least 1")
    if len(text) <= budget_tokens * OTHER_CHARS_PER_TOKEN or (
        len(text) <= budget_tokens * ASCII_CHARS_PER_TOKEN
        and estimate_tokens(text) <= budget_tokens
    ):
        return [Chunk(0, len(text))]
    chunks: list[Chunk] = []
    start = end = used = 0
    for piece_start, piece_end, size in _pieces(text, 0, len(text), budget_tokens, 0):
        if used and used + size > budget_tokens:
            chunks.append(Chunk(start, end))
            start, used = piece_start, 0
        end, used = piece_end, used + size
    chunks.append(Chunk(start, end))
    # A chunk of nothing but whitespace would be an empty request: fold it into its neighbour.
    merged: list[Chunk] = []
    for chunk in chunks:
        if merged and not chunk.of(text).strip():
            merged[-1] = Chunk(merged[-1].start, chunk.end)
        else:
            merged.append(chunk)
    if len(merged) > 1 and not merged[0].of(text).strip():
        merged[1] = Chunk(0, merged[1].end)
        del merged[0]
    return merged
