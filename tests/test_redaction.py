"""Redaction: secrets, key-shaped tokens and URL passwords are masked in any message."""

from __future__ import annotations

import pytest

from briefgen.errors import LLMError
from briefgen.redaction import environment_secrets, redact, redact_error


@pytest.mark.parametrize(
    ("text", "secrets", "expected"),
    [
        ("key my-own-secret-value rejected", ["my-own-secret-value"], "key *** rejected"),
        ("Invalid key sk-abcdefghijklmnop1234", [], "Invalid key sk-***"),
        ("Incorrect key sk-proj-AbC_dEf-123456789", [], "Incorrect key sk-***"),
        ("header Authorization: Bearer abcdefgh12345678", [], "header Authorization: Bearer ***"),
        (
            "cannot reach https://bob:hunter22@llm.example/v1",
            [],
            "cannot reach https://bob:***@llm.example/v1",
        ),
        ("short secrets like test stay", ["test"], "short secrets like test stay"),
        ("nothing secret here", [None, ""], "nothing secret here"),
    ],
)
def test_redact(text, secrets, expected):
    assert redact(text, secrets) == expected


def test_longer_secret_wins_over_its_prefix():
    assert redact("k=abcdefgh-long-tail", ["abcdefgh", "abcdefgh-long-tail"]) == "k=***"


def test_redact_error_keeps_the_type_and_masks_args():
    exc = redact_error(LLMError("server said: top-secret-value"), ["top-secret-value"])
    assert isinstance(exc, LLMError) and str(exc) == "server said: ***"


def test_environment_secrets():
    env = {"OPENAI_API_KEY": "sk-1", "BRIEFGEN_API_KEY": "sk-2", "HOME": "/root"}
    assert sorted(environment_secrets(env)) == ["sk-1", "sk-2"]
