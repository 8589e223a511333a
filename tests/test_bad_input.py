"""Bad and hostile input through the front door: boilerkit.classify and boilerkit.extract."""

from __future__ import annotations

import random

import pytest

import boilerkit
from boilerkit import BoilerkitError, InputError, Page, PageTooLargeError


def _garbage(size: int = 64 * 1024, seed: int = 1234) -> bytes:
    rng = random.Random(seed)
    data = bytearray(rng.randrange(256) for _ in range(size))
    data[::97] = b"\x00" * len(data[::97])  # plenty of NULs
    return bytes(data)


_TEN_THOUSAND_DEEP = "<html><body>" + "<div>" * 10_000 + "deep" + "</div>" * 10_000 + "</body></html>"


# --------------------------------------------------------------------------- empty input

@pytest.mark.parametrize("html", [
    "", "   ", "\n\t \r\n", b"", b"  \n ", "<!DOCTYPE html>", "<!-- only -->",
    # a byte-order mark alone (UTF-8, UTF-16-LE, UTF-16-BE), or with blanks after it
    b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", "\ufeff", b"\xef\xbb\xbf \n", " \n".encode("utf-16"),
])
def test_empty_input_gives_empty_page(tiny_model, html):
    page = boilerkit.classify(html, model=tiny_model)
    assert isinstance(page, Page)
    assert len(page) == 0
    assert page.blocks == [] and page.labels == []
    assert boilerkit.extract(html, model=tiny_model) == ""
    assert boilerkit.extract(html, model=tiny_model, format="markdown") == ""


def test_bom_alone_gives_an_empty_page_not_an_error(tiny_model):
    # Regression: a BOM alone raised InputError ("no markup") instead of the empty page.
    for data in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        assert boilerkit.classify(data, model=tiny_model).blocks == []
        assert boilerkit.extract(data, model=tiny_model, format="html") == ""


def test_page_without_text_gives_empty_page(tiny_model):
    page = boilerkit.classify("<html><body><div> </div><img src=a.png></body></html>", model=tiny_model)
    assert len(page) == 0


# --------------------------------------------------------------------------- not HTML

def test_binary_garbage_raises_input_error(tiny_model):
    data = _garbage()
    assert b"\x00" in data
    with pytest.raises(InputError, match="binary"):
        boilerkit.classify(data, model=tiny_model)
    with pytest.raises(InputError):
        boilerkit.extract(data, model=tiny_model)


@pytest.mark.parametrize("text", [
    "Just some plain text.\nAnother line of prose, nothing else.",
    b"Just some plain text.\nAnother line of prose, nothing else.",
])
def test_plain_text_without_markup_raises_input_error(tiny_model, text):
    with pytest.raises(InputError, match="markup"):
        boilerkit.classify(text, model=tiny_model)


@pytest.mark.parametrize("value", [None, 0, 42, 1.5, ["<p>x</p>"], {"html": "<p>x</p>"}])
def test_wrong_types_raise_input_error(tiny_model, value):
    with pytest.raises(InputError, match=type(value).__name__):
        boilerkit.classify(value, model=tiny_model)


# --------------------------------------------------------------------------- size limits

