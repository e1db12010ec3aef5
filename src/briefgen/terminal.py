"""What the ``briefgen`` command shows on stderr while it works; part of the command line.

The library reports through :mod:`briefgen.events` and the ``briefgen`` logger and never prints;
this module decides what a person sees. On a terminal one brief gets a live status line (the
step, its seconds, the last answer's speed), cleared once the brief is made, and a folder gets a
progress bar. Off a terminal (a pipe, a log file, CI) nothing moves: only the lines a log should
keep. ``-q`` keeps only errors and the unverified-brief warning; ``-v`` adds the library's INFO
log and the check's diagnostics. rich is imported only when something is drawn on a terminal,
so a run in a pipeline does not pay for it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from briefgen.events import (
    Answered,
    ModelLoading,
    ModelReady,
    PartStarted,
    Planned,
    ProgressEvent,
    Requesting,
    TransportRetry,
)

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from briefgen.batch import BatchProgress

_LIBRARY_LOGGER = "briefgen"


def cost_label(value: float | None) -> str:
    """A batch's cost for people: ``$0.0123``, or ``cost unknown`` when the price is not."""
    return "cost unknown" if value is None else f"${value:.4f}"


class Terminal:
    """stderr for one run of the command.

    Args:
        quiet: show only errors and warnings.
        verbose: also show the library's INFO log and diagnostics.
        stream: where it all goes (tests pass their own); ``sys.stderr`` at write time if None.
        interactive: draw live displays; None asks whether ``stream`` is a terminal.
    """

    def __init__(
        self,
        *,
        quiet: bool = False,
        verbose: bool = False,
        stream: Any = None,
        interactive: bool | None = None,
    ) -> None:
        self.quiet = quiet
        self.verbose = verbose
        self._stream = stream
        if interactive is None:
            out = stream or sys.stderr
            interactive = out.isatty() and os.environ.get("TERM") != "dumb"
        #: Whether live displays (status line, progress bar) are drawn.
        self.live = bool(interactive) and not quiet
        self._console: Console | None = None

    @property
    def console(self) -> Console:
        """The rich console every line goes through once anything is drawn (made on first use)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(
                file=self._stream, stderr=self._stream is None, force_terminal=self.live or None
            )
        return self._console

    def say(self, line: str) -> None:
        """An informational line (``wrote brief.md``); ``-q`` drops it."""
        if not self.quiet:
            self.warn(line)

    def warn(self, line: str) -> None:
        """A line every run shows, ``-q`` too (the unverified-brief banner)."""
        if self._console is not None:
            self._console.print(line, markup=False, highlight=False, soft_wrap=True)
        else:
            print(line, file=self._stream or sys.stderr, flush=True)

    @contextlib.contextmanager
    def library_log(self) -> Iterator[None]:
        """With ``-v``, show the library's INFO log as ``briefgen: ...`` lines for the block."""
        if not self.verbose:
            yield
            return
        logger = logging.getLogger(_LIBRARY_LOGGER)
        handler = _LineHandler(self.warn)
        previous = logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        try:
            yield
        finally:
            logger.removeHandler(handler)
            logger.setLevel(previous)

    @contextlib.contextmanager
    def status(self) -> Iterator[BriefStatus]:
        """A live status line for one brief on a terminal (inert elsewhere), cleared at the end."""
        status = BriefStatus(self)
        if not self.live:
            yield status
            return
        from rich.live import Live
        from rich.spinner import Spinner

        live = Live(
            Spinner("dots", text=status),
            console=self.console,
            transient=True,
            refresh_per_second=4,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        with live:
            status.refresh = live.refresh
            yield status

    @contextlib.contextmanager
    def batch_bar(self) -> Iterator[Callable[[BatchProgress], None]]:
        """A progress bar for a folder on a terminal; yields the run's ``on_progress``."""
        if not self.live:
            yield lambda p: None
            return
        from rich.progress import Progress, TextColumn

        columns = (*Progress.get_default_columns(), TextColumn("{task.fields[info]}"))
        with Progress(*columns, console=self.console) as bar:
            task = bar.add_task("briefing", total=None, info="")

            def show(p: BatchProgress) -> None:
                info = f"{p.failed} failed · {p.tokens:,} tokens · {cost_label(p.cost_usd)}"
                bar.update(task, total=p.total, completed=p.total - p.remaining, info=info)

            yield show


class _LineHandler(logging.Handler):
    """Log records as ``briefgen: message`` lines through the terminal (above a live display)."""

    def __init__(self, write: Callable[[str], None]) -> None:
        super().__init__(logging.INFO)
        self.write = write

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.write(f"briefgen: {record.getMessage()}")
        except Exception:
            self.handleError(record)


class BriefStatus:
    """What one brief is doing, fed with the library's events; the live line reads it.

    Also the ``on_event`` of a brief off a terminal, where it only says how many parts a long
    source is briefed in (a line a log should keep).
    """

    def __init__(self, terminal: Terminal, clock: Callable[[], float] = time.monotonic) -> None:
        self.terminal = terminal
        self.clock = clock
        self.step = "starting"
        self.since = clock()
        self.part: str | None = None
        self.last: Answered | None = None
        #: Redraws the line at once (set while a live display runs).
        self.refresh: Callable[[], None] = lambda: None

    def stage(self, step: str) -> None:
        """Show ``step`` (the command's own steps: reading the source, writing)."""
        self.step, self.since = step, self.clock()
        self.refresh()

    def __call__(self, event: ProgressEvent) -> None:
        if isinstance(event, Planned) and event.parts > 1:
            self.terminal.say(f"briefgen: long source: briefed in {event.parts} parts")
        if not self.terminal.live:
            return
        if isinstance(event, ModelLoading):
            self.stage("loading the embedded model")
        elif isinstance(event, ModelReady):
            self.stage(f"model loaded in {event.seconds:.0f} s")
        elif isinstance(event, PartStarted):
            self.part = f"part {event.index} of {event.total}"
            self.refresh()
        elif isinstance(event, Requesting):
            self.stage(_asking(event))
        elif isinstance(event, Answered):
            self.last = None if event.cached else event
            self.stage("checking the answer")
        elif isinstance(event, TransportRetry):
            self.stage(f"{event.reason}: retrying in {event.wait:.0f} s")

    def text(self) -> str:
        """The status line as it reads now."""
        seconds = f"{self.clock() - self.since:.0f} s"
        pieces = [self.part, self.step, seconds]
        if self.last is not None and (rate := self.last.tokens_per_second):
            pieces.append(f"last answer {self.last.completion_tokens:,} tokens at {rate:.1f}/s")
        return " · ".join(p for p in pieces if p)

    def __rich__(self) -> Text:
        from rich.text import Text  # plain text: a file name's [brackets] are not markup

        return Text(self.text(), no_wrap=True, overflow="ellipsis")  # one line, always


def _asking(event: Requesting) -> str:
    if event.purpose == "reask":
        problems = f"{event.problems} problem{'' if event.problems == 1 else 's'}"
        return f"request {event.number}: asking again ({problems})"
    if event.purpose == "stances":
        speakers = f"{event.speakers} speaker{'' if event.speakers == 1 else 's'}"
        return f"request {event.number}: stances of {speakers}"
    return f"request {event.number}: the draft"
