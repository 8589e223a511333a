#!/usr/bin/env python3
"""boilerkit benchmark: article/comment quality, block classes, speed and memory against peers.

    pip install '.[bench]'
    python benchmarks/run.py [--research-model PATH]   # full run, ~30 min on 2 cores
    python benchmarks/run.py --quick                   # a few pages per source, smoke test
    python benchmarks/run.py --quality-only            # article, comments, block classes

Every source is scored on its site-disjoint ``test`` split only. Writes ``RESULTS.md``,
``article-f1-vs-speed.png`` and ``results.json`` into ``--out`` (default: this folder).
Every number in them comes from the run that wrote them, except the previous model's
figures the targets compare with (``--baseline``, default: the committed results.json).
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
import subprocess
import sys
import time
import tracemalloc
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime, timezone
from pathlib import Path

# One thread per process for every extractor: single-process numbers are single-core numbers
# (all cores are used only in the pool measurements), and an OpenMP runtime that a peer's
# dependency may load cannot deadlock in a fork()ed child.
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
from data import (POOLS, SNIPPET_SOURCES, SPEED_SOURCES, BenchPage,  # noqa: E402
                  check_splits, dataset_snapshots, load_test_pages)
from gold import decode_html  # noqa: E402

warnings.filterwarnings("ignore")
logging.disable(logging.CRITICAL)         # goose3/newspaper/readability chatter per page

N_BOOTSTRAP = 1000
CALL_TIMEOUT = 30.0           # seconds per extractor call in the quality pass
TASK_PAGES = 8                # pages per worker task in the quality pass
SPEED_PAGES = 300             # speed/memory sample (full run), from SPEED_SOURCES' test pages
SCALES = (1, 2, 4, 8)         # page repetitions for the memory-scaling fit
TRACEMALLOC_PAGES = 60        # first pages of the speed sample traced by tracemalloc
QUICK_PAGES = 6               # --quick: pages per source of the article pass
QUICK_BLOCK_PAGES = 4         # --quick: test pages per source of the block evaluation
DENSE_SIBLINGS = 1_000_000    # the dense page (benchmarks/dense_page.py)
CLI_REPEATS = 5               # timed runs of the one-page command in a fresh process
#: As the model card: navigation that only a transfer rule made counts as "not article".
LABEL_MAP = {"navigation@rule": "boilerplate"}
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
        result = block_evaluation(name.split(","), quick=bool(indices))
        _mark("")
        return kind, name, result
    call = _call(kind, name)
    rows = []
    for i in indices:
        _mark(f"{kind}\t{name}\t{i}")
        out, failed = call(PAGES[i].input_for(adapters.INPUT[name]))
        rows.append((i, failed, not out.strip(), *score_output(kind, PAGES[i], out)))
    _mark("")
    return kind, name, rows


def _prf(score) -> tuple[float, float, float]:
    return score.precision, score.recall, score.f1


def score_output(kind: str, page: BenchPage, out: str) -> tuple:
    """(bag-of-tokens P/R/F1, ROUGE-L P/R/F1, snippet tp/fp/tn/fn) of one output; a part
    the page has no gold for is ``None``. Article references: the best of the page's
    acceptable references (:func:`gold.article_references`)."""
    if kind == "comment":
        return _prf(M.bag_of_tokens(out, page.comments)), _prf(M.rouge_l(out, page.comments)), None
    tok = rl = snip = None
    if page.references is not None:
        tok = _prf(M.bag_of_tokens_best(out, page.references))
        rl = _prf(M.rouge_l_best(out, page.references))
    if page.source in SNIPPET_SOURCES:
        snip = M.snippet_counts(out, page.with_, page.without)
    return tok, rl, snip


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
                block_rows: list[str]) -> tuple[dict, dict, dict | None, dict]:
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
    if block_rows:                         # first: the longest single task
        tasks.append(("blocks", ",".join(block_rows), [1] if quick else []))
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
                            record(kind, name, [(i, True, True, None, None, None) for i in idx])
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
                            record(kind, name, [(i, True, True, None, None, None)])
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
    i, failed, empty, tok, rl, snip = row
    if tok is None and rl is None and snip is None:
        tok, rl, snip = score_output(kind, PAGES[i], "")
    return i, failed, empty, tok, rl, snip


def _counts(rows) -> dict:
    return {"pages": len(rows), "failures": sum(r[1] for r in rows),
            "empty": sum(r[2] for r in rows)}


def summarise_article(article_rows: dict) -> dict:
    """Per extractor and test set: mean P/R/F1 (bootstrap CI) for both token metrics,
    snippet scores (trafilatura-eval, wcxb), failures and empty outputs; the pooled
    columns of :data:`data.POOLS`; WCXB by page type and by draft origin."""
    out = {}
    for name, rows in article_rows.items():
        per = {}
        by_source: dict[str, list] = {}
        for row in rows:
            by_source.setdefault(PAGES[row[0]].source, []).append(_fill_missing_scores(row, "article"))
        for source, srows in by_source.items():
            entry = _counts(srows)
            token_rows = [r for r in srows if r[3] is not None]
            if token_rows:
                entry.update(_token_summary(token_rows))
            if source in SNIPPET_SOURCES:
                counts = np.array([r[5] for r in srows], dtype=float)
                entry["snippets"] = M.bootstrap_snippets(counts, N_BOOTSTRAP)
                entry["counts"] = [int(x) for x in counts.sum(axis=0)]
            if source == "wcxb":
                entry["groups"] = _wcxb_groups(token_rows)
            per[source] = entry
        for pool, members in POOLS.items():
            pooled = [r for s in members for r in by_source.get(s, []) if r[3] is not None]
            if pooled:
                per[pool] = {**_counts(pooled), **_token_summary(pooled)}
        per["_failures"] = sum(r[1] for r in rows)
        per["_pages"] = len(rows)
        out[name] = per
    return out


def _wcxb_groups(rows) -> dict:
    groups: dict[str, list] = {}
    for r in rows:
        meta = PAGES[r[0]].meta
        groups.setdefault(f"type:{meta.get('page_type', '?')}", []).append(r)
        groups.setdefault(f"draft:{meta.get('draft', '?')}", []).append(r)
    return {g: {"pages": len(rs), "tok_f1": M.bootstrap_mean([r[3][2] for r in rs], N_BOOTSTRAP)}
            for g, rs in sorted(groups.items())}


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
            per[source] = {**_counts(srows), **_token_summary(srows)}
        if allrows:
            per["all"] = {**_counts(allrows), **_token_summary(allrows)}
        out[name] = per
    return out


# --------------------------------------------------------------------------- block evaluation


class _Recorder:
    """A model whose ``predict`` also keeps its output, so that the per-page predictions
    behind :func:`boilerkit.evaluation.evaluate`'s figures can be bootstrapped."""

    def __init__(self, model) -> None:
        self.model = model
        self.predictions: list = []

    def predict(self, pages):
        out = self.model.predict(pages)
        self.predictions.extend(out)
        return out

    def __getattr__(self, name):
        return getattr(self.model, name)


