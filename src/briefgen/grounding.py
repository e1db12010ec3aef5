"""Locate quotes in the source text: exact, then normalized, then fuzzy; never anything else.

Pure and deterministic: no I/O, no model. Offsets are ``[start, end)`` character offsets into the
source string exactly as loaded, so ``source[start:end]`` is the matched span (equal to the quote
when the match is exact). Python strings index code points, so non-ASCII text needs no care.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from briefgen.schema import MatchStatus

#: Minimum rapidfuzz partial-ratio score (0-100) for a fuzzy match.
FUZZY_THRESHOLD = 90.0
#: Quotes shorter than this (after normalization) must match exactly or normalized: a short
#: string fuzzily "matches" almost anywhere.
FUZZY_MIN_CHARS = 16

_TRANSLATE = {
    # Every quote mark is one: models swap "double" for 'single' to avoid escaping JSON.
    **dict.fromkeys(map(ord, "\u2018\u2019\u201a\u201b\u2032\u02bc`\u00b4'"), '"'),
    **dict.fromkeys(map(ord, "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"), '"'),
    **dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-"),
    ord("\u2026"): "...",
    ord("\u00a0"): " ",
}
_STRIP = " \t\r\n\"'.,;:"


@dataclass(frozen=True)
class Match:
    """Where a quote was found: ``status`` and the span ``[start, end)`` (None when missing)."""

    status: MatchStatus
    start: int | None = None
    end: int | None = None
    score: float = 0.0


def _normalize_char(ch: str) -> str:
    mapped = _TRANSLATE.get(ord(ch))
    if mapped is not None:
        return mapped
    if ch.isspace():
        return " "
    # "İ".casefold() is "i" + U+0307 (combining dot): drop the dot so ƏLİ matches Əli.
    return unicodedata.normalize("NFKC", ch).casefold().replace("\u0307", "")


def normalize(text: str) -> tuple[str, list[int]]:
    """Normalize ``text`` for matching and map each output char back to its source offset.

    Folds case, quote marks (curly or straight, single or double), dashes, ellipses and Unicode
    compatibility forms, and drops whitespace: "U. S." matches "U.S.", "world - the" matches
    "world—the", and a line break inside a quote matches a space.

    Returns:
        The normalized string and, for each of its characters, the index in ``text`` it came from.
    """
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        for piece in _normalize_char(ch):
            if piece != " ":
                out.append(piece)
                index.append(i)
    return "".join(out), index


def _clean_quote(quote: str) -> str:
    norm, _ = normalize(quote)
    return norm.strip(_STRIP)


def _span(index: list[int], start: int, end: int) -> tuple[int, int]:
    return index[start], index[end - 1] + 1


@lru_cache(maxsize=4096)  # review and the brief ground the same quotes: once is enough
def locate(quote: str, source: str) -> Match:
    """Find ``quote`` in ``source``.

    Args:
        quote: the text the model claims to have copied from the source.
        source: the source text as loaded.

    Returns:
        A :class:`Match`; ``status`` is ``exact``, ``normalized``, ``fuzzy`` or ``missing``.
    """
    if not quote.strip():
        return Match("missing")
    start = source.find(quote)
    if start >= 0:
        return Match("exact", start, start + len(quote), 100.0)
    needle = _clean_quote(quote)
    if not needle:
        return Match("missing")
    hay, index = normalize(source)
    pos = hay.find(needle)
    if pos >= 0:
        begin, end = _span(index, pos, pos + len(needle))
        return Match("normalized", begin, end, 100.0)
    if len(needle) < FUZZY_MIN_CHARS:
        return Match("missing")
    found = fuzz.partial_ratio_alignment(needle, hay, score_cutoff=FUZZY_THRESHOLD)
    if found is None or found.dest_end <= found.dest_start:
        return Match("missing")
    begin, end = _span(index, found.dest_start, found.dest_end)
    # Alignment may cut a word or take in a neighbouring quote mark; keep the span to words.
    while begin > 0 and source[begin - 1].isalnum() and source[begin].isalnum():
        begin -= 1
    while end < len(source) and source[end].isalnum() and source[end - 1].isalnum():
        end += 1
    while begin < end and _normalize_char(source[begin]) in _STRIP:
        begin += 1
    while end > begin and _normalize_char(source[end - 1]) in _STRIP:
        end -= 1
    return Match("fuzzy", begin, end, found.score)
