"""Loaders for the human-annotated web-page datasets staged under ``BOILERKIT_DATA``.

Every loader is a generator of :class:`SourcePage` records, one per annotated page, in a
stable (sorted) order.  Files are read only when the page is yielded, so iterating is cheap
in memory and a consumer can stop early.

Where the data lives
--------------------
* ``BOILERKIT_DATA``: the folder holding the staged datasets (one subfolder per source,
  each with its own ``README.md``).  Default: ``../shared/datasets`` relative to the current
  working directory.  :func:`data_root` resolves it and raises :class:`DatasetNotFound` when
  it is missing.  The originals are only ever read, never modified.
* ``BOILERKIT_CACHE``: where compressed members (``*.tar.xz``, ``*.tar.gz``) are unpacked,
  once.  Default: ``~/.cache/boilerkit/datasets``.  Each archive is unpacked into
  ``<cache>/<source>/<archive stem>/`` through a temporary folder that is renamed into place
  only after a complete extraction (with ``tarfile``'s ``filter="data"``); a marker file
  recording the archive's name, size and mtime makes later calls a no-op, and a stale or
  incomplete folder is replaced.

Sources (``SOURCES`` keys) and their ``gold``
---------------------------------------------
``l3s-gn1``           ``{"annotated_html": bytes}`` (``annotated/<uuid>.html``); html is
                      ``original/<uuid>.html``; URL from ``url-mapping.txt``.
``kreuzer``           ``{"blocks_html": bytes}`` (the rendered, annotated ``*.blocks.html``);
                      html is the sibling ``*.html.orig``.  Pages without an ``.orig`` are
                      skipped, and ``.orig`` files without a ``*.blocks.html`` sibling
                      (iframes, ad frames) are ignored.  URL from ``mapping.txt``.
``dragnet``           ``{"article": str, "comments": str, "official_split": "train"|"test"}``:
                      the gold text split at the hand-typed ``!@#$%^&*()  COMMENTS``
                      separator line (regex from the README); ``comments`` is ``""`` when
                      there is no separator.
``cleaneval``         ``{"article": str, "segments": [(kind, text), ...]}`` (dev and final sets,
                      only pages with a gold file); kind is ``"p"``, ``"h"`` or ``"l"``.
``cleanportaleval``   same shape as ``cleaneval``.
``canola``            ``{"annotated_html": bytes}`` (the raw merged KrdWrd file).  ``html`` is
                      a *cleaned* copy, see :func:`strip_krdwrd_annotation`.
``big9-chaos``        ``{"article": str, "set": "big5-05"|"big5-09"|"big5-13"|"big5-17"|"chaos-all"}``.
``readability``       ``{"expected_html": bytes, "metadata": dict}``; html is ``source.html``.
``trafilatura-eval``  ``{"with": [...], "without": [...], "comments": [...]}`` from
                      ``evaldata.json`` (missing keys give ``[]``); entries whose HTML file
                      is missing are skipped and counted in :data:`SKIPPED`.

Gold text (``article``/``comments``/``segments``) is decoded as UTF-8 and, for files that
are not valid UTF-8 (many are Windows-1252: curly quotes, dashes), as cp1252; a leading BOM
is dropped and line ends are normalised to ``\\n``.

URLs and sites
--------------
``url`` is the URL the dataset gives (mapping files, CleanEval ``<text id=...>``, evaldata
keys).  For sources without one (dragnet, readability, big9-chaos, and the trafilatura
entries keyed ``hard::...``) it is taken from the HTML: ``og:url`` first, then
``<link rel=canonical>``, then the Wayback Machine toolbar's ``wmtbURL`` field; relative
values are ignored and ``web.archive.org/web/<ts>/`` wrappers are removed.  ``og:url`` is
preferred because syndicated copies (msn.com, abc2news.com ...) keep a canonical link to
the original publisher while ``og:url`` names the site whose template the page has.
``site`` is :func:`registered_domain` of the URL, or ``"unknown:<source>:<page_id>"`` when
the page has no URL (each such page is then its own site).
"""

from __future__ import annotations

import hashlib
import html as _html
import itertools
import json
import logging
import os
import re
import shutil
import tarfile
import tempfile
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Iterator
from urllib.parse import quote, unquote, urlsplit

from ..errors import BoilerkitError

__all__ = [
    "DatasetNotFound", "SOURCES", "SKIPPED", "SourcePage", "cache_root", "data_root",
    "iter_pages", "load_source", "registered_domain", "strip_krdwrd_annotation",
    "parse_cleaneval_gold", "split_dragnet_gold",
]

