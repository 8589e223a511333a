"""Reading labelled pages, preparing them, and training."""

from __future__ import annotations

import io
import logging
import re
import sys

import numpy as np
import pytest

from boilerkit.errors import BoilerkitError
from boilerkit.estimator import BlockClassifier
from boilerkit.labelled import LabelledPage, expand_paths, read_labelled
from boilerkit.training import (
    balanced_weights, label_counts, relabel, split_holdout, subsample_per_page, train,
    weigh_provenance,
)

FAST = {"max_iter": 5, "min_samples_leaf": 5}

NESTED = """<html><head><title>t</title>
<meta property="og:url" content="https://www.example.org/a/b"></head>
<body>
  <div id="top">Unlabelled top bar</div>
  <article data-label="Article">
    <h1>Headline</h1>
    <p>Body paragraph with <span data-label="teaser">an inline label</span> inside.</p>
    <div class="share" data-label="navigation">Share this</div>
    <div class="note" data-label="">Explicitly unlabelled</div>
  </article>
  <section data-label="comment"><div>Outer text<p>Inner comment</p>after</div></section>
</body></html>
"""


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _labels_by_text(page: LabelledPage) -> dict[str, str | None]:
    return {block.text: label for block, label in zip(page.blocks, page.labels)}


# -- reading ------------------------------------------------------------------


def test_blocks_take_the_nearest_data_label(tmp_path, caplog):
    _write(tmp_path / "site" / "page.html", NESTED)
    with caplog.at_level(logging.WARNING, logger="boilerkit"):
        [page] = read_labelled(tmp_path)
    assert _labels_by_text(page) == {
        "Unlabelled top bar": None,
        "Headline": "article",  # lower-cased
        "Body paragraph with an inline label inside.": "article",
        "Share this": "navigation",  # the innermost label wins
        "Explicitly unlabelled": None,
        "Outer text": "comment",
        "Inner comment": "comment",
        "after": "comment",
    }
    # The label on the inline <span> labels nothing, and reading says so.
    assert "inline <span>" in caplog.text
    assert page.source == "html" and page.split is None
    assert page.site == "example.org"  # og:url, without www.
    assert page.provenance[1] == "data-label@/html/body/article"
    assert page.provenance[0] is None
    assert all(block.element is None for block in page.blocks)  # trees are not kept


def test_site_source_and_split(tmp_path):
    canonical = ('<html><head><link rel="canonical" href="https://WWW.News.example:8080/x">'
                 '<meta name="boilerkit:source" content="mine">'
                 '<meta name="boilerkit:split" content="test"></head>'
                 '<body><p data-label="article">Text</p></body></html>')
    _write(tmp_path / "a" / "one.html", canonical)
    _write(tmp_path / "b" / "deeper" / "two.htm", '<p data-label="comment">Hi there</p>')
    pages = read_labelled([tmp_path])
    assert [(page.site, page.source, page.split) for page in pages] == [
        ("news.example", "mine", "test"),
        ("deeper", "html", None),  # no URL in the page: the folder name
    ]
    assert pages[1].page_id.endswith("two.htm")


def test_directories_skip_hidden_and_unlabelled_files(tmp_path, caplog):
    _write(tmp_path / "ok.html", '<p data-label="article">Kept</p>')
    _write(tmp_path / ".cache" / "hidden.html", '<p data-label="article">Hidden</p>')
    _write(tmp_path / "raw.html", "<p>No labels here</p>")
    _write(tmp_path / "notes.txt", "not data")
    with caplog.at_level(logging.WARNING, logger="boilerkit"):
        pages = read_labelled(tmp_path)
    assert [page.page_id for page in pages] == [str(tmp_path / "ok.html")]
    assert "skipped 1 HTML file" in caplog.text and "raw.html" in caplog.text


def test_a_named_file_is_read_whatever_its_suffix(tmp_path):
    path = _write(tmp_path / "page.xhtml", '<p data-label="teaser">Read this</p>')
    [page] = read_labelled(path)
    assert page.labels == ["teaser"]


def test_missing_path_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        expand_paths([tmp_path / "nope"])


def test_stdin_page(monkeypatch):
    stdin = io.TextIOWrapper(io.BytesIO(b'<div data-label="navigation">Menu</div>'))
    monkeypatch.setattr(sys, "stdin", stdin)
    [page] = read_labelled("-")
    assert (page.page_id, page.labels) == ("<stdin>", ["navigation"])


