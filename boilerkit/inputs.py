"""Where pages come from: HTML files (also gzipped), directories, WARC archives and stdin.

:func:`iter_inputs` turns inputs into a stream of :class:`Document` (a page to
classify, or one that could not be read, with the reason) and
:class:`Skipped` (a WARC record that is not an HTML page). WARC archives are
streamed record by record with FastWARC (the ``warc`` extra), and no body is
read past ``max_bytes``, so memory stays bounded whatever the size of an
archive or of one record.
"""

from __future__ import annotations

import gzip
import inspect
import os
import re
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

from ._extras import require
from .api import classify
from .errors import BoilerkitError, PageTooLargeError

STDIN = "-"
HTML_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")
WARC_SUFFIXES = (".warc", ".warc.gz")
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
#: The page size limit of :func:`boilerkit.classify`, also the most read of one input.
DEFAULT_MAX_BYTES: int = inspect.signature(classify).parameters["max_bytes"].default

_SNIFF_BYTES = 1024
_SNIFF_RE = re.compile(rb"<(?:!doctype\s+html|html|head|body|title|meta)[\s>/]", re.I)


@dataclass(slots=True)
class Document:
    """One page to classify: ``data`` holds its bytes, or ``error`` says why it has none."""

    source: str                      # the file it came from, or "<stdin>"
    data: bytes | None = None
    url: str | None = None           # WARC-Target-URI for WARC records
    record_id: str | None = None     # WARC-Record-ID for WARC records
    content_type: str | None = None  # HTTP Content-Type, for the charset
    error: str | None = None
    error_type: str | None = None

    @property
    def name(self) -> str:
        """How messages name the page: the file, or the archive and the record's URL."""
        if self.record_id is None:
            return self.source
        return f"{self.source} {self.url or self.record_id}"


@dataclass(slots=True)
class Skipped:
    """A WARC record that holds no HTML page (an image, a 404, a revisit...)."""

    source: str
    reason: str                      # e.g. "content type image/png", "HTTP status 404"
    url: str | None = None
    record_id: str | None = None


def _failed(source: str, error: BaseException | str, **fields) -> Document:
    if isinstance(error, BaseException):
        message = describe(error)
        error_type = type(error).__name__
    else:
        message, error_type = error, "InputError"
    return Document(source, error=message, error_type=error_type, **fields)


def describe(error: BaseException) -> str:
    """A one-line message for an error reading an input."""
    if isinstance(error, OSError) and error.strerror and not isinstance(error, BoilerkitError):
        return error.strerror
    return str(error) or type(error).__name__


def is_warc(name: str) -> bool:
    return name.lower().endswith(WARC_SUFFIXES)


def is_batch(names: Iterable[str]) -> bool:
    """True if ``names`` may give more than one page (several inputs, a directory, a WARC)."""
    names = list(names)
    return len(names) > 1 or any(is_warc(name) or os.path.isdir(name) for name in names)


def walk_html(directory: str | Path) -> list[Path]:
    """The HTML files under ``directory`` (``*.html``, ``*.htm`` and their ``.gz``), sorted."""
    return sorted(path for path in Path(directory).rglob("*")
                  if path.name.lower().endswith(HTML_SUFFIXES) and path.is_file())


def _too_large(max_bytes: int, size: int | None = None) -> PageTooLargeError:
    amount = f"{size:,}" if size is not None else f"more than {max_bytes:,}"
    return PageTooLargeError(f"page has {amount} bytes, above the limit of {max_bytes:,} "
                             "(--max-bytes raises it; 0: none)")


def _read_limited(stream: BinaryIO | gzip.GzipFile, max_bytes: int | None) -> bytes:
    if max_bytes is None:
        return stream.read()
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_large(max_bytes)
    return data