def block_evaluation(rows: list[str], quick: bool = False) -> dict:
    """Each boilerkit row's block scores on the test split of the labelled corpus:
    ``boilerkit.evaluation.evaluate`` with :data:`LABEL_MAP` (as the model card), plus
    bootstrap intervals (pages resampled) overall and per source."""
    try:
        from boilerkit.datasets.corpus import annotations_path, load_corpus
        from boilerkit.datasets.sources import SOURCES
        from boilerkit.evaluation import evaluate
        from boilerkit.training import relabel
    except Exception as error:                            # noqa: BLE001
        return {"available": False, "reason": f"{type(error).__name__}: {error}"}
    import itertools

    present = [s for s in SOURCES if annotations_path(s).is_file()]
    if not present:
        return {"available": False,
                "reason": "no labelled corpus (datasets/annotations/*.jsonl.gz) to evaluate on"}
    try:
        pages = []
        for source in present:
            found = load_corpus(split="test", sources=[source])
            pages.extend(itertools.islice(found, QUICK_BLOCK_PAGES) if quick else found)
        pages = relabel(pages, LABEL_MAP)
    except Exception as error:                            # noqa: BLE001
        return {"available": False, "reason": f"{type(error).__name__}: {error}"}
    result = {"available": True, "sources": present, "label_map": LABEL_MAP, "split": "test",
              "models": {}}
    for row in rows:
        try:
            recorder = _Recorder(adapters.boilerkit_model(row))
            metrics = evaluate(recorder, pages)
            metrics["intervals"] = block_intervals(pages, recorder.predictions, metrics)
            metrics["available"] = True
        except Exception as error:                        # noqa: BLE001
            result["models"][row] = {"available": False,
                                     "reason": f"{type(error).__name__}: {error}"}
            continue
        result["models"][row] = metrics
    return result