def test_corpus_files_are_read_by_the_given_reader(tmp_path):
    _write(tmp_path / "corpus" / "part-1.jsonl", "{}\n")
    _write(tmp_path / "corpus" / "part-2.jsonl.gz", "")
    _write(tmp_path / "corpus" / "page.html", '<p data-label="article">Own page</p>')
    seen = []

    def read_annotations(path):
        seen.append(path.name)
        yield LabelledPage(f"corpus:{path.name}", "cleaneval", "x.example", "train", [], [], [])

    pages = read_labelled(tmp_path / "corpus", corpus_reader=read_annotations)
    assert seen == ["part-1.jsonl", "part-2.jsonl.gz"]
    assert [page.page_id for page in pages] == [
        str(tmp_path / "corpus" / "page.html"), "corpus:part-1.jsonl", "corpus:part-2.jsonl.gz"]


def test_corpus_files_without_a_reader_are_an_error(tmp_path):
    path = _write(tmp_path / "a.jsonl", "{}\n")
    with pytest.raises(BoilerkitError, match="boilerkit.datasets.corpus.read_labelled"):
        read_labelled(path)


def _page(page_id: str, site: str, labels: list[str | None]) -> LabelledPage:
    return LabelledPage(page_id, "html", site, None, [None] * len(labels), list(labels),
                        ["x" if label else None for label in labels])


def test_relabel_renames_and_unlabels():
    page = _page("p", "s", ["boilerplate", "article", None, "ads"])
    [renamed] = relabel([page], {"boilerplate": "navigation", "ads": None})
    assert renamed.labels == ["navigation", "article", None, None]
    assert renamed.provenance == ["x", "x", None, None]
    assert page.labels == ["boilerplate", "article", None, "ads"]  # the input is left alone
    assert label_counts([renamed]) == {"article": 1, "navigation": 1}


def test_balanced_weights_give_pages_equal_totals():
    pages = [_page("small", "s", ["article", "navigation"]),
             _page("big", "s", ["article"] * 6 + [None])]
    small, big = balanced_weights(pages)
    # Mean labelled blocks per page: (2 + 6) / 2 = 4.
    assert small.tolist() == [2.0, 2.0]
    assert big[:6] == pytest.approx([4 / 6] * 6) and big[6] == 0.0
    assert small.sum() == pytest.approx(big.sum()) == pytest.approx(4.0)


def test_subsample_per_page_caps_a_label_and_keeps_its_weight():
    pages = [_page("p", "s", ["boilerplate"] * 10 + ["article"] * 3)]
    weights = balanced_weights(pages)
    (page,), (sampled,) = subsample_per_page(pages, weights, {"boilerplate": 4})
    assert page.labels.count("boilerplate") == 4 and page.labels.count("article") == 3
    kept = [i for i, label in enumerate(page.labels) if label == "boilerplate"]
    assert sampled[kept].sum() == pytest.approx(weights[0][:10].sum())
    assert sampled[10:].tolist() == weights[0][10:].tolist()
    again = subsample_per_page(pages, weights, {"boilerplate": 4})[0][0]
    assert again.labels == page.labels  # fixed by the page id


def test_weigh_provenance_scales_only_the_named_provenance():
    page = _page("p", "s", ["article", "navigation", None])
    page.provenance[:] = ["reviewed", "mapped", "reviewed"]
    (weights,) = weigh_provenance([page], balanced_weights([page]), {"reviewed": 3})
    assert weights.tolist() == [3.0, 1.0, 0.0]
    (unweighted,) = weigh_provenance([page], None, {"mapped": 0.5})
    assert unweighted.tolist() == [1.0, 0.5, 0.0]


def test_holdout_is_site_disjoint_and_deterministic():
    pages = [_page(f"{site}/{i}", site, ["article"]) for site in map(str, range(40))
             for i in range(3)]
    train_pages, dev_pages, info = split_holdout(pages, 0.15)
    again = split_holdout(list(reversed(pages)), 0.15)[1]
    assert {page.page_id for page in again} == {page.page_id for page in dev_pages}
    train_sites = {page.site for page in train_pages}
    dev_sites = {page.site for page in dev_pages}
    assert not train_sites & dev_sites
    assert 1 <= len(dev_sites) <= 15
    assert info == {"method": "site", "fraction": 0.15, "pages": len(dev_pages),
                    "sites": len(dev_sites)}


