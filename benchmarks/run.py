#!/usr/bin/env python3
"""boilerkit benchmark: article/comment quality, block classes, speed and memory against peers.

    pip install '.[bench]'
    python benchmarks/run.py            # full run, ~15-30 min on 2 cores
    python benchmarks/run.py --quick    # a few pages per source, for development

Writes ``RESULTS.md``, ``article-f1-vs-speed.png`` and ``results.json`` into ``--out``
(default: this folder). Every number in them comes from the run that wrote them.
Progress goes to stderr. See ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import platform
import random
import re
import select
import statistics
import sys
import time
import tracemalloc
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime, timezone
from pathlib import Path

# One thread per process for every extractor: single-process numbers are single-core numbers
# (all cores are used only in the pool measurements). This is also required for safety:
# scikit-learn's OpenMP runtime (libgomp, used by boilerkit's model) deadlocks in a fork()ed
# child once the parent has run a parallel region. boilerkit with its default OpenMP threads
# is timed separately, at the very end, after the last fork.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]

if not os.environ.get("BOILERKIT_DATA") and not Path("../shared/datasets").is_dir():
    # the documented default is relative to the working directory; also work from elsewhere
    if (ROOT.parent / "shared" / "datasets").is_dir():
        os.environ["BOILERKIT_DATA"] = str(ROOT.parent / "shared" / "datasets")

import numpy as np  # noqa: E402

import adapters  # noqa: E402
import metrics as M  # noqa: E402
from data import SNIPPET_SOURCES, BenchPage, dataset_snapshots, load_test_pages  # noqa: E402
from gold import decode_html  # noqa: E402

warnings.filterwarnings("ignore")
logging.disable(logging.CRITICAL)         # goose3/newspaper/readability chatter per page

N_BOOTSTRAP = 1000
CALL_TIMEOUT = 30.0           # seconds per extractor call in the quality pass
TASK_PAGES = 8                # pages per worker task in the quality pass
SPEED_PAGES = 300             # speed/memory sample (full run)
SCALES = (1, 2, 4, 8)         # page repetitions for the memory-scaling fit
TRACEMALLOC_PAGES = 60        # first pages of the speed sample traced by tracemalloc

OPENMP_ROW = "boilerkit-openmp"   # speed row: boilerkit with its default OpenMP threads
OPENMP_PAGES = 60                  # ... timed on this many pages (spin-waiting threads are slow)
PAGES: list[BenchPage] = []   # filled before any fork, shared copy-on-write with workers
_T0 = time.monotonic()


def log(msg: str) -> None:
    print(f"[{time.monotonic() - _T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- quality (workers)

_CALLS: dict = {}


def _call(kind: str, name: str):
    key = (kind, name)
    if key not in _CALLS:
        factory = (adapters.COMMENT_FACTORIES if kind == "comment" else adapters.FACTORIES)[name]
        try:
            _CALLS[key] = adapters.guarded(factory(), timeout=CALL_TIMEOUT)
        except Exception:                                 # noqa: BLE001
            _CALLS[key] = lambda html: ("", True)
    return _CALLS[key]


_PROGRESS_DIR: str | None = None      # workers note the page they are on here (by pid)


def _mark(what: str) -> None:
    if _PROGRESS_DIR:
        with open(os.path.join(_PROGRESS_DIR, str(os.getpid())), "w") as fh:
            fh.write(what)


def _quality_task(task):
    """Worker: run one extractor on some pages and score them. Returns per-page rows."""
    kind, name, indices = task
    if kind == "blocks":
        _mark(f"blocks\t{name}\t-1")
        result = block_evaluation(quick=indices[0] if indices else None)
        _mark("")
        return kind, name, result
    call = _call(kind, name)
    rows = []
    for i in indices:
        page = PAGES[i]
        _mark(f"{kind}\t{name}\t{i}")
        out, failed = call(page.input_for(adapters.INPUT[name]))
        empty = not out.strip()
        if kind == "comment":
            bot = M.bag_of_tokens(out, page.comments)
            rl = M.rouge_l(out, page.comments)
            rows.append((i, failed, empty, (bot.precision, bot.recall, bot.f1),
                         (rl.precision, rl.recall, rl.f1)))
        elif page.source in SNIPPET_SOURCES:
            rows.append((i, failed, empty, M.snippet_counts(out, page.with_, page.without), None))
        else:
            bot = M.bag_of_tokens(out, page.article)
            rl = M.rouge_l(out, page.article)
            rows.append((i, failed, empty, (bot.precision, bot.recall, bot.f1),
                         (rl.precision, rl.recall, rl.f1)))
    _mark("")
    return kind, name, rows


def _in_progress() -> set:
    """(kind, name, page index) that the workers were on, read and cleared."""
    found = set()
    for entry in os.scandir(_PROGRESS_DIR):
        try:
            with open(entry.path) as fh:
                text = fh.read().strip()
            os.unlink(entry.path)
        except OSError:
            continue
        if text:
            kind, name, i = text.split("\t")
            found.add((kind, name, int(i)))
    return found


def run_quality(names: list[str], comment_names: list[str], workers: int, quick: bool,
                with_blocks: bool) -> tuple[dict, dict, dict | None, dict]:
    """Run every extractor over every benchmark page in worker processes.

    The main process never runs an extractor here. A worker that dies (segfault, OOM kill)
    breaks the pool: the pages the workers were on are noted; a page that was in progress
    at two breaks is scored as a failed, empty output for that extractor, and every
    unfinished task is resubmitted to a new pool. Returns the article rows, comment rows,
    block evaluation and ``{(kind, name): [page indices that crashed a worker]}``.
    """
    global _PROGRESS_DIR
    import multiprocessing as mp
    import shutil
    import tempfile

    slow_first = sorted(names, key=lambda n: n not in ("goose3", "newspaper4k", "readability"))
    all_idx = list(range(len(PAGES)))
    comment_idx = [i for i, p in enumerate(PAGES) if p.comments]
    tasks = []
    if with_blocks:
        tasks.append(("blocks", "boilerkit", [40] if quick else []))
    for name in slow_first:
        for s in range(0, len(all_idx), TASK_PAGES):
            tasks.append(("article", name, all_idx[s:s + TASK_PAGES]))
    for name in comment_names:
        for s in range(0, len(comment_idx), TASK_PAGES):
            tasks.append(("comment", name, comment_idx[s:s + TASK_PAGES]))
    total: dict = {}
    for kind, name, idx in tasks:
        total[(kind, name)] = total.get((kind, name), 0) + len(idx)
    rows: dict = {}
    done: dict = {}
    blocks = None
    strikes: dict = {}
    crashed: dict = {}
    breaks = 0

    def record(kind, name, result):
        rows.setdefault((kind, name), []).extend(result)
        key = (kind, name)
        done[key] = done.get(key, 0) + len(result)
        if done[key] == total[key]:
            log(f"quality: {kind} {name} done ({total[key]} pages)")

    _PROGRESS_DIR = tempfile.mkdtemp(prefix="boilerkit-bench-")
    ctx = mp.get_context("fork")
    pending = list(tasks)
    try:
        while pending:
            unfinished = []
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                futures = {pool.submit(_quality_task, t): t for t in pending}
                for fut in as_completed(futures):
                    task = futures[fut]
                    try:
                        kind, name, result = fut.result()
                    except BrokenProcessPool:
                        unfinished.append(task)
                        continue
                    except Exception as error:           # noqa: BLE001
                        kind, name, idx = task
                        if kind == "blocks":
                            blocks = {"available": False,
                                      "reason": f"{type(error).__name__}: {error}"}
                        else:
                            record(kind, name, [(i, True, True, None, None) for i in idx])
                        continue
                    if kind == "blocks":
                        blocks = result
                        log("block evaluation finished")
                    else:
                        record(kind, name, result)
            pending = []
            if not unfinished:
                break
            breaks += 1
            suspects = _in_progress()
            for key in suspects:
                strikes[key] = strikes.get(key, 0) + 1
            give_up = breaks > 50
            for kind, name, idx in unfinished:
                keep = []
                for i in idx:
                    if give_up or strikes.get((kind, name, i), 0) >= 2:
                        if kind == "blocks":
                            blocks = {"available": False, "reason": "its worker process died"}
                        else:
                            record(kind, name, [(i, True, True, None, None)])
                            crashed.setdefault((kind, name), []).append(i)
                            log(f"quality: {name} killed its worker twice on {PAGES[i].page_id}")
                    else:
                        keep.append(i)
                if keep:
                    pending.append((kind, name, keep))
            log(f"quality: a worker died (on {sorted(suspects) or 'no page'}); "
                f"resubmitting {len(pending)} tasks")
    finally:
        shutil.rmtree(_PROGRESS_DIR, ignore_errors=True)
        _PROGRESS_DIR = None
    article = {name: sorted(rows.get(("article", name), [])) for name in names}
    comment = {name: sorted(rows.get(("comment", name), [])) for name in comment_names}
    return article, comment, blocks, crashed


def _fill_missing_scores(row, kind: str):
    """Scores of an empty output for a page whose worker crashed (kind: article/comment)."""
    i, failed, empty, a, b = row
    if a is None:
        page = PAGES[i]
        if kind == "article" and page.source in SNIPPET_SOURCES:
            a = M.snippet_counts("", page.with_, page.without)
        else:
            gold = page.comments if kind == "comment" else page.article
            bot, rl = M.bag_of_tokens("", gold), M.rouge_l("", gold)
            a, b = (bot.precision, bot.recall, bot.f1), (rl.precision, rl.recall, rl.f1)
    return i, failed, empty, a, b


def summarise_article(article_rows: dict) -> dict:
    """Per extractor and test set: mean P/R/F1 (bootstrap CI) for both token metrics,
    snippet scores for trafilatura-eval, failures and empty outputs."""
    out = {}
    for name, rows in article_rows.items():
        per = {}
        by_source: dict[str, list] = {}
        for row in rows:
            by_source.setdefault(PAGES[row[0]].source, []).append(_fill_missing_scores(row, "article"))
        token_rows = []
        for source, srows in by_source.items():
            entry = {"pages": len(srows), "failures": sum(r[1] for r in srows),
                     "empty": sum(r[2] for r in srows)}
            if source in SNIPPET_SOURCES:
                counts = np.array([r[3] for r in srows], dtype=float)
                entry["snippets"] = M.bootstrap_snippets(counts, N_BOOTSTRAP)
                entry["counts"] = [int(x) for x in counts.sum(axis=0)]
            else:
                token_rows.extend(srows)
                entry.update(_token_summary(srows))
            per[source] = entry
        if token_rows:
            per["all"] = {"pages": len(token_rows), "failures": sum(r[1] for r in token_rows),
                          "empty": sum(r[2] for r in token_rows), **_token_summary(token_rows)}
        per["_failures"] = sum(r[1] for r in rows)
        per["_pages"] = len(rows)
        out[name] = per
    return out


def _token_summary(rows) -> dict:
    bot = np.array([r[3] for r in rows], dtype=float).reshape(-1, 3)
    rl = np.array([r[4] for r in rows], dtype=float).reshape(-1, 3)
    res = {}
    for prefix, arr in (("tok", bot), ("rougeL", rl)):
        for j, metric in enumerate(("precision", "recall", "f1")):
            res[f"{prefix}_{metric}"] = M.bootstrap_mean(arr[:, j], N_BOOTSTRAP, seed=j)
    return res


def summarise_comments(comment_rows: dict) -> dict:
    out = {}
    for name, rows in comment_rows.items():
        by_source: dict[str, list] = {}
        allrows = []
        for row in rows:
            row = _fill_missing_scores(row, "comment")
            by_source.setdefault(PAGES[row[0]].source, []).append(row)
            allrows.append(row)
        per = {}
        for source, srows in sorted(by_source.items()):
            per[source] = {"pages": len(srows), "failures": sum(r[1] for r in srows),
                           "empty": sum(r[2] for r in srows), **_token_summary(srows)}
        if allrows:
            per["all"] = {"pages": len(allrows), "failures": sum(r[1] for r in allrows),
                          "empty": sum(r[2] for r in allrows), **_token_summary(allrows)}
        out[name] = per
    return out


# --------------------------------------------------------------------------- block evaluation


def block_evaluation(quick: int | None = None) -> dict:
    """boilerkit's per-class block scores on the test split of the labelled corpus."""
    try:
        from boilerkit.datasets.corpus import annotations_path, load_corpus
        from boilerkit.datasets.sources import SOURCES
        from boilerkit.evaluation import evaluate
    except Exception as error:                            # noqa: BLE001
        return {"available": False, "reason": f"{type(error).__name__}: {error}"}
    present = [s for s in SOURCES if annotations_path(s).is_file()]
    if not present:
        return {"available": False,
                "reason": "no labelled corpus (datasets/annotations/*.jsonl.gz) to evaluate on"}
    try:
        model = adapters.boilerkit_model()
        pages = []
        for page in load_corpus(split="test", sources=present):
            pages.append(page)
            if quick and len(pages) >= quick:
                break
        result = evaluate(model, pages)
    except Exception as error:                            # noqa: BLE001
        return {"available": False, "reason": f"{type(error).__name__}: {error}"}
    result["available"] = True
    result["sources"] = present
    return result


