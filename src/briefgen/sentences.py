"""Cut a source into numbered sentences with character offsets: what the model cites.

Pure. The model never copies source text: it names sentence numbers, and code takes the words
from ``source[start:end]``, so every piece of evidence is the source's own words by construction.
Each line is segmented on its own (a headline or byline is a unit of its own, and no sentence
crosses a paragraph); sentencex decides where a sentence ends, which keeps "Rep. Duncan
Hunter", "U.S. Attorney's Office", "Gregory A. Vega" and "Aug. 6" whole, at a fraction of a
millisecond an article (pysbd, as good after the same clean-up, took 16 ms: most of a batch's
client time). Numbers are global to the source, so the parts of a long source briefed one by
one keep one numbering.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

import sentencex

from briefgen.dates import find_date
from briefgen.injection import addressed

#: A piece the segmenter cuts off that is no sentence of its own: a stray closing quotation
#: mark, a dash-led or lowercase continuation (", who has been leading ..." after "R-Calif.").
_CONTINUATION = re.compile(r"^(?:[^\w]*$|[,;:)\]\u2013\u2014-]|[a-z])")
#: "R-S." then "C., would not go that far": a state's initials cut in two.
_INITIAL_END = re.compile(r"\b[A-Z]\.$")
_INITIAL_START = re.compile(r"^[A-Z]\.,")
#: An opening quotation mark left at the end of the sentence before the one it opens.
_HUNG_OPENING = re.compile(r"\s[\"\u201c]$")
#: Paragraphs are lines: news text written one paragraph a line, or with blank lines between.
_LINE = re.compile(r"[^\n]+")


@dataclass(frozen=True)
class Sentence:
    """Sentence ``number`` of a source: ``source[start:end]``, stripped of outer whitespace."""

    number: int
    start: int
    end: int
    #: Index of the line (paragraph) it is in, counted over the whole source.
    paragraph: int

    def of(self, source: str) -> str:
        """The sentence's words in ``source``."""
        return source[self.start : self.end]


def _pieces(line: str) -> Iterator[str]:
    """The segmenter's sentences of one line, mended: continuations joined to the sentence
    before them, an opening quotation mark moved to the sentence it opens."""
    pieces: list[str] = []
    for piece in sentencex.segment("en", line):
        text = piece.strip()
        if not text:
            continue
        if pieces and _HUNG_OPENING.search(pieces[-1]):
            text = pieces[-1][-1] + text
            pieces[-1] = pieces[-1][:-1].rstrip()
        if pieces and (
            _CONTINUATION.match(text)
            or (_INITIAL_END.search(pieces[-1]) and _INITIAL_START.match(text))
        ):
            pieces[-1] = f"{pieces[-1]} {text}"
        else:
            pieces.append(text)
    yield from pieces


@lru_cache(maxsize=64)  # a session, its re-asks and the brief's build share one split
def split(source: str) -> tuple[Sentence, ...]:
    """Every sentence of ``source`` in reading order, numbered from 1.

    Offsets are found in the text as loaded, so ``source[start:end]`` is exactly the sentence.
    A piece that cannot be found again is left to the next sentence, never given wrong offsets.
    """
    sentences: list[Sentence] = []
    for paragraph, line in enumerate(_LINE.finditer(source)):
        text, base, cursor = line.group(), line.start(), 0
        for piece in _pieces(text):
            head = piece.split(" ", 1)[0]
            at = text.find(head, cursor)
            if at < 0:
                continue
            end = _end_of(text, piece, at)
            if end is None:
                continue
            sentences.append(Sentence(len(sentences) + 1, base + at, base + end, paragraph))
            cursor = end
    return tuple(sentences)


def _end_of(line: str, piece: str, at: int) -> int | None:
    """Where ``piece`` ends in ``line`` when it starts at ``at``, whitespace runs matched loosely.

    Joined continuations carry a single space where the line may have more.
    """
    words = piece.split()
    cursor = at
    for word in words:
        found = line.find(word, cursor)
        if found < 0 or line[cursor:found].strip():
            return None
        cursor = found + len(word)
    return cursor


def within(source: str, sentences: Sequence[Sentence], start: int, end: int) -> list[Sentence]:
    """The sentences of ``source[start:end]`` with offsets relative to ``start``: one part's own.

    A sentence the part's boundary cuts keeps its number, stripped of whitespace at the cut.
    """
    part = []
    for s in sentences:
        begin, stop = max(s.start, start), min(s.end, end)
        while begin < stop and source[begin].isspace():
            begin += 1
        while stop > begin and source[stop - 1].isspace():
            stop -= 1
        if begin < stop:
            part.append(Sentence(s.number, begin - start, stop - start, s.paragraph))
    return part


def containing(sentences: Sequence[Sentence], offset: int) -> Sentence | None:
    """The sentence that holds character ``offset``, or None (between sentences)."""
    for sentence in sentences:
        if sentence.start <= offset < sentence.end:
            return sentence
    return None


class Document:
    """A text the model is shown as numbered sentences, and the lookups evidence needs.

    Args:
        text: the text as loaded (a whole source, or one part of it); offsets refer to it.
        sentences: its sentences with offsets into ``text``; by default :func:`split` of it.
            A part of a long source passes the whole source's sentences :func:`within` it, so
            numbers stay global.
    """

    def __init__(self, text: str, sentences: Sequence[Sentence] | None = None) -> None:
        self.text = text
        self.sentences = tuple(split(text) if sentences is None else sentences)
        self._by_number = {s.number: s for s in self.sentences}
        #: Sentences holding text addressed to an AI model, and where in each that text starts:
        #: the prompt withholds it, and none of them is evidence.
        self.withheld: dict[int, int] = {}
        for start, end in addressed(text):
            for s in self.sentences:
                if s.start < end and s.end > start:
                    self.withheld.setdefault(s.number, max(0, start - s.start))

    def part(self, start: int, end: int) -> Document:
        """The document of ``text[start:end]``: its sentences under their numbers here, and
        what this whole text withholds (a marker before the cut withholds the rest of its
        paragraph in the next part too)."""
        own = Document(self.text[start:end], within(self.text, self.sentences, start, end))
        for s in own.sentences:
            if s.number in self.withheld:
                whole = self._by_number[s.number]
                cut = whole.start + self.withheld[s.number] - start - s.start
                own.withheld[s.number] = min(own.withheld.get(s.number, cut), max(0, cut))
        return own

    @cached_property
    def dated(self) -> dict[int, str]:
        """The date each sentence writes first (:func:`dates.find_date`), by number: the
        candidate key events the prompt lists and a thin brief is filled from."""
        found = ((s.number, find_date(s.of(self.text))) for s in self.sentences)
        return {number: when for number, when in found if when is not None}

    def __getitem__(self, number: int) -> Sentence | None:
        """Sentence ``number``, or None when this text has no sentence of that number."""
        return self._by_number.get(number)

    def words(self, number: int) -> str:
        """The words of sentence ``number`` (empty when there is none)."""
        found = self._by_number.get(number)
        return found.of(self.text) if found else ""

    def at(self, offset: int) -> Sentence | None:
        """The sentence holding character ``offset``."""
        return containing(self.sentences, offset)