def test_holdout_always_keeps_one_site_on_each_side():
    pages = [_page("a/1", "a", ["x"]), _page("b/1", "b", ["x"])]
    train_pages, dev_pages, _ = split_holdout(pages, 0.15)
    assert len(train_pages) == len(dev_pages) == 1
    train_pages, dev_pages, _ = split_holdout(pages, 0.99)
    assert len(train_pages) == len(dev_pages) == 1


def test_holdout_of_a_single_site_holds_out_pages(caplog):
    pages = [_page(f"p{i}", "only.example", ["x"]) for i in range(20)]
    with caplog.at_level(logging.WARNING, logger="boilerkit"):
        train_pages, dev_pages, info = split_holdout(pages)
    assert info["method"] == "page" and dev_pages and train_pages
    assert "optimistic" in caplog.text
    assert split_holdout(pages, 0)[1] == []


# -- training -----------------------------------------------------------------


def test_train_holds_out_sites_and_evaluates(labelled_pages):
    model, metrics = train(labelled_pages, params=FAST, progress=False)
    assert isinstance(model, BlockClassifier)
    assert list(model.classes_) == sorted(["article", "navigation", "teaser", "comment"])
    assert metrics["holdout"]["method"] == "site" and metrics["holdout"]["sites"] >= 1
    held_out = metrics["n_pages"]
    assert metrics["training"]["pages"] + held_out == len(labelled_pages)
    assert set(metrics["blocks"]["per_class"]) <= set(model.classes_)
    assert 0.0 <= metrics["chars"]["macro_f1"] <= 1.0
    assert metrics["training"]["label_counts"]["comment"] > 0


def test_train_with_label_map_and_given_dev_pages(labelled_pages):
    model, metrics = train(labelled_pages[2:], dev_pages=labelled_pages[:2], params=FAST,
                           label_map={"teaser": "navigation", "comment": None}, progress=False)
    assert list(model.classes_) == ["article", "navigation"]
    assert metrics["holdout"]["method"] == "given"
    assert metrics["labels"] == ["article", "navigation"]  # the dev pages are relabelled too


def test_train_on_everything(labelled_pages):
    _, metrics = train(labelled_pages, dev_pages=[], params=FAST, progress=False)
    assert "blocks" not in metrics
    assert metrics["training"]["pages"] == len(labelled_pages)


def test_page_weights_are_passed_to_fit(labelled_pages, monkeypatch):
    seen = []
    original = BlockClassifier.fit

    def spy(self, pages, labels, sample_weight=None, **options):
        seen.append(sample_weight)
        return original(self, pages, labels, sample_weight=sample_weight, **options)

    monkeypatch.setattr(BlockClassifier, "fit", spy)
    train(labelled_pages, dev_pages=[], params=FAST, progress=False)
    train(labelled_pages, dev_pages=[], params=FAST, page_weights=False, progress=False)
    weights, no_weights = seen
    assert no_weights is None
    totals = [w.sum() for w in weights]
    assert totals == pytest.approx([np.mean(totals)] * len(totals))


def test_train_needs_two_labels(labelled_pages):
    only_article = {"navigation": None, "teaser": None, "comment": None}
    with pytest.raises(BoilerkitError, match="at least two labels"):
        train(labelled_pages, label_map=only_article, params=FAST, progress=False)
    with pytest.raises(BoilerkitError, match="no labelled blocks"):
        train([], progress=False)


def test_train_reports_bad_parameters_as_boilerkit_errors(labelled_pages):
    with pytest.raises(BoilerkitError, match="training failed"):
        train(labelled_pages, dev_pages=[], params={"learning_rate": -1.0}, progress=False)


def test_train_logs_progress_when_stderr_is_not_a_terminal(labelled_pages, caplog):
    with caplog.at_level(logging.INFO, logger="boilerkit"):
        train(labelled_pages, params=FAST, progress=True)
    assert re.search(r"computing features: (\d+)/\1 pages in", caplog.text)
    assert "fitting BlockClassifier" in caplog.text
    assert "evaluating:" in caplog.text
