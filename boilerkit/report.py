"""``boilerkit evaluate --report report.html``: the evaluation as one HTML page.

The report holds, in one self-contained file:

- per-class precision, recall and F1, by block and by character, each with a
  bootstrap interval: pages are resampled with replacement (a page's blocks
  are not independent, so resampling blocks would make the intervals too
  narrow) and the percentile interval of the scores is reported;
- the confusion matrix as an inline SVG (rows: gold, columns: predicted;
  cells shaded by the share of their row);
- a table per source (dataset) with macro-F1 and its interval;
- the worst pages (lowest share of characters labelled right), each linked
  to a side-by-side view, gold labels on the left and predictions on the
  right, with every block where they differ marked. The views are written to
  ``<report>_files/`` next to the report.

Scores are the ones :func:`boilerkit.evaluation.compute_metrics` gives, with
the same treatment of unlabelled and ``boilerplate`` blocks.
"""

from __future__ import annotations

import datetime
import html
import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .blocks import build_blocks
from .evaluation import compute_metrics
from .labelled import LabelledPage
from .labels import PARTIAL_LABEL, PRIMARY_LABEL
from .page import LabelledBlock, Page
from .parse import parse_html
from .progress import Progress
from .sanitize import content_security_policy
from .show import build_view, label_colours, script_hash

log = logging.getLogger(__name__)

DEFAULT_RESAMPLES = 1000
DEFAULT_WORST = 10
CONFIDENCE = 0.95


@dataclass
class PageResult:
    """One evaluated page: its gold labels, the predictions and their probabilities."""

    page: LabelledPage
    predicted: list[str]
    probabilities: np.ndarray  # (n_blocks, n_classes), columns as ``classes``
    classes: list[str]

    def scored(self) -> np.ndarray:
        """Which blocks count, as in :func:`~boilerkit.evaluation.compute_metrics`."""
        return np.array([gold is not None and not (gold == PARTIAL_LABEL and pred != PRIMARY_LABEL)
                         for gold, pred in zip(self.page.labels, self.predicted)], dtype=bool)

    def differs(self) -> list[bool]:
        keep = self.scored()
        return [bool(k) and gold != pred
                for k, gold, pred in zip(keep, self.page.labels, self.predicted)]

    def accuracy(self) -> tuple[float, float, int, int]:
        """``(char accuracy, block accuracy, scored blocks, wrong blocks)``."""
        keep = self.scored()
        chars = np.array([len(block.text) for block in self.page.blocks], dtype=float)[keep]
        right = np.array([gold == pred for gold, pred in zip(self.page.labels, self.predicted)],
                         dtype=bool)[keep]
        if not keep.any():
            return 1.0, 1.0, 0, 0
        char_accuracy = float(chars[right].sum() / chars.sum()) if chars.sum() else float(right.mean())
        return char_accuracy, float(right.mean()), int(keep.sum()), int((~right).sum())


def evaluate_pages(model, pages: Sequence[LabelledPage], labels: Sequence[str] | None = None, *,
                   batch_size: int = 256, progress: bool = False) -> tuple[dict, list[PageResult]]:
    """:func:`boilerkit.evaluation.evaluate`'s metrics, plus every page's predictions.

    Labels are chosen as ``model.predict`` chooses them (``choose_labels``: the article
    rules), so that the report scores what ``evaluate`` scores."""
    pages = [page for page in pages if any(label is not None for label in page.labels)]
    classes = [str(label) for label in model.classes_]
    choose = getattr(model, "choose_labels", None)
    results: list[PageResult] = []
    with Progress(len(pages), "evaluating", unit="pages", disable=not progress) as bar:
        for start in range(0, len(pages), batch_size):
            batch = pages[start:start + batch_size]
            for page, proba in zip(batch, model.predict_proba([page.blocks for page in batch])):
                proba = np.asarray(proba)
                best = (choose(page.blocks, proba) if choose is not None
                        else np.argmax(proba, axis=1)) if len(proba) else []
                predicted = [classes[i] for i in best]
                results.append(PageResult(page, predicted, proba, classes))
            bar.update(len(batch))
    y_true = [label for r in results for label in r.page.labels]
    y_pred = [label for r in results for label in r.predicted]
    chars = [len(block.text) for r in results for block in r.page.blocks]
    sources = [r.page.source for r in results for _ in r.page.blocks]
    metrics = compute_metrics(y_true, y_pred, chars, sources, labels)
    metrics["n_pages"] = len(results)
    return metrics, results


