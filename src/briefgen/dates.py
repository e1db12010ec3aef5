"""Dates a brief may state: backed by the words of the source and its publication date.

Pure. The same rules drop an unbacked date from a brief (:mod:`briefgen.repair`) and count an
invented date in the evaluation (``bench/scoring.py``), so the two never disagree.
"""

from __future__ import annotations

import re

from briefgen import grounding
from briefgen.schema import is_iso_date

MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_WORD = re.compile(r"[A-Za-z]+|\d+")
_DATE_WORD = re.compile(
    r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|\b(?:yesterday|today|tonight|tomorrow|"
    r"week|month|year|spring|summer|autumn|fall|winter|morning|evening|night|ago|last|next)\b",
    re.IGNORECASE,
)


def names_a_date(date_text: str) -> bool:
    """True when ``date_text`` names a year, month, day or a date word ("Monday", "yesterday")."""
    words = [w.casefold() for w in _WORD.findall(date_text)]
    return (
        any(w.isdigit() for w in words)
        or any(w in MONTHS for w in words)
        or bool(_DATE_WORD.search(date_text))
    )


def date_problem(
    date: str | None, date_text: str | None, source: str, anchor: str | None = None
) -> str | None:
    """Why an event's ISO ``date`` is not backed by its ``date_text`` and the source, or None.

    A date is derivable when date_text is in the source, every month, day and year the ISO date
    gives agrees with date_text (it may be coarser), and a year date_text leaves out appears in
    the source or its publication date.
    A date_text that is not in the source is a problem even without an ISO date.
    """
    if date is None:
        if date_text and grounding.locate(date_text, source).status == "missing":
            return f'date_text "{date_text}" is not in the source; copy it or use null'
        return None
    if date.strip().casefold() in ("null", "none", ""):
        return f'date is the string "{date}"; write null without quotes'
    if not is_iso_date(date):
        return f'date "{date}" is not ISO 8601 (YYYY, YYYY-MM or YYYY-MM-DD); or use null'
    if not date_text:
        return f"date {date} has no date_text; give the date as written, or null for both"
    if grounding.locate(date_text, source).status == "missing":
        return f'date_text "{date_text}" is not in the source; copy it or use null'
    words = [w.casefold() for w in _WORD.findall(date_text)]
    parts = date.split("-")
    years = [w for w in words if len(w) == 4 and w.isdigit()]
    month = next((MONTHS[w] for w in words if w in MONTHS), None)
    days = [int(w) for w in words if w.isdigit() and len(w) <= 2 and 1 <= int(w) <= 31]
    if not years and month is None:
        if not days and not _DATE_WORD.search(date_text):
            return f'date_text "{date_text}" is not a date; set date_text and date to null'
        return f'date_text "{date_text}" names no year or month; set date to null'
    if years and parts[0] not in years:
        return f'date {date} does not match the year in "{date_text}"'
    if not years and parts[0] not in source and parts[0] not in (anchor or ""):
        return f'"{date_text}" has no year and {parts[0]} is not in the source; use null or YYYY-MM'
    # A coarser date ("2011" for "December") is backed by the text; a different one is not.
    if month is not None and len(parts) > 1 and int(parts[1]) != month:
        return f'date {date} does not match the month in "{date_text}"'
    if month is None and len(parts) > 1:
        return f'"{date_text}" names no month; date must be just the year'
    if days and len(parts) > 2 and int(parts[2]) != days[0]:
        return f'date {date} does not match the day in "{date_text}"'
    if not days and len(parts) > 2:
        return f'"{date_text}" names no day; date must be YYYY-MM'
    return None


_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))


