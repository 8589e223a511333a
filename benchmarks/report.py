"""Render the benchmark results (the dict ``run.py`` builds) as RESULTS.md and a PNG plot."""

from __future__ import annotations

import math
from pathlib import Path

import adapters
from data import MODERN_SOURCES, OLDER_SOURCES, POOLS, SILVER_SOURCES, SNIPPET_SOURCES

PLOT_NAME = "article-f1-vs-speed.png"
FLOORS = ("inscriptis", "html-text")
REFS = ("ref-nothing", "ref-alltext")
ROOT = str(Path(__file__).resolve().parent.parent) + "/"

#: Target (1): sets on which boilerkit must beat these peers (metric: snippet F1 on
#: trafilatura-eval, token F1 elsewhere).
HEAD_TO_HEAD_SETS = ("trafilatura-eval", "readability", "fundus-eval")
HEAD_TO_HEAD_PEERS = ("trafilatura", "readability")
#: Target (2): block classes on the test split.
MACRO_F1, TEASER_F1, COMMENT_F1 = 0.90, 0.85, 0.88
#: Target (3): speed.
X_TRAFILATURA, MODEL_MS, BLOCKS_FEATURES_MS = 2.0, 1.5, 5.0
LONG_X_TRAFILATURA, LONG_X_FLOOR = 6.0, 2.0
#: Target (5): the dense page (1,000,000 siblings).
DENSE_SECONDS, DENSE_PEAK_MB = 15.0, 1536.0


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


def _range(value, interval, digits=3) -> str:
    """'value [low, high]'."""
    if value is None:
        return "–"
    if not interval:
        return _f(value, digits)
    return f"{value:.{digits}f} [{interval[0]:.{digits}f}, {interval[1]:.{digits}f}]"


def _names(results, available_only=True):
    ex = results["extractors"]
    return [n for n in adapters.ORDER if n in ex and (ex[n]["available"] or not available_only)]


def _rows(results) -> list[str]:
    """The boilerkit rows of this run (default model, research model)."""
    return [n for n in adapters.BOILERKIT_ROWS if n in _names(results)]


def _plain(name: str) -> str:
    return {"boilerkit-research": "boilerkit (research)"}.get(name, name)


def _label(name: str) -> str:
    if name in adapters.BOILERKIT_ROWS:
        return f"**{_plain(name)}**"
    if name in FLOORS:
        return f"{name} (floor)"
    return name


def _set_label(source: str) -> str:
    return f"{source} (silver)" if source in SILVER_SOURCES else source


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


def _used(results, sources) -> list[str]:
    used = results["data"]["sources"]
    return [s for s in sources if used.get(s, {}).get("pages_used")]


def _article_score(results, name: str, source: str) -> float | None:
    """Target metric of a set: snippet F1 on trafilatura-eval, token F1 elsewhere."""
    e = results["article"].get(name, {}).get(source) or {}
    if source == "trafilatura-eval":
        return (e.get("snippets") or {}).get("f1", [None])[0]
    return (e.get("tok_f1") or [None])[0]


def _status(ok: bool | None) -> str:
    return "not measured" if ok is None else ("met" if ok else "NOT met")


# --------------------------------------------------------------------------- targets


def targets(results) -> list[tuple[str, str, str]]:
    """[(target, 'met' | 'NOT met' | 'not measured' | 'figure', detail)]."""
    out = []
    rows = _rows(results)
    if not rows:
        out.append(("(1)-(6) boilerkit targets", "not measured", "boilerkit was not available"))
        return out
    for row in rows:
        out.append(_head_to_head(results, row))
    for row in rows:
        out.append(_wcxb(results, row))
    for row in rows:
        out.append(_against_baseline(results, row))
    for row in rows:
        out.append(_block_target(results, row))
    out.extend(_speed_targets(results))
    out.append(_memory_target(results))
    out.append(_dense_target(results))
    out.append(_cli_figure(results))
    return out


def _head_to_head(results, row) -> tuple[str, str, str]:
    title = (f"(1) {_plain(row)}: article F1 above trafilatura's and readability-lxml's on the "
             "test parts of " + ", ".join(HEAD_TO_HEAD_SETS))
    parts, ok = [], True
    for source in HEAD_TO_HEAD_SETS:
        mine = _article_score(results, row, source)
        if mine is None:
            parts.append(f"{source}: not measured")
            ok = False
            continue
        peers = []
        for peer in HEAD_TO_HEAD_PEERS:
            theirs = _article_score(results, peer, source)
            if theirs is None:
                peers.append(f"{_peer(peer)} not measured")
                ok = False
                continue
            ok &= mine > theirs
            peers.append(f"{_peer(peer)} {theirs:.3f}{'' if mine > theirs else ' (ahead of boilerkit)'}")
        metric = "snippet F1" if source == "trafilatura-eval" else "token F1"
        parts.append(f"{source} ({metric}): {mine:.3f} vs " + ", ".join(peers))
    return title, _status(ok), "; ".join(parts) + "."


def _peer(name: str) -> str:
    return "readability-lxml" if name == "readability" else name


