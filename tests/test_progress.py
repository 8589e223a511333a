"""boilerkit.progress: a tqdm bar on a terminal, log lines elsewhere, nothing when disabled."""

from __future__ import annotations

import io
import logging
import re

import pytest

from boilerkit import progress
from boilerkit.progress import Progress, format_duration


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_is_drawn_on_a_terminal():
    stream = _Terminal()
    with Progress(1000, "computing features", unit="pages", file=stream) as bar:
        assert bar.drawn
        bar.update(370)
        bar.update(630)
    out = stream.getvalue()
    assert "\r" in out and out.endswith("\n")
    final = out.rstrip("\n").split("\r")[-1]
    assert re.match(r"computing features: 100%\|.+\| 1000/1000 \[", final), final
    assert "pages/s" in final
    assert bar.n == 1000 and bar.closed


def test_no_bar_and_a_log_summary_when_not_a_terminal(caplog):
    stream = io.StringIO()
    with caplog.at_level(logging.INFO, logger="boilerkit"):
        with Progress(3, "reading pages", unit="files", file=stream) as bar:
            assert not bar.drawn
            bar.update(3)
    assert stream.getvalue() == ""
    assert re.search(r"reading pages: 3/3 files in 00:00 \(\d+\.\d files/s\)", caplog.text)


def test_log_lines_while_running_when_not_a_terminal(caplog):
    with caplog.at_level(logging.INFO, logger="boilerkit"):
        with Progress(10, "evaluating", unit="pages", file=io.StringIO(), log_interval=0) as bar:
            bar.update(4)
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("evaluating: 4/10 pages (40%), 00:00 elapsed")
    assert lines[-1].startswith("evaluating: 4/10 pages in 00:00")


def test_disabled_progress_writes_and_logs_nothing(caplog):
    stream = _Terminal()
    with caplog.at_level(logging.DEBUG, logger="boilerkit"):
        with Progress(2, "silent", file=stream, disable=True) as bar:
            bar.update(2)
    assert stream.getvalue() == "" and caplog.text == ""
    assert bar.n == 2  # still counted: callers read n


def test_the_bar_goes_to_stderr_by_default_never_to_stdout(capsys, monkeypatch):
    monkeypatch.setattr("sys.stderr", _Terminal())
    import sys

    with Progress(2, "steps") as bar:
        bar.update(2)
    assert "steps: 100%" in sys.stderr.getvalue()
    assert capsys.readouterr().out == ""


def test_close_is_idempotent_and_updates_after_close_are_counted_only():
    stream = _Terminal()
    bar = Progress(5, "x", file=stream)
    bar.update(5)
    bar.close()
    written = stream.getvalue()
    bar.close()
    bar.update(1)
    assert stream.getvalue() == written and bar.n == 6


def test_clear_erases_the_drawn_bar_for_a_log_line():
    stream = _Terminal()
    with Progress(10, "working", file=stream) as bar:
        bar.update(1)
        before = len(stream.getvalue())
        progress.clear()
        erased = stream.getvalue()[before:]
        assert erased.startswith("\r") and erased.strip() == ""  # the line is blanked
    progress.clear()  # no bar left: nothing to do
    assert stream.getvalue().endswith("\n")


def test_unknown_total():
    stream = _Terminal()
    with Progress(None, "items", file=stream) as bar:
        bar.update(7)
    assert re.search(r"items: 7it \[", stream.getvalue().split("\r")[-1])


@pytest.mark.parametrize("seconds, text", [(0, "00:00"), (75, "01:15"), (3725, "1:02:05"),
                                           (float("inf"), "?"), (float("nan"), "?"), (-1, "?")])
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text
