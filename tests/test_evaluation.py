"""Metrics against numbers worked out by hand, and the plain-text report."""

from __future__ import annotations

import json

import numpy as np
import pytest

from boilerkit.blocks import Block
from boilerkit.evaluation import compute_metrics, evaluate, format_report, label_order
from boilerkit.labelled import LabelledPage

# Six blocks: a = article, n = navigation, t = teaser.
#   true  a  a  a  n  n  t
#   pred  a  a  n  n  a  t
#   chars 10 20 30 5  5  10
Y_TRUE = ["article", "article", "article", "navigation", "navigation", "teaser"]
Y_PRED = ["article", "article", "navigation", "navigation", "article", "teaser"]
CHARS = [10, 20, 30, 5, 5, 10]
SOURCES = ["one", "one", "one", "two", "two", "two"]


@pytest.fixture
def metrics():
    return compute_metrics(Y_TRUE, Y_PRED, CHARS, SOURCES)


def test_block_scores_match_hand_computation(metrics):
    blocks = metrics["blocks"]
    assert metrics["labels"] == ["article", "navigation", "teaser"]
    article = blocks["per_class"]["article"]
    # 2 of the 3 blocks predicted article are article; 2 of the 3 article blocks were found.
    assert article["precision"] == pytest.approx(2 / 3)
    assert article["recall"] == pytest.approx(2 / 3)
    assert article["f1"] == pytest.approx(2 / 3)
    assert article["support"] == 3
    navigation = blocks["per_class"]["navigation"]
    assert (navigation["precision"], navigation["recall"]) == pytest.approx((1 / 2, 1 / 2))
    assert navigation["f1"] == pytest.approx(1 / 2)
    assert blocks["per_class"]["teaser"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0,
                                             "support": 1}
    assert blocks["macro_f1"] == pytest.approx((2 / 3 + 1 / 2 + 1) / 3)
    assert blocks["accuracy"] == pytest.approx(4 / 6)
    assert blocks["confusion"] == [[2, 1, 0], [1, 1, 0], [0, 0, 1]]


def test_character_weighted_scores_match_hand_computation(metrics):
    chars = metrics["chars"]
    article = chars["per_class"]["article"]
    # Predicted article: 10 + 20 + 5 chars, of which 30 right; article holds 60 chars.
    assert article["precision"] == pytest.approx(30 / 35)
    assert article["recall"] == pytest.approx(30 / 60)
    assert article["f1"] == pytest.approx(12 / 19)
    assert article["support"] == 60
    navigation = chars["per_class"]["navigation"]
    # Predicted navigation: 30 + 5 chars, of which 5 right; navigation holds 10 chars.
    assert navigation["precision"] == pytest.approx(5 / 35)
    assert navigation["recall"] == pytest.approx(5 / 10)
    assert navigation["f1"] == pytest.approx(2 / 9)
    assert chars["per_class"]["teaser"]["f1"] == 1.0
    assert chars["macro_f1"] == pytest.approx((12 / 19 + 2 / 9 + 1) / 3)
    assert chars["accuracy"] == pytest.approx(45 / 80)
    assert chars["confusion"] == [[30, 30, 0], [5, 5, 0], [0, 0, 10]]
    assert metrics["n_blocks"] == 6 and metrics["n_chars"] == 80


def test_averages(metrics):
    blocks = metrics["blocks"]
    assert blocks["macro_avg"]["precision"] == pytest.approx((2 / 3 + 1 / 2 + 1) / 3)
    assert blocks["weighted_avg"]["recall"] == pytest.approx((3 * 2 / 3 + 2 * 1 / 2 + 1) / 6)