def _wcxb(results, row) -> tuple[str, str, str]:
    title = f"(1) {_plain(row)}: WCXB test part (silver gold; reported, no target)"
    e = results["article"].get(row, {}).get("wcxb")
    if not e:
        return title, "not measured", "WCXB not in this run"
    bits = []
    for name in (row, *HEAD_TO_HEAD_PEERS):
        w = results["article"].get(name, {}).get("wcxb") or {}
        if "tok_f1" in w:
            sn = (w.get("snippets") or {}).get("f1", [None])[0]
            bits.append(f"{_plain(_peer(name))} token F1 {w['tok_f1'][0]:.3f}, snippet F1 {_f(sn)}")
    return title, "figure", "; ".join(bits) + "."


def _against_baseline(results, row) -> tuple[str, str, str]:
    title = f"(1) {_plain(row)}: on the older sets, no worse than the previous model's figures"
    base = results.get("baseline")
    if not base or not base.get("sets"):
        return title, "not measured", "no baseline results.json (see --baseline)"
    worse, same_or_better = [], []
    for source, fig in base["sets"].items():
        key = "snippet_f1" if source == "trafilatura-eval" else "tok_f1"
        if key not in fig:
            continue
        now = _article_score(results, row, source)
        if now is None:
            continue
        then = fig[key][0]
        item = f"{source} {now:.3f} vs {then:.3f}"
        (same_or_better if now >= then else worse).append(item)
    if not worse and not same_or_better:
        return title, "not measured", "no set in common with the baseline"
    detail = ("Below: " + "; ".join(worse) + ". " if worse else "") + \
             ("At or above: " + "; ".join(same_or_better) + ". " if same_or_better else "") + \
             "Point estimates; the baseline's pages differ (see *Against the previous model*)."
    return title, _status(not worse), detail


def _block_target(results, row) -> tuple[str, str, str]:
    title = (f"(2) {_plain(row)}: 4-class macro-F1 >= {MACRO_F1:.2f}, teaser F1 >= "
             f"{TEASER_F1:.2f}, comment F1 >= {COMMENT_F1:.2f} (by block, site-disjoint test split)")
    blocks = results.get("blocks") or {}
    m = (blocks.get("models") or {}).get(row) if blocks.get("available") else None
    if not m or not m.get("available"):
        reason = (m or {}).get("reason") or blocks.get("reason") or "no block evaluation"
        return title, "not measured", reason
    b, ci = m["blocks"], m.get("intervals") or {}
    per = b["per_class"]
    teaser = per.get("teaser", {}).get("f1")
    comment = per.get("comment", {}).get("f1")
    ok = b["macro_f1"] >= MACRO_F1 and (teaser or 0) >= TEASER_F1 and (comment or 0) >= COMMENT_F1
    f1ci = ci.get("f1") or {}
    detail = (f"macro-F1 {_range(b['macro_f1'], ci.get('macro_f1'))}, teaser F1 "
              f"{_range(teaser, f1ci.get('teaser'))}, comment F1 {_range(comment, f1ci.get('comment'))} "
              f"(95% bootstrap intervals, {m.get('n_pages', '?')} pages resampled); per source below")
    return title, _status(ok), detail


def _speed_targets(results) -> list[tuple[str, str, str]]:
    sp = results.get("speed") or {}
    bk = sp.get("boilerkit") or {}
    traf = (sp.get("trafilatura") or {}).get("pages_per_s")
    floor = (sp.get("lxml-parse") or {}).get("pages_per_s")
    stages = ((results.get("stages") or {}).get("boilerkit") or {}).get("stages") or {}
    skipped = "not timed in this run" + (" (--quality-only)" if results.get("quality_only") else "")
    out = []
    pps = bk.get("pages_per_s")
    where = "one process, modern test pages"
    research = (sp.get("boilerkit-research") or {}).get("pages_per_s")
    extra = f"; research model {research / traf:.2f}x" if research and traf else ""
    for factor, label in ((X_TRAFILATURA, "(3)"), (LONG_X_TRAFILATURA, "(3) longer term:")):
        title = f"{label} boilerkit >= {factor:g}x trafilatura's pages/s ({where})"
        if pps and traf:
            out.append((title, _status(pps / traf >= factor),
                        f"{pps / traf:.2f}x ({pps:.1f} vs {traf:.1f} pages/s){extra}"))
        else:
            out.append((title, "not measured", skipped))
    title = f"(3) longer term: within {LONG_X_FLOOR:g}x of the lxml parse floor (time per page)"
    if pps and floor:
        out.append((title, _status(floor / pps <= LONG_X_FLOOR),
                    f"{floor / pps:.1f}x the time of lxml.html.fromstring alone "
                    f"({pps:.1f} vs {floor:.1f} pages/s)"))
    else:
        out.append((title, "not measured", skipped))
    for stage, limit in (("model", MODEL_MS), ("blocks + features", BLOCKS_FEATURES_MS)):
        title = f"(3) median {stage} stage <= {limit:g} ms/page"
        v = (stages.get(stage) or {}).get("median_ms")
        out.append((title, _status(v <= limit) if v is not None else "not measured",
                    f"{v:.2f} ms (mean {stages[stage]['mean_ms']:.2f} ms) on "
                    f"{results['stages']['boilerkit']['pages']} pages" if v is not None else skipped))
    return out


