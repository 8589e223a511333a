"""The HTML evaluation report: its numbers, intervals, plot and page views (no browser).

A screenshot of the report is checked in ``test_browser.py``.
"""

from __future__ import annotations

import re

import lxml.etree
import numpy as np
import pytest

from boilerkit.blocks import Block
from boilerkit.evaluation import compute_metrics, evaluate
from boilerkit.labelled import LabelledPage, read_labelled
from boilerkit.report import (PageResult, _page_matrices, _scores, bootstrap, confusion_svg,
                              evaluate_pages)

from viewing import write_report_fixture


def _block(text: str) -> Block:
    return Block(text=text, xpath="/html/body/p", tag="p", tag_path=("html", "body", "p"),
                 own_tokens=(), ancestor_tokens=(), inner_tokens=(), link_text_length=0,
                 link_count=0, position=0, depth=2, context=0, parent_id=0)


def _result(gold, predicted, lengths, source="s") -> PageResult:
    page = LabelledPage("p", source, "site", None, [_block("x" * n) for n in lengths],
                        list(gold), [None] * len(gold))
    classes = ["article", "navigation", "teaser"]
    return PageResult(page, list(predicted), np.zeros((len(gold), 3)), classes)


RESULTS = [
    _result(["article", "article", "navigation", "boilerplate", None],
            ["article", "navigation", "navigation", "article", "teaser"], [10, 20, 5, 7, 3]),
    _result(["teaser", "navigation", "boilerplate"], ["teaser", "article", "navigation"],
            [8, 4, 6], "t"),
]


def _flat(results):
    return ([g for r in results for g in r.page.labels], [p for r in results for p in r.predicted],
            [len(b.text) for r in results for b in r.page.blocks],
            [r.page.source for r in results for _ in r.page.blocks])


def test_page_matrices_give_exactly_compute_metrics_scores():
    metrics = compute_metrics(*_flat(RESULTS))
    labels = metrics["labels"]
    by_block, by_char = _page_matrices(RESULTS, labels)
    for matrices, view in ((by_block, "blocks"), (by_char, "chars")):
        scores = _scores(matrices.sum(axis=0))
        for i, label in enumerate(labels):
            expected = metrics[view]["per_class"][label]
            for name in ("precision", "recall", "f1"):
                assert scores[name][i] == pytest.approx(expected[name]), (view, label, name)
        assert scores["macro_f1"] == pytest.approx(metrics[view]["macro_f1"])
        assert matrices.sum(axis=0)[:len(labels)].tolist() == metrics[view]["confusion"]


def test_bootstrap_intervals():
    by_block, _ = _page_matrices(RESULTS, ["article", "navigation", "teaser"])
    low, high = bootstrap(by_block, resamples=300, seed=1)["f1"]
    assert np.all(low <= high)
    again = bootstrap(by_block, resamples=300, seed=1)["f1"]
    assert np.array_equal(again[0], low) and np.array_equal(again[1], high)  # reproducible
    # Pages that are all alike leave nothing to vary: the interval is the point.
    same = np.repeat(by_block[:1], 5, axis=0)
    point = _scores(same.sum(axis=0))["f1"]
    low, high = bootstrap(same, resamples=50)["f1"]
    assert np.allclose(low, point) and np.allclose(high, point)
    # More pages of the same mix narrow the interval.
    few = bootstrap(np.concatenate([by_block] * 2), resamples=400)["macro_f1"]
    many = bootstrap(np.concatenate([by_block] * 40), resamples=400)["macro_f1"]
    assert many[1] - many[0] < few[1] - few[0]


def test_confusion_svg_shades_cells_by_their_row():
    svg = confusion_svg([[8, 2], [0, 5]], ["article", "navigation"], title="t")
    tree = lxml.etree.fromstring(svg)
    cells = {(c.get("data-row"), c.get("data-col")): c for c in tree.iter("{*}rect")
             if c.get("class") == "cell"}
    assert len(cells) == 4
    assert cells["navigation", "navigation"].get("fill") == "rgb(8,69,148)"   # 100% of the row
    assert cells["navigation", "article"].get("fill") == "rgb(247,251,255)"   # 0%
    assert "80%" in svg and "20%" in svg


def test_evaluate_pages_matches_evaluate(tiny_model, labelled_dir):
    pages = read_labelled(labelled_dir)
    metrics, results = evaluate_pages(tiny_model, pages, batch_size=5)
    assert metrics == evaluate(tiny_model, pages)
    assert len(results) == len(pages)
    assert [r.predicted for r in results] == [list(p) for p in
                                              tiny_model.predict([pg.blocks for pg in pages])]


def test_evaluate_pages_chooses_labels_as_predict_does(labelled_dir):
    class RuledModel:
        """Navigation is most probable, but the label choice makes every block article."""
        classes_ = np.array(["article", "navigation"])

        def predict_proba(self, pages):
            return [np.tile([0.4, 0.6], (len(blocks), 1)) for blocks in pages]

        def choose_labels(self, blocks, probabilities):
            return np.zeros(len(blocks), dtype=int)

    pages = read_labelled(labelled_dir)
    _, results = evaluate_pages(RuledModel(), pages)
    assert results and all(set(r.predicted) == {"article"} for r in results)


def test_cli_report_is_one_file_with_the_plot_and_linked_views(tmp_path, tiny_model_path,
                                                               labelled_dir, capsys):
    report, files = write_report_fixture(tmp_path, tiny_model_path, labelled_dir)
    assert "precision" in capsys.readouterr().out  # the text report still goes to stdout
    html = report.read_text(encoding="utf-8")
    tree = lxml.etree.fromstring(html.encode(), lxml.etree.HTMLParser())
    assert len(tree.findall(".//svg")) == 2
    assert not tree.xpath("//*[@src]") and not tree.findall(".//link")
    assert "[0." in html or "[1.000" in html  # intervals
    links = [a.get("href") for a in tree.iterfind(".//table[@class='worst']//a")]
    assert links and all(link.startswith("report_files/") for link in links)
    for link in links:
        compare = report.parent / link
        text = compare.read_text(encoding="utf-8")
        for pane in re.findall(r'src="([^"]+)"', text):
            view = (compare.parent / pane).read_text(encoding="utf-8")
            assert "data-bk-diff" in view
    assert sorted(p.name for p in files.iterdir())[:3] == [
        "001-news.gold.html", "001-news.html", "001-news.predicted.html"]