def test_20_mb_page_is_too_large_by_default(tiny_model):
    unit = "<p>x</p>"
    html = "<html><body>" + unit * (20 * 1024 * 1024 // len(unit)) + "</body></html>"
    for value in (html, html.encode()):
        with pytest.raises(PageTooLargeError) as info:
            boilerkit.classify(value, model=tiny_model)
        assert isinstance(info.value, InputError)


def _two_megabyte_page() -> tuple[str, int]:
    paragraph = "<p>" + "Words of a long paragraph that keeps going. " * 4 + "</p>"
    sections, per_section = 120, 100
    body = ("<section>" + paragraph * per_section + "</section>") * sections
    html = "<html><body>" + body + "</body></html>"
    return html, sections * per_section


def test_2_mb_page_is_processed_without_a_limit(tiny_model):
    html, n_paragraphs = _two_megabyte_page()
    data = html.encode()
    assert len(data) > 2 * 1024 * 1024
    with pytest.raises(PageTooLargeError):
        boilerkit.classify(data, model=tiny_model, max_bytes=1024 * 1024)
    page = boilerkit.classify(data, model=tiny_model, max_bytes=None)
    assert len(page) == n_paragraphs
    assert set(page.labels) <= set(tiny_model.classes_)


# --------------------------------------------------------------------------- deep nesting

def test_10000_deep_nesting_raises_input_error_not_recursion_error(tiny_model):
    for value in (_TEN_THOUSAND_DEEP, _TEN_THOUSAND_DEEP.encode()):
        with pytest.raises(InputError) as info:
            boilerkit.classify(value, model=tiny_model)
        assert not isinstance(info.value, RecursionError)
        with pytest.raises(InputError):
            boilerkit.extract(value, model=tiny_model)


# --------------------------------------------------------------------------- bad encodings

def test_undecodable_bytes_give_a_page(tiny_model):
    rng = random.Random(7)
    junk = bytes(rng.randrange(0x80, 0x100) for _ in range(32))
    data = (b"<html><body><p>Alpha beta " + junk + b" gamma.</p><p>Second paragraph.</p></body></html>")
    page = boilerkit.classify(data, model=tiny_model)
    assert len(page) == 2
    assert page.blocks[1].text == "Second paragraph."
    everything = boilerkit.extract(data, model=tiny_model, label=tiny_model.classes_)
    assert everything.startswith("Alpha beta ") and everything.endswith(" gamma.\n\nSecond paragraph.")


@pytest.mark.parametrize("declared, actual, text", [
    ("utf-8", "latin-1", "Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e, r\u00e9sum\u00e9"),
    ("utf-8", "cp1251", "\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440"),
    ("shift_jis", "utf-8", "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8"),
    pytest.param("utf-16", "utf-8", "Hello world"),
    ("no-such-charset", "utf-8", "Hello caf\u00e9"),
])
def test_mislabelled_encodings_give_a_page(tiny_model, declared, actual, text):
    html = f'<html><head><meta charset="{declared}"></head><body><p>{text}</p><p>Two</p></body></html>'
    data = html.encode(actual)
    assert len(data) % 2 == 0 or declared != "utf-16"
    page = boilerkit.classify(data, model=tiny_model)
    assert isinstance(page, Page)
    assert len(page) == 2 and page.blocks[1].text == "Two"
    page = boilerkit.classify(data, model=tiny_model, content_type=f"text/html; charset={actual}")
    assert [b.text for b in page] == [text, "Two"]


def test_wrong_content_type_charset_is_survived(tiny_model):
    data = "<html><body><p>caf\u00e9</p></body></html>".encode("utf-8")
    page = boilerkit.classify(data, model=tiny_model, content_type="text/html; charset=bogus-9")
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
def test_raised_errors_are_boilerkit_errors_with_a_message(tiny_model, make_input, kwargs):
    with pytest.raises(Exception) as info:
        boilerkit.classify(make_input(), model=tiny_model, **kwargs)
    assert isinstance(info.value, BoilerkitError)
    assert isinstance(info.value, InputError)
    assert str(info.value).strip()


# --------------------------------------------------------------------------- charset labels

_HELLO = b'<html><body><p>Hello</p><p>World</p></body></html>'


@pytest.mark.parametrize("label", [
    "undefined", "punycode", "idna", "rot13", "rot_13", "zlib", "base64", "uu", "hex", "bz2",
    "quopri", "utf-7", "unicode_escape", "raw_unicode_escape", "mbcs", "",
])
def test_non_text_codecs_named_by_the_page_are_ignored(tiny_model, label):
    # Regression: these labels reached bytes.decode and raised UnicodeError (or LookupError).
    for data, content_type in ((f'<meta charset="{label}">'.encode() + _HELLO, None),
                               (_HELLO, f"text/html; charset={label}")):
        page = boilerkit.classify(data, model=tiny_model, content_type=content_type)
        assert [block.text for block in page] == ["Hello", "World"]


def test_cli_extract_with_a_bogus_charset_has_no_traceback(tiny_model_path, tmp_path):
    import subprocess
    import sys

    page = tmp_path / "page.html"
    page.write_bytes(b'<meta charset="undefined"><p>Hello</p>')
    for extra in ([], ["--content-type", "text/html; charset=punycode"]):
        result = subprocess.run(
            [sys.executable, "-m", "boilerkit", "extract", "-m", str(tiny_model_path),
             "-l", "article,navigation,teaser,comment", *extra, str(page)],
            capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        assert result.stdout.strip() == "Hello"


# --------------------------------------------------------------------------- raw-text elements

@pytest.mark.parametrize("tag", ["noframes", "noembed", "xmp", "textarea"])
def test_raw_text_elements_give_no_markup_as_text(tiny_model, tag):
    # libxml2 keeps the content of these elements as literal text, markup included.
    html = (f"<html><body><p>Before the element.</p><{tag}><p>Hidden <b>markup</b></p>"
            f"<script>alert(1)</script></{tag}><p>After the element.</p></body></html>")
    page = boilerkit.classify(html, model=tiny_model)
    assert [block.text for block in page] == ["Before the element.", "After the element."]
    everything = boilerkit.extract(html, model=tiny_model, label=list(tiny_model.classes_))
    assert "<" not in everything and "Hidden" not in everything and "alert" not in everything