def _memory_target(results) -> tuple[str, str, str]:
    title = ("(4) Memory linear in page size (1x-8x page; R² >= 0.98 and last doubling costs "
             "<= 1.5x the first, tracemalloc)")
    sc = (results.get("scaling") or {}).get("boilerkit")
    if not sc or not sc.get("fits"):
        return title, "not measured", "no scaling measurement"
    parts, ok = [], None
    for key, label in (("tracemalloc_peak_mb", "tracemalloc peak"),
                       ("rss_peak_growth_mb", "peak RSS growth")):
        fit = sc["fits"].get(key)
        if not fit:
            continue
        if key == "tracemalloc_peak_mb":
            ok = fit["r2"] >= 0.98 and fit["last_over_first_doubling"] <= 1.5
        icpt = fit["intercept_mb"]
        parts.append(f"{label}: {fit['slope_mb_per_input_mb']:.1f} MB per input MB "
                     f"{'+' if icpt >= 0 else '-'} {abs(icpt):.1f} MB, R² {fit['r2']:.3f}, "
                     f"last/first doubling {fit['last_over_first_doubling']:.2f}")
    return title, _status(ok), "; ".join(parts)


def _dense_target(results) -> tuple[str, str, str]:
    title = (f"(5) Dense page (1,000,000 sibling `<p>x</p>`): classify in under "
             f"{DENSE_SECONDS:g} s and under {DENSE_PEAK_MB / 1024:g} GB peak RSS")
    d = results.get("dense_page")
    if not d:
        return title, "not measured", "not run"
    if "error" in d:
        return title, "NOT met", d["error"]
    secs = d["seconds"].get("classify, end to end")
    detail = (f"{d['blocks']:,} blocks: classify {secs:.1f} s (parse {d['seconds']['parse']:.1f} s, "
              f"blocks {d['seconds']['blocks']:.1f} s, features + model "
              f"{d['seconds']['features + model']:.1f} s), peak RSS {d['peak_rss_mb']:,.0f} MB")
    if d.get("siblings") != 1_000_000:
        return title, "not measured", f"{d.get('siblings'):,} siblings only: " + detail
    return title, _status(secs < DENSE_SECONDS and d["peak_rss_mb"] < DENSE_PEAK_MB), detail


def _cli_figure(results) -> tuple[str, str, str]:
    title = "(6) `boilerkit extract examples/news-page.html` in a fresh process (wall time)"
    c = results.get("cli")
    if not c:
        return title, "not measured", "not run"
    if "error" in c:
        return title, "not measured", c["error"]
    return title, "figure", (
        f"median {c['median_s']:.2f} s, best {c['min_s']:.2f} s over {len(c['runs_s'])} runs; "
        f"`python -c pass` {c['python_start_median_s']:.2f} s, `python -c \"import boilerkit\"` "
        f"{c['import_boilerkit_median_s']:.2f} s")


def target_lines(results) -> list[str]:
    """The targets as short text lines (printed at the end of a run)."""
    return [f"target: [{status}] {t}: {detail}" for t, status, detail in targets(results)]


# --------------------------------------------------------------------------- markdown