_DAY = r"(?P<d>\d{1,2})(?:st|nd|rd|th)?"
#: A weekday written before a date ("Tuesday, March 4"): part of the date as written.
_WEEKDAY = r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,? )?"
#: Date expressions as news text writes them, most precise first. Each names the groups it
#: has: ``m`` month, ``d`` day, ``y`` year.
_EXPRESSIONS = (
    re.compile(rf"\b{_WEEKDAY}(?P<m>{_MONTH_NAMES})\.? {_DAY},? (?P<y>\d{{4}})\b", re.I),
    re.compile(rf"\b{_DAY} (?P<m>{_MONTH_NAMES})\.?,? (?P<y>\d{{4}})\b", re.I),
    re.compile(rf"\b{_WEEKDAY}(?P<m>{_MONTH_NAMES})\.? {_DAY}\b(?!:)", re.I),
    re.compile(rf"\b{_DAY} (?P<m>{_MONTH_NAMES})\b", re.I),
    re.compile(rf"\b(?P<m>{_MONTH_NAMES})\.?,? (?P<y>\d{{4}})\b", re.I),
    re.compile(
        r"\b(?:in|since|by|until|of|from|during) (?:early |late |mid-)?(?P<y>(?:1[89]|20)\d\d)\b",
        re.I,
    ),
    re.compile(
        r"\b(?:(?:on|last|next|this|early|late) )?(?:mon|tues|wednes|thurs|fri|satur|sun)day"
        r"(?: (?:morning|afternoon|evening|night))?\b|\b(?:yesterday|today|tonight|tomorrow)\b|"
        r"\b(?:the (?:following|next|previous) (?:day|week|month|year)|(?:last|next|this) "
        r"(?:week|month|year|spring|summer|autumn|fall|winter)|(?:a|one|two|three|several) "
        r"(?:days?|weeks?|months?|years?) (?:ago|later|earlier))\b",
        re.I,
    ),
)


#: A month and day and nothing else: "December 9", "on Sept. 13th".
_MONTH_DAY = re.compile(rf"(?:on )?(?P<m>{_MONTH_NAMES})\.? {_DAY}", re.I)


def month_day(date_text: str) -> tuple[int, int] | None:
    """``(month, day)`` of date words that are only a month and a day ("December 9"), else None."""
    found = _MONTH_DAY.fullmatch(" ".join(date_text.split()))
    if found is None:
        return None
    return MONTHS[found["m"].casefold()], int(found["d"])


def _is_month(word: str) -> bool:
    """A month name, not "May" the verb or "March" the walk: capitalised, or abbreviated."""
    return word[:1].isupper() and word.casefold().rstrip(".") in MONTHS


def find_date(text: str) -> str | None:
    """The first, most precise date expression ``text`` writes, as written; None if none.

    "on Dec. 9" gives "Dec. 9"; "in 2026" gives "in 2026"; "the following day" and "Friday"
    are found too (they date an event without giving an ISO date).
    """
    return next(iter(dates_in(text)), None)


def dates_in(text: str) -> list[str]:
    """Every date expression ``text`` writes, as written, most precise patterns first."""
    found = []
    for pattern in _EXPRESSIONS:
        for match in pattern.finditer(text):
            month = match.groupdict().get("m")
            if month is None or _is_month(month):
                found.append(match.group(0))
    return found


def iso_date(date_text: str, anchor: str | None = None) -> str | None:
    """The ISO date ``date_text`` writes, its year from the publication date ``anchor`` when it
    leaves the year out; None for a weekday, a relative date, or anything not a calendar date.

    Only what the words say: "Dec. 9" with an anchor of 2019-12-20 is 2019-12-09, "March 2011"
    is 2011-03, "in 2026" is 2026; "the following day" has no ISO date.
    """
    for pattern in _EXPRESSIONS[:-1]:
        found = pattern.search(date_text)
        if found is None:
            continue
        parts = found.groupdict()
        month = parts.get("m")
        if month is not None and not _is_month(month):
            continue
        year = parts.get("y") or (anchor[:4] if anchor and is_iso_date(anchor[:4]) else None)
        if year is None:
            return None
        iso = year
        if month is not None:
            iso += f"-{MONTHS[month.casefold().rstrip('.')]:02d}"
            if parts.get("d"):
                iso += f"-{int(parts['d']):02d}"
        return iso if is_iso_date(iso) else None
    return None
