"""Loaders of the nine older sources (2005-2017 pages), and their gold parsers.

See :mod:`boilerkit.datasets.sources` for the record each loader yields.
"""

from __future__ import annotations

import html as _html
import json
import logging
import os
import re
import unicodedata
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator
from urllib.parse import quote, unquote, urlsplit

from .sites import _clean_url, registered_domain, url_from_html as _url_from_html
from .sites import make_page as _make_page
from .store import (SKIPPED, SourcePage, _decode_text, _natural_key, _require, _source_dir,
                    _unpacked)

log = logging.getLogger("boilerkit.datasets.sources")

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
    title_m = re.search(rb"<title[^>]*>(.*?)</title", raw, re.I | re.S)
    title = title_m.group(1).decode("utf-8", "replace").lower().replace(" ", "") if title_m else ""
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


#: The loaders of this module, by source name.
LOADERS = {
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


def trafilatura_dates() -> dict[str, str]:
    """``{page_id: date}`` of the trafilatura-eval pages whose evaldata gives a publication
    date (``YYYY-MM-DD``; 851 of 990 entries have the key, some empty)."""
    root = _source_dir("trafilatura-eval")
    path = _require(root / "evaldata.json")
    st = path.stat()
    out = {}
    for entry in _evaldata(str(path), st.st_size, st.st_mtime_ns).values():
        date = str(entry.get("date") or "")
        if entry.get("file") and re.match(r"^\d{4}-\d\d", date):
            out[f"trafilatura-eval/{entry['file']}"] = date
    return out