def test_scores_by_source_use_the_labels_of_that_source(metrics):
    one = metrics["by_source"]["one"]
    # Source "one": true a a a, predicted a a n. Only its true labels are scored.
    assert one["labels"] == ["article"]
    assert one["blocks"]["per_class"]["article"]["precision"] == 1.0
    assert one["blocks"]["per_class"]["article"]["recall"] == pytest.approx(2 / 3)
    assert one["blocks"]["per_class"]["article"]["f1"] == pytest.approx(0.8)
    assert "navigation" not in one["blocks"]["per_class"]
    assert one["blocks"]["macro_f1"] == pytest.approx(0.8)
    assert one["chars"]["per_class"]["article"]["recall"] == pytest.approx(30 / 60)
    two = metrics["by_source"]["two"]
    assert two["n_blocks"] == 3 and two["n_chars"] == 20
    assert two["labels"] == ["navigation", "teaser"]  # its true labels; "article" only predicted


def test_unlabelled_blocks_are_skipped():
    metrics = compute_metrics(Y_TRUE + [None], Y_PRED + ["comment"], CHARS + [1000])
    assert metrics["n_blocks"] == 6
    assert "comment" not in metrics["labels"]
    assert list(metrics["by_source"]) == ["all"]


def test_label_order_puts_default_labels_first():
    assert label_order(["zzz", "comment", "aaa", "article", None]) == [
        "article", "comment", "aaa", "zzz"]


def test_explicit_labels_fix_the_rows():
    metrics = compute_metrics(Y_TRUE, Y_PRED, labels=["teaser", "article"])
    assert metrics["labels"] == ["teaser", "article"]
    assert metrics["blocks"]["per_class"]["article"]["recall"] == pytest.approx(2 / 3)


def test_metrics_are_json_serialisable(metrics):
    assert json.loads(json.dumps(metrics)) == metrics


def test_empty_input():
    metrics = compute_metrics([], [])
    assert metrics["n_blocks"] == 0
    assert format_report(metrics) == "no labelled blocks to evaluate"


def test_report_lists_classes_confusion_and_sources(metrics):
    report = format_report(metrics)
    lines = report.splitlines()
    header = next(line for line in lines if "precision" in line)
    assert header.split() == ["precision", "recall", "f1-score", "support"] * 2
    article = next(line for line in lines if line.split()[:1] == ["article"])
    assert article.split() == ["article", "0.667", "0.667", "0.667", "3",
                               "0.857", "0.500", "0.632", "60"]
    assert "by character" in report
    assert "confusion matrix" in report
    assert any(line.split() == ["navigation", "1", "1", "0"] for line in lines)
    assert any(line.strip().startswith("one") and "0.800" in line for line in lines)


class _FixedModel:
    """Predicts from the block text, so that evaluate's bookkeeping can be checked."""

    def __init__(self):
        self.calls = 0

    def predict(self, pages):
        self.calls += 1
        return [np.asarray([block.text.split(":")[0] for block in page], dtype=object)
                for page in pages]


def _block(text: str, position: int) -> Block:
    return Block(text=text, xpath=f"/html/body/p[{position + 1}]", tag="p", tag_path=("p",),
                 own_tokens=(), ancestor_tokens=(), inner_tokens=(), link_text_length=0,
                 link_count=0, position=position, depth=2, context=0, parent_id=1)


def _page(page_id: str, source: str, pairs: list[tuple[str, str | None]]) -> LabelledPage:
    blocks = [_block(text, i) for i, (text, _) in enumerate(pairs)]
    return LabelledPage(page_id, source, page_id, None, blocks, [label for _, label in pairs],
                        [None] * len(pairs))


def test_evaluate_predicts_pages_in_batches_and_scores_labelled_blocks():
    pages = [
        _page("p1", "one", [("article:long text", "article"), ("navigation:x", "article")]),
        _page("p2", "two", [("teaser:abc", "teaser"), ("comment:zz", None)]),
        _page("p3", "two", [("article:q", None)]),  # nothing labelled: not even predicted
    ]
    model = _FixedModel()
    metrics = evaluate(model, pages, batch_size=1)
    assert model.calls == 2
    assert metrics["n_pages"] == 2
    assert metrics["n_blocks"] == 3
    assert metrics["n_chars"] == len("article:long text") + len("navigation:x") + len("teaser:abc")
    assert metrics["blocks"]["per_class"]["article"]["recall"] == 0.5
    assert set(metrics["by_source"]) == {"one", "two"}
