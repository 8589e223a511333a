"""Test pages of the benchmark, loaded once into memory.

Pages come from :mod:`boilerkit.datasets.sources` (data folder: env ``BOILERKIT_DATA``,
default ``../shared/datasets``). Every source is split by site
(:func:`boilerkit.datasets.corpus.split_of` with ``datasets/splits.json``) and only its
``test`` pages are used; pages listed in ``datasets/dropped.json`` (gold that does not match
the HTML) are left out. The split of every page is checked against the committed
annotations (``datasets/annotations/*.jsonl.gz``), which were written with the same split.
"""

from __future__ import annotations

import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gold import article_references, comment_gold, decode_html  # noqa: E402

#: The older token-metric sets (article gold text), in table order.
OLDER_SOURCES = ("l3s-gn1", "dragnet", "cleaneval", "cleanportaleval", "canola", "big9-chaos",
                 "readability")
#: Sets of pages crawled 2018 or later with article gold text, in table order.
MODERN_SOURCES = ("fundus-eval", "fundus-tests", "postlight-fixtures", "wcxb")
#: Sources scored with the token metrics (article gold text).
TOKEN_SOURCES = OLDER_SOURCES + MODERN_SOURCES
#: Sources scored with the snippet metric (``with``/``without`` snippets).
SNIPPET_SOURCES = ("trafilatura-eval", "wcxb")
#: Every source of the article pass, in loading order.
ARTICLE_SOURCES = tuple(dict.fromkeys(TOKEN_SOURCES + SNIPPET_SOURCES))
#: Silver gold: machine-drafted (from one extractor's output on about half of the pages),
#: then reviewed. Reported, kept out of the pooled columns.
SILVER_SOURCES = ("wcxb",)
#: Sources whose test pages may have comment gold.
COMMENT_SOURCES = ("l3s-gn1", "dragnet")
#: Pooled columns of the token tables: name -> sets.
POOLS = {
    "older": OLDER_SOURCES,
    "modern": tuple(s for s in MODERN_SOURCES if s not in SILVER_SOURCES),
    "all": tuple(s for s in TOKEN_SOURCES if s not in SILVER_SOURCES),
}
#: The speed sample is drawn from these sets' test pages (modern pages).
SPEED_SOURCES = ("trafilatura-eval", "readability")


@dataclass
class BenchPage:
    page_id: str
    source: str
    site: str
    html: bytes = field(repr=False)
    text: str = field(repr=False)                 # decoded once, for str-input extractors
    references: list | None = field(default=None, repr=False)  # acceptable gold article texts
    comments: str | None = field(default=None, repr=False)     # gold comment text
    with_: list = field(default_factory=list, repr=False)      # snippets (trafilatura-eval, wcxb)
    without: list = field(default_factory=list, repr=False)
    meta: dict = field(default_factory=dict, repr=False)       # wcxb: page type, draft origin

    def input_for(self, kind: str):
        return self.html if kind == "bytes" else self.text

    @property
    def article(self) -> str | None:
        """The gold article text as the source gives it (first reference)."""
        return self.references[0] if self.references else None


def split_function():
    """(split_of, splits mapping, description). Fails loudly: the benchmark never guesses
    a split, since a wrong one would score training pages."""
    from boilerkit.datasets.corpus import _splits_path, load_splits, split_of

    path = _splits_path()
    if not path.is_file():
        raise SystemExit(f"{path} is missing: the benchmark needs the committed site splits")
    splits = load_splits()
    how = (f"boilerkit.datasets.corpus.split_of with datasets/splits.json ({len(splits)} sites); "
           "test split of every source; datasets/dropped.json pages left out")
    return split_of, splits, how


def _annotation_splits(source: str) -> dict[str, str] | None:
    """page id -> split of the committed annotation records of a source (None: no file)."""
    from boilerkit.datasets.corpus import annotations_path, iter_records

    if not annotations_path(source).is_file():
        return None
    return {r["page_id"]: r["split"] for r in iter_records([source])}


def _wcxb_meta(gold: dict) -> dict:
    draft = gold.get("draft") or ""
    return {"page_type": str(gold.get("page_type") or "?"),
            "draft": "rs-trafilatura" if draft == "rs-trafilatura-draft" else "other"}


