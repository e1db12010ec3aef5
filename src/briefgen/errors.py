"""The one error tree of briefgen; every failure a user can meet is one of these.

    BriefgenError
    ├── ConfigError          no usable LLM backend, bad settings
    ├── SourceError          the source cannot be read or is unusable
    ├── LLMError             the LLM service failed after transport retries
    ├── ExtractionError      the model's answers never validated (attempts, usage, last output)
    │   ├── RefusalError     the model refused to answer
    │   └── TruncatedError   the answer hit the token limit (finish_reason=length)
    ├── RenderError          a brief could not be rendered or written
    └── UnverifiedError      strict mode: a quote is unverified or the check left items out
                             (the brief is attached, and the CLI still writes it)

Every message is one line that says what to do next; the CLI prints it and exits non-zero.
"""

from __future__ import annotations

from typing import Any


class BriefgenError(Exception):
    """Base class of every error briefgen raises on purpose."""

    exit_code = 1


class ConfigError(BriefgenError):
    """Settings are missing or contradictory (e.g. no LLM backend available)."""

    exit_code = 2


class SourceError(BriefgenError):
    """A source text is missing, empty, unreadable or of an unsupported kind."""

    exit_code = 3


class LLMError(BriefgenError):
    """The LLM service kept failing (network, 5xx, 429) past the retry budget."""

    exit_code = 4


class ExtractionError(BriefgenError):
    """The model never produced a valid briefing within the attempt or token budget.

    Attributes:
        attempts: how many requests were made.
        usage: token usage summed over every attempt.
        last_output: the model's last raw answer, for debugging.
    """

    exit_code = 5

    def __init__(
        self,
        message: str,
        *,
        attempts: int = 0,
        usage: Any = None,
        last_output: str | None = None,
    ) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.usage = usage
        self.last_output = last_output


class RefusalError(ExtractionError):
    """The model refused to produce the briefing."""


class TruncatedError(ExtractionError):
    """The model's answer was cut off at the token limit (finish_reason=length)."""


class RenderError(BriefgenError):
    """A briefing could not be rendered or written to disk."""

    exit_code = 6


class UnverifiedError(BriefgenError):
    """A brief asked for in strict mode needs checking: a quote was not found in the source, or
    the check left items out (see :attr:`briefgen.schema.Briefing.banner`).

    Attributes:
        briefing: the brief itself, complete, so it can still be written and inspected.
    """

    exit_code = 7

    def __init__(self, message: str, *, briefing: Any = None) -> None:
        super().__init__(message)
        self.briefing = briefing
