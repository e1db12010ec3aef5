"""Table-driven tests for grounding.locate with planted spans."""

from __future__ import annotations

import pytest

from briefgen.grounding import FUZZY_MIN_CHARS, locate, normalize

SOURCE = (
    "President of Azerbaijan Ilham Aliyev said the treaty was signed at \u201cthe most "
    "authoritative stage in the world\u2014the White House.\u201d\n"
    "Əli   Həsənov, the minister, called it \u201ca historic step\u201d. "
    "\u041c\u043e\u0441\u043a\u0432\u0430 stayed silent \u2026 for now."
)

CASES = [
    # (quote, expected status, expected span text or None)
    ("Ilham Aliyev said the treaty", "exact", "Ilham Aliyev said the treaty"),
    ("\u201ca historic step\u201d", "exact", "\u201ca historic step\u201d"),
    ('"a historic step"', "normalized", "a historic step"),
    ("the world-the White House", "normalized", "the world\u2014the White House"),
    ("the world - the white house", "normalized", "the world\u2014the White House"),
    ("ƏLİ HƏSƏNOV, the minister", "normalized", "Əli   Həsənov, the minister"),
    ("Əli Həsənov, the minister", "normalized", "Əli   Həsənov, the minister"),
    (
        "\u041c\u043e\u0441\u043a\u0432\u0430 stayed silent ... for now",
        "normalized",
        "\u041c\u043e\u0441\u043a\u0432\u0430 stayed silent \u2026 for now",
    ),
    ("Ilham Aliev said the treaty was signd", "fuzzy", "Ilham Aliyev said the treaty was signed"),
    ("the minister praised the weather", "missing", None),
    ("called it 'a historic step'", "normalized", "called it \u201ca historic step"),
    ("Əli Həsənov,the minister", "normalized", "Əli   Həsənov, the minister"),
    ("Ilham Ali yev said", "normalized", "Ilham Aliyev said"),
    ("Aliev", "missing", None),  # too short to match fuzzily
    ("", "missing", None),
    ("   ", "missing", None),
]


@pytest.mark.parametrize(("quote", "status", "span"), CASES)
def test_locate(quote: str, status: str, span: str | None) -> None:
    found = locate(quote, SOURCE)
    assert found.status == status
    if span is None:
        assert found.start is None and found.end is None
    else:
        assert found.start is not None and found.end is not None
        assert SOURCE[found.start : found.end] == span


def test_exact_span_equals_quote_with_non_ascii_offsets() -> None:
    quote = "Həsənov, the minister"
    found = locate(quote, SOURCE)
    assert found.status == "exact"
    assert SOURCE[found.start : found.end] == quote  # type: ignore[misc]
    assert found.start == SOURCE.index(quote)


def test_normalize_maps_every_char_back() -> None:
    text = "A\u2014B  \u201cC\u201d \u2026"
    norm, index = normalize(text)
    assert norm == 'a-b"c"...'
    assert len(norm) == len(index)
    assert all(0 <= i < len(text) for i in index)
    assert index == sorted(index)


def test_fuzzy_needs_a_long_enough_quote() -> None:
    assert len("Aliev") < FUZZY_MIN_CHARS
    assert locate("Ilham Aliev", SOURCE).status == "missing"
