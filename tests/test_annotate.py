"""Writing labels as data-label attributes: few attributes, read back exactly by the trainer."""

from __future__ import annotations

import random
import re

import pytest

from boilerkit.annotate import LabelWriteError, group_labels, minimal_labels, write_labels
from boilerkit.blocks import BLOCK_TAGS, build_blocks
from boilerkit.labelled import page_from_html, read_labelled
from boilerkit.parse import parse_html

from viewing import EXAMPLE, guideline_label

LABELS = ("article", "navigation", "teaser", "comment")


def _attributes(data: bytes) -> list[tuple[str, str]]:
    return re.findall(rb'<(\w+)[^>]*? data-label="([^"]*)"', data)


def test_one_label_for_the_whole_page_is_one_attribute():
    html = "<html><body><p>one</p><div><p>two</p><p>three</p></div></body></html>"
    data, count = write_labels(html, ["article"] * 3)
    assert count == 1
    assert page_from_html(data, "x").labels == ["article"] * 3


def test_an_exception_inside_a_region_costs_one_more():
    html = ("<html><body><nav><ul><li>Home</li><li>News</li></ul></nav>"
            "<article><h1>Title</h1><p>Body</p><div class='share'>Share</div><p>More</p></article>"
            "<aside><p>Related one</p><p>Related two</p></aside></body></html>")
    labels = ["navigation", "navigation", "article", "article", "navigation", "article",
              "teaser", "teaser"]
    data, count = write_labels(html, labels)
    # html: navigation, article: article, its share bar: navigation again, aside: teaser.
    assert count == 4
    assert page_from_html(data, "x").labels == labels
    assert all(tag.decode() in BLOCK_TAGS for tag, _ in _attributes(data))


def test_unlabelled_blocks_inside_a_labelled_region_get_an_empty_label():
    html = "<html><body><div><p>a</p><p>b</p><p>c</p></div></body></html>"
    data, count = write_labels(html, ["article", None, "article"])
    assert page_from_html(data, "x").labels == ["article", None, "article"]
    assert (b"p", b"") in _attributes(data) and count == 2
    data, count = write_labels(html, [None, None, None])
    assert count == 0 and not _attributes(data)


def test_existing_labels_are_replaced():
    html = ('<html><body><div data-label="comment"><p data-label="teaser">a</p>'
            '<p>b</p></div></body></html>')
    data, _ = write_labels(html, ["article", "article"])
    assert page_from_html(data, "x").labels == ["article", "article"]
    assert b"comment" not in data and b"teaser" not in data


def test_labels_never_go_on_inline_elements():
    # The only element around both runs of the link is the inline <a>; the label must go on
    # the block-level elements instead.
    html = "<html><body><div><a href='#'><span>Prev</span><h3>Older</h3></a></div></body></html>"
    data, count = write_labels(html, ["navigation", "teaser"])
    assert page_from_html(data, "x").labels == ["navigation", "teaser"]
    assert {tag for tag, _ in _attributes(data)} <= {b"div", b"h3", b"body", b"html"}


def test_blocks_sharing_an_element_take_the_label_of_most_of_their_text():
    root = parse_html("<html><body><div>Posted in <p>x</p> by Ann Lee Smith</div></body></html>")
    blocks = build_blocks(root)
    assert group_labels(blocks, ["navigation", "article", "article"]) == \
        ["article", "article", "article"]
    assert group_labels(blocks, ["navigation", "teaser", "navigation"]) == \
        ["navigation", "teaser", "navigation"]
    with pytest.raises(ValueError, match="different labels"):
        minimal_labels(root, blocks, ["navigation", "article", "article"])


def test_wrong_number_of_labels():
    with pytest.raises(LabelWriteError, match="2 labels for a page of 3 blocks"):
        write_labels("<html><body><p>a</p><p>b</p><p>c</p></body></html>", ["article"] * 2)


def test_random_labels_on_the_example_page_round_trip():
    data = EXAMPLE.read_bytes()
    blocks = build_blocks(parse_html(data))
    rng = random.Random(7)
    for _ in range(5):
        labels = group_labels(blocks, [rng.choice(LABELS + (None,)) for _ in blocks])
        written, count = write_labels(data, labels)
        assert page_from_html(written, "x").labels == labels
        assert count <= sum(label is not None for label in labels) + 1


def test_guideline_labels_of_the_example_are_few_and_round_trip(tmp_path):
    data = EXAMPLE.read_bytes()
    root = parse_html(data)
    labels = [guideline_label(block.element) for block in build_blocks(root)]
    written, count = write_labels(data, labels)
    assert count <= 8
    (tmp_path / "news.html").write_bytes(written)
    pages = read_labelled(tmp_path)  # exactly what `boilerkit train` reads
    assert pages[0].labels == labels


def test_a_page_in_another_encoding_is_written_as_utf8():
    html = ('<html><head><meta charset="windows-1252"></head><body><p>caf\xe9 cr\xe8me</p>'
            "</body></html>").encode("cp1252")
    data, _ = write_labels(html, ["article"])
    page = page_from_html(data, "x")
    assert page.blocks[0].text == "café crème" and page.labels == ["article"]
    assert b'charset="utf-8"' in data


def _random_tree(rng: random.Random, depth: int = 0) -> str:
    tag = rng.choice(("div", "p", "section", "span"))
    if depth >= 2 or rng.random() < 0.35:
        return f"<{tag}>t{rng.randint(0, 99)}</{tag}>"
    inner = "".join(_random_tree(rng, depth + 1) for _ in range(rng.randint(1, 3)))
    text = f"r{rng.randint(0, 99)}" if rng.random() < 0.4 else ""
    return f"<{tag if tag != 'p' else 'div'}>{text}{inner}</{tag if tag != 'p' else 'div'}>"


def _brute_force_minimum(root, blocks, labels) -> int:
    import itertools


    def nearest_label(element):  # the documented rule of boilerkit.labelled
        for node in itertools.chain((element,), element.iterancestors()):
            if node.get("data-label") is not None:
                return node.get("data-label") or None
        return None

    elements = [e for e in root.iter() if e.tag in BLOCK_TAGS]
    options = (None, "", "a", "n")  # None: no attribute; "": data-label=""
    best = None
    for placement in itertools.product(options, repeat=len(elements)):
        count = sum(option is not None for option in placement)
        if best is not None and count >= best:
            continue
        for element, option in zip(elements, placement):
            element.attrib.pop("data-label", None)
            if option is not None:
                element.set("data-label", option)
        if [nearest_label(block.element) for block in blocks] == labels:
            best = count
    for element in elements:
        element.attrib.pop("data-label", None)
    return best


def test_attribute_count_is_the_minimum_found_by_brute_force():
    rng = random.Random(3)
    checked = 0
    while checked < 25:
        html = f"<html><body>{_random_tree(rng)}</body></html>"
        root = parse_html(html)
        blocks = build_blocks(root)
        if sum(e.tag in BLOCK_TAGS for e in root.iter()) > 7 or not blocks:
            continue
        labels = group_labels(blocks, [rng.choice(("a", "n", None)) for _ in blocks])
        _, count = write_labels(html, labels)
        assert count == _brute_force_minimum(root, blocks, labels), html
        checked += 1
