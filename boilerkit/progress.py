"""Progress of long work (reading pages, computing features), drawn by tqdm.

When stderr is a terminal, a tqdm bar is redrawn on one line there. When it
is not (a log file, CI), redrawing would fill the log with carriage returns,
so a log line goes through :mod:`logging` every ``log_interval`` seconds and
one when the work is done. Nothing is ever written to stdout::

    with Progress(len(paths), "reading pages", unit="files", disable=quiet) as bar:
        for path in paths:
            ...
            bar.update()
"""

from __future__ import annotations

import logging
import os
import sys
import time
import weakref
from types import TracebackType
from typing import TextIO

from tqdm import tqdm

log = logging.getLogger(__name__)

# The bars being drawn, so that a log line can clear them first.
_drawn: weakref.WeakSet[_Bar] = weakref.WeakSet()


_COLUMNS, _ROWS = 80, 24  # when the terminal does not tell its size


class _Bar(tqdm):
    # No monitor thread: a thread left running makes forking worker processes unsafe.
    monitor_interval = 0


def format_duration(seconds: float) -> str:
    """``75`` -> ``"01:15"``, ``3725`` -> ``"1:02:05"``."""
    if not seconds >= 0 or seconds == float("inf"):
        return "?"
    return tqdm.format_interval(seconds)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def _has_size(stream: TextIO) -> bool:
    """Whether the terminal tells its size (a pty without one says 0 x 0)."""
    try:
        size = os.get_terminal_size(stream.fileno())
        return size.columns > 0 and size.lines > 0
    except (AttributeError, OSError, ValueError):
        return False


def clear() -> None:
    """Erase the bars being drawn so that a log line can take their place.

    A bar reappears on its next redraw.
    """
    for bar in list(_drawn):
        bar.clear()


class Progress:
    """Progress of ``total`` steps (``None`` if unknown), labelled ``desc``, counted in ``unit``.

    A bar is drawn only when ``file`` (stderr by default) is a terminal, or
    ``force`` is true; otherwise progress goes to the log. ``disable`` turns
    both off (e.g. for ``--quiet``). ``n`` is the number of steps done.
    """

    def __init__(self, total: int | None = None, desc: str = "", *, unit: str = "it",
                 file: TextIO | None = None, disable: bool = False, force: bool = False,
                 log_interval: float = 10.0) -> None:
        self.total = total
        self.desc = desc
        self.unit = unit
        self.disable = disable
        self.log_interval = log_interval
        self.n = 0
        self.closed = False
        self._start = time.monotonic()
        self._last_log = self._start
        file = file if file is not None else sys.stderr
        self._bar: _Bar | None = None
        if not disable and (force or _isatty(file)):
            dynamic = _has_size(file)
            self._bar = _Bar(total=total, desc=desc or None, unit=unit, file=file,
                             dynamic_ncols=dynamic, ncols=None if dynamic else _COLUMNS,
                             nrows=None if dynamic else _ROWS,
                             smoothing=0.3, leave=True)
            _drawn.add(self._bar)

    @property
    def drawn(self) -> bool:
        """Whether a bar is drawn (rather than log lines written)."""
        return self._bar is not None

    def update(self, n: int = 1) -> None:
        """Record ``n`` more finished steps."""
        self.n += n
        if self.disable or self.closed:
            return
        if self._bar is not None:
            self._bar.update(n)
            return
        now = time.monotonic()
        if now - self._last_log >= self.log_interval:
            self._last_log = now
            log.info("%s", self._log_line(now))

    def close(self) -> None:
        """Finish: draw the bar's final state and end its line, or log a summary."""
        if self.closed:
            return
        self.closed = True
        if self.disable:
            return
        if self._bar is not None:
            _drawn.discard(self._bar)
            self._bar.close()
        else:
            log.info("%s", self._log_line(time.monotonic(), done=True))

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def _log_line(self, now: float, done: bool = False) -> str:
        elapsed = now - self._start
        rate = self.n / elapsed if elapsed > 0 else 0.0
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
            line += f", ~{format_duration(max(self.total - self.n, 0) / rate)} left"
        return line + f", {rate:.1f} {self.unit}/s"
