"""Tests of boilerkit.parse: str/bytes/lxml input and encoding detection."""

from __future__ import annotations

import codecs
import random

import lxml.etree
import lxml.html
import pytest
from threadpoolctl import threadpool_limits

import boilerkit
from boilerkit import BlockClassifier, InputError, build_blocks, parse_html
from boilerkit.parse import decode_html


def _texts(root) -> list[str]:
    return [block.text for block in build_blocks(root)]


def _page(body: str, head: str = "") -> str:
    return f"<html><head>{head}<title>t</title></head><body>{body}</body></html>"


@pytest.fixture(scope="module", autouse=True)
def _single_thread():
    # HistGradientBoosting's OpenMP threads crawl when the machine is busy (several test
    # runs at once on few cores); one thread keeps these tiny fits fast.
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
    return _page(
        f'<nav data-label="navigation"><ul>{nav}</ul></nav>'
        f'<article data-label="article"><h1>All about the {topic}</h1>{paras}</article>'
        f'<aside class="related-posts" data-label="teaser"><ul>{related}</ul></aside>'
        f'<section id="comments" data-label="comment"><p>Great piece on the {topic}! Reader {i}</p>'
        f'<form><textarea>Your comment</textarea><input type="submit" value="Post"></form></section>')


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


# --------------------------------------------------------------------------- input types

def test_str_input_gives_html_root():
    root = parse_html(_page("<p>Hello world</p>"))
    assert root.tag == "html"
    assert _texts(root) == ["Hello world"]


def test_bytes_input_decodes_like_str():
    html = _page("<p>Caf\u00e9 au lait</p>", head='<meta charset="utf-8">')
    assert _texts(parse_html(html.encode("utf-8"))) == _texts(parse_html(html)) == ["Caf\u00e9 au lait"]


def test_bytearray_and_memoryview_are_bytes():
    data = _page("<p>Hello</p>").encode()
    assert _texts(parse_html(bytearray(data))) == ["Hello"]
    assert _texts(parse_html(memoryview(data))) == ["Hello"]


def test_lxml_element_and_tree_are_used_as_they_are():
    element = lxml.html.document_fromstring(_page("<p>Hello</p>"))
    assert parse_html(element) is element
    assert parse_html(element.getroottree()) is element


def test_empty_and_whitespace_input_give_none():
    assert parse_html("") is None
    assert parse_html("  \n\t ") is None
    assert parse_html(b"") is None
    assert parse_html(b" \r\n") is None


# --------------------------------------------------------------------------- encodings

def test_content_type_hint_wins_over_meta():
    text = "\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440"  # Привет мир
    data = _page(f"<p>{text}</p>", head="<meta charset=windows-1251>").encode("koi8-r")
    # the meta is wrong, but windows-1251 decodes every byte: only the hint can help
    assert _texts(parse_html(data, content_type="text/html; charset=KOI8-R")) == [text]
    assert _texts(parse_html(data)) != [text]
    assert decode_html(data, "text/html; charset=koi8-r")[1] == codecs.lookup("koi8-r").name


def test_utf8_bom_wins_over_meta():
    text = "\u0417\u0434\u0440\u0430\u0432\u0441\u0442\u0432\u0443\u0439 caf\u00e9"
    data = codecs.BOM_UTF8 + _page(f"<p>{text}</p>", head="<meta charset=windows-1251>").encode()
    decoded, encoding = decode_html(data)
    assert encoding == "utf-8-sig"
    assert not decoded.startswith("\ufeff")
    assert _texts(parse_html(data)) == [text]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_bom(codec):
    text = "\u65e5\u672c\u8a9e and caf\u00e9"
    data = "\ufeff".encode(codec) + _page(f"<p>{text}</p>").encode(codec)
    assert decode_html(data)[1] == "utf-16"
    assert _texts(parse_html(data)) == [text]


def test_meta_charset_windows_1251_cyrillic():
    text = "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! \u042d\u0442\u043e \u0442\u0435\u0441\u0442."
    data = _page(f"<p>{text}</p>", head="<meta charset=windows-1251>").encode("cp1251")
    decoded, encoding = decode_html(data)
    assert encoding == "cp1251"
    assert _texts(parse_html(data)) == [text]


