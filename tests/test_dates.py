"""Tests for dates.py: which dates a text backs, finding date words, and reading ISO dates."""

from __future__ import annotations

import pytest
from conftest import SOURCE

from briefgen import dates


@pytest.mark.parametrize(
    ("date", "date_text", "anchor", "expect"),
    [
        ("2025-03-04", "Tuesday, March 4, 2025", None, None),
        ("2025-03", "March 4", None, None),  # coarser than the text: still backed by it
        ("2025", "March 4", None, None),
        ("2025-04", "March 4", None, "does not match the month"),
        ("2025-03-04", "March 4", "2025-03-05", None),  # year from the source
        ("2025-03-05", "Tuesday, March 4, 2025", None, "does not match the day"),
        ("2025-03-04", "Tuesday", "2025-03-05", "names no year or month"),
        ("2025-03-04", "Residents of the Eastside", "2025-03-05", "is not a date; set date_text"),
        ("2025-3-4", "March 4", None, "is not ISO 8601"),
        ("null", "March 4", None, 'the string "null"; write null without quotes'),
        ("2025-03-04", None, None, "has no date_text"),
        ("2025-03-04", "on March 9", None, "is not in the source"),
        (None, None, None, None),
        (None, "Tuesday", None, None),  # a weekday alone is kept as text, without an ISO date
        (None, "last week", None, 'date_text "last week" is not in the source'),
    ],
)
def test_date_problem(
    date: str | None, date_text: str | None, anchor: str | None, expect: str | None
) -> None:
    why = dates.date_problem(date, date_text, SOURCE, anchor)
    if expect is None:
        assert why is None
    else:
        assert why is not None and expect in why


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("The vote is set for December 9.", "December 9"),
        ("It passed on Dec. 13, 2019, in the House.", "Dec. 13, 2019"),
        # A weekday before a date is part of it.
        (
            "The Harbor Port Authority on Tuesday, March 4, 2025 approved it.",
            "Tuesday, March 4, 2025",
        ),
        ("It opens Friday, Dec. 9.", "Friday, Dec. 9"),
        ("It was signed 6 May 2019 in Baku.", "6 May 2019"),
        ("In March 2011 the House voted.", "March 2011"),
        ("The first delegation arrives in 2026.", "in 2026"),
        ("In 2026, the first delegation arrives.", "In 2026"),  # at a sentence's start
        ("Prices rose in early 2008.", "in early 2008"),
        ("He left the following day.", "the following day"),
        ("On Friday, he said, the talks ended.", "On Friday"),
        ("It happened three years ago.", "three years ago"),
        # The most precise expression wins over one written earlier.
        ("He said Friday that it ended on Dec. 9.", "Dec. 9"),
        # "May" the verb and "march" the walk are no months; a clock time is no day.
        ("Officials may decide soon.", None),
        ("They march 4 miles a day.", None),
        ("Officials said they may 5 times reconsider.", None),
        ("The talks start at 10:30.", None),
        ("The plan has 2011 supporters.", None),
        ("", None),
    ],
)
def test_find_date(text: str, found: str | None) -> None:
    assert dates.find_date(text) == found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # Every expression, the most precise patterns first: a date and the parts of it.
        (
            "On Tuesday, March 4, 2025 the board voted.",
            ["Tuesday, March 4, 2025", "Tuesday, March 4", "On Tuesday"],
        ),
        ("It was signed 6 May 2019 in Baku.", ["6 May 2019", "6 May", "May 2019"]),
        (
            "He said Friday that it ended on Dec. 9 and resumes in 2026.",
            ["Dec. 9", "in 2026", "Friday"],
        ),
        ("Officials may decide soon.", []),
        ("", []),
    ],
)
def test_dates_in_lists_every_date_expression(text: str, found: list[str]) -> None:
    assert dates.dates_in(text) == found
    assert dates.find_date(text) == (found[0] if found else None)


@pytest.mark.parametrize(
    ("date_text", "anchor", "iso"),
    [
        ("December 9", None, None),  # no year written and none to anchor it
        ("December 9", "2019-12-20", "2019-12-09"),
        ("on December 9", "2019-12-20", "2019-12-09"),
        ("Dec. 13, 2019", None, "2019-12-13"),
        ("Dec. 13, 2019", "2025-01-01", "2019-12-13"),  # a written year wins over the anchor
        ("Tuesday, March 4, 2025", None, "2025-03-04"),
        ("In 2026", None, "2026"),
        ("6 May 2019", None, "2019-05-06"),
        ("Mar. 4", "2019-02-01", "2019-03-04"),
        ("March 2011", None, "2011-03"),
        ("in 2026", None, "2026"),
        ("in 2026", "2019-12-20", "2026"),
        ("the following day", "2019-12-20", None),
        ("Friday", "2019-12-20", None),
        ("last week", "2019-12-20", None),
        ("May", "2019-12-20", None),  # a month alone is no date here
        ("may 5", "2019-12-20", None),  # lowercase: the verb, not the month
        ("February 30, 2019", None, None),  # no such day
        ("December 9", "sometime", None),  # an anchor that is no date gives no year
    ],
)
def test_iso_date(date_text: str, anchor: str | None, iso: str | None) -> None:
    assert dates.iso_date(date_text, anchor) == iso


@pytest.mark.parametrize(
    ("date_text", "names"),
    [
        ("March 4", True),
        ("2025", True),
        ("Tuesday", True),
        ("last week", True),
        ("yesterday", True),
        ("Harbor Port", False),
        ("the plan", False),
    ],
)
def test_names_a_date(date_text: str, names: bool) -> None:
    assert dates.names_a_date(date_text) is names


@pytest.mark.parametrize(
    ("date_text", "expected"),
    [
        ("December 9", (12, 9)),
        ("on Sept. 13th", (9, 13)),
        ("March 4, 2025", None),  # a year: an ISO date's business
        ("The following day", None),
        ("Room 9", None),
    ],
)
def test_month_day_reads_only_a_month_and_a_day(date_text, expected):
    assert dates.month_day(date_text) == expected
