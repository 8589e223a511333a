"""Step 1: turn ``str``/``bytes``/lxml input into an lxml element tree.

Encoding of ``bytes`` is decided in this order, as browsers do: a byte-order
mark, the charset of an HTTP ``Content-Type`` hint, a ``<meta charset>`` (or
``http-equiv``) declaration in the first 4 KiB, then detection. Only labels
of the WHATWG Encoding Standard count (see :mod:`boilerkit.encodings`); an
unknown label is ignored. A declared encoding that cannot decode the bytes is
treated as a lie and detection takes over: strict UTF-8; UTF-8 with
replacement characters when almost all non-ASCII sequences are valid UTF-8;
windows-1252 when there are few non-ASCII bytes; else charset-normalizer.
"""

from __future__ import annotations

import codecs
import re
from typing import Any, TypeAlias, Union

import lxml.etree

from .encodings import codec_for_label
from .errors import InputError, PageTooLargeError

#: What can be parsed: markup as ``str``, undecoded ``bytes`` (also ``bytearray`` and
#: ``memoryview``), or an lxml tree, which is used as it is.
HtmlInput: TypeAlias = Union[str, bytes, bytearray, memoryview,
                             lxml.etree._Element, lxml.etree._ElementTree]

#: Pages above this many bytes (characters, for ``str`` input) are rejected unless
#: ``max_bytes`` says otherwise.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024

_CHARSET_IN_CONTENT_TYPE = re.compile(rb"charset\s*=\s*[\"']?([A-Za-z0-9._:\-]+)", re.I)
_META_CHARSET = re.compile(
    rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9._:\-]+)", re.I
)
_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*\?>")
_LOOKS_LIKE_MARKUP = re.compile(rb"<\s*[A-Za-z!/]")
# UTF-32 before UTF-16: the UTF-32-LE mark starts with the UTF-16-LE one. (Browsers
# know no UTF-32; reading it costs nothing.)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Share of control characters above which decoded input is called binary.
_MAX_CONTROL_CHAR_RATIO = 0.05

# Below this share of non-ASCII bytes a page that is not UTF-8 is West European text,
# where statistical detectors guess badly (the WHATWG default is windows-1252).
_MIN_NON_ASCII_FOR_DETECTION = 0.05
# A page whose non-ASCII sequences are at least this share valid UTF-8 is UTF-8 with a
# few bad bytes (a stray byte, a cut character), not a legacy encoding: in windows-1252
# text a valid UTF-8 sequence is a rare accident.
_MIN_VALID_UTF8_SHARE = 0.8
_HIGH_BYTES = bytes(range(0x80, 0x100))


def _mostly_utf8(data: bytes) -> bool:
    # Counted by lengths, not by listing matches: a 10 MB page stays a few copies of 10 MB.
    text = data.decode("utf-8", errors="surrogateescape")  # one lone surrogate per bad byte
    bad = len(data) - len(text.encode("utf-8", errors="ignore"))
    good = len(text) - len(text.encode("ascii", errors="ignore")) - bad
    return good > 0 and good >= _MIN_VALID_UTF8_SHARE * (good + bad)


def _detect(data: bytes) -> str:
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(data):
        return "utf-8"
    sample = data[:200_000]
    non_ascii = len(sample) - len(sample.translate(None, _HIGH_BYTES))
    if non_ascii < _MIN_NON_ASCII_FOR_DETECTION * len(sample):
        return "cp1252"
    from charset_normalizer import from_bytes  # imported late: detection is rare

    best = from_bytes(sample).best()
    if best is None or best.encoding == "utf_7":
        return "cp1252"
    # The detector proposes only text codecs; use the browser's superset where there is one.
    return codec_for_label(best.encoding) or best.encoding


def _declared(data: bytes, content_type: str | None) -> list[str]:
    """The encodings the header hint and the ``<meta>`` declare, in that order."""
    found: list[str] = []
    if content_type:
        match = _CHARSET_IN_CONTENT_TYPE.search(content_type.encode("latin-1", "ignore"))
        if match:
            found.append(codec_for_label(match.group(1)) or "")
    match = _META_CHARSET.search(data[:4096])
    if match:
        declared = codec_for_label(match.group(1)) or ""
        # A <meta> can only be read if the bytes are ASCII-compatible, so utf-16 there
        # means utf-8 (WHATWG).
        found.append("utf-8" if declared.startswith("utf-16") else declared)
    return [encoding for encoding in found if encoding]


