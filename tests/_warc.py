"""A small WARC writer for tests: plain bytes, so that tests can also write broken archives."""

from __future__ import annotations

import gzip
import uuid
from pathlib import Path


def http_response(body: bytes, *, status: str = "200 OK",
                  content_type: str | None = "text/html; charset=utf-8",
                  headers: tuple[tuple[str, str], ...] = ()) -> bytes:
    lines = [f"HTTP/1.1 {status}"]
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}")
    lines += [f"{name}: {value}" for name, value in headers]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def record(url: str | None, block: bytes, *, record_type: str = "response",
           content_type: str = "application/http; msgtype=response",
           record_id: str | None = None, extra: tuple[tuple[str, str], ...] = ()) -> bytes:
    """One WARC record; ``block`` is e.g. :func:`http_response` for a response."""
    record_id = record_id or f"<urn:uuid:{uuid.uuid4()}>"
    lines = ["WARC/1.1", f"WARC-Type: {record_type}", f"WARC-Record-ID: {record_id}",
             "WARC-Date: 2026-11-30T12:00:00Z"]
    if url is not None:
        lines.append(f"WARC-Target-URI: {url}")
    lines += [f"{name}: {value}" for name, value in extra]
    lines += [f"Content-Type: {content_type}", f"Content-Length: {len(block)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + block + b"\r\n\r\n"


def response(url: str, body: bytes, **http) -> bytes:
    return record(url, http_response(body, **http))


def write_warc(path: Path, records: list[bytes]) -> Path:
    """Write ``records``; a ``.gz`` name gets one gzip member per record, as crawlers do."""
    with open(path, "wb") as out:
        for data in records:
            out.write(gzip.compress(data, 1) if str(path).endswith(".gz") else data)
    return path
