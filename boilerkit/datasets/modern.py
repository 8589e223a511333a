"""Loaders of the four sources of pages crawled 2018 or later.

Each yields :class:`~boilerkit.datasets.store.SourcePage` records in a stable order, like
the loaders in :mod:`.classic`; ``page_ids`` limits a loader to those pages without reading
the others (the review tool opens one page at a time).  Their ``gold`` shapes:

``fundus-eval``   ``{"title": str, "body": [paragraph, ...], "crawl_date": str,
                  "publisher": str}``.  ``body`` keeps the optional ``[...]`` paragraphs
                  with their brackets (the transfer strips them: they count as article).
                  The set has no title; ``title`` is the page's own ``og:title`` (else
                  ``twitter:title``), so that the headline block can be found.
``fundus-tests``  same keys: ``title`` from the publisher's frozen expectation, ``body`` =
                  summary paragraphs, then every section's headline and paragraphs, in order.
``postlight-fixtures``  ``{"title": str, "selectors": [...], "clean": [...], "first13": str,
                  "fetched": "YYYY-MM-DD"}`` from ``postlight-fixtures-gold.json``: the
                  per-site content selectors (a nested list is a multi-match selector) and
                  ``clean`` selectors; ``fetched`` is the date the HTML blob entered the
                  upstream repository (an upper bound of its fetch date).  Fixtures
                  without content rules are skipped (``SKIPPED``).
``wcxb``          ``{"title": str, "main_content": str, "with": [...], "without": [...],
                  "page_type": str, "publish_date": str|None, "wcxb_split": "dev"|"test",
                  "draft": str|None}``.  The 139 ids stored in both ``dev/`` and ``test/``
                  (identical HTML) are loaded once, from the split ``metadata.json`` names
                  (test), with that split's gold.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Iterator

from .sites import _attr, make_page, registered_domain
from .store import (SKIPPED, SourcePage, _gunzip, _natural_key, _require, _source_dir,
                    _unpacked)

_META_RE = re.compile(rb"<meta\b[^>]*>", re.I)


def _meta_title(raw: bytes) -> str:
    """``og:title``, else ``twitter:title`` of a page ('' when neither is there)."""
    import html as _html

    found: dict[bytes, str] = {}
    for tag in _META_RE.findall(raw):
        prop = (_attr(tag, b"property") or _attr(tag, b"name") or b"").strip().lower()
        if prop in (b"og:title", b"twitter:title") and prop not in found:
            content = _attr(tag, b"content")
            if content:
                found[prop] = " ".join(_html.unescape(content.decode("utf-8", "replace")).split())
    return found.get(b"og:title") or found.get(b"twitter:title") or ""


def load_fundus_eval(page_ids: set[str] | None = None) -> Iterator[SourcePage]:
    """Fundus evaluation set (ACL 2024): 80 news pages of 16 publishers, hand-made body text."""
    root = _source_dir("fundus-eval") / "dataset"
    truth = json.loads(_require(root / "ground_truth.json").read_text(encoding="utf-8"))
    for name in sorted(truth, key=_natural_key):
        entry = truth[name]
        local = name[: -len(".html.gz")] if name.endswith(".html.gz") else name
        if page_ids is not None and f"fundus-eval/{local}" not in page_ids:
            continue
        raw = _gunzip(root / "html" / name)
        gold = {"title": _meta_title(raw), "body": list(entry.get("body") or []),
                "crawl_date": str(entry.get("crawl_date") or ""),
                "publisher": local.rsplit("_", 1)[0]}
        yield make_page("fundus-eval", local, entry.get("url") or None, raw, gold)


def _fundus_body(body: dict) -> list[str]:
    parts = list(body.get("summary") or [])
    for section in body.get("sections") or []:
        parts.extend(section.get("headline") or [])
        parts.extend(section.get("paragraphs") or [])
    return [p for p in parts if isinstance(p, str)]


def load_fundus_tests(page_ids: set[str] | None = None) -> Iterator[SourcePage]:
    """Fundus parser tests: 258 pages of 181 publishers; the frozen parser output is gold.

    ``index.jsonl`` (made when the data was staged) names each HTML file's version key in
    its publisher's JSON, matched the way fundus does it.
    """
    root = _source_dir("fundus-tests")
    entries = [json.loads(line) for line in
               _require(root / "index.jsonl").read_text(encoding="utf-8").splitlines()
               if line.strip()]
    golds: dict[str, dict] = {}
    for entry in sorted(entries, key=lambda e: e["file"]):
        local = entry["file"][: -len(".html.gz")]
        if page_ids is not None and f"fundus-tests/{local}" not in page_ids:
            continue
        path = root / "test_data" / entry["file"]
        gold_path = path.parent / f"{entry['publisher']}.json"
        key = gold_path.as_posix()
        if key not in golds:
            golds[key] = json.loads(_require(gold_path).read_text(encoding="utf-8"))
        expected = golds[key][entry["version"]]
        gold = {"title": str(expected.get("title") or ""),
                "body": _fundus_body(expected.get("body") or {}),
                "crawl_date": str(entry.get("crawl_date") or ""),
                "publisher": entry["publisher"]}
        yield make_page("fundus-tests", local, entry.get("url") or None, _gunzip(path), gold)


def load_postlight_fixtures(page_ids: set[str] | None = None) -> Iterator[SourcePage]:
    """Postlight Parser fixtures: per-site content and ``clean`` selectors (170 fixtures,
    164 with content rules)."""
    root = _source_dir("postlight-fixtures")
    records = json.loads(_require(root / "postlight-fixtures-gold.json")
                         .read_text(encoding="utf-8"))["fixtures"]
    base = _unpacked(root / "postlight-fixtures.tar.xz", "postlight-fixtures") / "fixtures"
    skipped: Counter = Counter()
    for rec in sorted(records, key=lambda r: r["fixture"]):
        rules = rec.get("content_rules") or {}
        if not rules.get("selectors"):
            skipped["no_content_rules"] += 1
            continue
        fixture = rec["fixture"]
        local = fixture[: -len(".html")] if fixture.endswith(".html") else fixture
        if page_ids is not None and f"postlight-fixtures/{local}" not in page_ids:
            continue
        expected = rec.get("expected") or {}
        gold = {"title": str(expected.get("title") or ""),
                "selectors": rules["selectors"], "clean": list(rules.get("clean") or []),
                "first13": str(expected.get("first13") or ""),
                "fetched": rec.get("blob_first_committed") or ""}
        # the fixture's file name is its domain ("www.reddit.com--image.html")
        hint = registered_domain(local.split("--", 1)[0])
        yield make_page("postlight-fixtures", local, rec.get("url") or None,
                        _require(base / fixture).read_bytes(), gold, site=hint)
    if page_ids is None:
        SKIPPED["postlight-fixtures"] = dict(skipped)


def load_wcxb(page_ids: set[str] | None = None) -> Iterator[SourcePage]:
    """WCXB v1.0: 1,869 unique pages (2025-26) of seven page types, main text + snippets."""
    root = _source_dir("wcxb")
    meta = json.loads(_require(root / "metadata.json").read_text(encoding="utf-8"))["files"]
    base = _unpacked(root / "html.tar.xz", "wcxb")
    for fid in sorted(meta, key=_natural_key):
        if page_ids is not None and f"wcxb/{fid}" not in page_ids:
            continue
        info = meta[fid]
        split = info["split"]
        doc = json.loads(_require(root / split / "ground-truth" / f"{fid}.json")
                         .read_text(encoding="utf-8"))
        truth = doc.get("ground_truth") or {}
        internal = doc.get("_internal") or {}
        page_type = internal.get("page_type")
        if isinstance(page_type, dict):
            page_type = page_type.get("primary")
        gold = {"title": str(truth.get("title") or ""),
                "main_content": str(truth.get("main_content") or ""),
                "with": list(truth.get("with") or []), "without": list(truth.get("without") or []),
                "page_type": page_type or info.get("page_type"),
                "publish_date": truth.get("publish_date"), "wcxb_split": split,
                "draft": internal.get("source")}
        raw = _require(base / split / "html" / f"{fid}.html").read_bytes()
        yield make_page("wcxb", fid, doc.get("url") or None, raw, gold,
                        site=registered_domain(info.get("domain") or ""))


#: The loaders of this module, by source name.
LOADERS = {
    "fundus-eval": load_fundus_eval,
    "fundus-tests": load_fundus_tests,
    "postlight-fixtures": load_postlight_fixtures,
    "wcxb": load_wcxb,
}