def render(results) -> str:
    ex = results["extractors"]
    names = _names(results)
    mach = results["machine"]
    data = results["data"]
    L = []
    L.append("# boilerkit benchmark results")
    L.append("")
    L.append("Generated by `" + results["command"].strip() + "`. "
             "Do not edit by hand: every number below comes from that one run, except the "
             "previous model's figures in the targets (see [README.md](README.md) for the method).")
    if results.get("quick"):
        L.append("")
        L.append("> **QUICK RUN** (`--quick`): a few pages per source; numbers are for development "
                 "only and not comparable to a full run.")
    if results.get("quality_only"):
        L.append("")
        L.append("> **Quality only** (`--quality-only`): no speed, memory, dense-page or start-up "
                 "figures in this run.")
    L.append("")
    L.append(f"- Date: {results['started']} to {results['finished']} (UTC), run time "
             f"{results['runtime_s'] / 60:.1f} min")
    L.append(f"- Machine: {mach['cpu']}, {mach['cores']} cores, {mach['memory']} RAM, {mach['os']}; "
             f"{mach['implementation']} {mach['python']}, numpy {mach['numpy']}")
    for row, bm in (results.get("boilerkit_models") or {}).items():
        if "error" in bm:
            L.append(f"- {_plain(row)} model: {bm['error']}")
            continue
        trained = ", ".join(Path(t).name.split(".")[0] for t in bm.get("training_data") or []) or "?"
        L.append(f"- {_plain(row)} model: `{(bm.get('path') or '?').replace(ROOT, '')}` (sha256 "
                 f"{(bm.get('sha256') or '?')[:12]}, created {bm.get('created') or '?'}, labels "
                 f"{', '.join(bm.get('labels') or [])}, saved by boilerkit "
                 f"{bm.get('boilerkit_version')}; trained on the `{bm.get('training_split') or '?'}` "
                 f"split of {trained})")
    la = results.get("loadavg") or {}
    if la:
        busy = any(v and v[0] > mach["cores"] for v in la.values())
        L.append("- Load average (1/5/15 min) " + "; ".join(
            f"{k}: {' / '.join(f'{x:.1f}' for x in v)}" for k, v in la.items() if v)
            + (" — **the machine was shared with other work during the run, so speed numbers "
               "are noisy; compare them only within this run**" if busy else ""))
    L.append(f"- Split: {data['split']}")
    n_pages = sum(e["pages_used"] for e in data["sources"].values())
    L.append(f"- Sample sizes: article quality on every test page ({n_pages} pages), for every "
             f"extractor; comments on {_comment_pages(results)} pages; speed, pool and peak RSS "
             f"on {results['speed_sample']['pages']} pages; tracemalloc on {_tm_pages(results)} pages")
    L.append(f"- Bootstrap: {results['n_bootstrap']} resamples of pages; `x ± h` is the mean and "
             "half the width of the 95% percentile interval, `x [lo, hi]` the interval itself")
    L.append(f"- Per-call timeout in the quality pass: {results['call_timeout_s']:.0f} s "
             "(a timeout or exception counts as an empty output and as a failure)")
    L.append("")

    L.append("## Targets")
    L.append("")
    L.append(_table(["target", "status", "measured"],
                    [[t, f"**{s}**", d] for t, s, d in targets(results)], ["l", "l", "l"]))
    L.append("")
    L.extend(_baseline_section(results))

    # data
    L.append("## Test data")
    L.append("")
    L.append("Every set is scored on its **test split only** (by site, `datasets/splits.json`; "
             "no site of a test page is in train or dev in any source). `dropped` = test pages "
             "left out because `datasets/dropped.json` lists them (their gold does not match "
             "the HTML). `split check` = pages whose split differs from the committed "
             "annotations / annotated test pages not loaded (both must be 0).")
    L.append("")
    rows = []
    for s, e in data["sources"].items():
        ann = e.get("annotation_test_pages")
        check = f"{e.get('split_mismatches', '?')} / {len(e.get('missing') or [])}"
        if ann is not None:
            check += f" ({ann} annotated test pages)"
        no_gold = len(e.get("no_gold") or [])
        rows.append([_set_label(s), f"{e['pages_used']} of {e['pages_total']}", str(e["sites_used"]),
                     f"{e['bytes_used'] / 2**20:.1f}", str(e.get("dropped_test", "?"))
                     + (f" (+{no_gold} without derivable gold)" if no_gold else ""), check,
                     data.get("snapshots", {}).get(s, "?")])
    L.append(_table(["set", "test pages used", "sites", "MiB", "dropped", "split check",
                     "snapshot (repo@commit)"], rows, ["l", "r", "r", "r", "r", "l", "l"]))
    L.append("")
    for s, e in (data.get("block_only_sources") or {}).items():
        L.append(f"Block evaluation only: {s}, {e['test_pages']} annotated test pages, "
                 f"{e['split_mismatches']} whose split differs from `split_of`.")
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
        rows.append([_plain(n), e["version"], f"`{e['call']}`", e["input"], status])
    L.append(_table(["extractor", "version", "call", "input", "status"], rows,
                    ["l", "l", "l", "l", "l"]))
    L.append("")

    if names:
        L.extend(_article_sections(results, names))
    L.extend(_comment_section(results))
    L.extend(_block_section(results))
    L.extend(_speed_section(results, names))

    L.append("## Article F1 against speed")
    L.append("")
    L.append(f"![article F1 vs pages/s]({PLOT_NAME})")
    L.append("")
    L.append(f"[`{PLOT_NAME}`]({PLOT_NAME}): mean bag-of-tokens article F1 over the test pages of "
             "every gold token set (the `all` column, WCXB left out, with its 95% CI) against "
             "single-process pages/s on the modern speed sample (log scale); the dashed line is "
             "the lxml parse floor. `ref-nothing` (F1 0) is left out of the plot.")
    L.append("")
    unavailable = {n: e["error"] for n, e in ex.items() if not e["available"]}
    L.append("## Unavailable extractors")
    L.append("")
    if unavailable:
        for n, err in unavailable.items():
            L.append(f"- {_plain(n)}: {err}")
    else:
        L.append("None: every requested extractor installed, imported and ran.")
    L.append("")
    return "\n".join(L)


