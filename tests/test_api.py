"""The front door: boilerkit.classify and boilerkit.extract, and the Page they give."""

from __future__ import annotations

import json
from pathlib import Path

import lxml.etree
import numpy as np
import pytest

import boilerkit
from boilerkit import (
    ArgumentError, BoilerkitError, LabelError, ModelError, ModelNotFoundError, Page,
)
from boilerkit.api import resolve_model
from boilerkit.page import FORMATS

LABELS = ["article", "comment", "navigation", "teaser"]


@pytest.fixture(scope="module")
def html(unlabelled_page) -> bytes:
    return unlabelled_page.read_bytes()


@pytest.fixture(scope="module")
def page(html, tiny_model) -> Page:
    return boilerkit.classify(html, url="https://unseen.example/0", model=tiny_model)


# --------------------------------------------------------------------------- classify

def test_classify_labels_every_block_with_its_probabilities(page, tiny_model):
    assert len(page) > 20 and page.url == "https://unseen.example/0"
    assert page.title.endswith("- Unseen")
    assert set(page.labels) == set(LABELS)
    for block in page:
        assert sorted(block.probabilities) == LABELS
        assert block.probability == max(block.probabilities.values())
        assert sum(block.probabilities.values()) == pytest.approx(1.0)


def test_page_root_finds_every_block_again_by_its_xpath_for_bytes_input(page):
    assert isinstance(page.root, lxml.etree._Element) and page.root.tag == "html"
    tree = page.root.getroottree()
    for block in page:
        assert block.element is block.block.element
        assert tree.xpath(block.xpath) == [block.element]


def test_page_root_of_an_lxml_tree_is_that_tree(tiny_model):
    root = lxml.etree.fromstring("<html><body><p>One two three.</p></body></html>",
                                 lxml.etree.HTMLParser())
    page = boilerkit.classify(root.getroottree(), model=tiny_model)
    assert page.root is root and page.blocks[0].element is root.find("body/p")


def test_empty_input_has_no_root_and_zero_confidence(tiny_model):
    page = boilerkit.classify(b"", model=tiny_model)
    assert page.root is None and page.blocks == [] and page.confidence == 0.0


def test_confidence_is_the_character_weighted_mean_probability(page):
    weights = [len(block.text) for block in page]
    expected = sum(w * block.probability for w, block in zip(weights, page)) / sum(weights)
    assert page.confidence == pytest.approx(expected)
    assert min(b.probability for b in page) <= page.confidence <= max(b.probability for b in page)
    assert page.confidence != pytest.approx(sum(b.probability for b in page) / len(page))


# --------------------------------------------------------------------------- model argument

@pytest.mark.parametrize("as_path", [str, Path])
def test_model_may_be_a_path(html, page, tiny_model_path, as_path):
    by_path = boilerkit.classify(html, model=as_path(tiny_model_path))
    assert by_path.labels == page.labels
    for loaded, fitted in zip(by_path, page):
        assert loaded.probabilities == pytest.approx(fitted.probabilities)


def test_a_model_path_is_loaded(tiny_model_path, tiny_model):
    loaded = resolve_model(str(tiny_model_path))
    assert list(loaded.classes_) == LABELS
    assert resolve_model(tiny_model) is tiny_model.model_


def test_a_path_without_a_model_raises_model_not_found(html, tmp_path):
    with pytest.raises(ModelNotFoundError):
        boilerkit.classify(html, model=tmp_path / "missing")
    with pytest.raises(ModelError):
        boilerkit.extract(html, model=str(tmp_path))


@pytest.mark.parametrize("model", [42, object(), ["a"]])
def test_an_object_that_is_no_model_raises_model_error(html, model):
    with pytest.raises(ModelError, match="model must be"):
        boilerkit.classify(html, model=model)


# --------------------------------------------------------------------------- extract

def test_extract_is_page_render(html, page, tiny_model):
    for format in FORMATS:
        for label in ("article", ("comment", "teaser")):
            assert (boilerkit.extract(html, url=page.url, format=format, label=label, model=tiny_model)
                    == page.render(format, labels=label))
    assert page.render() == page.text() == boilerkit.extract(html, model=tiny_model)
    assert (page.render(labels=LABELS, figures=True)
            == boilerkit.extract(html, label=LABELS, model=tiny_model, figures=True))


def test_render_with_labels_none_gives_every_block(page):
    assert json.loads(page.render("json", labels=None))["blocks"] == [
        {"label": b.label, "tag": b.tag, "xpath": b.xpath, "text": b.text} for b in page]


@pytest.mark.parametrize("label", ["comments", ["article", "sidebar"], []])
def test_extract_an_unknown_label_raises_label_error_naming_the_labels(html, tiny_model, label):
    with pytest.raises(LabelError, match="article, comment, navigation, teaser") as info:
        boilerkit.extract(html, label=label, model=tiny_model)
    assert isinstance(info.value, ValueError) and isinstance(info.value, BoilerkitError)


def test_extract_min_probability_keeps_only_sure_blocks(html, page, tiny_model):
    probabilities = sorted(b.probability for b in page.blocks_with(LABELS))
    threshold = probabilities[len(probabilities) // 2]
    kept = [b for b in page if b.probability >= threshold]
    assert 0 < len(kept) < len(page)
    out = json.loads(boilerkit.extract(html, format="json", label=LABELS, model=tiny_model,
                                       min_probability=threshold))
    assert [b["xpath"] for b in out["blocks"]] == [b.xpath for b in kept]
    assert boilerkit.extract(html, label=LABELS, model=tiny_model, min_probability=0.0) == \
        page.render(labels=LABELS)
    assert page.render(labels=LABELS, min_probability=threshold) == \
        boilerkit.extract(html, label=LABELS, model=tiny_model, min_probability=threshold)
    assert page.render(labels=LABELS, min_probability=np.float32(threshold)) == \
        page.render(labels=LABELS, min_probability=float(np.float32(threshold)))


@pytest.mark.parametrize("value", [-0.1, 1.5, float("nan"), "0.5", None, True])
def test_extract_rejects_a_min_probability_outside_0_to_1(html, tiny_model, value):
    with pytest.raises(ArgumentError, match="min_probability"):
        boilerkit.extract(html, model=tiny_model, min_probability=value)


def test_extract_rejects_an_unknown_format_before_reading_the_model():
    with pytest.raises(ArgumentError, match="unknown format 'pdf'"):
        boilerkit.extract("<p>x</p>", format="pdf", model=object())


@pytest.mark.parametrize("format", ["text", "markdown", "html"])
def test_extract_of_empty_input_is_empty_in_every_format(tiny_model, format):
    assert boilerkit.extract(b"\xef\xbb\xbf", format=format, model=tiny_model) == ""
    document = json.loads(boilerkit.extract("", format="json", model=tiny_model))
    assert document["blocks"] == [] and document["text"] == ""


def test_extract_markdown_escapes_the_page_text(tiny_model):
    html = ("<html><body><article><p>a &lt;img src=x onerror=alert(1)&gt; *b*</p>"
            "<p># c</p></article></body></html>")
    out = boilerkit.extract(html, format="markdown", label=LABELS, model=tiny_model)
    assert out == "a \\<img src=x onerror=alert(1)> \\*b\\*\n\n\\# c"
