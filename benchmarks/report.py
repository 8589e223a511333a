"""Render the benchmark results (the dict ``run.py`` builds) as RESULTS.md and a PNG plot."""

from __future__ import annotations

import math

import adapters
from data import SNIPPET_SOURCES, TOKEN_SOURCES

PLOT_NAME = "article-f1-vs-speed.png"
FLOORS = ("inscriptis", "html-text")
REFS = ("ref-nothing", "ref-alltext")


def _f(x, digits=3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.{digits}f}"


def _ci(triple, digits=3) -> str:
    """'mean ± half-width of the 95% bootstrap interval'."""
    if not triple:
        return "–"
    mean, lo, hi = triple
    if mean is None or math.isnan(mean):
        return "–"
    return f"{mean:.{digits}f} ± {max(hi - lo, 0) / 2:.{digits}f}"


def _names(results, available_only=True):
    ex = results["extractors"]
    return [n for n in adapters.ORDER if n in ex and (ex[n]["available"] or not available_only)]


def _label(name: str) -> str:
    if name == "boilerkit":
        return "**boilerkit**"
    if name in FLOORS:
        return f"{name} (floor)"
    return name


def _bold_best(cells: dict, values: dict, higher=True, exclude=REFS) -> dict:
    cand = {n: v for n, v in values.items() if v is not None and n not in exclude
            and not (isinstance(v, float) and math.isnan(v))}
    if not cand:
        return cells
    best = max(cand.values()) if higher else min(cand.values())
    return {n: (f"**{c}**" if n in cand and cand[n] == best else c) for n, c in cells.items()}


