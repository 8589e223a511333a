"""Step 1: turn ``str``/``bytes``/lxml input into an lxml element tree.

Encoding of ``bytes`` is decided in this order: a byte-order mark, the
charset of an HTTP ``Content-Type`` hint, a ``<meta charset>`` (or
``http-equiv``) declaration in the first 4 KiB, then detection (strict UTF-8
first, then charset-normalizer). A declared encoding that cannot decode the
bytes is treated as a lie and detection takes over.
"""

from __future__ import annotations

import codecs
import re

import lxml.etree

from .errors import InputError, PageTooLargeError

#: Pages above this many bytes (characters, for ``str`` input) are rejected unless
#: ``max_bytes`` says otherwise.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024

_CHARSET_IN_CONTENT_TYPE = re.compile(rb"charset\s*=\s*[\"']?([A-Za-z0-9._:\-]+)", re.I)
_META_CHARSET = re.compile(
    rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9._:\-]+)", re.I
)
_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*\?>")
_LOOKS_LIKE_MARKUP = re.compile(rb"<\s*[A-Za-z!/]")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# WHATWG: these labels mean windows-1252 in practice.
_ENCODING_ALIASES = {"iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252",
                     "ascii": "cp1252", "us-ascii": "cp1252", "iso8859-1": "cp1252"}
# Share of control characters above which decoded input is called binary.
_MAX_CONTROL_CHAR_RATIO = 0.05


def _normalise_encoding(label: bytes | str | None) -> str | None:
    if not label:
        return None
    if isinstance(label, bytes):
        label = label.decode("ascii", "ignore")
    label = label.strip().lower()
    label = _ENCODING_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


_NON_ASCII = re.compile(rb"[\x80-\xff]")
# Below this share of non-ASCII bytes a page that is not UTF-8 is West European text,
# where statistical detectors guess badly (the WHATWG default is windows-1252).
_MIN_NON_ASCII_FOR_DETECTION = 0.05


def _detect(data: bytes) -> str:
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    sample = data[:200_000]
    if len(_NON_ASCII.findall(sample)) < _MIN_NON_ASCII_FOR_DETECTION * len(sample):
        return "cp1252"
    from charset_normalizer import from_bytes  # imported late: detection is rare

    best = from_bytes(sample).best()
    return best.encoding if best is not None else "cp1252"


def decode_html(data: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode HTML bytes; return ``(text, encoding_used)``.

    Never raises on undecodable bytes: after every candidate fails to decode
    strictly, the best guess is used with replacement characters.
    """
    candidates: list[str] = []
    for bom, name in _BOMS:  # a byte-order mark wins over any declaration (WHATWG)
        if data.startswith(bom):
            candidates.append(name)
            break
    if content_type and not candidates:
        match = _CHARSET_IN_CONTENT_TYPE.search(content_type.encode("latin-1", "ignore"))
        if match:
            candidates.append(_normalise_encoding(match.group(1)) or "")
    match = _META_CHARSET.search(data[:4096])
    if match:
        declared = _normalise_encoding(match.group(1)) or ""
        # HTML: a <meta> can only be read if the bytes are ASCII-compatible, so utf-16/32 there means utf-8.
        candidates.append("utf-8" if declared.startswith(("utf-16", "utf-32")) else declared)
    for encoding in filter(None, candidates):
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError):
            continue
    encoding = _detect(data)
    return data.decode(encoding, errors="replace"), encoding


_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f]")


def _check_not_binary(data: bytes) -> None:
    sample = data[:20_000]
    if sample and len(_CONTROL_BYTES.findall(sample)) / len(sample) > _MAX_CONTROL_CHAR_RATIO:
        raise InputError("input looks like binary data, not HTML")


def _new_parser() -> lxml.etree.HTMLParser:
    # Plain etree elements: lxml.html's element classes cost a Python call per node.
    # huge_tree lifts libxml2's depth limit from 256 to 2048 levels.
    return lxml.etree.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True,
        huge_tree=True, no_network=True, default_doctype=False,
    )


def parse_html(
    html: str | bytes | lxml.etree._Element | lxml.etree._ElementTree,
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
        text, encoding = decode_html(html, content_type)
        # Valid UTF-8 is parsed as it is; anything else is re-encoded once.
        data = html if encoding == "utf-8" else text.encode("utf-8", errors="replace")
    elif isinstance(html, str):
        if max_bytes is not None and len(html) > max_bytes:
            raise PageTooLargeError(f"page has {len(html):,} characters, above max_bytes={max_bytes:,}")
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
    except ValueError as error:
        raise InputError(f"lxml could not parse the page: {error}") from error
    for entry in parser.error_log:
        if entry.type_name == "ERR_RESOURCE_LIMIT":
            raise InputError(f"page cannot be parsed completely: {entry.message}")
    return root
