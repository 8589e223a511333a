"""The compiled accelerator against the pure-Python/numpy paths: same blocks, features, labels.

The accelerator is optional (``pip install .`` builds it when a compiler is there); the pure
paths are the reference. These tests run both on the example page and, when the shared
datasets are there, on real pages of three sources.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from boilerkit import blocks as blocks_module
from boilerkit import build_blocks, parse_html, predictor
from boilerkit.features import FeatureConfig, PageFeatures

pytestmark = pytest.mark.skipif(not predictor.has_speedups(),
                                reason="the C accelerator is not built")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "news-page.html"
FIELDS = ("text", "tag", "position", "depth", "context", "element_id", "parent_id",
          "own_tokens", "ancestor_tokens", "inner_tokens", "tag_path", "link_text_length",
          "link_count", "image_count", "input_count", "link_target_length", "link_slug_words",
          "link_rels", "xpath")


def _pages() -> list[tuple[str, bytes]]:
    pages = [("example", EXAMPLE.read_bytes())]
    try:
        from boilerkit.datasets.sources import DatasetNotFound, load_source
        for source in ("readability", "trafilatura-eval", "kreuzer"):
            pages += [(page.page_id, page.html)
                      for page in itertools.islice(load_source(source), 25)]
    except DatasetNotFound:
        pass  # the example page alone still checks the paths
    return pages


@pytest.fixture(scope="module")
def pages():
    return _pages()


def _both_walks(root, monkeypatch):
    compiled = build_blocks(root)
    with monkeypatch.context() as patch:
        patch.setattr(blocks_module, "_speedups", None)
        python = build_blocks(root)
    return compiled, python


def test_same_blocks(pages, monkeypatch):
    for page_id, html in pages:
        root = parse_html(html, max_bytes=None)
        compiled, python = _both_walks(root, monkeypatch)
        assert len(compiled) == len(python), page_id
        for a, b in zip(compiled, python):
            assert [getattr(a, f) for f in FIELDS] == [getattr(b, f) for f in FIELDS], page_id
            assert a.element is b.element
        for name in ("ancestor_stats", "ancestor_ids", "subtree_end", "numbers"):
            np.testing.assert_array_equal(getattr(compiled, name), getattr(python, name))


_HREFS = ("/2024/05/rain-returns-to-the-valley", "/news/", "https://x.org", "//x.org/a-b/",
          "https://x.org/a/b-c.html?x=1-2", "mailto:a-b@c.d", "x.tar.gz", ".html", "/html",
          "a.bcdefg", "a.bcdef", "#top-of-page", "?q=a-b", "story_name+x..y", "/--/", " /a-b ",
          "/" + "-w" * 40, "/é-ü.html", "a:b-c", "/a%20b-c", "/x.", "/x.a", "/x.abcde")


def _one_link_per_block(attribute, values, monkeypatch):
    html = "".join(f'<p><a {attribute}="{value}">link</a></p>' for value in values)
    return _both_walks(parse_html(f"<html><body>{html}</body></html>"), monkeypatch)


def test_same_link_slug_words_for_awkward_targets(monkeypatch):
    compiled, python = _one_link_per_block("href", _HREFS, monkeypatch)
    assert ([block.link_slug_words for block in compiled]
            == [block.link_slug_words for block in python]
            == [blocks_module.link_slug_words(href) for href in _HREFS])


_RELS = ("next", "Next PREV", "\tbookmark\n", "external nofollow ugc", "nofollow,ugc",
         "category  tag", "home privacy-policy license", "noopener", "", "author me",
         "sponsored", "NEXTPAGE", "ünext", "terms-of-service first last previous")


def test_same_link_rels_for_awkward_rel_attributes(monkeypatch):
    compiled, python = _one_link_per_block("rel", _RELS, monkeypatch)
    assert ([block.link_rels for block in compiled]
            == [block.link_rels for block in python]
            == [blocks_module.link_rel_flags(rel) for rel in _RELS])


def test_same_features(pages):
    config = FeatureConfig()
    for page_id, html in pages:
        blocks = build_blocks(parse_html(html, max_bytes=None))
        np.testing.assert_array_equal(PageFeatures(blocks, config).matrix(),
                                      PageFeatures(blocks, config, use_speedups=False).matrix(),
                                      err_msg=page_id)


def test_same_labels(pages, tiny_model):
    from boilerkit.persistence import default_model

    for model in (tiny_model.model_, default_model()):
        for page_id, html in pages:
            blocks = build_blocks(parse_html(html, max_bytes=None))
            compiled = model.predict_page(blocks)
            pure = model.predict_page(blocks, use_speedups=False)
            np.testing.assert_array_equal(compiled.argmax(axis=1), pure.argmax(axis=1), page_id)
            np.testing.assert_allclose(compiled, pure, atol=1e-12, rtol=0)


def test_a_malformed_tree_built_without_the_parser(monkeypatch):
    import lxml.etree

    root = lxml.etree.Element("div")
    root.text = "lead "
    child = lxml.etree.SubElement(root, "{urn:x}p")
    child.text = "namespaced"
    lxml.etree.SubElement(root, "p").text = "plain"
    root.append(lxml.etree.Comment("note"))
    root[-1].tail = " tail"
    compiled, python = _both_walks(root, monkeypatch)
    assert [b.text for b in compiled] == [b.text for b in python] == [
        "lead namespaced", "plain", "tail"]