def block_intervals(pages, predictions, metrics: dict) -> dict:
    """Bootstrap 95% intervals (pages resampled, ``boilerkit.report.bootstrap``) of the
    per-class F1 and macro-F1 by block, overall and per source, for ``evaluate``'s figures.

    The per-page confusion counts follow ``compute_metrics``: unlabelled blocks skipped,
    ``boilerplate`` blocks only where predicted article (an extra gold row). Checks that
    the summed counts give ``evaluate``'s macro-F1 again.
    """
    from boilerkit.labels import PARTIAL_LABEL, PRIMARY_LABEL
    from boilerkit.report import bootstrap

    scored = [p for p in pages if any(label is not None for label in p.labels)]
    if len(scored) != len(predictions):
        raise RuntimeError(f"{len(predictions)} predicted pages for {len(scored)} scored pages")
    labels = list(metrics["labels"])
    index = {label: i for i, label in enumerate(labels)}
    n = len(labels)
    matrices = np.zeros((len(scored), n + 1, n))
    for p, (page, predicted) in enumerate(zip(scored, predictions)):
        for gold, pred in zip(page.labels, predicted):
            pred = str(pred)
            if gold is None or (gold == PARTIAL_LABEL and pred != PRIMARY_LABEL) or pred not in index:
                continue
            matrices[p, index.get(gold, n), index[pred]] += 1
    total = matrices.sum(axis=0)
    tp = np.diagonal(total[:n])
    denominators = total.sum(axis=0) + total[:n].sum(axis=1)
    f1 = np.where(denominators > 0, 2 * tp / np.maximum(denominators, 1), 0.0)
    check = abs(float(f1.mean()) - metrics["blocks"]["macro_f1"]) if n else 0.0

    def summary(mask, present_labels):
        present = np.array([label in present_labels for label in labels])
        ci = bootstrap(matrices[mask], N_BOOTSTRAP, seed=0, present=present)
        return {"pages": int(mask.sum()),
                "macro_f1": [float(ci["macro_f1"][0]), float(ci["macro_f1"][1])],
                "f1": {label: [float(ci["f1"][0][i]), float(ci["f1"][1][i])]
                       for i, label in enumerate(labels) if label in present_labels}}

    sources = np.array([p.source for p in scored])
    out = {"n_bootstrap": N_BOOTSTRAP, "macro_f1_check_diff": check,
           **summary(np.ones(len(scored), dtype=bool), set(labels)), "by_source": {}}
    for source, view in (metrics.get("by_source") or {}).items():
        out["by_source"][source] = summary(sources == source, set(view["labels"]))
    return out


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


# --------------------------------------------------------------------------- boilerkit's own figures


def stage_profile(row: str, sample: list[int]) -> dict:
    """Median and mean ms per page of each stage of ``boilerkit.classify`` on the speed
    sample (``profile_stages.stage_times``: a warm-up pass, then a timed pass)."""
    import profile_stages

    times = profile_stages.stage_times([PAGES[i].html for i in sample],
                                       adapters.boilerkit_model(row))
    return {"pages": len(sample),
            "stages": {name: {"median_ms": statistics.median(v), "mean_ms": statistics.mean(v)}
                       for name, v in times.items()}}


