"""Test pages of the benchmark, loaded once into memory.

Pages come from :mod:`boilerkit.datasets.sources` (data folder: env ``BOILERKIT_DATA``,
default ``../shared/datasets``); the split is :func:`boilerkit.datasets.corpus.split_of`
(by site). Sources used for training are evaluated on their ``test`` split only;
``readability`` and ``trafilatura-eval`` are evaluation-only and used whole.
"""

from __future__ import annotations

import hashlib
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gold import article_gold, comment_gold, decode_html  # noqa: E402

#: Sources scored with the token metrics (article gold text), in table order.
TOKEN_SOURCES = ("l3s-gn1", "dragnet", "cleaneval", "cleanportaleval", "canola", "big9-chaos",
                 "readability")
#: Sources scored with the snippet metric.
SNIPPET_SOURCES = ("trafilatura-eval",)
#: Sources used whole (never trained on).
WHOLE_SOURCES = ("readability", "trafilatura-eval")
#: Sources whose test pages may have comment gold.
COMMENT_SOURCES = ("l3s-gn1", "dragnet")


@dataclass
class BenchPage:
    page_id: str
    source: str
    site: str
    html: bytes = field(repr=False)
    text: str = field(repr=False)                 # decoded once, for str-input extractors
    article: str | None = field(default=None, repr=False)      # gold article text
    comments: str | None = field(default=None, repr=False)     # gold comment text
    with_: list = field(default_factory=list, repr=False)      # trafilatura-eval snippets
    without: list = field(default_factory=list, repr=False)

    def input_for(self, kind: str):
        return self.html if kind == "bytes" else self.text


def _standin_split_of(page, splits=None) -> str:
    """Development stand-in ONLY: ~20% of sites go to test by a hash of ``page.site``."""
    bucket = int(hashlib.sha256(page.site.encode("utf-8")).hexdigest(), 16) % 100
    return "test" if bucket >= 80 else ("dev" if bucket >= 70 else "train")


def split_function():
    """(split_of, splits mapping or None, description)."""
    try:
        from boilerkit.datasets.corpus import split_of
    except Exception as error:                            # noqa: BLE001
        return (_standin_split_of, None,
                f"STAND-IN hash of page.site (boilerkit.datasets.corpus.split_of could not be "
                f"imported: {type(error).__name__}: {error}); NOT the real test split")
    splits = None
    how = "boilerkit.datasets.corpus.split_of"
    try:
        from boilerkit.datasets.corpus import _splits_path, load_splits
        splits = load_splits()
        path = _splits_path()
        if path.is_file():
            how += f" (datasets/splits.json: {len(splits)} sites; unlisted sites by hash rule)"
        else:
            how += " (datasets/splits.json absent: every site by the hash rule)"
    except Exception:                                     # noqa: BLE001
        pass
    return split_of, splits, how


def load_test_pages(quick: int | None = None, progress=None) -> tuple[list[BenchPage], dict]:
    """Load the benchmark pages. ``quick`` = at most that many pages per source (seeded)."""
    from boilerkit.datasets.sources import load_source

    split_of, splits, how = split_function()
    info = {"split": how, "sources": {}}
    pages: list[BenchPage] = []
    for source in TOKEN_SOURCES + SNIPPET_SOURCES:
        kept = []
        total = 0
        for sp in load_source(source):
            total += 1
            if source not in WHOLE_SOURCES:
                split = split_of(sp, splits) if splits is not None else split_of(sp)
                if split != "test":
                    continue
            kept.append(sp)
        if quick:
            random.Random(f"quick:{source}").shuffle(kept)
            kept = sorted(kept[:quick], key=lambda p: p.page_id)
        n_comments = 0
        for sp in kept:
            page = BenchPage(sp.page_id, sp.source, sp.site, sp.html, decode_html(sp.html))
            if source in SNIPPET_SOURCES:
                page.with_ = list(sp.gold.get("with") or [])
                page.without = list(sp.gold.get("without") or [])
            else:
                page.article = article_gold(sp)
            if source in COMMENT_SOURCES:
                page.comments = comment_gold(sp)
                n_comments += page.comments is not None
            pages.append(page)
        info["sources"][source] = {
            "pages_total": total, "pages_used": len(kept),
            "sites_used": len({p.site for p in kept}), "with_comment_gold": n_comments,
            "bytes_used": sum(len(p.html) for p in kept),
        }
        if progress:
            progress(f"data: {source}: {len(kept)} of {total} pages")
    return pages, info


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
