"""Reading the speaker a text gives a quotation, in the shapes news prose writes it."""

from __future__ import annotations

import pytest

from briefgen.attribution import Attribution, attribution, quotations


def _of(text: str, quote: str) -> Attribution | None:
    start = text.index(quote)
    return attribution(text, start, start + len(quote))


@pytest.mark.parametrize(
    ("text", "quote", "name"),
    [
        (
            '"We have a little bit of time," said Jack Lew, director of the Office.',
            "little bit",
            "Jack Lew",
        ),
        (
            "\u201cThe only oath we take is to the Constitution,\u201d explained newly-minted "
            "Speaker John Boehner to the Post.",
            "only oath",
            "Speaker John Boehner",
        ),
        (
            '"He does not support anything that would slash benefits," Carney said Friday.',
            "slash benefits",
            "Carney",
        ),
        (
            'Meredith Vieira asked Trump, "You\'ve been privy to all of this?" He laughed.',
            "privy to all",
            "Meredith Vieira",
        ),
        ('Lew said: "We do have a challenge."', "a challenge", "Lew"),
        # A quotation that goes on after its attribution keeps the speaker.
        ('"It is a disgrace," Mr. Trump said. "She should get off."', "get off", "Mr. Trump"),
        (
            'Dallas Tea Party founder Phillip Dennis said "there was no proof" of it.',
            "no proof",
            "Phillip Dennis",
        ),
        (
            '"We believe in freedom of assembly," the NAACP President Benjamin Todd Jealous '
            "said in a written statement.",
            "freedom of assembly",
            "NAACP President Benjamin Todd Jealous",
        ),
    ],
)
def test_a_named_speaker_beside_the_marks(text: str, quote: str, name: str) -> None:
    found = _of(text, quote)
    assert found is not None and found.name == name and found.pronoun is None


def test_the_subject_nearest_the_verb_speaks() -> None:
    # Not the name the sentence opens with: "Of Obama" is whom he spoke of, "However" no one.
    text = 'Of Obama, he said, "I want him to do well."'
    assert _of(text, "want him") == Attribution(pronoun="he", opening=text.index('"'))
    text = (
        "However, AARP legislative policy director David Certner told Fox News that it needs a "
        '"package of revenue and benefit adjustments."'
    )
    found = _of(text, "package of")
    assert found is not None and found.name == "David Certner"


def test_verbs_of_an_address_attribute_too() -> None:
    # The seed's "In his address ..., he highlighted yet another example of \u201c...\u201d".
    text = "In his address, he highlighted an example of \u201cthe greatness of our people.\u201d"
    assert _of(text, "greatness") == Attribution(pronoun="he", opening=text.index("\u201c"))


def test_quotations_are_the_words_inside_each_pair_of_marks() -> None:
    text = (
        '"Yes," said Ann. \u201cWe will appeal,\u201d Bob said.\n'
        "\u201cA quotation that runs on\n\n"
        "\u201cinto the next paragraph,\u201d he said."
    )
    assert [text[a:b] for a, b in quotations(text)] == [
        "Yes,",
        "We will appeal,",
        "into the next paragraph,",
    ]


def test_a_pronoun_is_returned_with_where_the_quotation_opens() -> None:
    text = 'Hutchison spoke.\n\n"AARP\'s new and welcome position is a step," she said.'
    found = _of(text, "new and welcome")
    assert found == Attribution(pronoun="she", opening=text.index('"'))
    text = 'He went on. He continued: "That she should say that?"'
    assert _of(text, "she should") == Attribution(pronoun="he", opening=text.index('"'))


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        # Indirect speech and the reporter's own sentences have no quotation marks.
        ("He said AARP remains opposed to cutting Social Security.", "AARP remains opposed"),
        ('Residents oppose the plan. "We will not sleep," said Tom Reed.', "Residents oppose"),
        # A straight mark that closes a quotation before the span does not open one.
        ('"Yes," said Ann. The board voted no on the plan, "a loss," Bob said.', "board voted"),
        # A descriptor, not a name: nothing to read.
        ('"Faith made America strong," the Texas governor continues.', "Faith made"),
        # An attribution in another paragraph is not beside the quotation.
        ('Ann Lee said:\n\n"We will appeal the ruling."', "will appeal"),
    ],
)
def test_no_speaker_when_the_text_writes_none_beside_the_marks(text: str, quote: str) -> None:
    assert _of(text, quote) is None
