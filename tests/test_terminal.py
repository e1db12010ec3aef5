"""What the command shows on stderr: the live status line, -q and -v, the batch cost label."""

from __future__ import annotations

import io
import logging

from briefgen.events import (
    Answered,
    ModelLoading,
    PartStarted,
    Planned,
    Requesting,
    TransportRetry,
)
from briefgen.terminal import BriefStatus, Terminal, cost_label


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_status_line_follows_the_events() -> None:
    clock = Clock()
    status = BriefStatus(Terminal(stream=io.StringIO(), interactive=True), clock)
    status(ModelLoading(None))
    clock.now += 3
    assert status.text() == "loading the embedded model · 3 s"
    status(PartStarted(2, 3))
    status(Requesting(4, "reask", problems=2))
    clock.now += 41.2
    assert status.text() == "part 2 of 3 · request 4: asking again (2 problems) · 41 s"
    status(Answered(4, 41.2, 259, 1_800, generation_rate=15.08))
    status(Requesting(5, "stances", speakers=1))
    assert status.text() == (
        "part 2 of 3 · request 5: stances of 1 speaker · 0 s · last answer 259 tokens at 15.1/s"
    )
    status(TransportRetry("HTTP 503", 4.0, 1, 5))
    assert status.text().startswith("part 2 of 3 · HTTP 503: retrying in 4 s")


def test_a_terminal_gets_a_live_line_that_is_cleared_at_the_end() -> None:
    out = io.StringIO()
    term = Terminal(stream=out, interactive=True)
    with term.status() as status:
        status.stage("reading [draft] port.txt")
        status(Requesting(1, "draft"))
    drawn = out.getvalue()
    assert "reading [draft] port.txt" in drawn and "request 1: the draft" in drawn
    assert "\x1b[" in drawn  # cursor movements: the line is redrawn in place, then erased


def test_off_a_terminal_only_a_long_sources_parts_are_said() -> None:
    out = io.StringIO()
    term = Terminal(stream=out, interactive=False)
    with term.status() as status:
        status.stage("reading port.txt")
        status(Planned(50_000, 3, 2_600))
        status(Requesting(1, "draft"))
    assert out.getvalue() == "briefgen: long source: briefed in 3 parts\n"


def test_quiet_keeps_warnings_only_and_draws_nothing() -> None:
    out = io.StringIO()
    term = Terminal(stream=out, interactive=True, quiet=True)
    assert not term.live
    with term.status() as status:
        status(Planned(50_000, 3, 2_600))
        status(Requesting(1, "draft"))
    term.say("wrote brief.md")
    term.warn("briefgen: 1 position was left out of the brief — check before publishing.")
    assert out.getvalue() == (
        "briefgen: 1 position was left out of the brief — check before publishing.\n"
    )


def test_verbose_shows_the_librarys_info_log_for_the_run_only() -> None:
    out = io.StringIO()
    term = Terminal(stream=out, interactive=False, verbose=True)
    logger = logging.getLogger("briefgen.llm")
    with term.library_log():
        logger.info("HTTP 503: retrying in %.1f s", 2.0)
        logger.debug("POST ...")  # DEBUG stays out of -v
    logger.info("after the run")
    assert out.getvalue() == "briefgen: HTTP 503: retrying in 2.0 s\n"
    assert not [
        h for h in logging.getLogger("briefgen").handlers if type(h).__name__ != "NullHandler"
    ]


def test_the_batch_bar_labels_its_cost() -> None:
    assert cost_label(None) == "cost unknown"
    assert cost_label(0.0123) == "$0.0123"