log = logging.getLogger(__name__)

DATA_ENV = "BOILERKIT_DATA"
CACHE_ENV = "BOILERKIT_CACHE"
DEFAULT_DATA = Path("..") / "shared" / "datasets"
_MARKER = ".boilerkit-unpacked"


class DatasetNotFound(BoilerkitError, FileNotFoundError):
    """The staged dataset folder (``BOILERKIT_DATA``) or a file in it is missing."""


@dataclass(frozen=True)
class SourcePage:
    """One annotated page of a staged dataset."""

    page_id: str                       # "<source>/<id>", stable and unique
    source: str                        # dataset name, a key of SOURCES
    url: str | None                    # page URL when known
    site: str                          # registered domain, or "unknown:<source>:<page_id>"
    html: bytes = field(repr=False, hash=False)   # raw page bytes to classify
    sha256: str                        # hex sha256 of html
    gold: dict = field(repr=False, hash=False)    # source-specific gold (see module doc)


#: Per-source counts of skipped items from the latest *complete* pass of each loader,
#: e.g. ``SKIPPED["kreuzer"] == {"no_orig": 8, "orig_without_blocks": 5}``.
SKIPPED: dict[str, dict[str, int]] = {}


# --------------------------------------------------------------------------- paths


def data_root() -> Path:
    """Absolute path of the staged datasets folder (env ``BOILERKIT_DATA``).

    Raises :class:`DatasetNotFound` when the folder does not exist.
    """
    env = os.environ.get(DATA_ENV)
    path = Path(env).expanduser() if env else DEFAULT_DATA
    path = Path(os.path.abspath(path)).resolve()
    if not path.is_dir():
        how = f"{DATA_ENV}={env!r}" if env else f"{DATA_ENV} is unset, default {DEFAULT_DATA}"
        raise DatasetNotFound(
            f"dataset folder {path} not found ({how}); set the environment variable "
            f"{DATA_ENV} to the folder holding the staged datasets")
    return path


def cache_root() -> Path:
    """Absolute path of the unpack cache (env ``BOILERKIT_CACHE``, default
    ``~/.cache/boilerkit/datasets``).  Not created here."""
    env = os.environ.get(CACHE_ENV)
    path = Path(env).expanduser() if env else Path.home() / ".cache" / "boilerkit" / "datasets"
    return Path(os.path.abspath(path))


def _source_dir(folder: str) -> Path:
    path = data_root() / folder
    if not path.is_dir():
        raise DatasetNotFound(f"dataset subfolder {path} not found (under {DATA_ENV})")
    return path


def _require(path: Path) -> Path:
    if not path.exists():
        raise DatasetNotFound(f"expected dataset file {path} not found (under {DATA_ENV})")
    return path


def _archive_stem(name: str) -> str:
    for ext in (".tar.xz", ".tar.gz", ".tgz", ".tar.bz2", ".tar"):
        if name.endswith(ext):
            return name[: -len(ext)]
    return name


def _unpacked(archive: Path, source: str) -> Path:
    """Unpack ``archive`` once into ``<cache>/<source>/<stem>/`` and return that folder.

    Extraction goes to a temporary sibling folder that is renamed into place after a
    complete extraction, with a marker file; an interrupted unpack therefore never looks
    complete.  A folder whose marker does not match the archive (name, size, mtime) is
    replaced.  Safe against concurrent callers (the loser of the rename race discards its
    copy).
    """
    _require(archive)
    st = archive.stat()
    stamp = f"{archive.name}\t{st.st_size}\t{st.st_mtime_ns}\n"
    parent = cache_root() / source
    dest = parent / _archive_stem(archive.name)
    marker = dest / _MARKER

    def complete() -> bool:
        try:
            return marker.read_text(encoding="utf-8") == stamp
        except OSError:
            return False

    if complete():
        return dest
    parent.mkdir(parents=True, exist_ok=True)
    log.info("unpacking %s into %s", archive, dest)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{dest.name}-", dir=parent))
    try:
        with tarfile.open(archive) as tf:
            tf.extractall(tmp, filter="data")
        (tmp / _MARKER).write_text(stamp, encoding="utf-8")
        os.chmod(tmp, 0o755)                           # mkdtemp makes it private
        if dest.exists() and not complete():           # stale or foreign: move it aside
            stale = Path(tempfile.mkdtemp(prefix=f".stale-{dest.name}-", dir=parent))
            try:
                os.replace(dest, stale / "old")
            except OSError:
                pass                                   # someone else replaced it meanwhile
            shutil.rmtree(stale, ignore_errors=True)
        try:
            os.rename(tmp, dest)
        except OSError:
            if not complete():                         # lost a race to a broken copy
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return dest


