"""Dev-split 4-class macro-F1 of a model with and without the rules of ``choose_labels``.

    python benchmarks/label_choice.py [--without-list-labels] [--worst N] MODEL [MODEL ...]

Scores the ``dev`` pages of the seven licence-clean training sources (all of them, and
those labelled block by block, i.e. with ``reviewed`` labels), by block and by character,
with the most probable label (and :func:`boilerkit.model.keep_an_article`), then adding
:func:`boilerkit.model.claim_the_lead`, then :func:`boilerkit.model.end_with_the_main_region`,
then the full label choice (``Model.choose_labels``, which adds
:func:`boilerkit.model.close_the_region_gaps`). The last column is the mean over the
reviewed pages of each page's block accuracy, where every page counts once.
Never the test split: this is how the model card's candidates were compared.

``--worst N`` also lists, per model, the N reviewed pages where the full label choice
gets the most blocks wrong, with their most frequent confusions (gold -> predicted).

``--without-list-labels`` leaves WCXB's article labels of listing and collection pages
(provenance ``mapped-list``: cards, which the guideline makes teaser) unlabelled.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
from pathlib import Path

import numpy as np

from boilerkit.datasets.corpus import read_labelled
from boilerkit import DEFAULT_LABELS
from boilerkit.evaluation import compute_metrics
from boilerkit.model import (
    claim_the_lead, end_with_the_main_region, keep_an_article, text_amounts,
)
from boilerkit.persistence import load_model
from boilerkit.training import relabel

SOURCES = ("kreuzer", "readability", "trafilatura-eval", "postlight-fixtures", "fundus-eval",
           "fundus-tests", "wcxb")
ANNOTATIONS = Path(__file__).resolve().parent.parent / "datasets" / "annotations"
#: Rows: the label choice without its rules, with the lead rule, with the region rule too,
#: and in full (``Model.choose_labels``, which adds :func:`close_the_region_gaps`).
RULES = (("no lead", ()), ("lead", (claim_the_lead,)),
         ("lead + region", (claim_the_lead, end_with_the_main_region)),
         ("lead + region + gaps", None))


def _chosen(model, page, probabilities: np.ndarray, rules) -> list[str]:
    if rules is None:
        best = model.choose_labels(page.blocks, probabilities)
    else:
        primary = model.labels.index("article")
        best = np.argmax(probabilities, axis=1)
        amounts = text_amounts(page.blocks)
        keep_an_article(page.blocks, probabilities, best, primary, amounts)
        for rule in rules:
            rule(page.blocks, probabilities, best, primary, amounts)
    return [model.labels[i] for i in best]


def _mean_page_accuracy(pages, chosen, reviewed) -> float:
    """The share of a page's blocks with one of the four labels that get it, averaged over
    the reviewed pages: every page counts once, however many blocks it has (the pooled
    block scores follow the largest pages)."""
    shares = []
    for page, labels, is_reviewed in zip(pages, chosen, reviewed):
        pairs = [(g, c) for g, c in zip(page.labels, labels) if g in DEFAULT_LABELS]
        if is_reviewed and pairs:
            shares.append(sum(g == c for g, c in pairs) / len(pairs))
    return float(np.mean(shares)) if shares else float("nan")


def _worst_pages(pages, chosen, reviewed, n: int) -> list[str]:
    """Lines for the ``n`` reviewed pages with the most wrongly labelled blocks."""
    rows = []
    total = 0
    for page, labels, is_reviewed in zip(pages, chosen, reviewed):
        if not is_reviewed:
            continue
        wrong = collections.Counter((g, c) for g, c in zip(page.labels, labels)
                                    if g in DEFAULT_LABELS and g != c)
        total += sum(wrong.values())
        rows.append((sum(wrong.values()), len(page.blocks), page.page_id, wrong))
    rows.sort(key=lambda row: (-row[0], row[2]))
    lines = [f"  {errors} of {blocks} blocks wrong ({errors / max(total, 1):.1%} of all errors): "
             f"{page_id}: " + ", ".join(f"{g} -> {c} {k}" for (g, c), k in wrong.most_common(3))
             for errors, blocks, page_id, wrong in rows[:n]]
    return [f"  {total} wrong blocks on {len(rows)} reviewed pages; the worst:"] + lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", metavar="MODEL", help="model folders")
    parser.add_argument("--without-list-labels", action="store_true",
                        help="leave WCXB's list-page article labels (mapped-list) unlabelled")
    parser.add_argument("--worst", type=int, default=0, metavar="N",
                        help="list the N reviewed pages with the most wrong blocks")
    args = parser.parse_args(argv)
    label_map: dict[str, str | None] = {"navigation@rule": "boilerplate"}
    if args.without_list_labels:
        label_map["article@mapped-list"] = None
    models = args.models
    pages = [page for page in read_labelled([ANNOTATIONS / f"{name}.jsonl.gz" for name in SOURCES])
             if page.split == "dev" and page.n_labelled]
    pages = [page for page in relabel(pages, label_map) if any(page.labels)]
    reviewed = [any(origin == "reviewed" for origin in page.provenance) for page in pages]
    print("model | rule | all dev pages (block / char) | reviewed dev pages (block / char) "
          "| reviewed dev pages, mean page accuracy")
    for path in models:
        model = load_model(path)
        probabilities = model.predict_proba([page.blocks for page in pages])
        for name, rules in RULES:
            chosen = [_chosen(model, page, p, rules) for page, p in zip(pages, probabilities)]
            scores = []
            for subset in (None, True):
                y_true, y_pred, chars = [], [], []
                for page, labels, is_reviewed in zip(pages, chosen, reviewed):
                    if subset and not is_reviewed:
                        continue
                    y_true += page.labels
                    y_pred += labels
                    chars += [len(block.text) for block in page.blocks]
                metrics = compute_metrics(y_true, y_pred, chars)
                scores.append(f"{metrics['blocks']['macro_f1']:.3f} / {metrics['chars']['macro_f1']:.3f}")
            print(f"{os.path.basename(path.rstrip('/'))} | {name} | "
                  f"{scores[0]} | {scores[1]} | "
                  f"{_mean_page_accuracy(pages, chosen, reviewed):.3f}")
            if rules is None and args.worst:
                print("\n".join(_worst_pages(pages, chosen, reviewed, args.worst)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