def _table(header: list[str], rows: list[list[str]], align=None) -> str:
    align = align or ["l"] + ["r"] * (len(header) - 1)
    sep = ["---:" if a == "r" else ":---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _sets(results) -> list[str]:
    used = results["data"]["sources"]
    return [s for s in TOKEN_SOURCES if used.get(s, {}).get("pages_used")]


# --------------------------------------------------------------------------- targets


def targets(results) -> list[tuple[str, str, str]]:
    """[(target, 'met' | 'NOT met' | 'not measured', detail)]."""
    out = []
    art = results["article"]
    bk = art.get("boilerkit")
    peers = [n for n in adapters.PEERS if n in art]
    # 1. article F1 above every peer on every test set
    if not bk:
        out.append(("Article F1 above every peer on every test set", "not measured",
                    "boilerkit was not available in this run"))
    else:
        lost, won = [], []
        for s in _sets(results) + [s for s in SNIPPET_SOURCES if s in bk]:
            def score(n):
                e = art[n].get(s, {})
                return e["snippets"]["f1"][0] if s in SNIPPET_SOURCES else e.get("tok_f1", [None])[0]
            mine = score("boilerkit")
            best = max(peers, key=lambda n: score(n) if score(n) is not None else -1, default=None)
            if best is None:
                continue
            item = f"{s}: {_f(mine)} vs {score(best):.3f} ({best})"
            (won if mine is not None and mine > score(best) else lost).append(item)
        status = "met" if not lost else "NOT met"
        detail = ("boilerkit vs the best peer of each set. Behind on " + "; ".join(lost) + "."
                  if lost else "") + \
                 ((" " if lost else "") + "Ahead on " + "; ".join(won) + "." if won else "")
        out.append(("Article F1 above every peer on every test set (trafilatura-eval included)",
                    status, detail))
    # 2. block classes
    blocks = results.get("blocks") or {}
    if not blocks.get("available"):
        out.append(("4-class macro-F1 >= 0.90, teaser and comment F1 >= 0.85", "not measured",
                    blocks.get("reason", "no block evaluation")))
    else:
        b = blocks["blocks"]
        macro = b["macro_f1"]
        per = b["per_class"]
        teaser = per.get("teaser", {}).get("f1")
        comment = per.get("comment", {}).get("f1")
        ok = macro >= 0.90 and (teaser or 0) >= 0.85 and (comment or 0) >= 0.85
        out.append(("4-class macro-F1 >= 0.90, teaser and comment F1 >= 0.85 (by block, test split)",
                    "met" if ok else "NOT met",
                    f"macro-F1 {macro:.3f}, teaser F1 {_f(teaser)}, comment F1 {_f(comment)}"))
    # 3. speed
    sp = results["speed"]
    if "boilerkit" not in sp or "pages_per_s" not in sp.get("boilerkit", {}):
        out.append((">= 6x trafilatura's pages/s", "not measured", "boilerkit not timed"))
        out.append(("within 2x of the lxml parse floor", "not measured", "boilerkit not timed"))
    else:
        bk_pps = sp["boilerkit"]["pages_per_s"]
        if "pages_per_s" in sp.get("trafilatura", {}):
            ratio = bk_pps / sp["trafilatura"]["pages_per_s"]
            out.append((">= 6x trafilatura's pages/s (one process)", "met" if ratio >= 6 else "NOT met",
                        f"{ratio:.2f}x ({bk_pps:.1f} vs {sp['trafilatura']['pages_per_s']:.1f} pages/s)"))
        floor = sp.get("lxml-parse", {}).get("pages_per_s")
        if floor:
            slow = floor / bk_pps
            out.append(("within 2x of the lxml parse floor (time per page)",
                        "met" if slow <= 2 else "NOT met",
                        f"{slow:.1f}x the time of lxml.html.fromstring alone "
                        f"({bk_pps:.1f} vs {floor:.1f} pages/s)"))
    # 4. memory
    sc = (results.get("scaling") or {}).get("boilerkit")
    if not sc or not sc.get("fits"):
        out.append(("Memory linear in page size", "not measured", "no scaling measurement"))
    else:
        parts, ok = [], True
        for key, label in (("tracemalloc_peak_mb", "tracemalloc peak"),
                           ("rss_peak_growth_mb", "peak RSS growth")):
            fit = sc["fits"].get(key)
            if not fit:
                continue
            lin = fit["r2"] >= 0.98 and fit["last_over_first_doubling"] <= 1.5
            if key == "tracemalloc_peak_mb":
                ok = lin
            icpt = fit["intercept_mb"]
            parts.append(f"{label}: {fit['slope_mb_per_input_mb']:.1f} MB per input MB "
                         f"{'+' if icpt >= 0 else '-'} {abs(icpt):.1f} MB, R² {fit['r2']:.3f}, last/first doubling "
                         f"{fit['last_over_first_doubling']:.2f}")
        out.append(("Memory linear in page size (1x-8x page; R² >= 0.98 and last doubling costs "
                    "<= 1.5x the first, tracemalloc)", "met" if ok else "NOT met", "; ".join(parts)))
    return out


# --------------------------------------------------------------------------- markdown


def render(results) -> str:
    ex = results["extractors"]
    names = _names(results)
    art = results["article"]
    sets = _sets(results)
    mach = results["machine"]
    data = results["data"]
    L = []
    L.append("# boilerkit benchmark results")
    L.append("")
    L.append("Generated by `" + results["command"].strip() + "`. "
             "Do not edit by hand: every number below comes from that one run "
             "(see [README.md](README.md) for the method).")
    if results.get("quick"):
        L.append("")
        L.append("> **QUICK RUN** (`--quick`): a few pages per source; numbers are for development "
                 "only and not comparable to a full run.")
    L.append("")
    L.append(f"- Date: {results['started']} to {results['finished']} (UTC), run time "
             f"{results['runtime_s'] / 60:.1f} min")
    L.append(f"- Machine: {mach['cpu']}, {mach['cores']} cores, {mach['memory']} RAM, {mach['os']}; "
             f"{mach['implementation']} {mach['python']}, numpy {mach['numpy']}")
    bm = results.get("boilerkit_model")
    if bm:
        if "error" in bm:
            L.append(f"- boilerkit model: {bm['error']}")
        else:
            root = str(__import__("pathlib").Path(__file__).resolve().parent.parent) + "/"
            L.append(f"- boilerkit model: `{bm['path'].replace(root, '')}` (sha256 "
                     f"{(bm.get('sha256') or '?')[:12]}, labels {', '.join(bm.get('labels') or [])}, "
                     f"saved by boilerkit {bm.get('boilerkit_version')}, scikit-learn "
                     f"{bm.get('sklearn_version')})")
    la = results.get("loadavg") or {}
    if la:
        busy = any(v and v[0] > mach["cores"] for v in la.values())
        L.append("- Load average (1/5/15 min) " + "; ".join(
            f"{k}: {' / '.join(f'{x:.1f}' for x in v)}" for k, v in la.items() if v)
            + (" — **the machine was shared with other work during the run, so speed numbers "
               "are noisy; compare them only within this run**" if busy else ""))
    L.append(f"- Split: {data['split']}")
    n_art = sum(e["pages_used"] for k, e in data["sources"].items() if k not in SNIPPET_SOURCES)
    n_snip = sum(e["pages_used"] for k, e in data["sources"].items() if k in SNIPPET_SOURCES)
    om = results["speed"].get("boilerkit-openmp", {}).get("pages")
    L.append(f"- Sample sizes: article quality on every selected page ({n_art} pages with gold "
             f"text + {n_snip} trafilatura-eval pages), for every extractor; comments on "
             f"{_comment_pages(results)} pages; speed, pool and peak RSS on "
             f"{results['speed_sample']['pages']} pages; tracemalloc on {_tm_pages(results)} pages"
             + (f"; boilerkit with OpenMP threads on {om} pages" if om else ""))
    L.append(f"- Bootstrap: {results['n_bootstrap']} resamples of pages; `x ± h` is the mean and "
             "half the width of the 95% percentile interval")
    L.append(f"- Per-call timeout in the quality pass: {results['call_timeout_s']:.0f} s "
             "(a timeout or exception counts as an empty output and as a failure)")
    L.append("")

    # targets
    L.append("## Targets")
    L.append("")
    L.append(_table(["target", "status", "measured"],
                    [[t, f"**{s}**", d] for t, s, d in targets(results)], ["l", "l", "l"]))
    L.append("")

    # data
    L.append("## Test data")
    L.append("")
    rows = []
    for s, e in data["sources"].items():
        rows.append([s, f"{e['pages_used']} of {e['pages_total']}", str(e["sites_used"]),
                     f"{e['bytes_used'] / 2**20:.1f}",
                     "all pages (evaluation-only source)" if s in ("readability", "trafilatura-eval")
                     else "test split", data.get("snapshots", {}).get(s, "?")])
    L.append(_table(["set", "pages", "sites", "MiB", "which pages", "snapshot (repo@commit)"], rows,
                    ["l", "r", "r", "r", "l", "l"]))
    L.append("")

    # versions
    L.append("## Extractors")
    L.append("")
    rows = []
    for n in adapters.ORDER:
        if n not in ex:
            continue
        e = ex[n]
        status = "ok" if e["available"] else f"**unavailable**: {e['error']}"
        rows.append([n, e["version"], f"`{e['call']}`", e["input"], status])
    L.append(_table(["extractor", "version", "call", "input", "status"], rows,
                    ["l", "l", "l", "l", "l"]))
    L.append("")

    # article: bag of tokens F1
    if names:
        L.append("## Article text: token F1 per test set")
        L.append("")
        L.append("Bag-of-tokens F1 per page, averaged over the pages of each set (mean ± half "
                 "95% CI). `all` pools the pages of every set below (not trafilatura-eval). "
                 "Best real extractor per column in bold (references excluded).")
        L.append("")
        L.append(_metric_table(results, names, sets, "tok_f1"))
        L.append("")
        L.append("### Precision / recall (bag of tokens)")
        L.append("")
        header = ["extractor"] + [f"{s} P / R" for s in sets + ["all"]]
        rows = []
        for n in names:
            row = [_label(n)]
            for s in sets + ["all"]:
                e = art[n].get(s)
                row.append(f"{_f(e['tok_precision'][0])} / {_f(e['tok_recall'][0])}" if e else "–")
            rows.append(row)
        L.append(_table(header, rows))
        L.append("")
        L.append("### Second metric: ROUGE-L F1 (token LCS)")
        L.append("")
        L.append("LCS over lower-cased tokens, each side capped at 20,000 tokens (mean ± half "
                 "95% CI); rewards text in the gold's order.")
        L.append("")
        L.append(_metric_table(results, names, sets, "rougeL_f1"))
        L.append("")
        L.append("### Failures and empty outputs (article pass, all sets)")
        L.append("")
        rows = []
        for n in names:
            per = art[n]
            empty = sum(v.get("empty", 0) for k, v in per.items() if not k.startswith("_") and k != "all")
            rows.append([_label(n), str(per["_pages"]), str(per["_failures"]), str(empty)])
        L.append(_table(["extractor", "pages", "failures (exception, timeout or crash)",
                         "empty outputs (failures included)"], rows))
        L.append("")
        wc = results.get("worker_crashes") or {}
        if wc:
            L.append("Pages that killed a worker process (twice; scored as empty, and left out of "
                     "the speed sample): " + "; ".join(f"{k}: {', '.join(v)}" for k, v in wc.items()))
            L.append("")

        # trafilatura-eval
        if any(s in art[n] for n in names for s in SNIPPET_SOURCES):
            for s in SNIPPET_SOURCES:
                L.append(f"## Article text: {s} snippets")
                L.append("")
                L.append(f"All {data['sources'].get(s, {}).get('pages_used', '?')} pages. A `with` "
                         "snippet found in the output is a TP, missing a FN; a `without` snippet "
                         "found is a FP, absent a TN; summed over all snippets (mean ± half 95% CI, "
                         "pages resampled).")
                L.append("")
                rows, vals = [], {}
                cells = {}
                for n in names:
                    e = art[n].get(s)
                    if not e:
                        continue
                    sn = e["snippets"]
                    tp, fp, tn, fn = e["counts"]
                    cells[n] = [_ci(sn["precision"]), _ci(sn["recall"]), _ci(sn["f1"]),
                                _ci(sn["accuracy"]), f"{tp}/{fp}/{tn}/{fn}", str(e["failures"])]
                    vals[n] = sn["f1"][0]
                f1cells = _bold_best({n: c[2] for n, c in cells.items()}, vals)
                for n, c in cells.items():
                    c[2] = f1cells[n]
                    rows.append([_label(n)] + c)
                L.append(_table(["extractor", "precision", "recall", "F1", "accuracy",
                                 "TP/FP/TN/FN", "failures"], rows))
                L.append("")

    # comments
    L.append("## Comments")
    L.append("")
    com = results.get("comments") or {}
    if not com:
        L.append("Not measured (neither boilerkit nor trafilatura available).")
    else:
        csets = sorted({s for n in com for s in com[n] if s != "all"})
        L.append("Comment text of the test-split pages that have comment gold (dragnet: text after "
                 "the COMMENTS separator; l3s-gn1: `x-nc-sel5` text). boilerkit: "
                 "`extract(html, label=\"comment\")`; trafilatura: "
                 "`bare_extraction(html, include_comments=True).comments`. Bag-of-tokens metric "
                 "(mean ± half 95% CI).")
        L.append("")
        header = ["extractor"]
        for s in csets + ["all"]:
            pages = next((com[n][s]["pages"] for n in com if s in com[n]), "?")
            header += [f"{s} ({pages} p.) P", "R", "F1"]
        rows = []
        for n in adapters.ORDER:
            if n not in com:
                continue
            row = [_label(n)]
            for s in csets + ["all"]:
                e = com[n].get(s)
                row += ([_f(e["tok_precision"][0]), _f(e["tok_recall"][0]), _ci(e["tok_f1"])]
                        if e else ["–"] * 3)
            rows.append(row)
        L.append(_table(header, rows))
        L.append("")
        L.append("No other peer separates comments from the article text.")
    L.append("")

    # blocks
    L.append("## Teasers and navigation: boilerkit block classification")
    L.append("")
    L.append("No peer reports these classes: every peer returns one main text, so teaser, "
             "navigation and comment blocks can only be scored for boilerkit.")
    L.append("")
    blocks = results.get("blocks") or {}
    if not blocks.get("available"):
        L.append(f"Not measured in this run: {blocks.get('reason', '?')}.")
    else:
        L.append(f"`boilerkit.evaluation.evaluate(model, test pages)` on "
                 f"{blocks.get('n_pages', '?')} test-split pages of the labelled corpus "
                 f"({', '.join(blocks.get('sources', []))}): {blocks['n_blocks']:,} labelled blocks, "
                 f"{blocks['n_chars']:,} characters.")
        L.append("")
        rows = []
        for label in blocks["labels"]:
            b = blocks["blocks"]["per_class"][label]
            c = blocks["chars"]["per_class"][label]
            rows.append([label, _f(b["precision"]), _f(b["recall"]), f"**{_f(b['f1'])}**",
                         f"{b['support']:,}", _f(c["precision"]), _f(c["recall"]), _f(c["f1"])])
        rows.append(["macro", _f(blocks["blocks"]["macro_avg"]["precision"]),
                     _f(blocks["blocks"]["macro_avg"]["recall"]),
                     f"**{_f(blocks['blocks']['macro_f1'])}**", f"{blocks['n_blocks']:,}",
                     _f(blocks["chars"]["macro_avg"]["precision"]),
                     _f(blocks["chars"]["macro_avg"]["recall"]), _f(blocks["chars"]["macro_f1"])])
        L.append(_table(["class", "P (blocks)", "R (blocks)", "F1 (blocks)", "blocks",
                         "P (chars)", "R (chars)", "F1 (chars)"], rows))
        L.append("")
        bys = blocks.get("by_source") or {}
        if bys:
            rows = [[s, str(v["n_blocks"]), ", ".join(v["labels"]), _f(v["blocks"]["macro_f1"]),
                     _f(v["chars"]["macro_f1"])] for s, v in bys.items()]
            L.append("Per source, as `evaluate` reports it (each source is scored on the "
                     "classes its gold has):")
            L.append("")
            L.append(_table(["source", "blocks", "classes scored", "macro-F1 (blocks)",
                             "macro-F1 (chars)"], rows))
    L.append("")

    # speed
    L.append("## Speed and memory")
    L.append("")
    ss = results["speed_sample"]
    L.append(f"One process, the same {ss['pages']} test pages held in memory (median "
             f"{ss['median_bytes'] / 1024:.0f} KiB, {ss['total_bytes'] / 2**20:.1f} MiB in all; "
             f"{', '.join(f'{k} {v}' for k, v in sorted(ss['by_source'].items()))}). Each extractor "
             "gets one warm-up pass, then one timed pass (wall clock per call). "
             "`x traf.` = pages/s relative to trafilatura; `x floor` = time per page relative to "
             "`lxml.html.fromstring` alone. Pool = the same pages mapped by a fork "
             f"`multiprocessing.Pool({results['machine']['cores']})` (warm-up map, then a timed map). "
             "Every process runs with one OpenMP/BLAS thread (`OMP_NUM_THREADS=1`), so one-process "
             "numbers are one-core numbers for every extractor; the `boilerkit, N OpenMP threads` "
             "row times boilerkit's model with its default thread pool instead. "
             "Peak RSS = growth of the peak resident set over one pass over all the pages, "
             "measured in a forked child after a warm-up, `gc.collect()` and `malloc_trim(0)` "
             "(VmHWM after `/proc/self/clear_refs` minus VmRSS before the pass); tracemalloc = "
             "peak of traced Python allocations over one pass over the first "
             f"{_tm_pages(results)} pages of the sample (it does not see libxml2's own C "
             "allocations, which the RSS column includes).")
    L.append("")
    sp, pool, mem = results["speed"], results["pool"], results.get("memory") or {}
    traf = sp.get("trafilatura", {}).get("pages_per_s")
    floor = sp.get("lxml-parse", {}).get("pages_per_s")
    rows = []
    order = list(names) + ["lxml-parse"]
    if "boilerkit-openmp" in sp:
        order.insert(order.index("boilerkit") + 1 if "boilerkit" in order else 0, "boilerkit-openmp")
    for n in order:
        s = sp.get(n, {})
        if "pages_per_s" not in s:
            rows.append([n, s.get("error", "–")] + ["–"] * 8)
            continue
        m = mem.get(n, {})
        p = pool.get(n, {})
        label = {"lxml-parse": "lxml.html.fromstring (floor)",
                 "boilerkit-openmp": f"boilerkit, {s.get('threads', '?')} OpenMP threads"}.get(n)
        rows.append([label or _label(n),
                     f"{s['pages_per_s']:.1f}", f"{s['median_ms']:.1f}", f"{s['p95_ms']:.1f}",
                     f"{s['pages_per_s'] / traf:.2f}" if traf else "–",
                     f"{floor / s['pages_per_s']:.1f}" if floor else "–",
                     f"{p['pages_per_s']:.1f}" if "pages_per_s" in p else "–",
                     _f(m.get("rss_peak_growth_mb"), 1), _f(m.get("tracemalloc_peak_mb"), 1),
                     str(s["failures"])])
    if any(v and v[0] > results["machine"]["cores"] for v in (results.get("loadavg") or {}).values()):
        L.append("> The load average exceeded the core count during this run (other work on the "
                 "machine): the pool column, which needs every core, suffers most.")
        L.append("")
    om = sp.get("boilerkit-openmp", {})
    if "pages" in om:
        L.append(f"The `boilerkit, N OpenMP threads` row is timed on the first {om['pages']} pages "
                 "of the sample only.")
        L.append("")
    L.append(_table(["extractor", "pages/s", "median ms", "p95 ms", "x traf.", "x floor",
                     f"pool pages/s ({results['machine']['cores']} proc.)", "peak RSS MB",
                     "tracemalloc MB", "failures"], rows))
    L.append("")
    scaling = results.get("scaling") or {}
    if scaling:
        L.append("### Memory against page size")
        L.append("")
        first = next(iter(scaling.values()))
        L.append(f"One page ({first['page_id']}, {first['page_bytes'] / 1024:.0f} KiB) with its "
                 "`<body>` content repeated 1x, 2x, 4x, 8x; peak memory of one call (forked "
                 "child per size, after a warm-up call). Line = least-squares fit "
                 "`peak MB = slope x input MB + intercept`.")
        L.append("")
        rows = []
        for n, sc in scaling.items():
            for pt in sc["points"]:
                rows.append([_label(n), f"{pt['scale']}x", f"{pt['bytes'] / 1024:.0f}",
                             _f(pt.get("tracemalloc_peak_mb"), 2), _f(pt.get("rss_peak_growth_mb"), 1),
                             pt.get("error", "")])
        L.append(_table(["extractor", "size", "KiB", "tracemalloc peak MB", "peak RSS growth MB",
                         "error"], rows))
        L.append("")
        rows = []
        for n, sc in scaling.items():
            for key, fit in sc["fits"].items():
                rows.append([_label(n), key.replace("_mb", "").replace("_", " "),
                             f"{fit['slope_mb_per_input_mb']:.2f}", f"{fit['intercept_mb']:.2f}",
                             f"{fit['r2']:.4f}", f"{fit['last_over_first_doubling']:.2f}"])
        L.append(_table(["extractor", "measure", "slope (MB per input MB)", "intercept MB", "R²",
                         "last / first doubling"], rows))
        L.append("")

    L.append("## Article F1 against speed")
    L.append("")
    L.append(f"![article F1 vs pages/s]({PLOT_NAME})")
    L.append("")
    L.append(f"[`{PLOT_NAME}`]({PLOT_NAME}): mean bag-of-tokens article F1 over all token-metric "
             "test pages (the `all` column, with its 95% CI) against single-process pages/s "
             "(log scale); the dashed line is the lxml parse floor. `ref-nothing` (F1 0) is left "
             "out of the plot.")
    L.append("")
    unavailable = {n: e["error"] for n, e in ex.items() if not e["available"]}
    L.append("## Unavailable extractors")
    L.append("")
    if unavailable:
        for n, err in unavailable.items():
            L.append(f"- {n}: {err}")
    else:
        L.append("None: every requested extractor installed, imported and ran.")
    L.append("")
    return "\n".join(L)


def _comment_pages(results) -> str:
    for per in (results.get("comments") or {}).values():
        if "all" in per:
            return str(per["all"]["pages"])
    return "0"


def _tm_pages(results) -> str:
    for m in (results.get("memory") or {}).values():
        if "tracemalloc_pages" in m:
            return str(m["tracemalloc_pages"])
    return "?"


def _metric_table(results, names, sets, key) -> str:
    art = results["article"]
    cols = sets + ["all"]
    header = ["extractor"] + [f"{s} ({art[names[0]].get(s, {}).get('pages', '?')} p.)" for s in cols]
    cells = {n: {} for n in names}
    for s in cols:
        col_cells, col_vals = {}, {}
        for n in names:
            e = art[n].get(s)
            col_cells[n] = _ci(e[key]) if e else "–"
            col_vals[n] = e[key][0] if e else None
        col_cells = _bold_best(col_cells, col_vals)
        for n in names:
            cells[n][s] = col_cells[n]
    rows = [[_label(n)] + [cells[n][s] for s in cols] for n in names]
    return _table(header, rows)


# --------------------------------------------------------------------------- plot


def _place_labels(fig, ax, labels) -> None:
    """Name each point, trying a few offsets so that no two names overlap."""
    offsets = [(7, 5, "left"), (7, -14, "left"), (-7, 5, "right"), (-7, -14, "right"),
               (7, 16, "left"), (7, -25, "left"), (-7, 16, "right"), (-7, -25, "right")]
    placed = []
    # boilerkit first, so that it gets the best spot
    for n, x, y in sorted(labels, key=lambda t: t[0] != "boilerkit"):
        for dx, dy, ha in offsets:
            ann = ax.annotate(n, (x, y), textcoords="offset points", xytext=(dx, dy), ha=ha,
                              fontsize=9, fontweight="bold" if n == "boilerkit" else "normal")
            fig.canvas.draw()
            box = ann.get_window_extent().expanded(1.05, 1.15)
            if not any(box.overlaps(other) for other in placed):
                placed.append(box)
                break
            ann.remove()
        else:
            ax.annotate(n, (x, y), textcoords="offset points", xytext=(7, 5), fontsize=9)


def write_plot(results, path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    art, sp = results["article"], results["speed"]
    fig, ax = plt.subplots(figsize=(10, 6.5), dpi=120)
    lows, labels = [], []
    points = []
    for n in _names(results):
        e = art.get(n, {}).get("all")
        s = sp.get(n, {})
        if not e or "pages_per_s" not in s or n == "ref-nothing":   # F1 0 at ~1e5 pages/s
            continue
        points.append((s["pages_per_s"], n))
    points.sort()
    for _, n in points:
        e = art[n]["all"]
        s = sp[n]
        mean, lo, hi = e["tok_f1"]
        x = s["pages_per_s"]
        if n == "boilerkit":
            style = dict(color="#d62728", marker="*", markersize=16, zorder=5)
        elif n in REFS:
            style = dict(color="#999999", marker="x", markersize=8)
        elif n in FLOORS:
            style = dict(color="#7f7f7f", marker="s", markersize=7)
        else:
            style = dict(color="#1f77b4", marker="o", markersize=8)
        ax.errorbar([x], [mean], yerr=[[mean - lo], [hi - mean]], capsize=3, linestyle="none", **style)
        lows.append(lo)
        labels.append((n, x, mean))
    floor = sp.get("lxml-parse", {}).get("pages_per_s")
    if floor:
        ax.axvline(floor, color="#2ca02c", linestyle="--", linewidth=1)
        ax.annotate("lxml.html.fromstring alone", (floor, 1.0), rotation=90, fontsize=8,
                    color="#2ca02c", xytext=(-4, -4), textcoords="offset points", ha="right",
                    va="top")
    ax.set_xscale("log")
    ax.set_ylim(max(0.0, min(lows, default=0.0) - 0.05), 1.0)
    _place_labels(fig, ax, labels)
    ax.set_xlabel("pages per second (one process, log scale)")
    ax.set_ylabel("article F1 (bag of tokens, mean over test pages)")
    n_pages = next((art[n]["all"]["pages"] for n in art if "all" in art[n]), "?")
    ss = results["speed_sample"]["pages"]
    title = f"Article F1 ({n_pages} test pages) vs speed ({ss} pages)"
    if results.get("quick"):
        title += " - QUICK RUN"
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


if __name__ == "__main__":                      # re-render from a results.json of a run
    import json
    import sys
    from pathlib import Path

    src = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).with_name("results.json"))
    res = json.loads(src.read_text())
    write_plot(res, src.with_name(PLOT_NAME))
    src.with_name("RESULTS.md").write_text(render(res))
    print(f"rendered {src.with_name('RESULTS.md')}")
