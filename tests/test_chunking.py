"""Chunking: chunks tile the source, fit the budget, and cut at the coarsest natural boundary."""

from __future__ import annotations

import itertools
import random

import pytest

from briefgen.chunking import Chunk, estimate_tokens, split
from briefgen.settings import Settings


def _report(paragraphs: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    words = ["council", "harbour", "budget", "mayor", "storm", "vote", "plan", "report"]
    out = []
    for _ in range(paragraphs):
        sentences = [
            " ".join(rng.choice(words) for _ in range(rng.randint(4, 25))).capitalize() + "."
            for _ in range(rng.randint(1, 12))
        ]
        out.append(" ".join(sentences))
    return "\n\n".join(out)


def _check(text: str, chunks: list[Chunk], budget: int) -> None:
    assert "".join(c.of(text) for c in chunks) == text  # tiles exactly: offsets stay exact
    assert chunks[0].start == 0 and chunks[-1].end == len(text)
    for before, after in itertools.pairwise(chunks):
        assert before.end == after.start
    for c in chunks:
        assert c.of(text).strip()
        assert estimate_tokens(c.of(text)) <= budget


def test_short_source_is_one_chunk():
    text = "The council met on Monday.\n\nIt approved the plan."
    assert split(text, 1000) == [Chunk(0, len(text))]


@pytest.mark.parametrize("budget", [60, 200, 1000])
def test_long_source_tiles_and_fits(budget):
    text = _report(80)
    chunks = split(text, budget)
    assert len(chunks) > 1
    _check(text, chunks, budget)


def test_cuts_between_paragraphs_when_they_fit():
    paragraphs = [f"Paragraph {i} says something about the harbour plan." for i in range(40)]
    text = "\n\n".join(paragraphs)
    chunks = split(text, 60)
    _check(text, chunks, 60)
    for c in chunks[:-1]:
        assert c.of(text).endswith("\n\n")  # every cut is at a paragraph break


def test_a_long_paragraph_is_cut_between_sentences():
    text = " ".join(f"Sentence number {i} is about the vote." for i in range(200))
    chunks = split(text, 50)
    _check(text, chunks, 50)
    for c in chunks[:-1]:
        assert c.of(text).rstrip().endswith("vote.")


def test_sentence_ends_with_closing_quotes():
    text = " ".join(f"“Item {i} is done,” she said. “Next!”" for i in range(100))
    chunks = split(text, 30)
    _check(text, chunks, 30)
    for c in chunks[:-1]:
        assert c.of(text).rstrip()[-1] in ".”!"


def test_a_single_endless_word_is_cut_hard():
    text = "x" * 10_000
    chunks = split(text, 100)
    _check(text, chunks, 100)


def test_trailing_whitespace_never_forms_its_own_chunk():
    text = "word " * 400 + "\n" * 50 + " " * 500
    chunks = split(text, 50)
    _check(text, chunks, 50 + 300)  # the folded whitespace may overrun the budget
    assert chunks[-1].of(text).strip()


def test_non_latin_text_is_estimated_pessimistically():
    russian = "Городской совет одобрил план защиты гавани. " * 50
    english = "The city council approved the harbour plan. " * 50
    assert estimate_tokens(russian) > 2 * estimate_tokens(english)
    chunks = split(russian, 100)
    _check(russian, chunks, 100)


def test_budget_must_be_positive():
    with pytest.raises(ValueError):
        split("text", 0)


def test_input_budget_defaults_per_backend():
    settings = Settings()
    embedded = settings.input_budget("embedded")
    assert 2_000 <= embedded <= 3_000
    assert settings.input_budget("openai") >= 50_000
    assert Settings(n_ctx=32_768).input_budget("embedded") > embedded
    assert Settings(input_budget_tokens=1234).input_budget("openai") == 1234


def test_input_budget_setting_from_environment():
    settings = Settings.load(env={"BRIEFGEN_INPUT_BUDGET_TOKENS": "4000"}, config_file=None)
    assert settings.input_budget() == 4000
