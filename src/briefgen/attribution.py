"""Who the source says spoke a quotation: the attribution written next to its quotation marks.

Pure. News prose attributes a quotation in a few fixed shapes, right beside its marks:
``"...," said Rep. Michele Bachmann``, ``"...," Carney said Friday``, ``"...," she said``,
``Jack Lew said: "..."``. Only those shapes are read, and only for words inside quotation marks:
indirect speech and the reporter's own sentences get no speaker here. A name comes back as the
text writes it; a pronoun comes back as the pronoun, for the caller to resolve against the people
it knows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_OPENING, _CLOSING = "\u201c", "\u201d"
_STRAIGHT = '"'
_VERBS = (
    "said|says|told|tells|explained|added|asked|wrote|writes|argued|noted|stated|declared|"
    "insisted|warned|replied|responded|recalled|claimed|acknowledged|announced|admitted|"
    "conceded|countered|complained|suggested|urged|predicted|cautioned|continued|observed|"
    "remarked|tweeted|posted|highlighted|emphasised|emphasized|stressed|regretted|lamented"
)
#: A name as news prose writes it: capitalised words, with initials, hyphens and "Jr.".
_NAME = r"[A-Z][\w.'\u2019\-]*(?:[ \t]+(?:[A-Z][\w.'\u2019\-]*|de|van|von|al|bin))*"
#: Up to four lowercase words between a verb and the name: "explained newly-minted Speaker".
_DESCRIPTORS = r"(?:[a-z][\w\-]*[ \t]+){0,4}"
#: Asides between a name and its verb: ``Sen. John Cornyn, R-TX, who heads the committee, said``.
_ASIDES = r"(?:,[^,.!?\"\u201c\u201d]{1,80})*,?"
_AFTER = (
    re.compile(rf"^[ \t]*(?P<pronoun>he|she)[ \t]+(?:{_VERBS})\b"),
    re.compile(rf"^[ \t]*(?:{_VERBS})[ \t]+{_DESCRIPTORS}(?P<name>{_NAME})"),
    # "the" before a title: ``"...," the NAACP President Benjamin Todd Jealous said``.
    re.compile(rf"^[ \t]*(?:the[ \t]+)?(?P<name>{_NAME}){_ASIDES}[ \t]+(?:{_VERBS})\b"),
)
#: An attribution that ends right before the opening mark: ``Lew said: "``, ``Vieira asked
#: Trump, "``, or a sentence of its own before a quotation that goes on: ``Perry said. "``.
#: The subject nearest the verb wins: ``Of Obama, he said, "`` is his, not Obama's, and
#: ``However, AARP's director David Certner told Fox News that ... "`` is Certner's.
_SAID_BEFORE = (
    rf"[ \t]+(?:\w+[ \t]+)?(?:{_VERBS})\b"
    rf"[^.!?{_STRAIGHT}{_OPENING}{_CLOSING}]{{0,60}}[:,.]?[ \t]*$"
)
_BEFORE = (
    re.compile(rf"\b(?P<pronoun>[Hh]e|[Ss]he){_SAID_BEFORE}"),
    re.compile(rf"(?P<name>{_NAME}){_SAID_BEFORE}"),
    re.compile(rf"(?P<name>{_NAME}){_ASIDES}{_SAID_BEFORE}"),
)


@dataclass(frozen=True)
class Attribution:
    """The speaker the text gives a quotation: a name as written, or "he"/"she"."""

    name: str | None = None
    pronoun: str | None = None
    #: Where the quotation's opening mark is: a pronoun refers to someone named before it.
    opening: int = 0


def _paragraph(source: str, start: int) -> tuple[int, int]:
    begin = source.rfind("\n", 0, start) + 1
    end = source.find("\n", start)
    return begin, len(source) if end < 0 else end


def _quotation(source: str, start: int, end: int) -> tuple[int, int] | None:
    """Offsets of the opening and closing marks of the quotation holding ``source[start:end]``."""
    begin, stop = _paragraph(source, start)
    if end > stop:
        return None
    before = source[begin:start]
    opening = max(before.rfind(_OPENING), before.rfind(_STRAIGHT))
    if opening < 0 or before.rfind(_CLOSING) > opening:
        return None
    if before[opening] == _STRAIGHT and before.count(_STRAIGHT) % 2 == 0:
        return None  # the last straight mark before the span closes a quotation
    closer = _CLOSING if before[opening] == _OPENING else _STRAIGHT
    closing = source.find(closer, end, stop)
    if closing < 0:
        return None
    return begin + opening, closing


def attribution(source: str, start: int, end: int) -> Attribution | None:
    """The speaker the text gives ``source[start:end]``, or None when it names none beside it.

    ``start``/``end`` are the offsets of a quote the source contains; it may be part of a longer
    quotation. None also when the span is not inside quotation marks.
    """
    marks = _quotation(source, start, end)
    if marks is None:
        return None
    opening, closing = marks
    _, stop = _paragraph(source, closing)
    after = source[closing + 1 : stop]
    for pattern in _AFTER:
        if found := pattern.match(after):
            groups = found.groupdict()
            if groups.get("pronoun"):
                return Attribution(pronoun=groups["pronoun"], opening=opening)
            return Attribution(name=groups["name"].rstrip(".,"), opening=opening)
    begin, _ = _paragraph(source, opening)
    for pattern in _BEFORE:
        if found := pattern.search(source[begin:opening]):
            groups = found.groupdict()
            if groups.get("pronoun"):
                return Attribution(pronoun=groups["pronoun"].casefold(), opening=opening)
            return Attribution(name=groups["name"].rstrip(".,"), opening=opening)
    return None


_PAIRS = re.compile(
    rf"{_OPENING}([^{_OPENING}{_CLOSING}\n]+){_CLOSING}|{_STRAIGHT}([^{_STRAIGHT}\n]+){_STRAIGHT}"
)


def quotations(source: str) -> list[tuple[int, int]]:
    """The offsets of the words inside each pair of quotation marks, in reading order.

    A pair never spans paragraphs: a quotation that runs on into the next paragraph is left out
    until its marks close.
    """
    return [
        found.span(1) if found.group(1) is not None else found.span(2)
        for found in _PAIRS.finditer(source)
    ]


def lead_in(source: str, opening: int) -> tuple[str, str]:
    """What a pronoun before or after the quotation opening at ``opening`` may refer back to.

    The quotation's own paragraph up to its marks, then the paragraph before it (the blank lines
    between paragraphs skipped): news prose names the speaker there.
    """
    begin, _ = _paragraph(source, opening)
    previous = source[:begin].rstrip()
    return source[begin:opening], previous[previous.rfind("\n") + 1 :]