def dense_figure(siblings: int, model: str) -> dict:
    """``benchmarks/dense_page.py``: N sibling ``<p>x</p>`` classified in a fresh process."""
    import dense_page

    try:
        res = dense_page.measure(siblings, model)
    except subprocess.TimeoutExpired:
        return {"siblings": siblings, "error": "timed out after 900 s"}
    except subprocess.CalledProcessError as error:
        return {"siblings": siblings,
                "error": f"exit {error.returncode}: {(error.stderr or '').strip()[-300:]}"}
    return {"siblings": siblings, **res}


def cli_figure(repeats: int, model: str | None) -> dict:
    """Wall time of ``boilerkit extract examples/news-page.html`` in a fresh process
    (interpreter start, imports, model load, one page), after one untimed run that warms
    the disk cache; next to a bare interpreter start and ``import boilerkit``."""
    script = Path(sys.executable).with_name("boilerkit")
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "boilerkit"]
    command += ["extract", "examples/news-page.html"] + (["--model", model] if model else [])

    def wall(cmd) -> list[float]:
        subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
            times.append(time.perf_counter() - t)
        return times

    try:
        runs = wall(command)
        python = wall([sys.executable, "-c", "pass"])
        imports = wall([sys.executable, "-c", "import boilerkit"])
    except (OSError, subprocess.CalledProcessError) as error:
        return {"error": f"{type(error).__name__}: {error}"}
    return {"command": "boilerkit extract examples/news-page.html"
                       + (f" --model {model}" if model else ""),
            "runs_s": runs, "median_s": statistics.median(runs), "min_s": min(runs),
            "python_start_median_s": statistics.median(python),
            "import_boilerkit_median_s": statistics.median(imports)}


# --------------------------------------------------------------------------- baseline


def load_baseline(path: Path | None) -> dict | None:
    """The previous model's article figures to compare with: ``path``, else
    ``benchmarks/results.json`` as committed (``git show HEAD:...``), else as on disk."""
    text, origin = None, None
    if path is not None:
        text, origin = path.read_text(), str(path)
    else:
        try:
            text = subprocess.run(["git", "-C", str(ROOT), "show", "HEAD:benchmarks/results.json"],
                                  capture_output=True, text=True, check=True).stdout
            head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                  capture_output=True, text=True, check=True).stdout.strip()
            origin = f"benchmarks/results.json as committed at {head}"
        except (OSError, subprocess.CalledProcessError):
            if (HERE / "results.json").is_file():
                text, origin = (HERE / "results.json").read_text(), "benchmarks/results.json"
    if not text:
        return None
    old = json.loads(text)
    row = (old.get("article") or {}).get("boilerkit") or {}
    used = (old.get("data") or {}).get("sources") or {}
    models = old.get("boilerkit_models") or {"boilerkit": old.get("boilerkit_model") or {}}
    sets = {}
    for source, entry in row.items():
        if source.startswith("_") or source in POOLS or not isinstance(entry, dict):
            continue
        info = used.get(source, {})
        figure = {"pages": entry.get("pages"),
                  "whole_set": bool(info) and info.get("pages_used") == info.get("pages_total")}
        if "tok_f1" in entry:
            figure["tok_f1"] = entry["tok_f1"]
        if "snippets" in entry:
            figure["snippet_f1"] = entry["snippets"]["f1"]
        sets[source] = figure
    return {"origin": origin, "started": old.get("started"), "quick": old.get("quick"),
            "model_sha256": (models.get("boilerkit") or {}).get("sha256"), "sets": sets}


