"""What briefing one source goes through, as events a caller can show, and log lines.

The library never prints. A caller that wants to show progress passes ``on_event`` (to
:class:`~briefgen.extract.Briefer`, :func:`~briefgen.extract.generate_brief`, ...) and gets one
of the events below at each step; the CLI turns them into its live status line. Every event is
also logged under the ``briefgen`` logger (its ``str`` is the line), so ``-v`` or an
application's logging config sees the same steps without a callback.

Events carry counts, sizes and timings only: never the source text, the model's answer or a key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

#: What one request asks for: the whole draft, the draft again after a failed answer, or the
#: stances of speakers the answer left without one.
Purpose = Literal["draft", "reask", "stances"]


@dataclass(frozen=True)
class ProgressEvent:
    """Something that happened while briefing; ``str(event)`` is its log line.

    (Not to be confused with :class:`briefgen.schema.Event`, a key event of a brief.)
    """

    @property
    def level(self) -> int:
        """The level the event is logged at."""
        return logging.INFO


@dataclass(frozen=True)
class ModelLoading(ProgressEvent):
    """The embedded model is being prepared and loaded (seconds, minutes the first time)."""

    path: str | None

    def __str__(self) -> str:
        return f"loading the embedded model{f' from {self.path}' if self.path else ''}"


@dataclass(frozen=True)
class ModelReady(ProgressEvent):
    """The embedded model answers requests."""

    seconds: float

    def __str__(self) -> str:
        return f"embedded model ready in {self.seconds:.1f} s"


@dataclass(frozen=True)
class Planned(ProgressEvent):
    """How a source will be briefed: in one request, or in parts."""

    chars: int
    parts: int
    budget_tokens: int

    @property
    def level(self) -> int:
        return logging.INFO if self.parts > 1 else logging.DEBUG

    def __str__(self) -> str:
        how = "one part" if self.parts == 1 else f"{self.parts} parts"
        return (
            f"source of {self.chars:,} characters: {how} "
            f"(input budget {self.budget_tokens:,} tokens a part)"
        )


@dataclass(frozen=True)
class PartStarted(ProgressEvent):
    """Part ``index`` of ``total`` of a long source is being briefed."""

    index: int
    total: int

    def __str__(self) -> str:
        return f"part {self.index} of {self.total}"


@dataclass(frozen=True)
class Requesting(ProgressEvent):
    """Request ``number`` of this brief is about to be sent (or answered from the cache).

    Attributes:
        number: counts this brief's requests from 1, across its parts.
        purpose: ``draft``, ``reask`` or ``stances``.
        problems: for a re-ask, how many problems the previous answer had.
        speakers: for a stances request, how many speakers it asks about.
    """

    number: int
    purpose: Purpose
    problems: int = 0
    speakers: int = 0

    def __str__(self) -> str:
        if self.purpose == "reask":
            why = f"re-ask: the answer had {self.problems} problem{_s(self.problems)}"
        elif self.purpose == "stances":
            why = f"the stances of {self.speakers} speaker{_s(self.speakers)}"
        else:
            why = "the draft"
        return f"request {self.number}: {why}"


@dataclass(frozen=True)
class Answered(ProgressEvent):
    """Request ``number`` was answered.

    Attributes:
        seconds: wall time of the request, transport retries included.
        completion_tokens: tokens the model wrote.
        prompt_tokens: tokens it read.
        cached: served from the response cache (no request, no tokens spent).
        generation_rate: tokens written per second as the server measured it, when it says
            (llama.cpp does); else :attr:`tokens_per_second` falls back to wall time.
    """

    number: int
    seconds: float
    completion_tokens: int
    prompt_tokens: int
    cached: bool = False
    generation_rate: float | None = None

    @property
    def tokens_per_second(self) -> float | None:
        if self.generation_rate:
            return self.generation_rate
        if self.cached or self.seconds <= 0 or not self.completion_tokens:
            return None
        return self.completion_tokens / self.seconds

    def __str__(self) -> str:
        if self.cached:
            return f"request {self.number}: answered from the response cache"
        rate = self.tokens_per_second
        speed = f", {rate:.1f} tokens/s" if rate else ""
        return (
            f"request {self.number}: answered in {self.seconds:.1f} s "
            f"({self.prompt_tokens:,} tokens read, {self.completion_tokens:,} written{speed})"
        )


@dataclass(frozen=True)
class TransportRetry(ProgressEvent):
    """A transport fault (429, 5xx, timeout, dropped connection); the same request is resent.

    Attributes:
        reason: what went wrong, e.g. ``HTTP 503`` (no response body: it may echo the key).
        wait: seconds until the retry.
        retry: this retry's number, from 1.
        retries: the most retries allowed.
    """

    reason: str
    wait: float
    retry: int
    retries: int

    def __str__(self) -> str:
        return (
            f"{self.reason}: retrying in {self.wait:.1f} s (retry {self.retry} of {self.retries})"
        )


#: What callers pass as ``on_event``.
OnEvent = Callable[[ProgressEvent], None]


def emit(logger: logging.Logger, on_event: OnEvent | None, event: ProgressEvent) -> None:
    """Log ``event`` on ``logger`` and hand it to ``on_event`` if there is one."""
    if logger.isEnabledFor(event.level):
        logger.log(event.level, "%s", event)
    if on_event is not None:
        on_event(event)


def _s(n: int) -> str:
    return "" if n == 1 else "s"