# -- bootstrap --------------------------------------------------------------------------


def _page_matrices(results: Sequence[PageResult], labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per page, confusion counts by block and by character: ``(pages, L + 1, L)``.

    The extra last row holds scored blocks whose gold label is not reported
    (``boilerplate`` predicted as article): they only count against precision.
    """
    index: dict[str | None, int] = {label: i for i, label in enumerate(labels)}
    n = len(labels)
    by_block = np.zeros((len(results), n + 1, n))
    by_char = np.zeros((len(results), n + 1, n))
    for p, result in enumerate(results):
        for keep, gold, pred, block in zip(result.scored(), result.page.labels, result.predicted,
                                           result.page.blocks):
            if not keep or pred not in index:
                continue
            row = index.get(gold, n)
            by_block[p, row, index[pred]] += 1
            by_char[p, row, index[pred]] += len(block.text)
    return by_block, by_char


def _scores(matrices: np.ndarray, present: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Precision, recall, F1 per label and macro-F1 for a stack of ``(..., L + 1, L)`` matrices."""
    n = matrices.shape[-1]
    tp = np.diagonal(matrices[..., :n, :], axis1=-2, axis2=-1)
    predicted = matrices.sum(axis=-2)
    true = matrices[..., :n, :].sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(true > 0, tp / true, 0.0)
        f1 = np.where(predicted + true > 0, 2 * tp / (predicted + true), 0.0)
    columns = present if present is not None else np.ones(n, dtype=bool)
    macro = f1[..., columns].mean(axis=-1) if columns.any() else np.zeros(f1.shape[:-1])
    return {"precision": precision, "recall": recall, "f1": f1, "macro_f1": macro}


def bootstrap(matrices: np.ndarray, resamples: int = DEFAULT_RESAMPLES, seed: int = 0,
              confidence: float = CONFIDENCE, present: np.ndarray | None = None) -> dict:
    """Percentile intervals of the scores over pages resampled with replacement.

    ``matrices`` are the pages' confusion counts (see :func:`_page_matrices`).
    Returns ``{"precision"|"recall"|"f1": (low[L], high[L]), "macro_f1": (low, high)}``.
    """
    n_pages = len(matrices)
    flat = matrices.reshape(n_pages, -1)
    rng = np.random.default_rng(seed)
    scores: dict[str, list] = {"precision": [], "recall": [], "f1": [], "macro_f1": []}
    chunk = max(1, min(resamples, 2_000_000 // max(n_pages, 1)))  # bound the count matrix
    done = 0
    while done < resamples:
        size = min(chunk, resamples - done)
        counts = rng.multinomial(n_pages, np.full(n_pages, 1 / n_pages), size=size)
        sampled = (counts @ flat).reshape((size,) + matrices.shape[1:])
        for name, values in _scores(sampled, present).items():
            scores[name].append(values)
        done += size
    tail = (1 - confidence) / 2 * 100
    return {name: (np.percentile(np.concatenate(values), tail, axis=0),
                   np.percentile(np.concatenate(values), 100 - tail, axis=0))
            for name, values in scores.items()}


# -- the confusion matrix as SVG ------------------------------------------------------------


def _shade(share: float) -> str:
    """White to dark blue."""
    low, high = np.array([247, 251, 255]), np.array([8, 69, 148])
    r, g, b = (low + (high - low) * min(max(share, 0.0), 1.0)).round().astype(int)
    return f"rgb({r},{g},{b})"


def confusion_svg(matrix: Sequence[Sequence[float]], labels: Sequence[str], *,
                  title: str = "", unit: str = "blocks") -> str:
    """A confusion matrix as an inline SVG: rows gold, columns predicted, shaded by row share."""
    values = np.asarray(matrix, dtype=float)
    n = len(labels)
    cell, left, top = 84, 118, 84
    width, height = max(left + n * cell + 14, 420), top + n * cell + 40
    colours = label_colours(list(labels))
    esc = html.escape
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="confusion" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="{esc(title or "confusion matrix")}" font-family="system-ui,sans-serif">']
    if title:
        out.append(f'<text x="{left}" y="16" font-size="14" font-weight="600">{esc(title)}</text>')
    out.append(f'<text x="{left + n * cell / 2}" y="38" font-size="12" text-anchor="middle" '
               f'fill="#444">predicted</text>')
    out.append(f'<text x="14" y="{top + n * cell / 2}" font-size="12" text-anchor="middle" '
               f'fill="#444" transform="rotate(-90 14 {top + n * cell / 2})">gold</text>')
    rows = values.sum(axis=1)
    for j, label in enumerate(labels):
        r, g, b = colours[label]
        x = left + j * cell + cell / 2 - 1
        out.append(f'<rect x="{x - 4}" y="{top - 34}" width="8" height="8" fill="rgb({r},{g},{b})"/>')
        out.append(f'<text x="{x}" y="{top - 10}" font-size="11" text-anchor="middle">'
                   f'{esc(label[:12])}</text>')
    for i, label in enumerate(labels):
        r, g, b = colours[label]
        y = top + i * cell + cell / 2
        out.append(f'<rect x="26" y="{y - 8}" width="8" height="8" fill="rgb({r},{g},{b})"/>')
        out.append(f'<text x="38" y="{y}" font-size="11">{esc(label[:12])}</text>')
        for j in range(n):
            value = values[i, j]
            share = value / rows[i] if rows[i] else 0.0
            x0, y0 = left + j * cell, top + i * cell
            colour = "#fff" if share > 0.5 else "#111"
            out.append(f'<rect class="cell" data-row="{esc(label)}" data-col="{esc(labels[j])}" '
                       f'x="{x0}" y="{y0}" width="{cell - 2}" height="{cell - 2}" '
                       f'fill="{_shade(share)}" stroke="{"#111" if i == j else "#ccc"}">'
                       f'<title>gold {esc(label)}, predicted {esc(labels[j])}: '
                       f'{value:,.0f} {unit} ({share:.1%} of the row)</title></rect>')
            out.append(f'<text x="{x0 + cell / 2 - 1}" y="{y0 + cell / 2 - 3}" font-size="13" '
                       f'text-anchor="middle" fill="{colour}">{value:,.0f}</text>')
            out.append(f'<text x="{x0 + cell / 2 - 1}" y="{y0 + cell / 2 + 13}" font-size="10.5" '
                       f'text-anchor="middle" fill="{colour}">{share:.0%}</text>')
    out.append(f'<text x="{left}" y="{height - 10}" font-size="11" fill="#555">shade: share of '
               f'the gold row; the diagonal is right ({esc(unit)})</text>')
    out.append("</svg>")
    return "".join(out)


# -- page views -------------------------------------------------------------------------------


def _tree_of(page: LabelledPage):
    """The page's parsed tree and its blocks with elements, or None if the HTML is gone."""
    if page.blocks and page.blocks[0].element is not None:
        return page.blocks[0].element.getroottree().getroot(), page.blocks
    path = Path(page.page_id)
    if not path.is_file():
        return None
    root = parse_html(path.read_bytes(), max_bytes=None)
    blocks = build_blocks(root)
    if [block.text for block in blocks] != [block.text for block in page.blocks]:
        log.warning("%s: the file's blocks differ from the evaluated ones; no view", path)
        return None
    return root, blocks


_COMPARE_SCRIPT = (
    "(function(){var f=document.querySelectorAll('iframe');"
    "window.addEventListener('message',function(e){if(!e.data||!e.data.boilerkitScroll)return;"
    "for(var i=0;i<f.length;i++){if(f[i].contentWindow!==e.source)"
    "f[i].contentWindow.postMessage(e.data,'*');}});})();")


def _compare_page(name: str, title: str, summary: str, report_name: str) -> str:
    policy = content_security_policy(script_hashes=(script_hash(_COMPARE_SCRIPT),))
    policy = policy.replace("frame-src 'none'", "frame-src 'self'").replace(
        "child-src 'none'", "child-src 'self'")
    esc = html.escape
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{esc(policy)}">
<meta name="referrer" content="no-referrer">
<title>{esc(title)}</title>
<style>
html,body{{margin:0;height:100%;font:14px/1.4 system-ui,sans-serif;color:#111}}
header{{padding:6px 12px;border-bottom:1px solid #ccc;height:54px;box-sizing:border-box}}
header h1{{font-size:15px;margin:0;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}}
.panes{{display:flex;height:calc(100% - 54px)}}
.pane{{flex:1;display:flex;flex-direction:column;min-width:0;border-right:1px solid #ccc}}
.pane h2{{font-size:13px;margin:0;padding:3px 10px;background:#f3f3f3;border-bottom:1px solid #ccc}}
iframe{{flex:1;border:0;width:100%}}
</style></head><body>
<header><h1>{esc(title)}</h1><div>{summary} · <a href="../{esc(report_name)}">back to the report</a></div></header>
<div class="panes">
<div class="pane"><h2>gold labels</h2><iframe title="gold labels" src="{esc(name)}.gold.html"></iframe></div>
<div class="pane"><h2>predicted labels</h2><iframe title="predicted labels" src="{esc(name)}.predicted.html"></iframe></div>
</div>
<script>{_COMPARE_SCRIPT}</script>
</body></html>
"""


def write_page_views(result: PageResult, directory: Path, name: str, report_name: str,
                     summary: str) -> Path | None:
    """Write the side-by-side view of one page; return its path (None: no HTML for it)."""
    found = _tree_of(result.page)
    if found is None:
        return None
    root, blocks = found
    page = Page(blocks=[LabelledBlock(block, label, dict(zip(result.classes, map(float, row))))
                        for block, label, row in zip(blocks, result.predicted, result.probabilities)],
                title=result.page.page_id)
    differs = result.differs()
    directory.mkdir(parents=True, exist_ok=True)
    for colour_by in ("gold", "predicted"):
        view = build_view(root, page, gold=result.page.labels, differs=differs,
                          colour_by=colour_by, mode="compare",
                          heading=f"{colour_by}: {result.page.page_id}")
        (directory / f"{name}.{colour_by}.html").write_text(view, encoding="utf-8")
    path = directory / f"{name}.html"
    path.write_text(_compare_page(name, result.page.page_id, summary, report_name),
                    encoding="utf-8")
    return path


# -- the report ---------------------------------------------------------------------------------


def _interval(low: float, high: float) -> str:
    return f'<span class="ci">[{low:.3f}, {high:.3f}]</span>'


def _scores_table(view: dict, labels: Sequence[str], intervals: dict, unit: str) -> str:
    esc = html.escape
    rows = []
    for i, label in enumerate(labels):
        scores = view["per_class"][label]
        cells = []
        for name in ("precision", "recall", "f1"):
            low, high = intervals[name][0][i], intervals[name][1][i]
            cells.append(f"<td>{scores[name]:.3f} {_interval(low, high)}</td>")
        rows.append(f'<tr><th scope="row">{esc(label)}</th>{"".join(cells)}'
                    f'<td class="num">{scores["support"]:,}</td></tr>')
    low, high = intervals["macro_f1"]
    rows.append(f'<tr class="total"><th scope="row">macro</th><td>{view["macro_avg"]["precision"]:.3f}</td>'
                f'<td>{view["macro_avg"]["recall"]:.3f}</td>'
                f'<td>{view["macro_f1"]:.3f} {_interval(float(low), float(high))}</td><td></td></tr>')
    rows.append(f'<tr class="total"><th scope="row">accuracy</th><td></td><td></td>'
                f'<td>{view["accuracy"]:.3f}</td><td></td></tr>')
    return (f'<table class="scores"><caption>by {unit}</caption><thead><tr><th></th>'
            f"<th>precision</th><th>recall</th><th>F1</th><th>support ({unit})</th></tr></thead>"
            f'<tbody>{"".join(rows)}</tbody></table>')


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def write_report(path: str | Path, metrics: dict, results: Sequence[PageResult], *,
                 worst: int = DEFAULT_WORST, resamples: int = DEFAULT_RESAMPLES, seed: int = 0,
                 title: str = "boilerkit evaluation", details: dict[str, str] | None = None) -> Path:
    """Write the HTML report of ``metrics``/``results`` (from :func:`evaluate_pages`) to ``path``.

    The views of the ``worst`` pages go to ``<path stem>_files/``. Returns ``path``.
    """
    path = Path(path)
    esc = html.escape
    labels = metrics["labels"]
    by_block, by_char = _page_matrices(results, labels)
    if resamples > 0 and len(results):
        block_ci = bootstrap(by_block, resamples, seed)
        char_ci = bootstrap(by_char, resamples, seed)
    else:
        empty = (np.full(len(labels), np.nan), np.full(len(labels), np.nan))
        block_ci = char_ci = {"precision": empty, "recall": empty, "f1": empty,
                              "macro_f1": (np.nan, np.nan)}

    parts = [f"<h1>{esc(title)}</h1>"]
    facts = [f"{metrics.get('n_pages', len(results)):,} pages",
             f"{metrics['n_blocks']:,} labelled blocks", f"{metrics['n_chars']:,} characters"]
    parts.append(f'<p class="facts">{" · ".join(facts)}</p>')
    if details:
        parts.append("<dl>" + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>"
                                      for k, v in details.items()) + "</dl>")
    parts.append(f"<p>Intervals: {CONFIDENCE:.0%} percentile bootstrap over {resamples:,} "
                 "resamples of whole pages (seed "
                 f"{seed}).</p>" if resamples > 0 else "<p>No bootstrap intervals (0 resamples).</p>")
    parts.append('<h2 id="scores">Scores per class</h2><div class="row">')
    parts.append(_scores_table(metrics["blocks"], labels, block_ci, "block"))
    parts.append(_scores_table(metrics["chars"], labels, char_ci, "character"))
    parts.append("</div>")
    parts.append('<h2 id="confusion">Confusion matrix</h2><div class="row">')
    parts.append(confusion_svg(metrics["blocks"]["confusion"], labels,
                               title="by block", unit="blocks"))
    parts.append(confusion_svg(metrics["chars"]["confusion"], labels,
                               title="by character", unit="characters"))
    parts.append("</div>")

    # Per source.
    by_source = metrics.get("by_source") or {}
    if by_source:
        source_of = np.array([r.page.source for r in results])
        rows = []
        for source, scores in by_source.items():
            mask = source_of == source
            present = np.array([label in scores["labels"] for label in labels], dtype=bool)
            interval = ""
            if resamples > 0 and mask.any():
                low, high = bootstrap(by_block[mask], resamples, seed, present=present)["macro_f1"]
                interval = _interval(float(low), float(high))
            per_class = ", ".join(f"{esc(label)} {scores['blocks']['per_class'][label]['f1']:.2f}"
                                  for label in scores["labels"])
            rows.append(f"<tr><th scope='row'>{esc(source)}</th><td class='num'>{int(mask.sum()):,}</td>"
                        f"<td class='num'>{scores['n_blocks']:,}</td>"
                        f"<td>{scores['blocks']['macro_f1']:.3f} {interval}</td>"
                        f"<td>{scores['chars']['macro_f1']:.3f}</td><td>{per_class}</td></tr>")
        parts.append('<h2 id="sources">By source</h2><table class="sources"><thead><tr><th>source</th>'
                     "<th>pages</th><th>blocks</th><th>macro-F1 by block</th><th>by character</th>"
                     f"<th>F1 per class (by block)</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")

    # Worst pages.
    ranked = sorted(((r.accuracy(), i) for i, r in enumerate(results)),
                    key=lambda item: (item[0][0], -item[0][3], item[1]))
    ranked = [(accuracy, i) for accuracy, i in ranked if accuracy[3] > 0][:worst]
    files = path.with_name(path.stem + "_files")
    rows = []
    for rank, ((char_acc, block_acc, scored, wrong), i) in enumerate(ranked, 1):
        result = results[i]
        confusions = Counter((gold, pred) for gold, pred, bad in
                             zip(result.page.labels, result.predicted, result.differs())
                             if bad and gold is not None)  # differing blocks are scored: gold set
        confused = ", ".join(f"{esc(gold)}→{esc(pred)} ×{count}"
                             for (gold, pred), count in confusions.most_common(3))
        summary = (f"{char_acc:.1%} of characters and {block_acc:.1%} of blocks right; "
                   f"{wrong} of {scored} blocks differ")
        name = f"{rank:03d}-" + _SAFE_NAME.sub("_", Path(result.page.page_id).stem)[:60]
        view = write_page_views(result, files, name, path.name, esc(summary))
        link = (f'<a href="{esc(files.name)}/{esc(view.name)}">{esc(result.page.page_id)}</a>'
                if view else f"{esc(result.page.page_id)} <small>(no HTML to show)</small>")
        rows.append(f"<tr><td class='num'>{rank}</td><td>{link}</td><td>{esc(result.page.source)}</td>"
                    f"<td class='num'>{char_acc:.1%}</td><td class='num'>{block_acc:.1%}</td>"
                    f"<td class='num'>{wrong} / {scored}</td><td>{confused}</td></tr>")
    if rows:
        parts.append('<h2 id="worst">Worst pages</h2><p>Lowest share of characters labelled '
                     "right. Each link opens the page twice, gold labels beside predictions; "
                     "blocks where they differ have a dashed red outline.</p>"
                     '<table class="worst"><thead><tr><th>#</th><th>page</th><th>source</th>'
                     "<th>characters right</th><th>blocks right</th><th>wrong</th>"
                     f"<th>most common errors (gold→predicted)</th></tr></thead><tbody>{''.join(rows)}"
                     "</tbody></table>")
    else:
        parts.append('<h2 id="worst">Worst pages</h2><p>Every page is labelled right.</p>')

    policy = content_security_policy()
    generated = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    document = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{esc(policy)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>
body{{font:14px/1.45 system-ui,sans-serif;color:#111;margin:24px auto;max-width:1200px;padding:0 16px}}
h1{{font-size:22px}}h2{{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}}
.facts{{color:#444}}dl{{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}}dt{{color:#555}}dd{{margin:0}}
table{{border-collapse:collapse;margin:8px 0}}th,td{{padding:3px 9px;border-bottom:1px solid #e4e4e4;text-align:left}}
caption{{text-align:left;font-weight:600;padding:4px 0}}.num{{text-align:right;font-variant-numeric:tabular-nums}}
.ci{{color:#666;font-size:12px}}tr.total th,tr.total td{{border-top:1px solid #999}}
.row{{display:flex;flex-wrap:wrap;gap:12px 28px;align-items:flex-start}}
.scores td,.scores th{{padding:3px 6px}}footer{{color:#666;margin-top:30px;font-size:12px}}
</style></head><body>
{"".join(parts)}
<footer>Generated by boilerkit on {generated}.</footer>
</body></html>
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document, encoding="utf-8")
    return path
