"""Label pages in the browser: ``boilerkit label PAGE... -o DIR``.

A small server on 127.0.0.1 (standard library only) shows each page as the
``show`` view in edit mode. The view starts from the labels already saved
for the page in ``DIR``, else from the page's own ``data-label``
attributes, else from the model's predictions, so that only mistakes need
clicks. Saving writes the page with ``data-label`` attributes
(:func:`boilerkit.annotate.write_labels`, checked by reading it back with the
training reader) to ``DIR``, keeping the pages' folders relative to their
common parent; the input is only overwritten with ``in_place``.

Nothing leaves the machine: the server listens on 127.0.0.1 only, answers
only requests addressed to 127.0.0.1 or localhost (so a web page cannot reach
it through DNS rebinding), and saves only with the session's secret token,
which a page from another origin cannot read. The views load nothing but
themselves.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .annotate import LabelWriteError, group_labels, write_labels
from .api import classify
from .errors import BoilerkitError
from .labelled import HTML_SUFFIXES, expand_paths, page_from_html
from .parse import parse_html
from .sanitize import content_security_policy
from .show import build_view, script_hash, view_script

log = logging.getLogger(__name__)

MAX_BODY = 16 * 1024 * 1024
_CACHED_PAGES = 8
_PAGE_PATH = re.compile(r"^/page/(\d+)$")
_SAVE_PATH = re.compile(r"^/save/(\d+)$")


def html_files(paths: Sequence[str | Path]) -> list[Path]:
    """The HTML files named in ``paths``, directories searched recursively (sorted)."""
    return expand_paths(paths, suffixes=HTML_SUFFIXES, stdin=False)


def output_paths(sources: Sequence[Path], output_dir: Path | None, in_place: bool) -> list[Path]:
    """Where each page's labelled copy goes: ``output_dir`` + its path below the pages'
    common parent, or the page itself with ``in_place``."""
    if in_place:
        return [Path(source) for source in sources]
    if output_dir is None:
        raise BoilerkitError("say where to save the labelled pages (-o DIR), or --in-place")
    resolved = [Path(source).resolve() for source in sources]
    if len(resolved) == 1:
        relative = [Path(resolved[0].name)]
    else:
        common = Path(os.path.commonpath([path.parent for path in resolved]))
        relative = [path.relative_to(common) for path in resolved]
    outputs = [Path(output_dir) / rel for rel in relative]
    for source, output in zip(resolved, outputs):
        if output.resolve() == source:
            raise BoilerkitError(f"{output} is the input page itself; pass --in-place to "
                                 "overwrite inputs, or another -o DIR")
    return outputs


def _aligned_labels(data: bytes, texts: list[str]) -> list[str | None] | None:
    """The ``data-label`` labels of ``data`` if it has the same blocks as ``texts`` and any label."""
    try:
        labelled = page_from_html(data, "<labels>")
    except BoilerkitError:
        return None
    if [block.text for block in labelled.blocks] != texts or not labelled.n_labelled:
        return None
    return labelled.labels


class LabellingSession:
    """The pages being labelled, their views and their saved copies."""

    def __init__(self, sources: Sequence[str | Path], output_dir: str | Path | None = None, *,
                 model=None, in_place: bool = False, allow_remote: bool = False,
                 labels: Sequence[str] | None = None) -> None:
        self.sources = [Path(source) for source in sources]
        if not self.sources:
            raise BoilerkitError("no pages to label")
        self.outputs = output_paths(self.sources, Path(output_dir) if output_dir else None,
                                    in_place)
        self.model = model
        self.allow_remote = allow_remote
        self.legend = list(labels) if labels else None
        self.token = secrets.token_urlsafe(24)
        self._lock = threading.Lock()
        self._cache: OrderedDict[int, tuple] = OrderedDict()

    def __len__(self) -> int:
        return len(self.sources)

    def _load(self, index: int) -> tuple:
        """``(root, page, initial labels, where they came from)``, cached for a few pages."""
        if index in self._cache:
            self._cache.move_to_end(index)
            return self._cache[index]
        data = self.sources[index].read_bytes()
        root = parse_html(data)
        if root is None:
            root = parse_html("<html><body></body></html>")
            assert root is not None  # a document with a body always parses to a tree
        page = classify(root, model=self.model)
        texts = [block.text for block in page.blocks]
        initial: Sequence[str | None] | None = None
        origin = "labels predicted by the model"
        output = self.outputs[index]
        if output.is_file() and output.resolve() != self.sources[index].resolve():
            initial = _aligned_labels(output.read_bytes(), texts)
            if initial is not None:
                origin = f"labels saved in {output}"
        if initial is None:
            initial = _aligned_labels(data, texts)
            if initial is not None:
                origin = "labels from the page's data-label attributes"
        if initial is None:
            initial = page.labels
        initial = group_labels([block.block for block in page.blocks], initial)
        entry = (root, page, initial, origin)
        self._cache[index] = entry
        if len(self._cache) > _CACHED_PAGES:
            self._cache.popitem(last=False)
        return entry

    def start(self, index: int) -> tuple[list[str | None], str]:
        """The labels page ``index`` starts from, and where they come from."""
        with self._lock:
            _, _, labels, origin = self._load(index)
            return list(labels), origin

    def view(self, index: int) -> str:
        """The editor for page ``index``."""
        with self._lock:
            root, page, initial, origin = self._load(index)
            n = len(self.sources)
            edit = {
                "save": f"/save/{index}", "token": self.token,
                "prev": f"/page/{index - 1}" if index > 0 else None,
                "next": f"/page/{index + 1}" if index + 1 < n else None,
                "position": f"page {index + 1} of {n}", "status": origin,
                "source": str(self.sources[index]), "output": str(self.outputs[index]),
            }
            return build_view(root, page, labels=initial, mode="edit", edit=edit,
                              allow_remote=self.allow_remote,
                              heading=f"{self.sources[index].name}: {page.title or ''}",
                              legend=self.legend)

    def save(self, index: int, labels: Sequence[str | None]) -> tuple[Path, int]:
        """Write page ``index`` with ``labels``; return ``(path, attributes written)``."""
        with self._lock:
            data, count = write_labels(self.sources[index].read_bytes(), labels)
            output = self.outputs[index]
            output.parent.mkdir(parents=True, exist_ok=True)
            temporary = output.with_name(f".{output.name}.{secrets.token_hex(4)}.tmp")
            temporary.write_bytes(data)
            os.replace(temporary, output)
            root, page, _, _ = self._load(index)
            self._cache[index] = (root, page, group_labels([b.block for b in page.blocks], labels),
                                  f"labels saved in {output}")
            log.info("saved %s (%d data-label attributes)", output, count)
            return output, count


class _Handler(BaseHTTPRequestHandler):
    server: LabellingServer
    server_version = "boilerkit"
    sys_version = ""

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's name
        log.debug("%s - %s", self.address_string(), format % args)

    def _host_ok(self) -> bool:
        port = self.server.server_address[1]
        return self.headers.get("Host", "") in (f"127.0.0.1:{port}", f"localhost:{port}")

    def _send(self, status: int, body: bytes, content_type: str,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Frame-Options", "DENY")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: dict) -> None:
        self._send(status, json.dumps(data).encode("utf-8"), "application/json")

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if not self._host_ok():
            self._send(HTTPStatus.MISDIRECTED_REQUEST, b"wrong host", "text/plain")
            return
        session = self.server.session
        path = self.path.split("?", 1)[0]
        if path == "/":
            self._send(HTTPStatus.FOUND, b"", "text/plain", {"Location": "/page/0"})
            return
        match = _PAGE_PATH.match(path)
        if not match or int(match.group(1)) >= len(session):
            self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")
            return
        try:
            body = session.view(int(match.group(1))).encode("utf-8")
        except (BoilerkitError, OSError) as error:
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, str(error).encode("utf-8"), "text/plain")
            return
        policy = content_security_policy(allow_remote=session.allow_remote,
                                         script_hashes=(script_hash(view_script()),),
                                         connect_self=True)
        self._send(HTTPStatus.OK, body, "text/html; charset=utf-8",
                   {"Content-Security-Policy": policy + "; frame-ancestors 'none'"})

    do_HEAD = do_GET

    def do_POST(self) -> None:  # noqa: N802
        session = self.server.session
        match = _SAVE_PATH.match(self.path)
        if not self._host_ok():
            self._json(HTTPStatus.MISDIRECTED_REQUEST, {"ok": False, "error": "wrong host"})
            return
        if not secrets.compare_digest(self.headers.get("X-Boilerkit-Token", ""), session.token):
            self._json(HTTPStatus.FORBIDDEN, {"ok": False, "error": "bad token"})
            return
        if not match or int(match.group(1)) >= len(session):
            self._json(HTTPStatus.NOT_FOUND, {"ok": False, "error": "no such page"})
            return
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            self._json(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, {"ok": False, "error": "send JSON"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= MAX_BODY:
            self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"ok": False, "error": "bad length"})
            return
        try:
            labels = json.loads(self.rfile.read(length))["labels"]
            if not isinstance(labels, list) or not all(
                    label is None or isinstance(label, str) for label in labels):
                raise ValueError("labels must be a list of strings or nulls")
            path, count = session.save(int(match.group(1)), labels)
        except (ValueError, KeyError, TypeError, LabelWriteError) as error:
            self._json(HTTPStatus.BAD_REQUEST, {"ok": False, "error": str(error)})
            return
        except (BoilerkitError, OSError) as error:
            self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"ok": False, "error": str(error)})
            return
        self._json(HTTPStatus.OK, {"ok": True, "path": str(path), "attributes": count})


class LabellingServer(ThreadingHTTPServer):
    """The editor's HTTP server, on 127.0.0.1 only; ``port=0`` picks a free port."""

    daemon_threads = True

    def __init__(self, session: LabellingSession, port: int = 0) -> None:
        self.session = session
        super().__init__(("127.0.0.1", port), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"
