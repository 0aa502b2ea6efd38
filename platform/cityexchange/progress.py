"""Progress of long command-line work (import, rebuild, vectors).

On a terminal: a rich progress bar with the count, the rate and the time left.
With --quiet or when the output is not a terminal (cron, a pipe, a log): nothing
while it runs, and the command prints one summary line with `summary()`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class Tracker:
    """Counts work done; `advance(n)` after each step. Shows a bar when `bar` is set."""

    def __init__(self, description: str, total: int | None, bar: Progress | None):
        self.description = description
        self.total = total
        self.done = 0
        self.started = time.perf_counter()
        self._bar = bar
        self._task = bar.add_task(description, total=total) if bar is not None else None

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self._bar is not None:
            self._bar.update(self._task, advance=count)

    def set_total(self, total: int) -> None:
        self.total = total
        if self._bar is not None:
            self._bar.update(self._task, total=total)

    def track(self, items: Iterable) -> Iterator:
        for item in items:
            yield item
            self.advance()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def summary(self) -> str:
        """'in 2.5 s (2,000/s)': the time and rate, for the command's one summary line."""
        elapsed = self.elapsed
        rate = self.done / elapsed if elapsed > 0 else 0.0
        return f"in {elapsed:.1f} s ({rate:,.0f}/s)"


def _columns() -> tuple:
    return (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("left"),
            TimeRemainingColumn())


class _RateProgress(Progress):
    """Progress whose rate column reads 'N/s' (rich's speed, in items)."""

    def get_renderables(self):
        for task in self.tasks:
            speed = task.finished_speed or task.speed
            task.fields["rate"] = f"{speed:,.0f}/s" if speed else "…/s"
        yield from super().get_renderables()


def on_terminal(stream=None) -> bool:
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", None) and stream.isatty())


@contextmanager
def progress(description: str, total: int | None = None, *, quiet: bool = False,
             stream=None) -> Iterator[Tracker]:
    """A Tracker; a live bar on `stream` (stdout) when it is a terminal and not quiet."""
    if quiet or not on_terminal(stream):
        yield Tracker(description, total, None)
        return
    console = Console(file=stream or sys.stdout)
    with _RateProgress(*_columns(), console=console, transient=True) as bar:
        yield Tracker(description, total, bar)