# --------------------------------------------------------------------------- helpers


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _natural_key(text: str) -> tuple:
    return tuple((0, int(tok), "") if tok.isdigit() else (1, 0, tok)
                 for tok in re.split(r"(\d+)", text) if tok)


def _decode_text(data: bytes) -> str:
    """UTF-8 (BOM dropped), else cp1252, else Latin-1; newlines normalised to ``\\n``."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _make_page(source: str, local_id: str, url: str | None, html: bytes, gold: dict,
               site: str | None = None) -> SourcePage:
    page_id = f"{source}/{local_id}"
    if not site:
        site = registered_domain(url) if url else ""
    if not site:
        site = f"unknown:{source}:{page_id}"
    return SourcePage(page_id=page_id, source=source, url=url, site=site, html=html,
                      sha256=_sha(html), gold=gold)


# --------------------------------------------------------------------------- domains

_GENERIC_SLD = frozenset(
    "co com ac gov org net edu ne or go gob nic ltd plc sch nhs police mil".split())
_BLOG_PLATFORMS = frozenset("blogspot wordpress typepad tumblr livejournal".split())
_IP_RE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


def registered_domain(url_or_host: str) -> str:
    """The registered domain ("site") of a URL or host name, by a small heuristic.

    The host is lower-cased, stripped of user info, port, trailing dot and one leading
    ``www.``.  Then the last two labels are kept (``news.nytimes.com`` -> ``nytimes.com``),
    or the last three when the top-level label is a two-letter country code and the
    second-level label is a common generic one (co, com, ac, gov, org, net, edu, ne, or, go,
    gob, nic, ltd, plc, sch, nhs, police, mil): ``news.bbc.co.uk`` -> ``bbc.co.uk``,
    ``www.smh.com.au`` -> ``smh.com.au``, ``www.asahi.co.jp`` -> ``asahi.co.jp``.  Hosted
    blog platforms (blogspot, wordpress, typepad, tumblr, livejournal) keep one more label,
    so every blog is its own site: ``foo.blogspot.com``, ``bar.wordpress.com``.  IP
    addresses are returned as they are.  This is not the Public Suffix List: private
    registries not listed above (``k12.mn.us``, ``go.com`` hosts ...) fall back to the last
    two (or three) labels.  Returns ``""`` for an empty input.
    """
    text = (url_or_host or "").strip()
    if not text:
        return ""
    if "://" in text or text.startswith("//"):
        host = urlsplit(text if "://" in text else "http:" + text).netloc
    else:
        host = re.split(r"[/?#]", text, maxsplit=1)[0]
    host = host.rpartition("@")[2].lower()
    if host.startswith("["):                           # IPv6 literal
        return host.split("]")[0] + "]"
    host = host.split(":")[0].strip().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    if not host or _IP_RE.match(host):
        return host
    labels = [lab for lab in host.split(".") if lab]
    keep = 2
    if (len(labels) >= 3 and len(labels[-1]) == 2 and labels[-1].isalpha()
            and labels[-2] in _GENERIC_SLD):
        keep = 3
    if len(labels) > keep and labels[-keep] in _BLOG_PLATFORMS:
        keep += 1
    return ".".join(labels[-keep:])


# --------------------------------------------------------------------------- URLs in HTML

_LINK_RE = re.compile(rb"<link\b[^>]*>", re.I)
_META_RE = re.compile(rb"<meta\b[^>]*>", re.I)
_WMTB_RE = re.compile(rb"""id=["']?wmtbURL["']?\s+value=["']([^"']*)["']""", re.I)
_WAYBACK_RE = re.compile(r"^(?:https?:)?//(?:web|web-beta|wayback)\.archive\.org/web/"
                         r"\d+[a-z_]*/(.+)$", re.I)


def _attr(tag: bytes, name: bytes) -> bytes | None:
    m = re.search(rb"\s" + name + rb"""\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", tag, re.I)
    if not m:
        return None
    return next(g for g in m.groups() if g is not None)


def _clean_url(raw: bytes | None) -> str | None:
    """Decode, unescape and unwrap a URL; ``None`` unless it is absolute http(s)."""
    if not raw:
        return None
    url = _html.unescape(raw.decode("utf-8", "replace")).strip()
    for _ in range(3):
        m = _WAYBACK_RE.match(url)
        if not m:
            break
        url = m.group(1)
        if not re.match(r"^[a-z][a-z0-9+.-]*:", url, re.I):
            url = "http://" + url.lstrip("/")
    if url.startswith("//"):
        url = "http:" + url
    if not re.match(r"^https?://[^/\s]*\.[^/\s]", url, re.I):
        return None
    return url


def _url_from_html(raw: bytes) -> str | None:
    """``og:url``, else ``<link rel=canonical>``, else the Wayback toolbar's URL."""
    og = canonical = None
    for tag in _META_RE.findall(raw):
        prop = _attr(tag, b"property") or _attr(tag, b"name")
        if prop and prop.strip().lower() == b"og:url":
            og = _clean_url(_attr(tag, b"content"))
            if og:
                break
    if og:
        return og
    for tag in _LINK_RE.findall(raw):
        rel = _attr(tag, b"rel")
        if rel and b"canonical" in rel.lower().split():
            canonical = _clean_url(_attr(tag, b"href"))
            if canonical:
                return canonical
    m = _WMTB_RE.search(raw)
    return _clean_url(m.group(1)) if m else None


# --------------------------------------------------------------------------- gold parsers

_DRAGNET_SEP = re.compile(r"^\s*[!@#$%^&*() ]{4,}\s*COMMENTS\s*$", re.M)


def split_dragnet_gold(text: str) -> tuple[str, str]:
    """Split Dragnet gold text into ``(article, comments)`` at the first separator line."""
    m = _DRAGNET_SEP.search(text)
    if not m:
        return text.strip(), ""
    return text[: m.start()].strip(), text[m.end():].strip()


_CE_URL_RE = re.compile(r"\A\s*URL:[ \t]*(\S*)[^\n]*(?:\n|\Z)")
_CE_TAG_RE = re.compile(r"<([phlPHL])>")


def parse_cleaneval_gold(text: str) -> tuple[str | None, list[tuple[str, str]]]:
    """Parse CleanEval-format gold text into ``(url, [(kind, text), ...])``.

    A leading ``URL: ...`` line is the URL, not article text.  Each segment starts at a
    ``<p>``, ``<h>`` or ``<l>`` marker and runs to the next one; untagged text before the
    first marker, and text after a blank line inside a segment, become ``"p"`` segments.
    HTML comments and stray ``</p>``-style closing markers are dropped, entities are
    unescaped and whitespace inside a segment is collapsed to single spaces.
    """
    url = None
    m = _CE_URL_RE.match(text)
    if m:
        url = m.group(1) or None
        text = text[m.end():]
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    text = re.sub(r"</[phlPHL]>", " ", text)
    parts = _CE_TAG_RE.split(text)
    segments: list[tuple[str, str]] = []

    def add(kind: str, body: str) -> None:
        for i, chunk in enumerate(re.split(r"\n[ \t]*\n", body)):
            clean = " ".join(_html.unescape(chunk).split())
            if clean:
                segments.append((kind if i == 0 else "p", clean))

    add("p", parts[0])
    for kind, body in zip(parts[1::2], parts[2::2]):
        add(kind.lower(), body)
    return url, segments


def _cleaneval_gold(raw: bytes) -> tuple[str | None, dict]:
    url, segments = parse_cleaneval_gold(_decode_text(raw))
    return url, {"article": "\n".join(t for _, t in segments), "segments": segments}


_TEXT_ID_RE = re.compile(rb"""\A\s*<text\b[^>]*?\bid\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)


def _cleaneval_input_url(raw: bytes) -> str | None:
    m = _TEXT_ID_RE.match(raw)
    if not m:
        return None
    return _clean_url(m.group(1) if m.group(1) is not None else m.group(2))


# --------------------------------------------------------------------------- canola

_KW_TAG_RE = re.compile(rb"<kw\b[^>]*>|</kw\s*>", re.I)
_CLASS_ATTR_RE = re.compile(rb"""(\s+)class\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
_START_TAG_RE = re.compile(rb"<[A-Za-z][A-Za-z0-9:-]*\s[^<>]*>")
_KRD_TOKEN_RE = re.compile(rb"^krdwrd-tag-\S*$", re.I)
_LEAD_BASE_RE = re.compile(rb"""\A(\s*<head>)<base href="([^"]*)">""", re.I)
_PROXY_RE = re.compile(
    rb"(https?(?::|%3A)(?://|%2F%2F))?krdwrd\.org(?:/|%2F)pages(?:/|%2F)dat(?:/|%2F)"
    rb"dumped(?:/|%2F)(\d+)", re.I)
_KRD_HOST_RE = re.compile(rb"(https?(?::|%3A)(?://|%2F%2F))?krdwrd\.org", re.I)


def _fix_class(m: re.Match, drop_empty: bool = True) -> bytes:
    value = m.group(2) if m.group(2) is not None else m.group(3)
    tokens = value.split()
    kept = [t for t in tokens if not _KRD_TOKEN_RE.match(t)]
    if len(kept) == len(tokens) and (tokens or not drop_empty):
        return m.group(0)
    if not kept:
        return b""
    return m.group(1) + b'class="' + b" ".join(kept) + b'"'


def _fix_tag(m: re.Match) -> bytes:
    tag = m.group(0)
    if b"class" not in tag.lower():
        return tag
    return _CLASS_ATTR_RE.sub(_fix_class, tag)


def strip_krdwrd_annotation(raw: bytes, url: str | None = None,
                            urls: dict[str, str] | None = None) -> bytes:
    """Remove what the KrdWrd annotation tool added to a CANOLA ``merged`` file.

    The merged files are DOM dumps taken through the KrdWrd proxy
    (``https://krdwrd.org/pages/dat/dumped/<id>``) with the labels written into the markup.
    This byte/regex-level edit removes, so that no label can leak into a classifier's
    features:

    * the ``<kw ...>`` / ``</kw>`` wrapper elements KrdWrd put around every text node
      (``<kw class="krdwrd-tag-N">``, ``krdwrd-tag-mrgtie``, bare ``<kw>``, ``class="undefined"``);
      the wrapped text stays;
    * ``krdwrd-tag-*`` tokens added to the ``class`` of existing elements (the attribute
      is dropped when nothing else is left), and empty ``class=""`` attributes, which the
      tool leaves behind and which mean nothing in HTML;
    * the ``<base href="<directory of the URL>">`` the proxy inserted right after ``<head>``
      (only when its href is a prefix of the page URL);
    * proxy URLs that the page's own scripts recorded (tracking pixels, share links, a
      printed "URL:" line): ``krdwrd.org/pages/dat/dumped/<id>`` in plain, ``escape()`` and
      ``encodeURIComponent`` forms becomes the page's real URL from ``urls`` (same
      encoding), and any other ``krdwrd.org`` host reference becomes the page's host.

    Everything else is left byte for byte as stored.
    """
    out = raw
    m = _LEAD_BASE_RE.match(out)
    if m and url:
        base = unquote(m.group(2).decode("utf-8", "replace"))
        if unquote(url).startswith(base):
            out = m.group(1) + out[m.end():]
    out = _KW_TAG_RE.sub(b"", out)
    out = _START_TAG_RE.sub(_fix_tag, out)
    if b"krdwrd-tag" in out.lower():                   # class attributes the tag regex missed
        out = _CLASS_ATTR_RE.sub(lambda m: _fix_class(m, drop_empty=False), out)
    if b"krdwrd" not in out.lower() or not url:
        return out
    table = dict(urls or {})

    def proxy(m: re.Match) -> bytes:
        target = table.get(m.group(2).decode(), url)
        scheme = m.group(1) or b""
        if not scheme:
            return target.split("://", 1)[-1].encode("utf-8")
        if b"%2F" in scheme.upper():
            return quote(target, safe="").encode("ascii")
        if b"%3A" in scheme.upper():
            return quote(target, safe="/").encode("ascii")
        return target.encode("utf-8")

    out = _PROXY_RE.sub(proxy, out)
    parts = urlsplit(url)

    def host(m: re.Match) -> bytes:
        scheme = m.group(1) or b""
        if not scheme:
            return parts.netloc.encode("utf-8")
        origin = f"{parts.scheme}://{parts.netloc}"
        if b"%2F" in scheme.upper():
            return quote(origin, safe="").encode("ascii")
        if b"%3A" in scheme.upper():
            return quote(origin, safe="/").encode("ascii")
        return origin.encode("utf-8")

    return _KRD_HOST_RE.sub(host, out)


# --------------------------------------------------------------------------- loaders


def load_l3s_gn1() -> Iterator[SourcePage]:
    """L3S-GN1 (Google News 2008): 621 pages, block-level multi-class annotation."""
    root = _source_dir("l3s-gn1")
    urls: dict[str, str] = {}
    for line in _require(root / "url-mapping.txt").read_text(encoding="utf-8").splitlines():
        key, _, url = line.strip().partition("\t")
        m = re.match(r"<urn:uuid:([^>]+)>", key)
        if m and url.strip():
            urls[m.group(1)] = url.strip()
    for path in sorted((root / "original").glob("*.html"), key=lambda p: p.name):
        uuid = path.stem
        annotated = root / "annotated" / path.name
        if not annotated.is_file():
            continue
        yield _make_page("l3s-gn1", uuid, urls.get(uuid), path.read_bytes(),
                         {"annotated_html": annotated.read_bytes()})


_KREUZER_LINE_RE = re.compile(r'"([^"]*)"\s*:\s*"(/opt/dataset-[^"/]+/[^"]+)"')


def load_kreuzer() -> Iterator[SourcePage]:
    """Kreuzer segmentation sets (popular + random): typed blocks on the rendered DOM.

    html is the raw ``*.html.orig`` next to the annotated ``*.blocks.html``; pages without
    an ``.orig`` are skipped, and ``.orig`` files without a ``.blocks.html`` (iframe/ad
    frames) are not pages.  Lines of ``mapping.txt`` commented out with ``#`` still give
    the URL.
    """
    root = _source_dir("kreuzer-segmentation")
    skipped: Counter = Counter()
    for dataset in ("popular", "random"):
        base = root / dataset
        urls: dict[str, str] = {}
        mapping = base / "mapping.txt"
        if mapping.is_file():
            for line in mapping.read_text(encoding="utf-8", errors="replace").splitlines():
                m = _KREUZER_LINE_RE.search(line)
                if not m:
                    continue
                u = re.search(r"https?://\S+", m.group(1))
                rel = m.group(2).split("/", 3)[3]      # strip "/opt/dataset-<name>/"
                stem = rel[:-5] if rel.endswith(".html") else rel
                if u:
                    urls[stem] = u.group(0)
        blocks = sorted(base.rglob("*.blocks.html"), key=lambda p: p.as_posix())
        block_stems = {p.as_posix()[: -len(".blocks.html")] for p in blocks}
        skipped["orig_without_blocks"] += sum(
            1 for p in base.rglob("*.html.orig")
            if p.as_posix()[: -len(".html.orig")] not in block_stems)
        for bpath in blocks:
            stem_path = bpath.as_posix()[: -len(".blocks.html")]
            orig = Path(stem_path + ".html.orig")
            if not orig.is_file():
                skipped["no_orig"] += 1
                continue
            stem = Path(stem_path).relative_to(base).as_posix()
            yield _make_page("kreuzer", f"{dataset}/{stem}.html", urls.get(stem),
                             orig.read_bytes(), {"blocks_html": bpath.read_bytes()})
    SKIPPED["kreuzer"] = dict(skipped)


def load_dragnet() -> Iterator[SourcePage]:
    """Dragnet (2012): article + comments gold text, official train/test split."""
    root = _source_dir("dragnet")
    html_dir = _unpacked(root / "dragnet_HTML.tar.xz", "dragnet") / "HTML"
    gold_dir = _unpacked(root / "dragnet_Corrected.tar.gz", "dragnet") / "Corrected"
    split: dict[str, str] = {}
    for name, label in (("training.txt", "train"), ("test.txt", "test")):
        path = root / name
        if path.is_file():
            for line in path.read_text(encoding="utf-8").split():
                split[line.strip()] = label
    skipped: Counter = Counter()
    for path in sorted(html_dir.glob("*.html"), key=lambda p: _natural_key(p.stem)):
        gold_path = gold_dir / f"{path.stem}.html.corrected.txt"
        if not gold_path.is_file():
            skipped["no_gold"] += 1
            continue
        article, comments = split_dragnet_gold(_decode_text(gold_path.read_bytes()))
        raw = path.read_bytes()
        yield _make_page("dragnet", path.stem, _url_from_html(raw), raw,
                         {"article": article, "comments": comments,
                          "official_split": split.get(path.stem)})
    SKIPPED["dragnet"] = dict(skipped)


def _cleaneval_like(source: str, pairs: Iterable[tuple[str, Path, Path]]) -> Iterator[SourcePage]:
    skipped: Counter = Counter()
    for local_id, inp, gold_path in pairs:
        if not gold_path.is_file():
            skipped["no_gold"] += 1
            continue
        raw = inp.read_bytes()
        gold_url, gold = _cleaneval_gold(gold_path.read_bytes())
        url = _cleaneval_input_url(raw) or _clean_url(gold_url.encode() if gold_url else None)
        yield _make_page(source, local_id, url, raw, gold)
    SKIPPED[source] = dict(skipped)


def load_cleaneval() -> Iterator[SourcePage]:
    """CleanEval 2007 dev (58) and final (681 of 740 have gold) sets.

    html is the stored input, still wrapped in ``<text id="URL" ...>``.
    """
    base = _unpacked(_source_dir("cleaneval") / "cleaneval.tar.xz", "cleaneval")

    def pairs() -> Iterator[tuple[str, Path, Path]]:
        for part in ("dev", "final"):
            folder = base / f"cleaneval-{part}"
            inputs = sorted((folder / "input").glob("*.html"), key=lambda p: _natural_key(p.stem))
            for inp in inputs:
                yield f"{part}-{inp.stem}", inp, folder / "GoldStandard" / f"{inp.stem}.txt"

    yield from _cleaneval_like("cleaneval", pairs())


def load_cleanportaleval() -> Iterator[SourcePage]:
    """CleanPortalEval (GoldMiner, 2013): 71 pages of 4 portals, CleanEval-format gold."""
    root = _source_dir("cleanportaleval")
    inputs = sorted((root / "input").glob("*.html"), key=lambda p: _natural_key(p.stem))
    yield from _cleaneval_like(
        "cleanportaleval",
        ((inp.stem, inp, root / "GoldStandard" / f"{inp.stem}.txt") for inp in inputs))


def load_canola() -> Iterator[SourcePage]:
    """KrdWrd CANOLA: 208 pages with good/bad/uncertain text-node tags.

    ``gold["annotated_html"]`` is the raw merged file; ``html`` is the page with the
    annotation removed by :func:`strip_krdwrd_annotation` (so ``sha256`` is of the cleaned
    bytes, and ``html`` never contains ``krdwrd``).
    """
    root = _source_dir("canola")
    urls: dict[str, str] = {}
    for line in _require(root / "urls").read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2:
            urls[parts[0]] = parts[1].strip()
    plan_path = root / "plan.canola"
    if plan_path.is_file():
        ids = [t for t in plan_path.read_text(encoding="utf-8").split() if t]
    else:
        ids = [p.name for p in (root / "merged").iterdir() if p.is_file()]
    for pid in sorted(ids, key=_natural_key):
        path = root / "merged" / pid
        if not path.is_file():
            continue
        raw = path.read_bytes()
        url = urls.get(pid)
        yield _make_page("canola", pid, url, strip_krdwrd_annotation(raw, url, urls),
                         {"annotated_html": raw})


_BIG9_SITES = ("arstechnica.com", "bbc.co.uk", "cnn.com", "forbes.com", "foxnews.com",
               "latimes.com", "nymag.com", "nypost.com", "yahoo.com")
_ARCHIVED_HOST_RE = re.compile(rb"/web/\d{6,14}[a-z_]*/(?:https?://)?([A-Za-z0-9.-]+\.[A-Za-z]+)")


def _big5_site_guess(raw: bytes) -> str | None:
    """For a Big5 page without any URL: the README's site most referenced by the page's
    Wayback-rewritten links, else the one named in ``<title>``."""
    counts: Counter = Counter()
    for m in _ARCHIVED_HOST_RE.finditer(raw):
        rd = registered_domain(m.group(1).decode("ascii", "ignore"))
        rd = "bbc.co.uk" if rd == "bbc.com" else rd
        if rd in _BIG9_SITES:
            counts[rd] += 1
    if counts:
        return counts.most_common(1)[0][0]
    m = re.search(rb"<title[^>]*>(.*?)</title", raw, re.I | re.S)
    title = m.group(1).decode("utf-8", "replace").lower().replace(" ", "") if m else ""
    for site in _BIG9_SITES:
        if site.split(".")[0] in title:
            return site
    return None


def load_big9_chaos() -> Iterator[SourcePage]:
    """Big9 (Big5 sets: 9 news sites x 4 years) and Chaos (2017) pages, main-text gold."""
    base = _unpacked(_source_dir("big9-chaos") / "big9-chaos-extraction.tar.xz",
                     "big9-chaos") / "Extraction"
    skipped: Counter = Counter()
    for set_dir in sorted((p for p in base.iterdir() if p.is_dir()), key=lambda p: p.name):
        for path in sorted((set_dir / "html").iterdir(), key=lambda p: _natural_key(p.name)):
            gold_path = set_dir / "gold" / (path.stem + ".txt")
            if not gold_path.is_file():
                skipped["no_gold"] += 1
                continue
            raw = path.read_bytes()
            url = _url_from_html(raw)
            site = None
            if not url and set_dir.name.startswith("big5"):
                site = _big5_site_guess(raw)
            yield _make_page("big9-chaos", f"{set_dir.name}/{path.name}", url, raw,
                             {"article": _decode_text(gold_path.read_bytes()).strip(),
                              "set": set_dir.name}, site=site)
    SKIPPED["big9-chaos"] = dict(skipped)


def load_readability() -> Iterator[SourcePage]:
    """Mozilla Readability test pages: source.html + expected.html (tool output)."""
    root = _source_dir("readability") / "test-pages"
    skipped: Counter = Counter()
    for case in sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.name):
        src, exp, meta = case / "source.html", case / "expected.html", case / "expected-metadata.json"
        if not (src.is_file() and exp.is_file()):
            skipped["incomplete_case"] += 1
            continue
        raw = src.read_bytes()
        metadata = json.loads(meta.read_text(encoding="utf-8")) if meta.is_file() else {}
        yield _make_page("readability", case.name, _url_from_html(raw), raw,
                         {"expected_html": exp.read_bytes(), "metadata": metadata})
    SKIPPED["readability"] = dict(skipped)


@lru_cache(maxsize=4)
def _evaldata(path: str, size: int, mtime_ns: int) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def _file_index(folders: Iterable[Path]) -> dict[str, Path]:
    """NFC-normalised file name -> path (first folder wins)."""
    index: dict[str, Path] = {}
    for folder in folders:
        if folder.is_dir():
            for entry in os.scandir(folder):
                if entry.is_file():
                    index.setdefault(unicodedata.normalize("NFC", entry.name), Path(entry.path))
    return index


def load_trafilatura_eval() -> Iterator[SourcePage]:
    """Trafilatura evaluation corpus: with/without/comments snippets per page.

    ``url`` is the evaldata key when it is a URL; a few keys are labels such as
    ``hard::site.html`` (the URL is then taken from the HTML) and one is ``xhttps://...``
    (read as ``https://...``).  Entries whose file is in neither ``eval/`` nor ``cache/``
    are skipped and counted in ``SKIPPED["trafilatura-eval"]["missing_file"]``.
    """
    root = _source_dir("trafilatura-eval")
    ev_path = _require(root / "evaldata.json")
    st = ev_path.stat()
    evaldata = _evaldata(str(ev_path), st.st_size, st.st_mtime_ns)
    base = _unpacked(root / "trafilatura-eval-html.tar.xz", "trafilatura-eval")
    index = _file_index([base / "eval", base / "cache"])
    missing = 0
    for key in sorted(evaldata):
        entry = evaldata[key]
        name = entry.get("file") or ""
        path = index.get(unicodedata.normalize("NFC", name))
        if path is None:
            missing += 1
            log.warning("trafilatura-eval: file %r of %r is missing", name, key)
            continue
        raw = path.read_bytes()
        m = re.match(r"^x?(https?://\S+)$", key.strip())
        url = _clean_url(m.group(1).encode("utf-8")) if m else None
        url = url or _url_from_html(raw)
        gold = {k: list(entry.get(k) or []) for k in ("with", "without", "comments")}
        yield _make_page("trafilatura-eval", name, url, raw, gold)
    SKIPPED["trafilatura-eval"] = {"missing_file": missing}


SOURCES: dict[str, Callable[[], Iterator[SourcePage]]] = {
    "l3s-gn1": load_l3s_gn1,
    "kreuzer": load_kreuzer,
    "dragnet": load_dragnet,
    "cleaneval": load_cleaneval,
    "cleanportaleval": load_cleanportaleval,
    "canola": load_canola,
    "big9-chaos": load_big9_chaos,
    "readability": load_readability,
    "trafilatura-eval": load_trafilatura_eval,
}


def load_source(name: str) -> Iterator[SourcePage]:
    """Generator of the pages of one source (a key of :data:`SOURCES`)."""
    try:
        loader = SOURCES[name]
    except KeyError:
        raise KeyError(f"unknown dataset source {name!r}; known: {', '.join(SOURCES)}") from None
    return loader()


def iter_pages(sources: str | Iterable[str] | None = None) -> Iterator[SourcePage]:
    """Chain the pages of all sources (default) or of the named ones, in the given order."""
    if sources is None:
        names = list(SOURCES)
    elif isinstance(sources, str):
        names = [sources]
    else:
        names = list(sources)
    for name in names:                                 # validate before yielding anything
        if name not in SOURCES:
            raise KeyError(f"unknown dataset source {name!r}; known: {', '.join(SOURCES)}")
    return itertools.chain.from_iterable(load_source(n) for n in names)
