"""Where the CPU of `-j 2` goes on a WARC: the parent's and the workers' CPU per page.

    python benchmarks/warc_batch.py --keep DIR        # leaves DIR/corpus.warc.gz
    python benchmarks/warc_cpu.py DIR/corpus.warc.gz [--runs 5]

Each run measures, one after the other:

- ``pool``: ``batch.process`` with 2 jobs over the WARC, as ``boilerkit extract -j 2 -f
  jsonl`` does (JSON lines to a temporary file);
- ``in memory``: ``batch.run`` with 2 jobs over the same pages read beforehand;
- ``alone``: one process classifying the pages read beforehand;
- ``side by side``: two such processes at once (both figures).

Between the first and the last page: CPU milliseconds per page of the parent and of the
workers (from ``/proc``, the workers' busy share beside it), or of each single process.
Linux only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from boilerkit import batch
from boilerkit.inputs import Document, iter_warc


def _children_cpu() -> float:
    """CPU seconds of this process's descendants that are alive (the pool's workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents, cpu = {}, {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(pid)] = int(fields[1])
        cpu[int(pid)] = (int(fields[11]) + int(fields[12])) / ticks
    total, frontier = 0.0, [os.getpid()]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent:
                total += cpu[pid]
                frontier.append(pid)
    return total


def _pages(warc: str) -> list[Document]:
    return [d for d in iter_warc(warc) if isinstance(d, Document) and d.error is None]


def _pool(warc: str, in_memory: bool) -> dict:
    job = batch.Job(record_json=True)
    pages = _pages(warc)
    marks: list[tuple[float, float, float]] = []

    def mark(result: batch.Result) -> None:
        # Reading /proc takes milliseconds: only at the first and the last page.
        if not marks or len(marks) == len(pages) - 1:
            marks.append((time.perf_counter(), time.process_time(), _children_cpu()))
        else:
            marks.append(marks[-1])

    if in_memory:
        for result in batch.run(job, pages, jobs=2):
            mark(result)
    else:
        with tempfile.TemporaryDirectory() as folder, \
                batch.JsonlSink(Path(folder) / "out.jsonl", job) as sink:
            def on_result(result: batch.Result) -> None:
                sink.write(result)
                mark(result)
            batch.process([warc], job, on_result, jobs=2)
    (t0, p0, w0), (t1, p1, w1) = marks[0], marks[-1]
    spans = len(marks) - 1
    return {"parent": 1000 * (p1 - p0) / spans, "workers": 1000 * (w1 - w0) / spans,
            "busy": (w1 - w0) / (t1 - t0) / 2}


def _alone(warc: str) -> float:
    job = batch.Job(record_json=True)
    model = job.load_model()
    pages = _pages(warc)
    job(pages[0].data, pages[0].url, pages[0].content_type, model)  # tables built first
    start = time.process_time()
    for page in pages:
        job(page.data, page.url, page.content_type, model)
    return 1000 * (time.process_time() - start) / len(pages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("warc")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--alone", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.alone:  # one side of "side by side"
        print(f"{_alone(args.warc):.3f}")
        return 0
    alone_command = [sys.executable, __file__, args.warc, "--alone"]
    figures: dict[str, list[float]] = {}
    for _ in range(args.runs):
        for name, in_memory in (("pool", False), ("in memory", True)):
            for key, value in _pool(args.warc, in_memory).items():
                figures.setdefault(f"{name} {key}", []).append(value)
        figures.setdefault("alone", []).append(
            float(subprocess.run(alone_command, capture_output=True, text=True,
                                 check=True).stdout))
        both = [subprocess.Popen(alone_command, stdout=subprocess.PIPE, text=True)
                for _ in range(2)]
        figures.setdefault("side by side", []).extend(
            float(process.communicate()[0]) for process in both)
    for name, values in figures.items():
        unit = "share busy" if name.endswith("busy") else "ms CPU per page"
        print(f"{name}: median {statistics.median(values):.2f} {unit} "
              f"({', '.join(f'{v:.2f}' for v in values)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