def read_file(path: str | Path, *, max_bytes: int | None = DEFAULT_MAX_BYTES,
              content_type: str | None = None) -> Document:
    """Read one HTML file (gunzipped if its name ends in ``.gz``) into a :class:`Document`."""
    source = str(path)
    try:
        if source.lower().endswith(".gz"):
            with gzip.open(source, "rb") as stream:
                data = _read_limited(stream, max_bytes)
        else:
            with open(source, "rb") as stream:
                size = os.fstat(stream.fileno()).st_size
                if max_bytes is not None and size > max_bytes:
                    raise _too_large(max_bytes, size)
                data = _read_limited(stream, max_bytes)
    except (OSError, EOFError, zlib.error, BoilerkitError) as error:
        return _failed(source, error)
    return Document(source, data, content_type=content_type)


def read_stdin(*, max_bytes: int | None = DEFAULT_MAX_BYTES,
               content_type: str | None = None) -> Document:
    try:
        data = _read_limited(sys.stdin.buffer, max_bytes)
    except (OSError, BoilerkitError) as error:
        return _failed("<stdin>", error)
    return Document("<stdin>", data, content_type=content_type)


def iter_inputs(names: Iterable[str], *, max_bytes: int | None = DEFAULT_MAX_BYTES,
                content_type: str | None = None) -> Iterator[Document | Skipped]:
    """Every page of ``names``, in order: files, ``-`` (stdin), directories and WARC files.

    ``content_type`` applies to files and stdin; WARC records bring their own.
    """
    for name in names:
        if name == STDIN:
            yield read_stdin(max_bytes=max_bytes, content_type=content_type)
        elif os.path.isdir(name):
            for path in walk_html(name):
                yield read_file(path, max_bytes=max_bytes, content_type=content_type)
        elif is_warc(name):
            yield from iter_warc(name, max_bytes=max_bytes)
        else:
            yield read_file(name, max_bytes=max_bytes, content_type=content_type)


# -- WARC ----------------------------------------------------------------------


def require_warc() -> None:
    """Raise :class:`~boilerkit._extras.MissingExtraError` unless FastWARC is installed."""
    require("fastwarc.warc", "warc", "reading WARC files")