def _baseline_section(results) -> list[str]:
    base = results.get("baseline")
    L = ["## Against the previous model", ""]
    if not base:
        return L + ["No baseline: no committed `benchmarks/results.json` and no `--baseline`.", ""]
    L.append(f"Baseline: {base['origin']} (run of {base.get('started')}, model sha256 "
             f"{(base.get('model_sha256') or '?')[:12]}"
             + (", a QUICK run" if base.get("quick") else "") + "). Its figures are on the "
             "pages of its own run: sets the old harness used whole (readability, "
             "trafilatura-eval) and the older splits (before sites were merged across "
             "aliases) differ from this run's test pages, so these are comparisons of "
             "estimates, not page by page. Metric: snippet F1 on trafilatura-eval, token F1 "
             "elsewhere (± half 95% CI).")
    L.append("")
    rows_ = _rows(results)
    header = ["set", "baseline pages", "baseline"]
    for row in rows_:
        header += [f"{_plain(row)} pages", _plain(row), "change"]
    body = []
    for source, fig in base["sets"].items():
        key = "snippet_f1" if source == "trafilatura-eval" else "tok_f1"
        if key not in fig:
            continue
        line = [source, f"{fig.get('pages', '?')}" + (" (whole set)" if fig.get("whole_set") else ""),
                _ci(fig[key])]
        for row in rows_:
            e = results["article"].get(row, {}).get(source) or {}
            now = (e.get("snippets") or {}).get("f1") if source == "trafilatura-eval" else e.get("tok_f1")
            line += [str(e.get("pages", "–")), _ci(now),
                     f"{now[0] - fig[key][0]:+.3f}" if now else "–"]
        body.append(line)
    L.append(_table(header, body))
    L.append("")
    return L


def _metric_table(results, names, cols, key) -> str:
    art = results["article"]

    def pages(col):
        return next((art[n][col]["pages"] for n in names if col in art[n]), "?")

    header = ["extractor"] + [f"{_set_label(c)} ({pages(c)} p.)" for c in cols]
    cells = {n: {} for n in names}
    for c in cols:
        col_cells, col_vals = {}, {}
        for n in names:
            e = art[n].get(c)
            col_cells[n] = _ci(e.get(key)) if e and key in e else "–"
            col_vals[n] = e[key][0] if e and key in e else None
        col_cells = _bold_best(col_cells, col_vals)
        for n in names:
            cells[n][c] = col_cells[n]
    return _table(header, [[_label(n)] + [cells[n][c] for c in cols] for n in names])


def _pr_table(results, names, cols) -> str:
    art = results["article"]
    rows = []
    for n in names:
        row = [_label(n)]
        for c in cols:
            e = art[n].get(c)
            row.append(f"{_f(e['tok_precision'][0])} / {_f(e['tok_recall'][0])}"
                       if e and "tok_precision" in e else "–")
        rows.append(row)
    return _table(["extractor"] + [f"{_set_label(c)} P / R" for c in cols], rows)


def _article_sections(results, names) -> list[str]:
    art = results["article"]
    older = _used(results, OLDER_SOURCES)
    modern = _used(results, MODERN_SOURCES)
    groups = [("older sets", older + [p for p in ("older",) if older]),
              ("modern sets", modern + [p for p in ("modern", "all") if modern or older])]
    L = ["## Article text: token F1 per test set", ""]
    L.append("Bag-of-tokens F1 per page, averaged over the test pages of each set (mean ± half "
             "95% CI). Pooled columns: `older` = the older sets, `modern` = fundus-eval, "
             "fundus-tests and postlight-fixtures, `all` = both (**WCXB is silver gold and in "
             "no pool**; trafilatura-eval has snippets only, below). On the modern sets each "
             "page scores its best acceptable reference: with or without the headline, and on "
             "fundus-eval with or without each optional `[...]` paragraph. Best real extractor "
             "per column in bold (references excluded).")
    L.append("")
    for title, cols in groups:
        if not cols:
            continue
        L += [f"### {title.capitalize()}", "", _metric_table(results, names, cols, "tok_f1"), ""]
    L += ["### Precision / recall (bag of tokens)", ""]
    for title, cols in groups:
        if cols:
            L += [_pr_table(results, names, cols), ""]
    L += ["### Second metric: ROUGE-L F1 (token LCS)", "",
          "LCS over lower-cased tokens, each side capped at 20,000 tokens (mean ± half 95% CI); "
          "rewards text in the gold's order.", ""]
    for title, cols in groups:
        if cols:
            L += [_metric_table(results, names, cols, "rougeL_f1"), ""]
    groups_w = {g for n in names for g in ((art[n].get("wcxb") or {}).get("groups") or {})}
    if groups_w:
        L += ["### WCXB (silver) by page type and by draft origin", "",
              "Token F1 (mean ± half 95% CI). `draft:rs-trafilatura` = pages whose gold "
              "started from rs-trafilatura's output (the WCXB author's extractor), "
              "`draft:other` = drafted by a language model; both reviewed. A lead of "
              "trafilatura-like extractors on the first group is what the silver warning is "
              "about. Forum pages: WCXB counts every post as main content, boilerkit labels "
              "replies `comment` (not in its article text).", ""]
        order = sorted(groups_w, key=lambda g: (not g.startswith("draft"), g))
        header = ["extractor"]
        for g in order:
            pages = next((art[n]["wcxb"]["groups"][g]["pages"] for n in names
                          if g in (art[n].get("wcxb") or {}).get("groups", {})), "?")
            header.append(f"{g} ({pages} p.)")
        rows = []
        for n in names:
            grp = (art[n].get("wcxb") or {}).get("groups") or {}
            rows.append([_label(n)] + [_ci(grp[g]["tok_f1"]) if g in grp else "–" for g in order])
        L += [_table(header, rows), ""]
    L += ["### Failures and empty outputs (article pass, all sets)", ""]
    rows = []
    for n in names:
        per = art[n]
        empty = sum(v.get("empty", 0) for k, v in per.items()
                    if isinstance(v, dict) and not k.startswith("_") and k not in POOLS)
        rows.append([_label(n), str(per["_pages"]), str(per["_failures"]), str(empty)])
    L += [_table(["extractor", "pages", "failures (exception, timeout or crash)",
                  "empty outputs (failures included)"], rows), ""]
    wc = results.get("worker_crashes") or {}
    if wc:
        L += ["Pages that killed a worker process (twice; scored as empty, and left out of "
              "the speed sample): " + "; ".join(f"{k}: {', '.join(v)}" for k, v in wc.items()), ""]
    data = results["data"]
    for s in SNIPPET_SOURCES:
        if not any(s in art[n] and "snippets" in art[n][s] for n in names):
            continue
        L += [f"## Article text: {_set_label(s)} snippets", ""]
        note = (" WCXB's `with` snippets come from its silver `main_content`; `without` "
                "snippets are menus, ads, cookie banners, footers." if s == "wcxb" else "")
        L += [f"The {data['sources'].get(s, {}).get('pages_used', '?')} test pages. A `with` "
              "snippet found in the output is a TP, missing a FN; a `without` snippet found is "
              "a FP, absent a TN; summed over all snippets (mean ± half 95% CI, pages "
              "resampled)." + note, ""]
        rows, vals, cells = [], {}, {}
        for n in names:
            e = art[n].get(s)
            if not e or "snippets" not in e:
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
        L += [_table(["extractor", "precision", "recall", "F1", "accuracy", "TP/FP/TN/FN",
                      "failures"], rows), ""]
    return L


