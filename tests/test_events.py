"""Progress events: their log lines, their levels, and emit's two audiences."""

from __future__ import annotations

import logging

import pytest

from briefgen.events import (
    Answered,
    ModelLoading,
    ModelReady,
    PartStarted,
    Planned,
    ProgressEvent,
    Requesting,
    TransportRetry,
    emit,
)


@pytest.mark.parametrize(
    ("event", "line"),
    [
        (ModelLoading(None), "loading the embedded model"),
        (ModelLoading("m.gguf"), "loading the embedded model from m.gguf"),
        (ModelReady(3.04), "embedded model ready in 3.0 s"),
        (
            Planned(12_345, 3, 2_600),
            "source of 12,345 characters: 3 parts (input budget 2,600 tokens a part)",
        ),
        (PartStarted(2, 3), "part 2 of 3"),
        (Requesting(1, "draft"), "request 1: the draft"),
        (Requesting(2, "reask", problems=1), "request 2: re-ask: the answer had 1 problem"),
        (Requesting(3, "stances", speakers=2), "request 3: the stances of 2 speakers"),
        (
            Answered(1, 20.0, 300, 2_000),
            "request 1: answered in 20.0 s (2,000 tokens read, 300 written, 15.0 tokens/s)",
        ),
        (Answered(2, 0.01, 300, 2_000, cached=True), "request 2: answered from the response cache"),
        (TransportRetry("HTTP 503", 2.25, 1, 5), "HTTP 503: retrying in 2.2 s (retry 1 of 5)"),
    ],
)
def test_each_event_is_one_log_line(event: ProgressEvent, line: str) -> None:
    assert str(event) == line


def test_the_servers_own_generation_rate_wins_over_wall_time() -> None:
    # Wall time includes reading the prompt; llama.cpp measures the writing alone.
    assert Answered(1, 20.0, 300, 2_000, generation_rate=18.2).tokens_per_second == 18.2
    assert Answered(1, 20.0, 300, 2_000).tokens_per_second == 15.0
    assert Answered(1, 0.0, 0, 0, cached=True).tokens_per_second is None


def test_emit_logs_then_calls_back(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[ProgressEvent] = []
    logger = logging.getLogger("briefgen.test")
    with caplog.at_level(logging.INFO, logger="briefgen"):
        emit(logger, seen.append, PartStarted(1, 2))
        emit(logger, None, Planned(100, 1, 2_600))  # one part: a DEBUG detail, not INFO
    assert seen == [PartStarted(1, 2)]
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        ("briefgen.test", logging.INFO, "part 1 of 2")
    ]