def _mime(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def looks_like_html(data: bytes) -> bool:
    """Sniff a body that came without a Content-Type."""
    head = data[:_SNIFF_BYTES]
    return b"\0" not in head and _SNIFF_RE.search(head) is not None


def _dechunk(body: bytes) -> bytes:
    """Undo ``Transfer-Encoding: chunked``; bodies stored already dechunked pass unchanged."""
    out: list[bytes] = []
    pos = 0
    try:
        while True:
            end = body.index(b"\r\n", pos)
            size = int(body[pos:end].split(b";", 1)[0].strip(), 16)
            if size == 0:
                return b"".join(out)
            out.append(body[end + 2:end + 2 + size])
            pos = end + 2 + size + 2
    except ValueError:  # no chunk header where one should be: not chunked after all
        return body


def _decode_content(body: bytes, encoding: str, max_bytes: int | None) -> bytes:
    """Undo ``Content-Encoding`` (gzip, deflate, br), never producing more than ``max_bytes``."""
    limit = max_bytes + 1 if max_bytes is not None else 0
    if encoding in ("gzip", "x-gzip", "deflate"):
        # Many archives store bodies already decoded but keep the header: trust the bytes.
        if encoding != "deflate" and not body.startswith(b"\x1f\x8b"):
            return body
        for wbits in (47, -15):  # gzip or zlib header, then raw deflate
            try:
                data = zlib.decompressobj(wbits).decompress(body, limit)
                break
            except zlib.error:
                continue
        else:
            return body
    elif encoding == "br":
        brotli = require("brotli", "warc", "decoding a Brotli-compressed WARC record")
        try:
            data = brotli.decompress(body)
        except brotli.error:
            return body
    elif encoding in ("", "identity", "none"):
        return body
    else:
        raise BoilerkitError(f"unsupported Content-Encoding {encoding!r}")
    if max_bytes is not None and len(data) > max_bytes:
        raise _too_large(max_bytes)
    return data


def iter_warc(path: str | os.PathLike | BinaryIO, *, max_bytes: int | None = DEFAULT_MAX_BYTES,
              source: str | None = None) -> Iterator[Document | Skipped]:
    """The pages of a WARC file (``.warc`` or ``.warc.gz``), or of an open binary stream.

    Yields a :class:`Document` for each HTML response (HTTP status 2xx,
    Content-Type ``text/html`` or ``application/xhtml+xml``, sniffed when
    missing) and each HTML resource record, with the record's URL, id and
    HTTP Content-Type; a :class:`Skipped` for every other response, resource,
    revisit or conversion record; and a :class:`Document` with ``error`` for
    a record that is truncated, malformed or larger than ``max_bytes``.
    warcinfo, request and metadata records are ignored. An archive that
    cannot be read further ends with an error document.
    """
    require_warc()
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    source = source if source is not None else str(path) if not hasattr(path, "read") else "<stream>"
    wanted = (WarcRecordType.response | WarcRecordType.resource | WarcRecordType.revisit
              | WarcRecordType.conversion)
    owned = not hasattr(path, "read")
    try:
        stream = (open(cast("str | os.PathLike[str]", path), "rb")  # noqa: SIM115
                  if owned else cast(BinaryIO, path))
    except OSError as error:
        yield _failed(source, error)
        return
    try:
        # auto_decode="none": raw bytes, so that a truncated body can be told by its length.
        records = iter(ArchiveIterator(stream, record_types=wanted, parse_http=True,
                                       auto_decode="none"))
        count = 0
        while True:
            try:
                record = next(records)
            except StopIteration:
                return
            except (OSError, ValueError) as error:  # garbage between records, a bad gzip member
                yield _failed(source, f"cannot read the WARC file after {count} records: "
                                      f"{describe(error)}")
                return
            count += 1
            yield _warc_document(record, source, max_bytes)
    finally:
        if owned:
            stream.close()


def _read_exactly(reader, size: int) -> bytes:
    parts, left = [], size
    while left > 0:
        part = reader.read(left)
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _warc_document(record, source: str, max_bytes: int | None) -> Document | Skipped:
    from fastwarc.warc import WarcRecordType

    headers = record.headers
    fields = {"url": headers.get("WARC-Target-URI"), "record_id": record.record_id}
    kind = record.record_type
    if headers.get("Content-Length") is None:
        return _failed(source, "truncated WARC record: its header ends early", **fields)
    if kind == WarcRecordType.revisit:
        return Skipped(source, "revisit record", **fields)
    if kind == WarcRecordType.conversion:
        return Skipped(source, "conversion record", **fields)
    content_type = None
    transfer_encoding = content_encoding = ""
    if kind == WarcRecordType.response:
        if not record.is_http:
            return Skipped(source, "response record without HTTP", **fields)
        http = record.http_headers
        status = http.status_code
        if status is None:
            return _failed(source, "truncated or malformed HTTP header", **fields)
        if not 200 <= status < 300 or status in (204, 206):
            return Skipped(source, f"HTTP status {status}", **fields)
        content_type = http.get("Content-Type")
        transfer_encoding = (http.get("Transfer-Encoding") or "").strip().lower()
        content_encoding = (http.get("Content-Encoding") or "").strip().lower()
    else:  # resource: the WARC Content-Type is the page's
        content_type = headers.get("Content-Type")
    mime = _mime(content_type) or _mime(headers.get("WARC-Identified-Payload-Type"))
    if mime and mime not in HTML_TYPES:
        return Skipped(source, f"content type {mime}", **fields)

    expected = record.content_length  # body bytes after the HTTP header
    if max_bytes is not None and expected > max_bytes:
        # Not read at all: the iterator skips the rest of the record.
        return _failed(source, _too_large(max_bytes, expected), **fields)
    body = _read_exactly(record.reader, expected)
    if len(body) < expected:
        return _failed(source, f"truncated WARC record: {len(body):,} of {expected:,} body bytes",
                       **fields)
    try:
        if "chunked" in transfer_encoding:
            body = _dechunk(body)
        if content_encoding:
            body = _decode_content(body, content_encoding, max_bytes)
    except BoilerkitError as error:
        return _failed(source, error, **fields)
    if not mime and not looks_like_html(body):
        return Skipped(source, "not HTML (no Content-Type; sniffed)", **fields)
    return Document(source, body, content_type=content_type, **fields)