def _comment_section(results) -> list[str]:
    L = ["## Comments", ""]
    com = results.get("comments") or {}
    if not com:
        return L + ["Not measured (neither boilerkit nor trafilatura available).", ""]
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
    L += [_table(header, rows), "", "No other peer separates comments from the article text.", ""]
    return L


def _block_section(results) -> list[str]:
    L = ["## Teasers and navigation: boilerkit block classification", ""]
    L.append("No peer reports these classes: every peer returns one main text, so teaser, "
             "navigation and comment blocks can only be scored for boilerkit.")
    L.append("")
    blocks = results.get("blocks") or {}
    if not blocks.get("available"):
        return L + [f"Not measured in this run: {blocks.get('reason', '?')}.", ""]
    lm = _label_map_text(blocks.get("label_map"))
    for row, m in (blocks.get("models") or {}).items():
        L.append(f"### {_plain(row)}")
        L.append("")
        if not m.get("available"):
            L += [f"Not measured: {m.get('reason', '?')}.", ""]
            continue
        L += _block_tables(m, lm)
    return L


def _label_map_text(label_map) -> str:
    return ", ".join(f"`{k}` → `{v}`" if v is not None else f"`{k}` → unlabelled"
                     for k, v in (label_map or {}).items())


def _block_tables(m: dict, lm: str) -> list[str]:
    """The per-class and per-source tables of one block scoring."""
    L: list[str] = []
    ci = m.get("intervals") or {}
    L.append(f"`boilerkit.evaluation.evaluate(model, pages)` on the {m.get('n_pages', '?')} "
             f"test-split pages of the labelled corpus "
             f"(`load_corpus(split=\"test\")`, label map {lm}): {m['n_blocks']:,} labelled "
             f"blocks, {m['n_chars']:,} characters. `[lo, hi]` = 95% bootstrap interval, "
             f"{ci.get('n_bootstrap', '?')} resamples of pages.")
    L.append("")
    rows = []
    f1ci = ci.get("f1") or {}
    for label in m["labels"]:
        b = m["blocks"]["per_class"][label]
        c = m["chars"]["per_class"][label]
        rows.append([label, _f(b["precision"]), _f(b["recall"]),
                     f"**{_range(b['f1'], f1ci.get(label))}**", f"{b['support']:,}",
                     _f(c["precision"]), _f(c["recall"]), _f(c["f1"])])
    rows.append(["macro", _f(m["blocks"]["macro_avg"]["precision"]),
                 _f(m["blocks"]["macro_avg"]["recall"]),
                 f"**{_range(m['blocks']['macro_f1'], ci.get('macro_f1'))}**",
                 f"{m['n_blocks']:,}", _f(m["chars"]["macro_avg"]["precision"]),
                 _f(m["chars"]["macro_avg"]["recall"]), _f(m["chars"]["macro_f1"])])
    L += [_table(["class", "P (blocks)", "R (blocks)", "F1 (blocks) [95% CI]", "blocks",
                  "P (chars)", "R (chars)", "F1 (chars)"], rows), ""]
    bys = m.get("by_source") or {}
    if bys:
        L.append("Per source (each source is scored on the classes its gold has, as "
                 "`evaluate` reports it; intervals resample the source's pages):")
        L.append("")
        rows = []
        cis = ci.get("by_source") or {}
        for s, v in bys.items():
            sci = cis.get(s) or {}
            per = v["blocks"]["per_class"]
            sf1 = sci.get("f1") or {}
            rows.append([s, str(sci.get("pages", "?")), f"{v['n_blocks']:,}", ", ".join(v["labels"]),
                         _range(v["blocks"]["macro_f1"], sci.get("macro_f1")),
                         _range(per["teaser"]["f1"], sf1.get("teaser")) if "teaser" in per else "–",
                         _range(per["comment"]["f1"], sf1.get("comment")) if "comment" in per else "–",
                         _f(v["chars"]["macro_f1"])])
        L += [_table(["source", "pages", "blocks", "classes scored", "macro-F1 (blocks)",
                      "teaser F1", "comment F1", "macro-F1 (chars)"], rows), ""]
    return L


