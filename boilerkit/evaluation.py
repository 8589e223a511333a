"""Scoring a model on labelled pages: per-class and macro scores, by block and by character.

Scores are computed twice. *By block* every labelled block counts once.
*By character* every block counts with the length of its text, which is
closer to what a reader sees: mislabelling a 2,000-character paragraph hurts
more than mislabelling a "Share" button. Both views also come per
``source`` (the dataset a page comes from), since one large source can hide a
weak one in the totals.

A label enters the report (and macro-F1) when it occurs in the truth or in
the predictions; unlabelled blocks (``None``) are skipped. Blocks labelled
``"boilerplate"`` (known not to be article, exact class unknown) only count
where that knowledge decides: predicted ``article`` they are article false
positives; predicted anything else they cannot be judged and are skipped.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from .labels import DEFAULT_LABELS, PARTIAL_LABEL, label_order
from .progress import Progress

if TYPE_CHECKING:
    from .labelled import LabelledPage


def _number(value) -> int | float:
    """A JSON-friendly number: ``int`` when it is whole (counts, character sums)."""
    value = float(value)
    return int(value) if value.is_integer() else value


def _scores(y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray | None,
            labels: Sequence[str]) -> dict:
    """Per-class precision/recall/F1/support, averages, accuracy and confusion matrix."""
    labels = list(labels)
    if len(y_true) == 0 or not labels:
        zero = {"precision": 0.0, "recall": 0.0, "f1": 0.0}
        return {"per_class": {label: {**zero, "support": 0} for label in labels},
                "accuracy": 0.0, "macro_f1": 0.0, "macro_avg": dict(zero),
                "weighted_avg": dict(zero), "confusion": [[0] * len(labels) for _ in labels]}
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, sample_weight=weights, zero_division=0)
    total_support = float(np.sum(support))
    averages = {}
    for name, values in (("precision", precision), ("recall", recall), ("f1", f1)):
        averages[name] = (float(np.mean(values)),
                          float(np.dot(values, support) / total_support) if total_support else 0.0)
    with warnings.catch_warnings():
        # A 1x1 matrix is right when a source has one label; sklearn warns anyway.
        warnings.filterwarnings("ignore", message="A single label was found")
        matrix = confusion_matrix(y_true, y_pred, labels=labels, sample_weight=weights)
    return {
        "per_class": {
            label: {"precision": float(precision[i]), "recall": float(recall[i]),
                    "f1": float(f1[i]), "support": _number(support[i])}
            for i, label in enumerate(labels)
        },
        "accuracy": float(accuracy_score(y_true, y_pred, sample_weight=weights)),
        "macro_f1": averages["f1"][0],
        "macro_avg": {name: pair[0] for name, pair in averages.items()},
        "weighted_avg": {name: pair[1] for name, pair in averages.items()},
        "confusion": [[_number(value) for value in row] for row in matrix],
    }


def _both_views(y_true: np.ndarray, y_pred: np.ndarray, chars: np.ndarray,
                labels: Sequence[str]) -> dict:
    return {
        "labels": list(labels),
        "n_blocks": int(len(y_true)),
        "n_chars": _number(chars.sum()),
        "blocks": _scores(y_true, y_pred, None, labels),
        "chars": _scores(y_true, y_pred, chars, labels),
    }


def compute_metrics(y_true: Sequence[str | None], y_pred: Sequence[str],
                    chars: Sequence[float] | None = None, sources: Sequence[str] | None = None,
                    labels: Sequence[str] | None = None) -> dict:
    """Metrics from flat per-block arrays; blocks whose true label is ``None`` are skipped.

    ``chars`` are the character counts of the blocks (all 1 if omitted),
    ``sources`` their dataset names. ``labels`` fixes which labels are
    reported and in what order (default: :func:`label_order` of the labels
    seen). Returns a JSON-serialisable dict::

        {"labels": [...], "n_blocks": int, "n_chars": int,
         "blocks": {"per_class": {label: {"precision", "recall", "f1", "support"}},
                    "accuracy", "macro_f1", "macro_avg", "weighted_avg",
                    "confusion": [[...]]},   # rows: true label, columns: predicted
         "chars":  {same, weighted by characters; support and confusion in characters},
         "by_source": {source: {"labels", "n_blocks", "n_chars", "blocks", "chars"}}}

    Per source, only the labels occurring in that source's truth are scored, so
    a source without comments is not given an F1 of 0 for them.
    """
    true = np.asarray(list(y_true), dtype=object)
    pred = np.asarray(list(y_pred), dtype=object)
    if len(true) != len(pred):
        raise ValueError(f"{len(true)} true labels but {len(pred)} predictions")
    n = len(true)
    weights = np.ones(n) if chars is None else np.asarray(chars, dtype=np.float64)
    origins = (np.full(n, "all", dtype=object) if sources is None
               else np.asarray(list(sources), dtype=object))
    if not len(weights) == len(origins) == n:
        raise ValueError("y_true, y_pred, chars and sources must have the same length")
    keep = np.fromiter((label is not None for label in true), dtype=bool, count=n)
    keep &= ~((true == PARTIAL_LABEL) & (pred != DEFAULT_LABELS[0]))
    true = true[keep].astype(str)
    pred = pred[keep].astype(str)
    weights, origins = weights[keep], origins[keep].astype(str)
    if labels is None:
        labels = label_order((set(true) | set(pred)) - {PARTIAL_LABEL})
    metrics = _both_views(true, pred, weights, labels)
    metrics["by_source"] = {}
    for source in sorted(set(origins)):
        mask = origins == source
        present = set(true[mask]) - {PARTIAL_LABEL}  # a source is scored on its own labels
        metrics["by_source"][source] = _both_views(
            true[mask], pred[mask], weights[mask], [label for label in labels if label in present])
    return metrics


def evaluate(model, pages: Sequence[LabelledPage], labels: Sequence[str] | None = None, *,
             batch_size: int = 256, progress: bool = False) -> dict:
    """Predict every page with ``model`` and score the labelled blocks.

    Returns :func:`compute_metrics`'s dict plus ``n_pages``. Pages are
    predicted ``batch_size`` at a time so memory stays bounded on large
    test sets.
    """
    pages = [page for page in pages if any(label is not None for label in page.labels)]
    y_true: list[str | None] = []
    y_pred: list[str] = []
    chars: list[int] = []
    sources: list[str] = []
    with Progress(len(pages), "evaluating", unit="pages", disable=not progress) as bar:
        for start in range(0, len(pages), batch_size):
            batch = pages[start:start + batch_size]
            for page, predicted in zip(batch, model.predict([page.blocks for page in batch])):
                y_true.extend(page.labels)
                y_pred.extend(str(label) for label in predicted)
                chars.extend(len(block.text) for block in page.blocks)
                sources.extend([page.source] * len(page.blocks))
            bar.update(len(batch))
    metrics = compute_metrics(y_true, y_pred, chars, sources, labels)
    metrics["n_pages"] = len(pages)
    return metrics


def _format_score(value: float) -> str:
    return f"{value:.3f}"


def format_report(metrics: dict) -> str:
    """A plain-text report of :func:`compute_metrics`/:func:`evaluate` output.

    A classification table (per-class precision, recall, F1 and support by
    block, then the same weighted by characters), the confusion matrix in
    blocks, and macro-F1 per source.
    """
    if not metrics.get("n_blocks"):
        return "no labelled blocks to evaluate"
    labels = metrics["labels"]
    blocks, chars = metrics["blocks"], metrics["chars"]
    name_width = max([len(label) for label in labels] + [len("weighted avg")])
    widths = (10, 10, 10, 10)
    gap = "   "

    def row(name: str, block_cells: list[str], char_cells: list[str]) -> str:
        return (f"{name:>{name_width}}"
                + "".join(f"{cell:>{width}}" for cell, width in zip(block_cells, widths)) + gap
                + "".join(f"{cell:>{width}}" for cell, width in zip(char_cells, char_widths)))

    # Character counts run into the millions: give their support column room.
    char_widths = widths[:3] + (max(widths[3], len(f"{metrics['n_chars']:,}") + 2),)

    def scores_cells(scores: dict, support) -> list[str]:
        return [_format_score(scores["precision"]), _format_score(scores["recall"]),
                _format_score(scores["f1"]), f"{support:,}"]

    lines = []
    summary = f"{metrics['n_blocks']:,} labelled blocks, {metrics['n_chars']:,} characters"
    if "n_pages" in metrics:
        summary = f"{metrics['n_pages']:,} pages, " + summary
    lines.append(summary)
    lines.append("")
    block_width = sum(widths)
    char_width = sum(char_widths)
    lines.append((" " * name_width + "by block".center(block_width) + gap
                  + "by character".center(char_width)).rstrip())
    header = ["precision", "recall", "f1-score", "support"]
    lines.append(row("", header, header))
    lines.append("")
    for label in labels:
        lines.append(row(label, scores_cells(blocks["per_class"][label],
                                             blocks["per_class"][label]["support"]),
                         scores_cells(chars["per_class"][label],
                                      chars["per_class"][label]["support"])))
    lines.append("")
    lines.append(row("accuracy", ["", "", _format_score(blocks["accuracy"]),
                                  f"{metrics['n_blocks']:,}"],
                     ["", "", _format_score(chars["accuracy"]), f"{metrics['n_chars']:,}"]))
    for name, key in (("macro avg", "macro_avg"), ("weighted avg", "weighted_avg")):
        lines.append(row(name, scores_cells(blocks[key], metrics["n_blocks"]),
                         scores_cells(chars[key], metrics["n_chars"])))

    lines.append("")
    lines.append("confusion matrix (blocks; rows: true label, columns: predicted label)")
    width = max([len(label) for label in labels]
                + [len(f"{value:,}") for matrix_row in blocks["confusion"] for value in matrix_row])
    lines.append(" " * name_width + "".join(f"  {label:>{width}}" for label in labels))
    for label, matrix_row in zip(labels, blocks["confusion"]):
        lines.append(f"{label:>{name_width}}" + "".join(f"  {value:>{width},}" for value in matrix_row))

    by_source = metrics.get("by_source") or {}
    if by_source:
        lines.append("")
        lines.append("macro-F1 by source (by block / by character):")
        source_width = max(len(source) for source in by_source)
        for source, scores in by_source.items():
            lines.append(f"  {source:<{source_width}}  {scores['blocks']['macro_f1']:.3f} / "
                         f"{scores['chars']['macro_f1']:.3f}  ({scores['n_blocks']:,} blocks)")
    return "\n".join(lines)