def model_info(row: str) -> dict:
    try:
        from boilerkit.persistence import read_manifest
        manifest = read_manifest(adapters.model_path(row))
    except Exception as error:                            # noqa: BLE001
        return {"error": f"{type(error).__name__}: {error}"}
    return {"path": adapters.model_path(row), "sha256": manifest.get("sha256"),
            "labels": manifest.get("labels"), "created": manifest.get("created"),
            "boilerkit_version": manifest.get("boilerkit_version"),
            "training_data": manifest.get("training_data"),
            "training_split": manifest.get("training_split")}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"a smoke test: {QUICK_PAGES} pages per source, "
                             f"{QUICK_BLOCK_PAGES} per source for the block classes")
    parser.add_argument("--extractors", help="comma-separated subset of: " + ",".join(adapters.ORDER))
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: benchmarks/)")
    parser.add_argument("--speed-pages", type=int, help=f"speed/memory sample size (default {SPEED_PAGES})")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="processes for the (untimed) quality pass (default: all cores)")
    parser.add_argument("--model", type=Path,
                        help="benchmark this boilerkit model folder instead of the shipped one")
    parser.add_argument("--research-model", type=Path,
                        help="also benchmark this model (trained on every source) as the row "
                             "'boilerkit (research)'")
    parser.add_argument("--baseline", type=Path,
                        help="results.json of the previous model's run to compare with "
                             "(default: benchmarks/results.json as committed)")
    parser.add_argument("--quality-only", action="store_true",
                        help="article, comment and block scores only: no speed, memory, "
                             "dense page or start-up figures")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory measurements")
    parser.add_argument("--no-dense", action="store_true", help="skip the dense page")
    parser.add_argument("--dense-siblings", type=int,
                        help=f"siblings of the dense page (default {DENSE_SIBLINGS:,}; "
                             "--quick: 100,000)")
    args = parser.parse_args(argv)
    if args.model:
        os.environ[adapters.MODEL_ENV] = str(args.model.resolve())
        adapters.DESCRIPTIONS["boilerkit"] = (f'boilerkit.extract(html, model=load_model('
                                              f'"{args.model}"))  (label="article", text format)')
    if args.research_model:
        os.environ[adapters.RESEARCH_MODEL_ENV] = str(args.research_model.resolve())

    started = datetime.now(timezone.utc)
    if args.extractors:
        names = [n.strip() for n in args.extractors.split(",") if n.strip()]
    else:
        names = list(adapters.DEFAULT_ORDER)
    if args.research_model and "boilerkit-research" not in names:
        names.insert(names.index("boilerkit") + 1 if "boilerkit" in names else 0,
                     "boilerkit-research")
    unknown = [n for n in names if n not in adapters.FACTORIES]
    if unknown:
        parser.error(f"unknown extractors: {', '.join(unknown)}; known: {', '.join(adapters.ORDER)}")
    if "boilerkit-research" in names and not args.research_model:
        parser.error("boilerkit-research needs --research-model PATH")
    args.out.mkdir(parents=True, exist_ok=True)
    baseline = load_baseline(args.baseline)       # before this run overwrites results.json
    if baseline:
        log(f"baseline: {baseline['origin']} ({baseline['started']})")

    loadavg = {"start": _loadavg()}
    log("checking extractors")
    available, unavailable = check_available(names)
    rows = [n for n in adapters.BOILERKIT_ROWS if n in available]
    comment_names = [n for n in (*adapters.BOILERKIT_ROWS, "trafilatura") if n in available]
    models = {row: model_info(row) for row in rows}

    log("loading test pages")
    pages, data_info = load_test_pages(quick=QUICK_PAGES if args.quick else None, progress=log)
    PAGES.extend(pages)
    data_info["snapshots"] = dataset_snapshots()
    data_info["block_only_sources"] = check_splits(("kreuzer",), progress=log)
    log(f"{len(PAGES)} pages in memory ({sum(len(p.html) for p in PAGES) / 2**20:.0f} MiB)")

    article_rows, comment_rows, blocks, crashed = run_quality(
        available, comment_names, args.workers, args.quick, rows)
    if blocks is None:
        blocks = {"available": False,
                  "reason": "boilerkit model not available" if not rows else "not run"}
    article = summarise_article(article_rows)
    comments = summarise_comments(comment_rows)

    # speed sample: fixed, seeded, over the modern test pages; pages that killed a worker
    # process would kill the main process: keep them out
    n_speed = args.speed_pages or (30 if args.quick else SPEED_PAGES)
    crashers = {i for idx in crashed.values() for i in idx}
    candidates = [i for i, p in enumerate(PAGES) if p.source in SPEED_SOURCES and i not in crashers]
    rng = random.Random(20240601)
    sample = [] if args.quality_only else sorted(rng.sample(candidates, min(n_speed, len(candidates))))
    sample_bytes = [len(PAGES[i].html) for i in sample] or [0]
    speed_names = available + ["lxml-parse"]

    memory, scaling, speed, pool, stages = {}, {}, {}, {}, {}
    dense, cli = None, None
    if not args.quality_only and not args.no_memory and sample:
        for name in speed_names:
            log(f"memory: {name}")
            memory[name] = memory_of(name, sample)
        base = min(sample, key=lambda i: abs(len(PAGES[i].html) - 100_000))
        for name in (*rows, "trafilatura"):
            if name in available:
                log(f"memory scaling: {name} on {PAGES[base].page_id}")
                scaling[name] = memory_scaling(name, PAGES[base])

    if not args.quality_only and sample:
        loadavg["before speed"] = _loadavg()
        for name in speed_names:
            log(f"speed: {name} ({len(sample)} pages, warm-up + timed pass)")
            try:
                speed[name] = speed_of(name, sample)
            except Exception as error:                    # noqa: BLE001
                speed[name] = {"error": f"{type(error).__name__}: {error}"}
        for name in speed_names:
            if name == "lxml-parse" or name.startswith("ref-"):
                continue
            log(f"speed: {name} in a pool of {os.cpu_count()} processes")
            try:
                pool[name] = pool_throughput(name, sample, os.cpu_count() or 1)
            except Exception as error:                    # noqa: BLE001
                pool[name] = {"error": f"{type(error).__name__}: {error}"}
        for row in rows:
            log(f"stage profile: {row}")
            try:
                stages[row] = stage_profile(row, sample)
            except Exception as error:                    # noqa: BLE001
                stages[row] = {"error": f"{type(error).__name__}: {error}"}
    if not args.quality_only and "boilerkit" in rows:
        custom = os.environ.get(adapters.MODEL_ENV)
        if not args.no_dense:
            siblings = args.dense_siblings or (100_000 if args.quick else DENSE_SIBLINGS)
            log(f"dense page: {siblings:,} sibling paragraphs")
            dense = dense_figure(siblings, custom or "")
        log("one-page command in a fresh process")
        cli = cli_figure(2 if args.quick else CLI_REPEATS, custom)

    loadavg["end"] = _loadavg()
    finished = datetime.now(timezone.utc)
    results = {
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "runtime_s": (finished - started).total_seconds(),
        "command": "python benchmarks/run.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "quick": args.quick, "quality_only": args.quality_only,
        "machine": machine_info(),
        "extractors": {n: {"version": adapters.version_of(n), "call": adapters.DESCRIPTIONS[n],
                           "input": adapters.INPUT[n],
                           "available": n in available, "error": unavailable.get(n)}
                       for n in names},
        "data": data_info,
        "boilerkit_models": models,
        "baseline": baseline,
        "worker_crashes": {f"{k}:{n}": [PAGES[i].page_id for i in v] for (k, n), v in crashed.items()},
        "speed_sample": {"pages": len(sample), "sources": list(SPEED_SOURCES),
                         "median_bytes": statistics.median(sample_bytes),
                         "total_bytes": sum(sample_bytes),
                         "by_source": _count_sources(sample)},
        "article": article, "comments": comments, "blocks": blocks,
        "speed": speed, "pool": pool, "memory": memory, "scaling": scaling,
        "stages": stages, "dense_page": dense, "cli": cli,
        "loadavg": loadavg, "n_bootstrap": N_BOOTSTRAP, "call_timeout_s": CALL_TIMEOUT,
    }
    import report
    (args.out / "results.json").write_text(json.dumps(results, indent=1, default=_jsonable) + "\n")
    report.write_plot(results, args.out / "article-f1-vs-speed.png")
    (args.out / "RESULTS.md").write_text(report.render(results))
    log(f"wrote {args.out / 'RESULTS.md'} in {(finished - started).total_seconds() / 60:.1f} min")
    for line in report.target_lines(results):
        log(line)
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
