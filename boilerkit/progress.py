"""A small progress bar for long work (reading pages, computing features).

On a terminal it redraws one line on stderr::

    computing features  37% |████▍      | 370/1000 [00:12<00:20, 30.1/s]

When stderr is not a terminal (a log file, CI), redrawing would fill the log
with carriage returns, so it writes a log line through :mod:`logging` every
``log_interval`` seconds and one when the work is done instead. Use it
directly, as a context manager, or as a wrapper over an iterable::

    with Progress(len(paths), "reading pages", unit="files") as bar:
        for path in paths:
            ...
            bar.update()

    for path in Progress(desc="reading pages", iterable=paths):
        ...
"""

from __future__ import annotations

import logging
import math
import shutil
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Generic, TextIO, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

_EIGHTHS = " ▏▎▍▌▋▊▉"
_MAX_BAR_WIDTH = 30
_MIN_BAR_WIDTH = 10
_SMOOTHING = 0.3  # weight of the latest rate measurement
_RATE_WINDOW = 0.5  # seconds: shortest span over which a rate is measured

# The bar currently drawn on the terminal, so that log output can clear it first.
_active: Progress | None = None


def format_duration(seconds: float) -> str:
    """``75`` -> ``"01:15"``, ``3725`` -> ``"1:02:05"``."""
    if not math.isfinite(seconds) or seconds < 0:
        return "?"
    hours, rest = divmod(int(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def _can_encode(stream: TextIO, text: str) -> bool:
    try:
        text.encode(getattr(stream, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def clear() -> None:
    """Erase the bar being drawn, if any, so that a log line can take its place.

    The bar reappears on its next update.
    """
    if _active is not None:
        _active._erase()


class Progress(Generic[T]):
    """Progress of ``total`` steps (``None`` if unknown), labelled ``desc``.

    The bar is drawn only when ``file`` (stderr by default) is a terminal or
    ``force`` is true; otherwise progress goes to the log. ``disable`` turns
    both off (e.g. for ``--quiet``). Pass ``iterable`` to iterate through the
    bar; ``total`` then defaults to ``len(iterable)``.
    """

    def __init__(self, total: int | None = None, desc: str = "", *,
                 iterable: Iterable[T] | None = None, unit: str = "it",
                 file: TextIO | None = None, force: bool = False, disable: bool = False,
                 min_interval: float = 0.1, log_interval: float = 10.0) -> None:
        if total is None and iterable is not None:
            try:
                total = len(iterable)  # type: ignore[arg-type]
            except TypeError:
                total = None
        self.total = total
        self.desc = desc
        self.iterable = iterable
        self.unit = unit
        self.file = file if file is not None else sys.stderr
        self.disable = disable
        self.draw = not disable and (force or _isatty(self.file))
        self.min_interval = min_interval
        self.log_interval = log_interval
        self.n = 0
        self.closed = False
        self._start = time.monotonic()
        self._last_draw = -math.inf
        self._last_log = self._start
        self._drawn_width = 0
        self._bar_width: int | None = None
        # Smoothed rate: recent speed predicts the rest better than the average
        # when the work starts with a burst (cached or trivial steps).
        self._rate_n = 0
        self._rate_t = self._start
        self._smoothed: float | None = None
        self._full, self._partials = ("█", _EIGHTHS) if _can_encode(self.file, "█▏") else ("#", " ")

    # -- public API ---------------------------------------------------------

    def update(self, n: int = 1) -> None:
        """Record ``n`` more finished steps."""
        self.n += n
        if self.disable or self.closed:
            return
        now = time.monotonic()
        if self.draw:
            finished = self.total is not None and self.n >= self.total
            if finished or now - self._last_draw >= self.min_interval:
                self._measure(now)
                self._render(now)
        elif now - self._last_log >= self.log_interval:
            self._measure(now)
            self._last_log = now
            log.info("%s", self._log_line(now))

    def close(self) -> None:
        """Finish the bar: draw its final state and end the line (or log a summary)."""
        global _active
        if self.closed:
            return
        self.closed = True
        if self.disable:
            return
        now = time.monotonic()
        if self.draw:
            self._render(now)
            self.file.write("\n")
            self.file.flush()
            if _active is self:
                _active = None
        else:
            log.info("%s", self._log_line(now, done=True))

    def __enter__(self) -> Progress[T]:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __iter__(self) -> Iterator[T]:
        if self.iterable is None:
            raise TypeError("Progress was created without an iterable")
        try:
            for item in self.iterable:
                yield item
                self.update(1)
        finally:
            self.close()

    # -- formatting -----------------------------------------------------------

    def _rate(self, elapsed: float) -> float:
        """Steps per second: smoothed while running, the overall average once closed."""
        if self.closed or self._smoothed is None:
            return self.n / elapsed if elapsed > 0 else 0.0
        return self._smoothed

    def _measure(self, now: float) -> None:
        if now - self._rate_t < _RATE_WINDOW:
            return  # too short a time to measure a rate
        current = (self.n - self._rate_n) / (now - self._rate_t)
        self._smoothed = (current if self._smoothed is None
                          else _SMOOTHING * current + (1 - _SMOOTHING) * self._smoothed)
        self._rate_n, self._rate_t = self.n, now

    def format_line(self, now: float | None = None, columns: int = 80) -> str:
        """The bar as one line of at most ``columns`` characters (without ``\\r``)."""
        now = time.monotonic() if now is None else now
        elapsed = now - self._start
        rate = self._rate(elapsed)
        prefix = f" {self.desc} " if self.desc else " "
        if self.total is None:
            return f"{prefix}{self.n} [{format_duration(elapsed)}, {rate:.1f}/s]"[:columns]
        fraction = min(self.n / self.total, 1.0) if self.total > 0 else 1.0
        remaining = (self.total - self.n) / rate if rate > 0 else math.inf
        suffix = (f" {self.n}/{self.total} "
                  f"[{format_duration(elapsed)}<{format_duration(max(remaining, 0))}, {rate:.1f}/s]")
        head = f"{prefix}{fraction * 100:3.0f}% "
        if self._bar_width is None:
            # Fixed once, from the longest suffix, so the bar does not jitter.
            longest = len(f" {self.total}/{self.total} [00:00:00<00:00:00, 99999.9/s]")
            self._bar_width = max(_MIN_BAR_WIDTH,
                                  min(_MAX_BAR_WIDTH, columns - len(head) - longest - 2))
        return f"{head}|{self._bar(fraction, self._bar_width)}|{suffix}"

    def _bar(self, fraction: float, width: int) -> str:
        eighths = int(fraction * width * 8)
        full, partial = divmod(eighths, 8)
        bar = self._full * full
        if full < width:
            bar += self._partials[partial] if len(self._partials) == 8 else " "
        return bar.ljust(width)

    def _log_line(self, now: float, done: bool = False) -> str:
        elapsed = now - self._start
        rate = self._rate(elapsed)
        desc = self.desc or "progress"
        count = f"{self.n}/{self.total}" if self.total is not None else f"{self.n}"
        if done:
            return (f"{desc}: {count} {self.unit} in {format_duration(elapsed)} "
                    f"({rate:.1f} {self.unit}/s)")
        line = f"{desc}: {count} {self.unit}"
        if self.total:
            line += f" ({min(self.n / self.total, 1.0):.0%})"
        line += f", {format_duration(elapsed)} elapsed"
        if self.total and rate > 0:
            line += f", ~{format_duration((self.total - self.n) / rate)} left"
        return line + f", {rate:.1f} {self.unit}/s"

    # -- terminal drawing -----------------------------------------------------

    def _render(self, now: float) -> None:
        global _active
        columns = shutil.get_terminal_size((80, 24)).columns - 1
        line = self.format_line(now, columns)
        # Pad with spaces to wipe what is left of a longer previous line.
        self.file.write("\r" + line.ljust(self._drawn_width))
        self.file.flush()
        self._drawn_width = len(line)
        self._last_draw = now
        _active = self

    def _erase(self) -> None:
        if self.draw and not self.closed and self._drawn_width:
            self.file.write("\r" + " " * self._drawn_width + "\r")
            self.file.flush()
            self._drawn_width = 0
            self._last_draw = -math.inf  # redraw on the next update