def _speed_section(results, names) -> list[str]:
    L = ["## Speed and memory", ""]
    sp, pool, mem = results.get("speed") or {}, results.get("pool") or {}, results.get("memory") or {}
    if not sp:
        return L + ["Not measured in this run.", ""]
    ss = results["speed_sample"]
    L.append(f"One process, the same {ss['pages']} modern test pages held in memory (a seeded "
             f"sample of the test parts of {', '.join(ss.get('sources') or [])}; median "
             f"{ss['median_bytes'] / 1024:.0f} KiB, {ss['total_bytes'] / 2**20:.1f} MiB in all; "
             f"{', '.join(f'{k} {v}' for k, v in sorted(ss['by_source'].items()))}). Each extractor "
             "gets one warm-up pass, then one timed pass (wall clock per call). "
             "`x traf.` = pages/s relative to trafilatura; `x floor` = time per page relative to "
             "`lxml.html.fromstring` alone. Pool = the same pages mapped by a fork "
             f"`multiprocessing.Pool({results['machine']['cores']})` (warm-up map, then a timed map). "
             "Every process runs with one OpenMP/BLAS thread. "
             "Peak RSS = growth of the peak resident set over one pass over all the pages, "
             "measured in a forked child after a warm-up, `gc.collect()` and `malloc_trim(0)` "
             "(VmHWM after `/proc/self/clear_refs` minus VmRSS before the pass); tracemalloc = "
             "peak of traced Python allocations over one pass over the first "
             f"{_tm_pages(results)} pages of the sample (it does not see libxml2's own C "
             "allocations, which the RSS column includes).")
    L.append("")
    traf = sp.get("trafilatura", {}).get("pages_per_s")
    floor = sp.get("lxml-parse", {}).get("pages_per_s")
    rows = []
    for n in list(names) + ["lxml-parse"]:
        s = sp.get(n, {})
        if "pages_per_s" not in s:
            rows.append([_plain(n), s.get("error", "–")] + ["–"] * 8)
            continue
        m, p = mem.get(n, {}), pool.get(n, {})
        label = "lxml.html.fromstring (floor)" if n == "lxml-parse" else _label(n)
        rows.append([label, f"{s['pages_per_s']:.1f}", f"{s['median_ms']:.1f}", f"{s['p95_ms']:.1f}",
                     f"{s['pages_per_s'] / traf:.2f}" if traf else "–",
                     f"{floor / s['pages_per_s']:.1f}" if floor else "–",
                     f"{p['pages_per_s']:.1f}" if "pages_per_s" in p else "–",
                     _f(m.get("rss_peak_growth_mb"), 1), _f(m.get("tracemalloc_peak_mb"), 1),
                     str(s["failures"])])
    if any(v and v[0] > results["machine"]["cores"] for v in (results.get("loadavg") or {}).values()):
        L += ["> The load average exceeded the core count during this run (other work on the "
              "machine): the pool column, which needs every core, suffers most.", ""]
    L += [_table(["extractor", "pages/s", "median ms", "p95 ms", "x traf.", "x floor",
                  f"pool pages/s ({results['machine']['cores']} proc.)", "peak RSS MB",
                  "tracemalloc MB", "failures"], rows), ""]
    stages = results.get("stages") or {}
    if stages:
        L += ["### Where boilerkit's time goes", "",
              "`benchmarks/profile_stages.py`'s stages on the same pages (a warm-up pass, then a "
              "timed pass; `features` makes the feature rows, `model` predicts from them, each "
              "timed on its own, page by page).", ""]
        rows_ = [r for r in stages if "stages" in stages[r]]
        if rows_:
            stage_names = list(stages[rows_[0]]["stages"])
            header = ["stage"] + [f"{_plain(r)} median ms" for r in rows_] + \
                     [f"{_plain(r)} mean ms" for r in rows_]
            body = [[st] + [f"{stages[r]['stages'][st]['median_ms']:.2f}" for r in rows_]
                    + [f"{stages[r]['stages'][st]['mean_ms']:.2f}" for r in rows_]
                    for st in stage_names]
            L += [_table(header, body), ""]
        for r, v in stages.items():
            if "error" in v:
                L += [f"{_plain(r)}: {v['error']}", ""]
    d = results.get("dense_page")
    if d:
        L += ["### The dense page", ""]
        if "error" in d:
            L += [f"{d.get('siblings', '?'):,} sibling `<p>x</p>`: {d['error']}", ""]
        else:
            L += [f"`benchmarks/dense_page.py`: {d['siblings']:,} sibling `<p>x</p>` "
                  f"({d['bytes'] / 1e6:.1f} MB, {d['blocks']:,} blocks) classified in a fresh "
                  f"process; peak RSS of that process {d['peak_rss_mb']:,.0f} MB.", "",
                  _table(["stage", "seconds"], [[k, f"{v:.2f}"] for k, v in d["seconds"].items()]), ""]
    c = results.get("cli")
    if c and "error" not in c:
        L += ["### One page from the command line", "",
              f"`{c['command']}` from the repository root, in a fresh process each time, after "
              f"one untimed run: " + ", ".join(f"{t:.2f}" for t in c["runs_s"])
              + f" s (median {c['median_s']:.2f} s). A bare `python -c pass` takes "
              f"{c['python_start_median_s']:.2f} s and `python -c \"import boilerkit\"` "
              f"{c['import_boilerkit_median_s']:.2f} s (medians) on this machine.", ""]
    scaling = results.get("scaling") or {}
    if scaling:
        L += ["### Memory against page size", ""]
        first = next(iter(scaling.values()))
        L += [f"One page ({first['page_id']}, {first['page_bytes'] / 1024:.0f} KiB) with its "
              "`<body>` content repeated 1x, 2x, 4x, 8x; peak memory of one call (forked "
              "child per size, after a warm-up call). Line = least-squares fit "
              "`peak MB = slope x input MB + intercept`.", ""]
        rows = []
        for n, sc in scaling.items():
            for pt in sc["points"]:
                rows.append([_label(n), f"{pt['scale']}x", f"{pt['bytes'] / 1024:.0f}",
                             _f(pt.get("tracemalloc_peak_mb"), 2), _f(pt.get("rss_peak_growth_mb"), 1),
                             pt.get("error", "")])
        L += [_table(["extractor", "size", "KiB", "tracemalloc peak MB", "peak RSS growth MB",
                      "error"], rows), ""]
        rows = []
        for n, sc in scaling.items():
            for key, fit in sc["fits"].items():
                rows.append([_label(n), key.replace("_mb", "").replace("_", " "),
                             f"{fit['slope_mb_per_input_mb']:.2f}", f"{fit['intercept_mb']:.2f}",
                             f"{fit['r2']:.4f}", f"{fit['last_over_first_doubling']:.2f}"])
        L += [_table(["extractor", "measure", "slope (MB per input MB)", "intercept MB", "R²",
                      "last / first doubling"], rows), ""]
    return L


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


