"""Choose the modern pages for the block-by-block review, and batch them.

``python -m boilerkit.datasets.review_plan`` writes ``datasets/review-plan.json``:

* candidates: pages of sources licensed for the default model whose HTML is from 2018 or
  later, by evidence in the data: fundus-eval (crawled 2024), fundus-tests (crawl date in
  the file name, 2023-2026), the Postlight fixtures re-fetched in December 2022 (date the
  HTML blob entered the repository), WCXB (crawled 2025-26), and trafilatura-eval pages
  whose gold publication date is 2018 or later (a page cannot have been saved before it
  was published).  Pages already reviewed or dropped are left out, and so are pages with
  more than :data:`MAX_BLOCKS` blocks (reviewer cost) or fewer than :data:`MIN_BLOCKS`;
* the pick is deterministic (pages in the order of a hash of their id): per split a
  quota in proportion to the candidates (test at least :data:`MIN_TEST`), first pages
  with a comment section or reply form (by markers in the HTML, WCXB forum pages,
  trafilatura comment snippets), then pages of the rarer page types (home, listing,
  collection, forum, service, product, documentation), then articles, taking a site
  only once while unseen sites remain;
* batches of about :data:`BATCH_SIZE` pages with balanced block totals.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import Counter, defaultdict
from typing import Any
from urllib.parse import urlsplit

from .corpus import corpus_dir, iter_records, load_dropped
from .sources import load_source

PLAN_FILE = "review-plan.json"
SOURCES_2018 = ("fundus-eval", "fundus-tests", "postlight-fixtures", "wcxb", "trafilatura-eval")
TARGET_PAGES = 440
MIN_TEST = 130
MIN_COMMENT_PAGES = 120
MAX_BLOCKS = 400
MIN_BLOCKS = 5
BATCH_SIZE = 20
SPLITS = ("test", "dev", "train")
RARE_TYPES = ("home", "listing", "collection", "forum", "service", "product", "documentation")

_MARKERS = {
    "comment-respond": re.compile(rb"comment-respond", re.I),
    # the comments container, or a jump link to it (not the WordPress comments feed)
    "#comments": re.compile(rb"""\bid\s*=\s*["']?comments["'\s>]|href\s*=\s*["'][^"']*#comments["']""",
                            re.I),
    "leave-a-reply": re.compile(rb"leave a (?:reply|comment)|post a comment|add a comment|"
                                rb"write a comment|kommentar schreiben", re.I),
    "disqus": re.compile(rb"disqus", re.I),
    "comment-list": re.compile(rb"comment-?list|class\s*=\s*[\"'][^\"']*\bcomment-body", re.I),
    "comment-widget": re.compile(rb"viafoura|spot\.im|openweb|fb-comments|coral-talk|"
                                 rb"commento|hyvor-talk|utteranc", re.I),
}


def comment_markers(html: bytes) -> list[str]:
    """Names of the comment-section markers found in a page's HTML."""
    return [name for name, pattern in _MARKERS.items() if pattern.search(html)]


def _hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _is_home(url: str | None) -> bool:
    path = urlsplit(url or "").path
    return bool(url) and path in ("", "/", "/index.html", "/index.php", "/en/", "/de/")


def candidates() -> list[dict]:
    """Every candidate page with its facts (see the module doc)."""
    from .classic import trafilatura_dates

    records = {r["page_id"]: r for r in iter_records(SOURCES_2018)}
    dropped = load_dropped()
    dates = trafilatura_dates()
    out = []
    for source in SOURCES_2018:
        for page in load_source(source):
            record = records.get(page.page_id)
            if record is None or page.page_id in dropped or record["labelled_by"] == "reviewed":
                continue
            gold = page.gold
            if source == "fundus-eval":
                year, evidence = gold["crawl_date"][:4] or "2024", "crawl date (fundus-eval, 2024)"
                page_type = "article"
            elif source == "fundus-tests":
                year, evidence = gold["crawl_date"][:4], "crawl date in the file name"
                page_type = "article"
            elif source == "postlight-fixtures":
                year, evidence = gold["fetched"][:4], "HTML blob committed (re-fetch date)"
                page_type = "article"
            elif source == "wcxb":
                year, evidence = "2025", "WCXB v1.0 crawl (2025-26)"
                page_type = gold.get("page_type") or "article"
            else:
                date = dates.get(page.page_id, "")
                year, evidence = date[:4], f"publication date {date} in the gold"
                page_type = "article"
            if not year.isdigit() or int(year) < 2018:
                continue
            if _is_home(page.url) and page_type in ("article", "collection", "listing"):
                page_type = "home"
            markers = comment_markers(page.html)
            if source == "wcxb" and page_type == "forum":
                markers.append("wcxb-forum")
            if source == "trafilatura-eval" and gold.get("comments"):
                markers.append("comment-snippets")
            out.append({"page_id": page.page_id, "source": source, "site": page.site,
                        "split": record["split"], "blocks": len(record["blocks"]),
                        "page_type": page_type, "comments": bool(markers),
                        "comment_markers": markers, "year": int(year), "year_evidence": evidence,
                        "url": page.url})
    return out


