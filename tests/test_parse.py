"""Tests of boilerkit.parse: str/bytes/lxml input and encoding detection."""

from __future__ import annotations

import codecs
import random
from pathlib import Path

import lxml.etree
import lxml.html
import pytest

import boilerkit
from boilerkit import InputError, build_blocks, parse_html
from boilerkit.encodings import ALLOWED_CODECS, codec_for_label
from boilerkit.parse import decode_html


def _texts(root) -> list[str]:
    return [block.text for block in build_blocks(root)]


def _page(body: str, head: str = "") -> str:
    return f"<html><head>{head}<title>t</title></head><body>{body}</body></html>"


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
    assert decode_html(data)[1] == codec
    assert _texts(parse_html(data)) == [text]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_page_with_a_bom_cut_to_an_odd_length_is_not_binary(codec):
    text = "\u65e5\u672c\u8a9e and caf\u00e9"
    data = ("\ufeff" + _page(f"<p>{text}</p><p>second</p>")).encode(codec)[:-1]
    assert len(data) % 2 == 1
    decoded, encoding = decode_html(data)
    assert encoding == codec and decoded.endswith("\ufffd")
    assert _texts(parse_html(data)) == [text, "second"]


def test_bom_wins_over_header_and_meta():
    # A browser reads the BOM first, then the header, then <meta>.
    data = "\ufeff<meta charset=koi8-r><p>\u0416</p>".encode("utf-16-be")
    assert decode_html(data, "text/html; charset=windows-1251")[1] == "utf-16-be"
    data = codecs.BOM_UTF8 + "<meta charset=koi8-r><p>\u0416</p>".encode()
    assert _texts(parse_html(data, content_type="text/html; charset=cp1251")) == ["\u0416"]


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
    assert decode_html(data)[1] == "cp932"  # browsers decode Shift_JIS as windows-31j
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


def test_classify_does_not_modify_lxml_tree(tiny_model):
    root = _tree_with_script()
    before = lxml.etree.tostring(root)
    page = boilerkit.classify(root.getroottree(), model=tiny_model)
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


# --------------------------------------------------------------------------- charset labels

@pytest.mark.parametrize("label, codec", [
    ("utf-8", "utf-8"), ("UTF8", "utf-8"), (" 'Shift_JIS' ", "cp932"), ("iso-8859-1", "cp1252"),
    ("latin-1", "cp1252"), ("us-ascii", "cp1252"), ("gb2312", "gb18030"), ("euc_kr", "cp949"),
    ("windows-1251", "cp1251"), ("utf-16", "utf-16-le"), ("x-mac-cyrillic", "mac-cyrillic"),
    (b"KOI8-R", "koi8-r"),
])
def test_whatwg_labels_map_to_browser_codecs(label, codec):
    assert codec_for_label(label) == codecs.lookup(codec).name


@pytest.mark.parametrize("label", [
    "punycode", "idna", "rot13", "rot-13", "zlib", "zlib_codec", "base64", "uu", "hex", "bz2",
    "quopri", "utf-7", "undefined", "unicode_escape", "raw_unicode_escape", "mbcs",
    "utf-32", "x-user-defined", "iso-2022-kr", "no-such-charset", "", None, "x" * 500, "a\x00b",
])
def test_labels_of_non_text_or_unknown_codecs_are_refused(label):
    assert codec_for_label(label) is None


def test_every_allowed_codec_decodes_text():
    for codec in ALLOWED_CODECS:
        info = codecs.lookup(codec)
        assert info._is_text_encoding, codec
        assert "<p>abc</p>".encode(codec).decode(codec) == "<p>abc</p>"


@pytest.mark.parametrize("label", ["undefined", "punycode", "rot13", "base64", "hex", "zlib"])
def test_non_text_codec_labels_fall_through_to_detection(label):
    text = "Caf\u00e9 cr\u00e8me \u2019quoted\u2019"
    data = _page(f"<p>{text}</p>", head=f'<meta charset="{label}">').encode()
    assert decode_html(data)[1] == "utf-8"
    assert decode_html(data, f"text/html; charset={label}")[1] == "utf-8"
    assert _texts(parse_html(data, content_type=f"text/html; charset={label}")) == [text]


# --------------------------------------------------------------------------- almost UTF-8

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "news-page.html"


def test_one_bad_byte_does_not_turn_a_utf8_page_into_mojibake():
    data = EXAMPLE.read_bytes()
    data.decode("utf-8")
    at = data.index(b"Pakistan and Russia have")
    broken = data[:at] + b"\xff" + data[at:]
    text = "".join(parse_html(broken).itertext())
    assert "Pakistan\u2019s" in text and "\u00e2\u20ac" not in text
    decoded, encoding = decode_html(broken)
    assert encoding == "utf-8" and decoded.count("\ufffd") == 1


def test_a_cut_character_in_a_page_declared_utf8_gives_one_replacement_character():
    # As on maescot.de: one byte of a two-byte character is lost, the rest is UTF-8.
    body = "<p>Standardausf\u00fchrung f\u00fcr Gr\u00f6\u00dfe M\u00e4scot</p>"
    data = _page(body, head='<meta charset="utf-8">').encode().replace(b"M\xc3\xa4", b"M\xc3")
    assert _texts(parse_html(data)) == ["Standardausf\u00fchrung f\u00fcr Gr\u00f6\u00dfe M\ufffdscot"]


def test_a_latin1_page_with_a_stray_utf8_sequence_is_still_latin1():
    text = "Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e, na\u00efve r\u00e9sum\u00e9"
    filler = "<p>" + "Plain ASCII words make up most of a West European page. " * 5 + "</p>"
    data = _page(f"<p>{text}</p>{filler}").encode("cp1252") + "<p>\u00e9</p>".encode("utf-8")
    assert decode_html(data)[1] == "cp1252"
    assert _texts(parse_html(data))[0] == text


def test_detection_memory_stays_a_few_copies_of_the_page():
    # Regression: non-ASCII characters were counted by listing every match (a str object
    # each): a page of curly quotes took ten times its size (now four).
    import tracemalloc

    data = "<p>\u2019</p>".encode() * 200_000 + b"\xff"
    tracemalloc.start()
    try:
        text, encoding = decode_html(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert encoding == "utf-8" and text.count("\ufffd") == 1
    assert peak < 8 * len(data), f"{peak:,} bytes for a page of {len(data):,}"


def test_any_lxml_error_is_an_input_error(monkeypatch):
    def broken(*args, **kwargs):
        raise lxml.etree.XMLSyntaxError("broken", 1, 1, 1)

    monkeypatch.setattr(lxml.etree, "fromstring", broken)
    with pytest.raises(InputError, match="lxml could not parse the page: broken"):
        parse_html("<p>x</p>")