def test_meta_http_equiv_shift_jis_japanese():
    text = "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3067\u3059\u3002"  # 日本語のテキストです。
    head = '<meta http-equiv="Content-Type" content="text/html; charset=shift_jis">'
    data = _page(f"<p>{text}</p>", head=head).encode("shift_jis")
    assert decode_html(data)[1] == "shift_jis"
    assert _texts(parse_html(data)) == [text]


@pytest.mark.parametrize("text", [
    "Le caf\u00e9 est r\u00e9put\u00e9.",
    pytest.param("R\u00e9sum\u00e9"),
])
def test_mislabelled_utf8_page_that_is_latin1_decodes_e_acute(text):
    data = _page(f"<p>{text}</p>", head='<meta charset="utf-8">').encode("latin-1")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the declaration really is a lie
    texts = _texts(parse_html(data))  # no exception
    assert texts == [text]
    assert "\u00e9" in texts[0]


def test_mislabelled_utf8_page_that_is_latin1_decodes_all_accents():
    text = "Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e"
    data = _page(f"<p>{text}</p>", head='<meta charset="utf-8">').encode("latin-1")
    assert _texts(parse_html(data)) == [text]


def test_undecodable_bytes_in_ascii_page_do_not_raise():
    rng = random.Random(20240601)
    junk = bytes(rng.randrange(0x80, 0x100) for _ in range(24))
    data = (b"<html><body><h1>Heading</h1><p>Alpha beta " + junk
            + b" gamma delta.</p><p>Second paragraph here.</p></body></html>")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    texts = _texts(parse_html(data))
    assert len(texts) == 3
    assert texts[0] == "Heading"
    assert texts[1].startswith("Alpha beta ") and texts[1].endswith(" gamma delta.")
    assert texts[2] == "Second paragraph here."


def test_meta_charset_utf16_on_ascii_bytes_means_utf8():
    data = _page("<p>Hello world</p>", head='<meta charset="utf-16">').encode("utf-8")
    assert len(data) % 2 == 0  # so UTF-16 decoding "succeeds"
    assert _texts(parse_html(data)) == ["Hello world"]


@pytest.mark.parametrize("declaration", [
    '<?xml version="1.0" encoding="utf-8"?>',
    '  <?xml version="1.0" encoding="iso-8859-1"?>\n<!DOCTYPE html>',
])
def test_xml_declaration_in_str_does_not_crash(declaration):
    root = parse_html(declaration + _page("<p>Caf\u00e9</p>"))
    assert _texts(root) == ["Caf\u00e9"]


def test_xml_declaration_in_bytes():
    data = ('<?xml version="1.0" encoding="utf-8"?>' + _page("<p>Caf\u00e9</p>")).encode()
    assert _texts(parse_html(data)) == ["Caf\u00e9"]


# --------------------------------------------------------------------------- tree untouched

def _tree_with_script():
    html = _page('<p>Keep me <script>var x = 1;</script>please.</p><!-- a comment -->'
                 '<style>p { color: red }</style><p>Second</p>',
                 head='<script src="/a.js"></script>')
    return lxml.html.document_fromstring(html)


def test_build_blocks_does_not_modify_lxml_tree():
    root = _tree_with_script()
    before = lxml.etree.tostring(root)
    blocks = build_blocks(parse_html(root))
    assert [b.text for b in blocks] == ["Keep me please.", "Second"]
    assert lxml.etree.tostring(root) == before
    assert len(root.findall(".//script")) == 2
    assert len(root.findall(".//style")) == 1


def test_classify_does_not_modify_lxml_tree(_tiny_model):
    root = _tree_with_script()
    before = lxml.etree.tostring(root)
    page = boilerkit.classify(root.getroottree(), model=_tiny_model)
    assert len(page) == 2
    assert lxml.etree.tostring(root) == before
    assert root.find(".//body//script").text == "var x = 1;"


def test_non_html_types_raise_input_error():
    for value in (None, 42, 3.5, ["<p>x</p>"]):
        with pytest.raises(InputError):
            parse_html(value)


def test_byte_order_mark_wins_over_the_content_type_header():
    data = codecs.BOM_UTF8 + "<html><body><p>café</p></body></html>".encode("utf-8")
    root = parse_html(data, content_type="text/html; charset=iso-8859-1")
    assert "".join(root.itertext()).strip() == "café"