def _decode(data: bytes, content_type: str | None) -> tuple[str, str, bool]:
    """``(text, encoding, exact)``; ``exact``: ``data`` is ``text`` in UTF-8, byte for byte."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            # The mark wins over any declaration (WHATWG); bad bytes after it (a UTF-16
            # page cut to an odd length) become replacement characters.
            return data.decode(name, errors="replace").lstrip("\ufeff"), name, False
    for encoding in _declared(data, content_type):
        try:
            return data.decode(encoding), encoding, encoding == "utf-8"
        except UnicodeDecodeError:
            continue
    encoding = _detect(data)
    try:
        return data.decode(encoding), encoding, encoding == "utf-8"
    except UnicodeDecodeError:
        return data.decode(encoding, errors="replace"), encoding, False


def decode_html(data: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode HTML bytes; return ``(text, encoding_used)``.

    Never raises on undecodable bytes: after every candidate fails to decode
    strictly, the best guess is used with replacement characters.
    """
    text, encoding, _ = _decode(data, content_type)
    return text, encoding


_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f]")


def _check_not_binary(data: bytes) -> None:
    sample = data[:20_000]
    if sample and len(_CONTROL_BYTES.findall(sample)) / len(sample) > _MAX_CONTROL_CHAR_RATIO:
        raise InputError("input looks like binary data, not HTML")


# Plain etree elements: lxml.html's element classes cost a Python call per node.
# huge_tree lifts libxml2's depth limit from 256 to 2048 levels. (A dict: lxml-stubs
# lags behind lxml and does not know default_doctype.)
_PARSER_OPTIONS: dict[str, Any] = dict(
    encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True, no_network=True,
    default_doctype=False)


def _new_parser() -> lxml.etree.HTMLParser:
    return lxml.etree.HTMLParser(**_PARSER_OPTIONS)


def parse_html(
    html: HtmlInput,
    content_type: str | None = None,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
) -> lxml.etree._Element | None:
    """Parse ``html`` into the root element of an lxml tree.

    Returns ``None`` for empty or whitespace-only input. Raises
    :class:`~boilerkit.errors.InputError` for input that is not HTML (binary
    data, plain text without markup, a wrong type) or that libxml2 cannot
    parse completely (nesting deeper than 2,048 levels), and
    :class:`~boilerkit.errors.PageTooLargeError` above ``max_bytes``.
    An lxml tree is used as it is and never modified.
    """
    if isinstance(html, lxml.etree._ElementTree):
        return html.getroot()
    if isinstance(html, lxml.etree._Element):
        return html
    if isinstance(html, (bytearray, memoryview)):
        html = bytes(html)
    if isinstance(html, bytes):
        if max_bytes is not None and len(html) > max_bytes:
            raise PageTooLargeError(f"page has {len(html):,} bytes, above max_bytes={max_bytes:,}")
        if not html.strip():
            return None
        text, _, exact = _decode(html, content_type)
        if not text.strip():
            return None  # e.g. only a byte-order mark
        # Valid UTF-8 is parsed as it is; anything else is re-encoded once.
        data = html if exact else text.encode("utf-8", errors="replace")
    elif isinstance(html, str):
        if max_bytes is not None and len(html) > max_bytes:
            raise PageTooLargeError(f"page has {len(html):,} characters, above max_bytes={max_bytes:,}")
        html = html.lstrip("\ufeff")
        if not html.strip():
            return None
        data = html.encode("utf-8", errors="replace")
    else:
        raise InputError(f"expected str, bytes or an lxml tree, got {type(html).__name__}")

    _check_not_binary(data)
    if not _LOOKS_LIKE_MARKUP.search(data[:100_000]):
        raise InputError("input has no HTML markup (plain text?)")
    data = _XML_DECLARATION.sub(b"", data, count=1)
    root = _parse_bytes(data)
    title = root.find("head/title") if root is not None else None
    if title is not None and title.text and len(title.text) > _MAX_TITLE and "<" in title.text:
        # An unclosed <title> swallows the whole page: close it where its text ends.
        root = _parse_bytes(_UNCLOSED_TITLE.sub(rb"\1</title>", data, count=1))
    return root


_MAX_TITLE = 2_000
_UNCLOSED_TITLE = re.compile(rb"(<title[^>]*>[^<]*)", re.I)


def _parse_bytes(data: bytes) -> lxml.etree._Element | None:
    parser = _new_parser()
    try:
        root = lxml.etree.fromstring(data, parser=parser)
    except lxml.etree.ParserError as error:
        if "empty" in str(error).lower():
            return None  # e.g. only comments or a doctype
        raise InputError(f"lxml could not parse the page: {error}") from error
    except (ValueError, lxml.etree.LxmlError) as error:
        raise InputError(f"lxml could not parse the page: {error}") from error
    for entry in parser.error_log:
        if entry.type_name == "ERR_RESOURCE_LIMIT":
            raise InputError(f"page cannot be parsed completely: {entry.message}")
    return root