def select(pool: list[dict], target: int = TARGET_PAGES,
           splits: tuple[str, ...] = SPLITS) -> list[dict]:
    """The deterministic pick described in the module doc, from the pages of ``splits``
    (the test quota applies only when test is one of them)."""
    pool = [p for p in pool if MIN_BLOCKS <= p["blocks"] <= MAX_BLOCKS and p["split"] in splits]
    pool.sort(key=lambda p: _hash(p["page_id"]))
    by_split = Counter(p["split"] for p in pool)
    quota = {s: round(target * by_split[s] / len(pool)) for s in by_split}
    if "test" in splits:
        quota["test"] = max(quota.get("test", 0), MIN_TEST)
    quota["train"] = target - quota.get("test", 0) - quota.get("dev", 0)
    chosen: list[dict] = []
    for split in SPLITS:
        part = [p for p in pool if p["split"] == split]
        want = quota.get(split, 0)
        comment_quota = round(MIN_COMMENT_PAGES * want / target) + 2
        rare_quota = round(0.25 * want)
        picked: list[dict] = []
        sites: Counter = Counter()

        def take(rows, limit, per_site=1):
            for p in rows:
                if len(picked) >= want or limit <= 0:
                    return
                if p in picked or sites[p["site"]] >= per_site:
                    continue
                picked.append(p)
                sites[p["site"]] += 1
                limit -= 1

        take([p for p in part if p["comments"]], comment_quota)
        for kind in RARE_TYPES:                 # a few of each rare type, round by round
            take([p for p in part if p["page_type"] == kind], max(2, rare_quota // len(RARE_TYPES)))
        take([p for p in part if p["page_type"] in RARE_TYPES], rare_quota)
        # articles: spread over the sources, then anything, one page per site first
        by_source = defaultdict(list)
        for p in part:
            by_source[p["source"]].append(p)
        for source in sorted(by_source):
            take(by_source[source], max(1, (want - len(picked)) // (2 * len(by_source))))
        take(part, want)
        take(part, want, per_site=2)
        chosen.extend(picked)
    return chosen


def batches(pages: list[dict], size: int = BATCH_SIZE) -> list[dict]:
    """Pages in batches of about ``size``, block totals balanced (largest page first into
    the lightest batch that still has room)."""
    count = max(1, round(len(pages) / size))
    room = -(-len(pages) // count)
    out: list[dict[str, Any]] = [{"batch": i + 1, "pages": [], "blocks": 0}
                                 for i in range(count)]
    for page in sorted(pages, key=lambda p: (-p["blocks"], p["page_id"])):
        batch = min((b for b in out if len(b["pages"]) < room), key=lambda b: (b["blocks"], b["batch"]))
        batch["pages"].append(page["page_id"])
        batch["blocks"] += page["blocks"]
    for batch in out:
        batch["pages"].sort()
    return out


def summary(pages: list[dict]) -> dict:
    return {
        "pages": len(pages), "sites": len({p["site"] for p in pages}),
        "blocks": sum(p["blocks"] for p in pages),
        "by_split": dict(Counter(p["split"] for p in pages)),
        "by_source": dict(Counter(p["source"] for p in pages)),
        "by_page_type": dict(Counter(p["page_type"] for p in pages)),
        "comment_pages": sum(p["comments"] for p in pages),
        "years": dict(sorted(Counter(p["year"] for p in pages).items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m boilerkit.datasets.review_plan",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=TARGET_PAGES)
    parser.add_argument("--splits", default=",".join(SPLITS),
                        help="comma-separated splits to pick from (default: all three)")
    parser.add_argument("--output", default=PLAN_FILE,
                        help=f"file name in datasets/ (default: {PLAN_FILE})")
    args = parser.parse_args(argv)
    splits = tuple(s for s in SPLITS if s in args.splits.split(","))
    if not splits:
        parser.error(f"--splits: choose from {', '.join(SPLITS)}")
    pool = candidates()
    pages = select(pool, args.pages, splits)
    plan = {
        "about": ("Pages for the block-by-block review (datasets/REVIEWING.md), chosen by "
                  "`python -m boilerkit.datasets.review_plan` (rules in its docstring)."),
        "criteria": {"sources": list(SOURCES_2018), "min_year": 2018, "max_blocks": MAX_BLOCKS,
                     "min_blocks": MIN_BLOCKS, "batch_size": BATCH_SIZE,
                     "splits": list(splits), "candidates": len(pool)},
        "summary": summary(pages),
        "batches": batches(pages),
        "pages": sorted(pages, key=lambda p: p["page_id"]),
    }
    path = corpus_dir() / args.output
    path.write_text(json.dumps(plan, indent=1, ensure_ascii=False) + "\n")
    json.dump(plan["summary"], sys.stdout, indent=1)
    print(f"\nwrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