def load_test_pages(quick: int | None = None, progress=None,
                    sources: tuple[str, ...] = ARTICLE_SOURCES) -> tuple[list[BenchPage], dict]:
    """The test pages of ``sources``. ``quick`` = at most that many pages per source (seeded).

    Returns the pages and, per source, the counts behind them and the split check: pages
    whose split differs from the committed annotations' (``split_mismatches``, must be 0),
    test records of the annotations that the benchmark does not have (``missing``).
    """
    from boilerkit.datasets.corpus import load_dropped
    from boilerkit.datasets.sources import load_source

    split_of, splits, how = split_function()
    dropped = load_dropped()
    info = {"split": how, "sources": {}, "dropped_listed": len(dropped)}
    pages: list[BenchPage] = []
    for source in sources:
        recorded = _annotation_splits(source)
        kept = []
        total = n_dropped = mismatches = 0
        no_gold = []
        test_ids = set()
        for sp in load_source(source):
            total += 1
            split = split_of(sp, splits)
            if recorded is not None and sp.page_id in recorded and recorded[sp.page_id] != split:
                mismatches += 1
            if split != "test":
                continue
            if sp.page_id in dropped:
                n_dropped += 1
                continue
            test_ids.add(sp.page_id)
            kept.append(sp)
        missing = sorted(pid for pid, s in (recorded or {}).items()
                         if s == "test" and pid not in test_ids)
        if quick:
            random.Random(f"quick:{source}").shuffle(kept)
            kept = sorted(kept[:quick], key=lambda p: p.page_id)
        n_comments = 0
        used = []
        for sp in kept:
            page = BenchPage(sp.page_id, sp.source, sp.site, sp.html, decode_html(sp.html))
            if source in TOKEN_SOURCES:
                page.references = article_references(sp)
                if not page.references:            # gold not derivable: leave the page out
                    no_gold.append(sp.page_id)
                    continue
            if source in SNIPPET_SOURCES:
                page.with_ = list(sp.gold.get("with") or [])
                page.without = list(sp.gold.get("without") or [])
            if source == "wcxb":
                page.meta = _wcxb_meta(sp.gold)
            if source in COMMENT_SOURCES:
                page.comments = comment_gold(sp)
                n_comments += page.comments is not None
            pages.append(page)
            used.append(page)
        info["sources"][source] = {
            "pages_total": total, "pages_test": len(test_ids) + n_dropped,
            "dropped_test": n_dropped, "no_gold": no_gold, "pages_used": len(used),
            "sites_used": len({p.site for p in used}), "with_comment_gold": n_comments,
            "bytes_used": sum(len(p.html) for p in used),
            "annotation_test_pages": (None if recorded is None
                                      else sum(s == "test" for s in recorded.values())),
            "split_mismatches": mismatches, "missing": missing,
        }
        if mismatches or missing:
            _warn(progress, f"data: {source}: {mismatches} pages whose split differs from the "
                            f"annotations, {len(missing)} annotated test pages not loaded")
        if progress:
            progress(f"data: {source}: {len(used)} test pages of {total} "
                     f"({n_dropped} dropped-listed test pages left out)")
    return pages, info


def check_splits(sources: tuple[str, ...], progress=None) -> dict[str, dict]:
    """For sources outside the article pass (the block evaluation reads their committed
    annotations): pages whose annotated split differs from ``split_of``, per source."""
    from boilerkit.datasets.sources import load_source

    split_of, splits, _ = split_function()
    out = {}
    for source in sources:
        recorded = _annotation_splits(source)
        if recorded is None:
            continue
        mismatches = test = 0
        for sp in load_source(source):
            split = split_of(sp, splits)
            test += split == "test" and sp.page_id in recorded
            mismatches += sp.page_id in recorded and recorded[sp.page_id] != split
        out[source] = {"split_mismatches": mismatches, "test_pages": test}
        if mismatches:
            _warn(progress, f"data: {source}: {mismatches} pages whose split differs from "
                            "the annotations")
    return out


def _warn(progress, msg: str) -> None:
    (progress or (lambda m: print(m, file=sys.stderr)))("WARNING " + msg)


_COMMIT_RE = re.compile(r"commit\s+`([0-9a-f]{40})`", re.I)
_REPO_RE = re.compile(r"`([\w.-]+/[\w.-]+)`")


def dataset_snapshots() -> dict[str, str]:
    """Source folder -> 'owner/repo@commit, ...' read from each dataset README (each
    commit is paired with the nearest ``owner/repo`` named before it)."""
    try:
        from boilerkit.datasets.sources import data_root
        root = data_root()
    except Exception:                                     # noqa: BLE001
        return {}
    out = {}
    for readme in sorted(root.glob("*/README.md")):
        text = readme.read_text(encoding="utf-8", errors="replace")
        parts = []
        for m in _COMMIT_RE.finditer(text):
            repos = [r for r in _REPO_RE.findall(text[:m.start()]) if "." not in r.split("/")[0]]
            item = f"{repos[-1] if repos else '?'}@{m.group(1)[:12]}"
            if item not in parts:
                parts.append(item)
        out[readme.parent.name] = ", ".join(parts) or "?"
    return out