# --------------------------------------------------------------------------- memory (forked children)


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        m = re.search(rf"^{field}:\s+(\d+)\s+kB", fh.read(), re.M)
    return int(m.group(1)) if m else -1


def _trim() -> None:
    """Collect garbage and hand free heap back to the OS, so RSS growth measures new use."""
    gc.collect()
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def in_child(fn, timeout: float):
    """Run ``fn()`` in a forked child and return its JSON-able result (or an error dict)."""
    if not hasattr(os, "fork"):
        return {"error": "no fork on this platform"}
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:                                          # child
        os.close(r)
        try:
            payload = json.dumps(fn())
        except BaseException as error:                    # noqa: BLE001
            payload = json.dumps({"error": f"{type(error).__name__}: {error}"})
        with os.fdopen(w, "w") as fh:
            fh.write(payload)
        os._exit(0)
    os.close(w)
    chunks = []
    deadline = time.monotonic() + timeout
    with os.fdopen(r) as fh:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                return {"error": f"timed out after {timeout:.0f}s"}
            ready, _, _ = select.select([fh], [], [], min(left, 5))
            if ready:
                data = fh.read()
                chunks.append(data)
                break
    os.waitpid(pid, 0)
    try:
        return json.loads("".join(chunks))
    except ValueError:
        return {"error": "child died"}