# --------------------------------------------------------------------------- plot


def _place_labels(fig, ax, labels) -> None:
    """Name each point, trying a few offsets so that no two names overlap."""
    offsets = [(7, 5, "left"), (7, -14, "left"), (-7, 5, "right"), (-7, -14, "right"),
               (7, 16, "left"), (7, -25, "left"), (-7, 16, "right"), (-7, -25, "right")]
    placed = []
    # boilerkit first, so that it gets the best spot
    for n, x, y in sorted(labels, key=lambda t: t[0] not in adapters.BOILERKIT_ROWS):
        for dx, dy, ha in offsets:
            ann = ax.annotate(_plain(n), (x, y), textcoords="offset points", xytext=(dx, dy), ha=ha,
                              fontsize=9,
                              fontweight="bold" if n in adapters.BOILERKIT_ROWS else "normal")
            fig.canvas.draw()
            box = ann.get_window_extent().expanded(1.05, 1.15)
            if not any(box.overlaps(other) for other in placed):
                placed.append(box)
                break
            ann.remove()
        else:
            ax.annotate(_plain(n), (x, y), textcoords="offset points", xytext=(7, 5), fontsize=9)


def write_plot(results, path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    art, sp = results["article"], results.get("speed") or {}
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
        mean, lo, hi = art[n]["all"]["tok_f1"]
        x = sp[n]["pages_per_s"]
        if n == "boilerkit":
            style = dict(color="#d62728", marker="*", markersize=16, zorder=5)
        elif n in adapters.BOILERKIT_ROWS:
            style = dict(color="#9467bd", marker="*", markersize=14, zorder=5)
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
    if points:
        ax.set_xscale("log")
    ax.set_ylim(max(0.0, min(lows, default=0.0) - 0.05), 1.0)
    _place_labels(fig, ax, labels)
    ax.set_xlabel("pages per second (one process, modern test pages, log scale)")
    ax.set_ylabel("article F1 (bag of tokens, mean over test pages)")
    n_pages = next((art[n]["all"]["pages"] for n in art if "all" in art[n]), "?")
    ss = results["speed_sample"]["pages"]
    title = f"Article F1 ({n_pages} test pages, WCXB excluded) vs speed ({ss} pages)"
    if results.get("quick"):
        title += " - QUICK RUN"
    if not points:
        title += " - no speed figures in this run"
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


if __name__ == "__main__":                      # re-render from a results.json of a run
    import json
    import sys

    src = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).with_name("results.json"))
    res = json.loads(src.read_text())
    write_plot(res, src.with_name(PLOT_NAME))
    src.with_name("RESULTS.md").write_text(render(res))
    print(f"rendered {src.with_name('RESULTS.md')}")
