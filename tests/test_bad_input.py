"""Bad and hostile input through the front door: boilerkit.classify and boilerkit.extract."""

from __future__ import annotations

import random

import pytest
from threadpoolctl import threadpool_limits

import boilerkit
from boilerkit import (
    BlockClassifier, BoilerkitError, InputError, Page, PageTooLargeError, build_blocks, parse_html,
)


@pytest.fixture(scope="module", autouse=True)
def _single_thread():
    # HistGradientBoosting's OpenMP threads crawl when the machine is busy; one thread is plenty.
    with threadpool_limits(limits=1):
        yield


# --------------------------------------------------------------------------- tiny model
# Private stand-in for the conftest ``tiny_model`` fixture, so this module runs on its own.

def _synthetic_page(i: int) -> str:
    topic = ("river", "harbour", "orchard", "library")[i % 4]
    nav = "".join(f'<li><a href="/{w}">{w.title()}</a></li>' for w in ("home", "sport", topic))
    paras = "".join(f"<p>The {topic} story, part {k}, explains how the {topic} changed the town "
                    f"over a decade, and what officials now plan to do about it.</p>" for k in range(3))
    related = "".join(f'<li><a href="/r{k}">More on the {topic}: {w}</a></li>'
                      for k, w in enumerate(("past", "future")))
    return (
        "<html><body>"
        f'<nav data-label="navigation"><ul>{nav}</ul></nav>'
        f'<article data-label="article"><h1>All about the {topic}</h1>{paras}</article>'
        f'<aside class="related-posts" data-label="teaser"><ul>{related}</ul></aside>'
        f'<section id="comments" data-label="comment"><p>Great piece on the {topic}! Reader {i}</p>'
        f'<form><textarea>Your comment</textarea><input type="submit" value="Post"></form></section>'
        "</body></html>")


def _label_of(block) -> str | None:
    for element in block.element.iterancestors():
        if element.get("data-label"):
            return element.get("data-label")
    return None


@pytest.fixture(scope="module")
def _tiny_model() -> BlockClassifier:
    pages = [build_blocks(parse_html(_synthetic_page(i))) for i in range(5)]
    labels = [[_label_of(block) for block in page] for page in pages]
    return BlockClassifier(max_iter=20, min_samples_leaf=2).fit(pages, labels)


def _garbage(size: int = 64 * 1024, seed: int = 1234) -> bytes:
    rng = random.Random(seed)
    data = bytearray(rng.randrange(256) for _ in range(size))
    data[::97] = b"\x00" * len(data[::97])  # plenty of NULs
    return bytes(data)


_TEN_THOUSAND_DEEP = "<html><body>" + "<div>" * 10_000 + "deep" + "</div>" * 10_000 + "</body></html>"


# --------------------------------------------------------------------------- empty input

@pytest.mark.parametrize("html", ["", "   ", "\n\t \r\n", b"", b"  \n ", "<!DOCTYPE html>", "<!-- only -->"])
def test_empty_input_gives_empty_page(_tiny_model, html):
    page = boilerkit.classify(html, model=_tiny_model)
    assert isinstance(page, Page)
    assert len(page) == 0
    assert page.blocks == [] and page.labels == []
    assert boilerkit.extract(html, model=_tiny_model) == ""
    assert boilerkit.extract(html, model=_tiny_model, format="markdown") == ""


def test_page_without_text_gives_empty_page(_tiny_model):
    page = boilerkit.classify("<html><body><div> </div><img src=a.png></body></html>", model=_tiny_model)
    assert len(page) == 0


# --------------------------------------------------------------------------- not HTML

def test_binary_garbage_raises_input_error(_tiny_model):
    data = _garbage()
    assert b"\x00" in data
    with pytest.raises(InputError, match="binary"):
        boilerkit.classify(data, model=_tiny_model)
    with pytest.raises(InputError):
        boilerkit.extract(data, model=_tiny_model)


@pytest.mark.parametrize("text", [
    "Just some plain text.\nAnother line of prose, nothing else.",
    b"Just some plain text.\nAnother line of prose, nothing else.",
])
def test_plain_text_without_markup_raises_input_error(_tiny_model, text):
    with pytest.raises(InputError, match="markup"):
        boilerkit.classify(text, model=_tiny_model)


@pytest.mark.parametrize("value", [None, 0, 42, 1.5, ["<p>x</p>"], {"html": "<p>x</p>"}])
def test_wrong_types_raise_input_error(_tiny_model, value):
    with pytest.raises(InputError, match=type(value).__name__):
        boilerkit.classify(value, model=_tiny_model)


# --------------------------------------------------------------------------- size limits

