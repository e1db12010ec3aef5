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
#: Dates as news text writes them, most precise first: "March 3, 2011", "March 2011", "2011".
_WRITTEN = (
    re.compile(rf"\b({_MONTH_NAMES})\.? (\d{{1,2}}), (\d{{4}})\b", re.IGNORECASE),
    re.compile(rf"\b({_MONTH_NAMES})\.? (\d{{4}})\b", re.IGNORECASE),
    re.compile(r"\b((?:1[89]|20)\d\d)\b"),
)


def date_in(text: str, date: str) -> tuple[str, str] | None:
    """The words of ``text`` that write ``date`` or a coarser form of it, and that ISO date.

    For a date the model could not back with its own date_text ("2026-01-01" read off "In 2026,
    the first delegation ..."): the event's quote may still write it, as precisely as the text
    knows it ("2026"). Only a date the model gave is looked for, never a new one.
    """
    for pattern in _WRITTEN:
        for match in pattern.finditer(text):
            groups = match.groups()
            if len(groups) == 3:
                iso = f"{groups[2]}-{MONTHS[groups[0].casefold()]:02d}-{int(groups[1]):02d}"
            elif len(groups) == 2:
                iso = f"{groups[1]}-{MONTHS[groups[0].casefold()]:02d}"
            else:
                iso = groups[0]
            if date.startswith(iso):
                return match.group(0), iso
    return None
