"""Tests of the benchmark harness (``benchmarks/``): gold references, metrics, test-page loading.

The loading test needs the staged datasets (``BOILERKIT_DATA``) and skips without them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import gold  # noqa: E402
import metrics  # noqa: E402


def test_metrics_self_check():
    metrics._self_check()


def test_fundus_bodies_every_subset_of_optional_paragraphs():
    bodies = gold.fundus_bodies(["[Dek]", "One.", "[Note]"])
    assert sorted(bodies) == sorted(["Dek\nOne.\nNote", "One.\nNote", "Dek\nOne.", "One."])


def test_fundus_bodies_all_or_none_beyond_the_cap():
    body = [f"[opt {i}]" for i in range(gold.MAX_OPTIONAL_PARAGRAPHS + 1)] + ["Body."]
    bodies = gold.fundus_bodies(body)
    assert bodies == ["\n".join(f"opt {i}" for i in range(5)) + "\nBody.", "Body."]


def test_references_accept_the_headline_or_not():
    page = SimpleNamespace(source="fundus-tests", gold={"title": "Head", "body": ["A.", "B."]})
    assert gold.article_references(page) == ["A.\nB.", "Head\nA.\nB."]
    page = SimpleNamespace(source="wcxb", gold={"title": "", "main_content": "Text"})
    assert gold.article_references(page) == ["Text"]
    page = SimpleNamespace(source="trafilatura-eval", gold={"with": ["x"]})
    assert gold.article_references(page) is None


def test_best_reference_scores_the_variant_that_fits():
    refs = gold.fundus_bodies(["[Editor's note here]", "The body text."])
    assert metrics.bag_of_tokens_best("The body text.", refs).f1 == 1.0
    assert metrics.bag_of_tokens_best("Editor's note here The body text.", refs).f1 == 1.0


def _have_data() -> bool:
    try:
        from boilerkit.datasets.sources import data_root
        data_root()
        import cssselect  # noqa: F401  (Postlight gold)
    except Exception:                                     # noqa: BLE001
        return False
    return True


@pytest.mark.skipif(not _have_data(), reason="needs the staged datasets (BOILERKIT_DATA) and cssselect")
def test_modern_sets_load_their_test_pages_only():
    import data
    from boilerkit.datasets.corpus import load_dropped, load_splits, split_of
    from boilerkit.datasets.sources import load_pages

    sources = ("fundus-eval", "fundus-tests", "postlight-fixtures", "wcxb")
    pages, info = data.load_test_pages(quick=3, sources=sources)
    assert {p.source for p in pages} == set(sources)
    dropped, splits = load_dropped(), load_splits()
    originals = {sp.page_id: sp for sp in load_pages(p.page_id for p in pages)}
    for page in pages:
        assert split_of(originals[page.page_id], splits) == "test"
        assert page.page_id not in dropped
        assert page.references and all(isinstance(r, str) for r in page.references)
    for source in sources:
        entry = info["sources"][source]
        assert entry["split_mismatches"] == 0 and entry["missing"] == []
        assert entry["pages_used"] == 3
    wcxb = [p for p in pages if p.source == "wcxb"]
    assert all(p.with_ and p.meta.get("draft") in ("rs-trafilatura", "other") for p in wcxb)


@pytest.mark.skipif(not _have_data(), reason="needs the staged datasets (BOILERKIT_DATA) and cssselect")
def test_dev_article_scores_the_dev_pages_only(monkeypatch, capsys):
    import dev_article
    from boilerkit.datasets import sources as sources_module
    from boilerkit.datasets.corpus import load_dropped, load_splits, split_of

    splits, dropped = load_splits(), load_dropped()
    seen = []
    load_source = sources_module.load_source

    def recording(source):
        for page in load_source(source):
            seen.append(split_of(page, splits))
            yield page

    monkeypatch.setattr(sources_module, "load_source", recording)
    model = BENCH.parent / "models" / "boilerkit-news-4class"
    assert dev_article.main([str(model), "--sources", "fundus-eval"]) == 0
    source, pages, f1 = capsys.readouterr().out.splitlines()[-1].split(" | ")
    dev = [page for page in load_source("fundus-eval")
           if split_of(page, splits) == "dev" and page.page_id not in dropped]
    assert source == "fundus-eval" and int(pages) == len(dev) > 0
    assert 0.5 < float(f1) <= 1.0
    assert {"train", "test"} <= set(seen)  # read, but not scored


def test_dev_article_per_page_snippet_counts_add_up_to_the_figure(capsys):
    import dev_article

    model = BENCH.parent / "models" / "boilerkit-news-4class"
    assert dev_article.main([str(model), "--sources", "trafilatura-eval", "--per-page"]) == 0
    *pages, summary = capsys.readouterr().out.splitlines()[1:]
    counts = np.array([[int(x) for x in line.split(" | ")[1].split()[1::2]] for line in pages])
    assert counts.shape == (int(summary.split(" | ")[1]), 3) and len(counts) > 0
    tp, fp, fn = counts.sum(axis=0)
    assert float(summary.split(" | ")[2]) == pytest.approx(2 * tp / (2 * tp + fp + fn), abs=5e-4)


@pytest.fixture
def run_module():
    """``benchmarks/run.py``, with the logging it disables on import (peers' chatter)
    enabled again afterwards, for the tests that follow."""
    import logging

    level = logging.root.manager.disable
    import run
    yield run
    logging.disable(level)


def test_block_evaluation_scores_every_labelled_block_once(run_module, monkeypatch):
    run = run_module
    import boilerkit.datasets.corpus as corpus
    from boilerkit.labelled import LabelledPage

    pages = [LabelledPage(f"wcxb/{n}", "wcxb", f"site{n}", "test",
                          [SimpleNamespace(text="x" * 20) for _ in range(3)],
                          ["article", "teaser", "navigation"], ["reviewed"] * 3)
             for n in range(3)]
    calls = []

    class Model:
        def predict(self, block_lists):
            calls.append(len(block_lists))
            return [["teaser"] * len(blocks) for blocks in block_lists]

    monkeypatch.setattr(corpus, "annotations_path", lambda source: SimpleNamespace(
        is_file=lambda: source == "wcxb"))
    monkeypatch.setattr(corpus, "load_corpus", lambda split, sources: list(pages))
    monkeypatch.setattr(run.adapters, "boilerkit_model", lambda row: Model())
    result = run.block_evaluation(["boilerkit"])
    metrics = result["models"]["boilerkit"]
    assert calls == [3]                                   # one prediction pass over the pages
    assert metrics["available"] and metrics["n_blocks"] == 9
    assert metrics["blocks"]["per_class"]["teaser"]["precision"] == pytest.approx(1 / 3)
    assert "macro_f1" in metrics["intervals"]


def test_link_text_echo_counts_slug_words_and_own_links():
    import link_text_echo
    from boilerkit import build_blocks, parse_html

    echo, slug = link_text_echo.echo_and_slug(
        "Rain returns to the valley", ["https://example.org/2024/05/rain-returns-to-the-valley"])
    assert (echo, slug) == (1.0, 5)
    assert link_text_echo.echo_and_slug("News", ["/news/"]) == (1.0, 1)
    assert link_text_echo.echo_and_slug("Contact us", ["mailto:a@b.org"]) == (0.0, 0)
    blocks = build_blocks(parse_html(
        "<div><a href='/a'>one</a> text <p><a href='/b'>two</a></p></div>"))
    outer = next(block for block in blocks if block.tag == "div")
    assert [link.get("href") for link in link_text_echo.own_links(outer.element)] == ["/a"]
    with pytest.raises(SystemExit):
        link_text_echo.main(["--splits", "dev,test"])


def test_label_choice_lists_the_reviewed_pages_with_the_most_wrong_blocks():
    import label_choice

    def page(page_id, n_blocks, labels):
        return SimpleNamespace(page_id=page_id, blocks=[None] * n_blocks, labels=labels)

    pages = [page("a", 3, ["article", "teaser", None]), page("b", 2, ["teaser", "teaser"]),
             page("c", 1, ["comment"])]
    chosen = [["article", "article", "navigation"], ["article", "article"], ["article"]]
    lines = label_choice._worst_pages(pages, chosen, [True, True, False], 1)
    # Page c is not reviewed; a's unlabelled block is not an error.
    assert lines[0] == "  3 wrong blocks on 2 reviewed pages; the worst:"
    assert lines[1:] == ["  2 of 2 blocks wrong (66.7% of all errors): b: teaser -> article 2"]