def test_20_mb_page_is_too_large_by_default(_tiny_model):
    unit = "<p>x</p>"
    html = "<html><body>" + unit * (20 * 1024 * 1024 // len(unit)) + "</body></html>"
    for value in (html, html.encode()):
        with pytest.raises(PageTooLargeError) as info:
            boilerkit.classify(value, model=_tiny_model)
        assert isinstance(info.value, InputError)


def _two_megabyte_page() -> tuple[str, int]:
    paragraph = "<p>" + "Words of a long paragraph that keeps going. " * 4 + "</p>"
    sections, per_section = 120, 100
    body = ("<section>" + paragraph * per_section + "</section>") * sections
    html = "<html><body>" + body + "</body></html>"
    return html, sections * per_section


def test_2_mb_page_is_processed_without_a_limit(_tiny_model):
    html, n_paragraphs = _two_megabyte_page()
    data = html.encode()
    assert len(data) > 2 * 1024 * 1024
    with pytest.raises(PageTooLargeError):
        boilerkit.classify(data, model=_tiny_model, max_bytes=1024 * 1024)
    page = boilerkit.classify(data, model=_tiny_model, max_bytes=None)
    assert len(page) == n_paragraphs
    assert set(page.labels) <= set(_tiny_model.classes_)


# --------------------------------------------------------------------------- deep nesting

def test_10000_deep_nesting_raises_input_error_not_recursion_error(_tiny_model):
    for value in (_TEN_THOUSAND_DEEP, _TEN_THOUSAND_DEEP.encode()):
        with pytest.raises(InputError) as info:
            boilerkit.classify(value, model=_tiny_model)
        assert not isinstance(info.value, RecursionError)
        with pytest.raises(InputError):
            boilerkit.extract(value, model=_tiny_model)


# --------------------------------------------------------------------------- bad encodings

def test_undecodable_bytes_give_a_page(_tiny_model):
    rng = random.Random(7)
    junk = bytes(rng.randrange(0x80, 0x100) for _ in range(32))
    data = (b"<html><body><p>Alpha beta " + junk + b" gamma.</p><p>Second paragraph.</p></body></html>")
    page = boilerkit.classify(data, model=_tiny_model)
    assert len(page) == 2
    assert page.blocks[1].text == "Second paragraph."
    assert isinstance(boilerkit.extract(data, model=_tiny_model, label=_tiny_model.classes_), str)


@pytest.mark.parametrize("declared, actual, text", [
    ("utf-8", "latin-1", "Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e, r\u00e9sum\u00e9"),
    ("utf-8", "cp1251", "\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440"),
    ("shift_jis", "utf-8", "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8"),
    pytest.param("utf-16", "utf-8", "Hello world"),
    ("no-such-charset", "utf-8", "Hello caf\u00e9"),
])
def test_mislabelled_encodings_give_a_page(_tiny_model, declared, actual, text):
    html = f'<html><head><meta charset="{declared}"></head><body><p>{text}</p><p>Two</p></body></html>'
    data = html.encode(actual)
    assert len(data) % 2 == 0 or declared != "utf-16"
    page = boilerkit.classify(data, model=_tiny_model)
    assert isinstance(page, Page)
    assert len(page) == 2 and page.blocks[1].text == "Two"
    page = boilerkit.classify(data, model=_tiny_model, content_type=f"text/html; charset={actual}")
    assert [b.text for b in page] == [text, "Two"]


def test_wrong_content_type_charset_is_survived(_tiny_model):
    data = "<html><body><p>caf\u00e9</p></body></html>".encode("utf-8")
    page = boilerkit.classify(data, model=_tiny_model, content_type="text/html; charset=bogus-9")
    assert [b.text for b in page] == ["caf\u00e9"]


# --------------------------------------------------------------------------- error hygiene

@pytest.mark.parametrize("make_input, kwargs", [
    (lambda: _garbage(), {}),
    (lambda: "plain text, no markup at all", {}),
    (lambda: None, {}),
    (lambda: 12345, {}),
    (lambda: _TEN_THOUSAND_DEEP, {}),
    (lambda: "<p>" + "x" * 2000 + "</p>", {"max_bytes": 1000}),
    (lambda: b"<p>" + b"x" * 2000 + b"</p>", {"max_bytes": 1000}),
], ids=["garbage", "plain-text", "none", "int", "deep", "too-large-str", "too-large-bytes"])
def test_raised_errors_are_boilerkit_errors_with_a_message(_tiny_model, make_input, kwargs):
    with pytest.raises(Exception) as info:
        boilerkit.classify(make_input(), model=_tiny_model, **kwargs)
    assert isinstance(info.value, BoilerkitError)
    assert isinstance(info.value, InputError)
    assert str(info.value).strip()