def memory_of(name: str, sample: list[int]) -> dict:
    """Peak RSS growth (VmHWM after /proc/self/clear_refs) and tracemalloc peak of one pass."""
    def child():
        call = adapters.guarded(_factory(name)(), timeout=None)
        kind = _input_kind(name)
        for i in sample[:3]:
            call(PAGES[i].input_for(kind))
        _trim()
        res = {}
        if _reset_peak_rss():
            rss0 = _status_kb("VmRSS")
            for i in sample:
                call(PAGES[i].input_for(kind))
            res["rss_peak_growth_mb"] = max(0, _status_kb("VmHWM") - rss0) / 1024
        _trim()
        tracemalloc.start()
        for i in sample[:TRACEMALLOC_PAGES]:
            call(PAGES[i].input_for(kind))
        res["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        res["tracemalloc_pages"] = len(sample[:TRACEMALLOC_PAGES])
        tracemalloc.stop()
        return res
    return in_child(child, timeout=900)


def repeat_page(html: bytes, times: int) -> bytes:
    """The page with its ``<body>`` content repeated ``times`` times."""
    m_open = re.search(rb"<body[^>]*>", html, re.I)
    m_close = html.lower().rfind(b"</body>")
    if not m_open or m_close < m_open.end():
        return html * times
    inner = html[m_open.end():m_close]
    return html[:m_open.end()] + inner * times + html[m_close:]


def memory_scaling(name: str, page: BenchPage) -> dict:
    """Peak memory of one call on ``page`` repeated 1x, 2x, 4x, 8x; least-squares line."""
    points = []
    for k in SCALES:
        html = repeat_page(page.html, k)

        def child(html=html):
            call = adapters.guarded(_factory(name)(), timeout=None)
            kind = _input_kind(name)
            data = html if kind == "bytes" else decode_html(html)
            call(PAGES[0].input_for(kind))            # warm-up (model, lazy imports)
            _trim()
            res = {}
            if _reset_peak_rss():
                rss0 = _status_kb("VmRSS")
                _, failed = call(data)
                res["rss_peak_growth_mb"] = max(0, _status_kb("VmHWM") - rss0) / 1024
                res["failed"] = failed
            _trim()
            tracemalloc.start()
            call(data)
            res["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            return res

        res = in_child(child, timeout=600)
        res["scale"] = k
        res["bytes"] = len(html)
        points.append(res)
    fits = {}
    for key in ("tracemalloc_peak_mb", "rss_peak_growth_mb"):
        xs = [p["bytes"] / 2**20 for p in points if key in p]
        ys = [p[key] for p in points if key in p]
        if len(xs) >= 3:
            fits[key] = _linear_fit(xs, ys)
    return {"page_id": page.page_id, "page_bytes": len(page.html), "points": points, "fits": fits}


def _linear_fit(xs, ys) -> dict:
    x, y = np.asarray(xs, float), np.asarray(ys, float)
    slope, intercept = np.polyfit(x, y, 1)
    pred = slope * x + intercept
    ss_res = float(((y - pred) ** 2).sum())
    ss_tot = float(((y - y.mean()) ** 2).sum())
    r2 = 1 - ss_res / ss_tot if ss_tot > 0 else 1.0
    # marginal cost per input MB of the last doubling vs the first one (1.0 = exactly linear)
    first = (y[1] - y[0]) / (x[1] - x[0]) if x[1] != x[0] else float("nan")
    last = (y[-1] - y[-2]) / (x[-1] - x[-2]) if x[-1] != x[-2] else float("nan")
    ratio = last / first if first > 0 else float("nan")
    return {"slope_mb_per_input_mb": float(slope), "intercept_mb": float(intercept), "r2": r2,
            "last_over_first_doubling": float(ratio)}


# --------------------------------------------------------------------------- speed (main process)


def _factory(name: str):
    if name == "lxml-parse":
        return adapters.lxml_parse_floor
    return adapters.FACTORIES[name]


def _input_kind(name: str) -> str:
    return "bytes" if name == "lxml-parse" else adapters.INPUT[name]


def speed_of(name: str, sample: list[int]) -> dict:
    """One warm-up pass, then one timed pass: pages/s, median and p95 ms per page."""
    call = adapters.guarded(_factory(name)(), timeout=CALL_TIMEOUT)
    kind = _input_kind(name)
    inputs = [PAGES[i].input_for(kind) for i in sample]
    for html in inputs:
        call(html)
    gc.collect()
    times = []
    failures = 0
    perf = time.perf_counter
    for html in inputs:
        t = perf()
        _, failed = call(html)
        times.append(perf() - t)
        failures += failed
    total = sum(times)
    ms = sorted(t * 1000 for t in times)
    return {"pages": len(inputs), "seconds": total, "pages_per_s": len(inputs) / total,
            "median_ms": statistics.median(ms), "p95_ms": float(np.percentile(ms, 95)),
            "failures": failures}


_POOL_CALL = None


def _pool_init(name: str) -> None:
    global _POOL_CALL
    _POOL_CALL = (adapters.guarded(_factory(name)(), timeout=CALL_TIMEOUT), _input_kind(name))


def _pool_page(i: int) -> bool:
    call, kind = _POOL_CALL
    return call(PAGES[i].input_for(kind))[1]


def pool_throughput(name: str, sample: list[int], workers: int) -> dict:
    """Batch mode: a fork Pool of ``workers`` processes maps the extractor over the sample
    (a warm-up map first, then a timed one)."""
    import multiprocessing as mp
    ctx = mp.get_context("fork")
    with ctx.Pool(workers, initializer=_pool_init, initargs=(name,)) as pool:
        pool.map(_pool_page, sample, chunksize=4)
        t = time.perf_counter()
        failed = pool.map(_pool_page, sample, chunksize=4)
        dt = time.perf_counter() - t
    return {"workers": workers, "pages_per_s": len(sample) / dt, "failures": int(sum(failed))}


# --------------------------------------------------------------------------- main


def machine_info() -> dict:
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as fh:
            m = re.search(r"^model name\s*:\s*(.+)$", fh.read(), re.M)
            cpu = m.group(1).strip() if m else cpu
    except OSError:
        pass
    mem = "?"
    try:
        mem = f"{_meminfo_gb():.0f} GiB"
    except Exception:                                     # noqa: BLE001
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem,
            "python": platform.python_version(), "implementation": platform.python_implementation(),
            "os": f"{platform.system()} {platform.release()}", "numpy": np.__version__}


def _meminfo_gb() -> float:
    with open("/proc/meminfo") as fh:
        m = re.search(r"^MemTotal:\s+(\d+)", fh.read(), re.M)
    return int(m.group(1)) / 2**20


def check_available(names: list[str]) -> tuple[list[str], dict]:
    ok, unavailable = [], {}
    for name in names:
        try:
            fn = adapters.guarded(adapters.FACTORIES[name](), timeout=CALL_TIMEOUT)
            out, failed = fn(b"<html><body><p>Hello world, this is a test page.</p></body></html>"
                             if adapters.INPUT[name] == "bytes" else
                             "<html><body><p>Hello world, this is a test page.</p></body></html>")
            ok.append(name)
        except Exception as error:                        # noqa: BLE001
            unavailable[name] = f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
            log(f"extractor {name} unavailable: {unavailable[name]}")
    return ok, unavailable


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a small sample (6 pages per source, 30 speed pages), for development")
    parser.add_argument("--extractors", help="comma-separated subset of: " + ",".join(adapters.ORDER))
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: benchmarks/)")
    parser.add_argument("--speed-pages", type=int, help=f"speed/memory sample size (default {SPEED_PAGES})")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="processes for the (untimed) quality pass (default: all cores)")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory measurements")
    parser.add_argument("--model", type=Path,
                        help="benchmark this boilerkit model folder instead of the shipped one")
    args = parser.parse_args(argv)
    if args.model:
        os.environ[adapters.MODEL_ENV] = str(args.model.resolve())
        adapters.DESCRIPTIONS["boilerkit"] = (f'boilerkit.extract(html, model=load_model('
                                              f'"{args.model}"))  (label="article", text format)')

    started = datetime.now(timezone.utc)
    names = adapters.ORDER if not args.extractors else [n.strip() for n in args.extractors.split(",") if n.strip()]
    unknown = [n for n in names if n not in adapters.FACTORIES]
    if unknown:
        parser.error(f"unknown extractors: {', '.join(unknown)}; known: {', '.join(adapters.ORDER)}")
    args.out.mkdir(parents=True, exist_ok=True)

    loadavg = {"start": _loadavg()}
    log("checking extractors")
    available, unavailable = check_available(names)
    comment_names = [n for n in ("boilerkit", "trafilatura") if n in available]
    model_info = None
    if "boilerkit" in available:
        try:
            from boilerkit.persistence import default_model_path
            manifest = dict(getattr(adapters.boilerkit_model(), "manifest_", {}) or {})
            model_info = {"path": os.environ.get(adapters.MODEL_ENV) or str(default_model_path()),
                          "sha256": manifest.get("sha256"), "labels": manifest.get("labels"),
                          "boilerkit_version": manifest.get("boilerkit_version"),
                          "sklearn_version": manifest.get("sklearn_version")}
        except Exception as error:                        # noqa: BLE001
            model_info = {"error": str(error)}

    log("loading test pages")
    quick_n = 6 if args.quick else None
    pages, data_info = load_test_pages(quick=quick_n, progress=log)
    PAGES.extend(pages)
    data_info["snapshots"] = dataset_snapshots()
    log(f"{len(PAGES)} pages in memory ({sum(len(p.html) for p in PAGES) / 2**20:.0f} MiB)")

    with_blocks = "boilerkit" in available
    article_rows, comment_rows, blocks, crashed = run_quality(
        available, comment_names, args.workers, args.quick, with_blocks)
    if blocks is None:
        blocks = {"available": False,
                  "reason": "boilerkit model not available" if not with_blocks else "not run"}
    article = summarise_article(article_rows)
    comments = summarise_comments(comment_rows)

    # speed sample: fixed, seeded, over all benchmark pages
    n_speed = args.speed_pages or (30 if args.quick else SPEED_PAGES)
    # pages that killed a worker process would kill the main process: keep them out
    crashers = {i for idx in crashed.values() for i in idx}
    candidates = [i for i in range(len(PAGES)) if i not in crashers]
    rng = random.Random(20240601)
    sample = sorted(rng.sample(candidates, min(n_speed, len(candidates))))
    sample_bytes = [len(PAGES[i].html) for i in sample]
    speed_names = available + ["lxml-parse"]

    memory = {}
    scaling = {}
    if not args.no_memory:
        for name in speed_names:
            log(f"memory: {name}")
            memory[name] = memory_of(name, sample)
        base = min(sample, key=lambda i: abs(len(PAGES[i].html) - 100_000))
        for name in ("boilerkit", "trafilatura"):
            if name in available:
                log(f"memory scaling: {name} on {PAGES[base].page_id}")
                scaling[name] = memory_scaling(name, PAGES[base])

    loadavg["before speed"] = _loadavg()
    speed = {}
    for name in speed_names:
        log(f"speed: {name} ({len(sample)} pages, warm-up + timed pass)")
        try:
            speed[name] = speed_of(name, sample)
        except Exception as error:                        # noqa: BLE001
            speed[name] = {"error": f"{type(error).__name__}: {error}"}
    pool = {}
    for name in speed_names:
        if name == "lxml-parse" or name.startswith("ref-"):
            continue
        log(f"speed: {name} in a pool of {os.cpu_count()} processes")
        try:
            pool[name] = pool_throughput(name, sample, os.cpu_count() or 1)
        except Exception as error:                        # noqa: BLE001
            pool[name] = {"error": f"{type(error).__name__}: {error}"}

    if "boilerkit" in available:                          # after the last fork (see top)
        try:
            from threadpoolctl import threadpool_limits
            threads = os.cpu_count() or 1
            log(f"speed: boilerkit with {threads} OpenMP threads")
            with threadpool_limits(limits=threads, user_api="openmp"):
                speed[OPENMP_ROW] = speed_of("boilerkit", sample[:OPENMP_PAGES])
            speed[OPENMP_ROW]["threads"] = threads
        except Exception as error:                        # noqa: BLE001
            speed[OPENMP_ROW] = {"error": f"{type(error).__name__}: {error}"}

    loadavg["end"] = _loadavg()
    finished = datetime.now(timezone.utc)
    results = {
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "runtime_s": (finished - started).total_seconds(),
        "command": "python benchmarks/run.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "quick": args.quick,
        "machine": machine_info(),
        "extractors": {n: {"version": adapters.version_of(n), "call": adapters.DESCRIPTIONS[n],
                           "input": adapters.INPUT[n],
                           "available": n in available, "error": unavailable.get(n)}
                       for n in names},
        "data": data_info,
        "boilerkit_model": model_info,
        "worker_crashes": {f"{k}:{n}": [PAGES[i].page_id for i in v] for (k, n), v in crashed.items()},
        "speed_sample": {"pages": len(sample), "median_bytes": statistics.median(sample_bytes),
                         "total_bytes": sum(sample_bytes),
                         "by_source": _count_sources(sample)},
        "article": article, "comments": comments, "blocks": blocks,
        "speed": speed, "pool": pool, "memory": memory, "scaling": scaling,
        "loadavg": loadavg, "n_bootstrap": N_BOOTSTRAP, "call_timeout_s": CALL_TIMEOUT,
    }
    import report
    (args.out / "results.json").write_text(json.dumps(results, indent=1, default=_jsonable) + "\n")
    report.write_plot(results, args.out / "article-f1-vs-speed.png")
    (args.out / "RESULTS.md").write_text(report.render(results))
    log(f"wrote {args.out / 'RESULTS.md'} in {(finished - started).total_seconds() / 60:.1f} min")
    return 0


def _loadavg():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _count_sources(sample):
    counts = {}
    for i in sample:
        counts[PAGES[i].source] = counts.get(PAGES[i].source, 0) + 1
    return counts


def _jsonable(obj):
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    if isinstance(obj, tuple):
        return list(obj)
    return str(obj)


if __name__ == "__main__":
    raise SystemExit(main())
