"""A long fuzzing campaign against ``boilerkit.classify``, with a per-input watchdog.

    python fuzz/run.py -n 200000                  # 1 worker process, 10 s per input
    python fuzz/run.py --replay fuzz/findings/RuntimeError-123.json

Input ``i`` of a campaign is made by ``fuzz/mutators.make_case`` from
``random.Random(f"{seed}:{i}")``, so any input can be made again from its
index. A worker subprocess runs the inputs and reports each one; the parent
kills and restarts it when an input runs longer than ``--timeout`` seconds or
the worker dies (a segfault, the OOM killer). Every outcome other than a
``Page`` or a ``BoilerkitError`` (an exception of another type, a timeout, a
crash) is saved under ``--out`` as ``<outcome>-<index>.bin`` (the input) and
``.json`` (how to make it again, the traceback). The summary printed at the
end gives the inputs run, outcomes by type and the slowest input (also saved).
Progress goes to stderr, the summary to stdout and ``--out``/summary.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import selectors
import subprocess
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mutators import Case, make_case, seed_pages  # noqa: E402

HERE = Path(__file__).resolve().parent
STARTUP_TIMEOUT = 300.0  # importing boilerkit and loading the model on a busy machine
STATUS_INTERVAL = 30.0


# -- worker -------------------------------------------------------------------


def _run_case(case: Case, model: Any) -> tuple[str, str | None]:
    """``(outcome, traceback)``: ``Page`` or the name of the exception raised."""
    import boilerkit
    from boilerkit.page import FORMATS

    try:
        page = boilerkit.classify(case.html, model=model, content_type=case.content_type)
        for format in FORMATS:  # what extract would print, in every format
            page.render(format, labels=None)
    except boilerkit.BoilerkitError as error:
        return type(error).__name__, None
    except Exception as error:  # noqa: BLE001 - the point is to catch anything else
        return f"!{type(error).__name__}", traceback.format_exc()
    return ("Page" if page.blocks else "Page(empty)"), None


def _load_model(spec: str) -> Any:
    import boilerkit

    return None if spec == "default" else boilerkit.load_model(spec)


def worker(args: argparse.Namespace) -> int:
    from threadpoolctl import threadpool_limits

    seeds = seed_pages([Path(p) for p in args.seeds])
    model = _load_model(args.model)
    out = sys.stdout
    with threadpool_limits(limits=1):
        _run_case(Case("<p>warm up</p>"), model)
        out.write("READY\n")
        out.flush()
        for index in range(args.start, args.count):
            case = make_case(random.Random(f"{args.seed}:{index}"), seeds)
            out.write(f"START {index}\n")
            out.flush()
            started = time.perf_counter()
            outcome, trace = _run_case(case, model)
            seconds = time.perf_counter() - started
            out.write(json.dumps({"index": index, "outcome": outcome, "seconds": seconds,
                                  "size": len(case.data()), "traceback": trace}) + "\n")
            out.flush()
    return 0


# -- parent -------------------------------------------------------------------


class Campaign:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.out = Path(args.out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.outcomes: Counter[str] = Counter()
        self.slowest: dict | None = None
        self.run = 0
        self.seconds = 0.0
        self.findings: list[str] = []
        self.started = time.monotonic()
        self._seeds: list[bytes] | None = None

    def case(self, index: int) -> Case:
        if self._seeds is None:
            self._seeds = seed_pages([Path(p) for p in self.args.seeds])
        return make_case(random.Random(f"{self.args.seed}:{index}"), self._seeds)

    def save(self, index: int, outcome: str, trace: str | None, seconds: float | None,
             name: str | None = None) -> Path:
        case = self.case(index)
        stem = self.out / (name or f"{outcome.lstrip('!')}-{index}")
        stem.with_suffix(".bin").write_bytes(case.data())
        stem.with_suffix(".json").write_text(json.dumps({
            "seed": self.args.seed, "index": index, "outcome": outcome, "seconds": seconds,
            "input_type": type(case.html).__name__, "content_type": case.content_type,
            "steps": case.steps, "seeds": self.args.seeds, "traceback": trace,
            "replay": f"python fuzz/run.py --replay {stem.with_suffix('.json')}",
        }, indent=2, ensure_ascii=False) + "\n")
        return stem.with_suffix(".json")

    def record(self, index: int, outcome: str, seconds: float | None, size: int | None,
               trace: str | None = None) -> None:
        self.run += 1
        self.outcomes[outcome] += 1
        if seconds is not None:
            self.seconds += seconds
            if self.slowest is None or seconds > self.slowest["seconds"]:
                self.slowest = {"index": index, "seconds": seconds, "size": size,
                                "outcome": outcome}
        if outcome.startswith("!") or outcome in ("Timeout", "Crash"):
            path = self.save(index, outcome, trace, seconds)
            self.findings.append(str(path))
            print(f"\nfinding: input {index}: {outcome} -> {path}", file=sys.stderr, flush=True)

    def _spawn(self, start: int) -> subprocess.Popen:
        argv = [sys.executable, str(Path(__file__).resolve()), "--worker",
                "--seed", str(self.args.seed), "--start", str(start), "-n", str(self.args.count),
                "--model", self.args.model, *sum((["--seeds", s] for s in self.args.seeds), [])]
        env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONFAULTHANDLER="1")
        log = open(self.out / "worker-stderr.log", "ab")
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, env=env)

    def status(self) -> str:
        elapsed = time.monotonic() - self.started
        outcomes = ", ".join(f"{k} {v:,}" for k, v in self.outcomes.most_common())
        return (f"{self.run:,}/{self.args.count - self.args.start:,} inputs, "
                f"{self.run / elapsed if elapsed else 0:.1f}/s, {elapsed / 60:.0f} min; {outcomes}")

    def go(self) -> dict:
        index = self.args.start
        last_status = time.monotonic()
        while index < self.args.count:
            worker = self._spawn(index)
            assert worker.stdout is not None
            selector = selectors.DefaultSelector()
            selector.register(worker.stdout, selectors.EVENT_READ)
            buffer = b""
            current: int | None = None
            deadline = time.monotonic() + STARTUP_TIMEOUT
            ended = None  # "Timeout" or "Crash" for the input being run
            while True:
                timeout = deadline - time.monotonic()
                if timeout <= 0 or not selector.select(timeout):
                    ended = "Timeout"
                    break
                chunk = os.read(worker.stdout.fileno(), 65536)
                if not chunk:
                    ended = "Crash"
                    break
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    if line == b"READY":
                        continue
                    if line.startswith(b"START "):
                        current = int(line.split()[1])
                        deadline = time.monotonic() + self.args.timeout
                        continue
                    result = json.loads(line)
                    self.record(result["index"], result["outcome"], result["seconds"],
                                result["size"], result["traceback"])
                    index, current = result["index"] + 1, None
                    deadline = time.monotonic() + self.args.timeout  # until the next START
                if time.monotonic() - last_status > STATUS_INTERVAL:
                    print(f"\r{self.status()}", file=sys.stderr, end="", flush=True)
                    last_status = time.monotonic()
                if index >= self.args.count:
                    break
            selector.close()
            if worker.poll() is None:
                worker.kill()
            worker.wait()
            if index >= self.args.count:
                break
            if current is None:  # died or hung between inputs: a worker problem, not an input
                if ended == "Crash" and worker.returncode == 0:
                    continue
                raise SystemExit(f"worker failed before input {index} ({ended}, exit "
                                 f"{worker.returncode}); see {self.out / 'worker-stderr.log'}")
            detail = (f"no result within {self.args.timeout:g} s" if ended == "Timeout"
                      else f"worker died with exit status {worker.returncode}")
            self.record(current, ended or "Crash", None, len(self.case(current).data()), detail)
            index = current + 1
        print(file=sys.stderr)
        return self.summary()

    def summary(self) -> dict:
        elapsed = time.monotonic() - self.started
        summary = {
            "command": "python fuzz/run.py " + " ".join(sys.argv[1:]),
            "seed": self.args.seed, "inputs_run": self.run,
            "outcomes": dict(self.outcomes.most_common()),
            "unexpected": sum(v for k, v in self.outcomes.items()
                              if k.startswith("!") or k in ("Timeout", "Crash")),
            "findings": self.findings, "slowest": self.slowest,
            "wall_seconds": round(elapsed), "classify_seconds": round(self.seconds),
        }
        if self.slowest is not None:
            summary["slowest"]["reproducer"] = str(self.save(
                self.slowest["index"], self.slowest["outcome"], None, self.slowest["seconds"],
                name="slowest"))
        (self.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        return summary


def _print_summary(summary: dict) -> None:
    print(f"inputs run: {summary['inputs_run']:,} (seed {summary['seed']}, "
          f"{summary['wall_seconds'] / 60:.0f} min)")
    print("outcomes:")
    for outcome, count in summary["outcomes"].items():
        print(f"  {outcome:24s} {count:>9,}")
    slowest = summary["slowest"]
    if slowest:
        print(f"slowest input: #{slowest['index']}, {slowest['size']:,} bytes, "
              f"{slowest['seconds']:.2f} s ({slowest['outcome']}) -> {slowest['reproducer']}")
    if summary["unexpected"]:
        print(f"UNEXPECTED outcomes: {summary['unexpected']:,}; reproducers:")
        for path in summary["findings"]:
            print(f"  {path}")
    else:
        print("unexpected outcomes (other exceptions, timeouts, crashes): none")


def replay(path: Path) -> int:
    """Run one saved input in this process and print its outcome (and traceback)."""
    record = json.loads(path.read_text())
    data = path.with_suffix(".bin").read_bytes()
    kinds: dict[str, Callable[[bytes], Any]] = {
        "bytes": bytes, "bytearray": bytearray, "memoryview": memoryview,
        "str": lambda raw: raw.decode("utf-8", "surrogatepass")}
    case = Case(kinds[record["input_type"]](data), record["content_type"])
    started = time.perf_counter()
    outcome, trace = _run_case(case, None)
    print(f"{outcome} in {time.perf_counter() - started:.2f} s")
    if trace:
        print(trace)
    return 1 if outcome.startswith("!") else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--count", type=int, default=200_000,
                        help="inputs to run (default: 200,000)")
    parser.add_argument("--seed", type=int, default=1, help="campaign seed (default: 1)")
    parser.add_argument("--start", type=int, default=0, help="first input index (resume)")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds one input may take (default: 10)")
    parser.add_argument("--model", default="default",
                        help="model path (default: the shipped model)")
    parser.add_argument("--seeds", action="append", default=[], metavar="PATH",
                        help="more seed pages: an HTML file or a directory (repeatable)")
    parser.add_argument("--out", default=str(HERE / "findings"),
                        help="where reproducers and summary.json go (default: fuzz/findings)")
    parser.add_argument("--replay", type=Path, metavar="JSON", help="run one saved input")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.replay:
        return replay(args.replay)
    if args.worker:
        return worker(args)
    summary = Campaign(args).go()
    _print_summary(summary)
    return 1 if summary["unexpected"] else 0


if __name__ == "__main__":
    sys.exit(main())
