"""Find publishers that share a template across domains, and pages without a site.

``python -m boilerkit.datasets.site_groups [--sources a,b] [--out FILE]`` cuts every page
into blocks and keeps the hashes of its long blocks (at least :data:`LONG` characters).
Two sites that share many long blocks that few other sites have share a template (one
publisher under two domains: ``bbc.com`` / ``bbc.co.uk``), or one copies the other; either
way their pages must not be split between train and test.  The script prints

* ``alias`` candidates: site pairs sharing at least :data:`MIN_SHARED` such blocks, which
  are at least :data:`MIN_SHARE` of the smaller site's distinct long blocks;
* ``template`` matches for pages whose site is still ``unknown:``: the page of the same
  source they share most long blocks with.

Nothing is written to ``datasets/sites.json`` automatically: a person checks the
candidates and commits the ones that hold, with the reason (the file says which).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from typing import Iterable

from ..blocks import build_blocks
from ..errors import BoilerkitError
from ..parse import parse_html
from .sources import SOURCES, load_source

LONG = 50          # characters of a block that is unlikely to repeat by chance
MAX_SITES = 3      # a block on more sites is generic text (cookie notices, CMS phrases)
MIN_SHARED = 8
MIN_SHARE = 0.2


def long_block_hashes(html: bytes) -> list[str]:
    """Short hashes of the page's blocks of at least :data:`LONG` characters."""
    try:
        blocks = build_blocks(parse_html(html, max_bytes=None))
    except BoilerkitError:
        return []
    out = []
    for block in blocks:
        text = " ".join(block.text.split())
        if len(text) >= LONG:
            out.append(hashlib.sha1(text.encode("utf-8")).hexdigest()[:12])
    return out


def _page_facts(page) -> tuple[str, str, str, list[str]]:
    return page.page_id, page.source, page.site, long_block_hashes(page.html)


def collect(sources: Iterable[str], workers: int = 2) -> list[tuple[str, str, str, list[str]]]:
    """``(page_id, source, site, long block hashes)`` of every page of ``sources``."""
    pages = (page for name in sources for page in load_source(name))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_page_facts, pages, chunksize=8))


def alias_candidates(facts) -> list[dict]:
    """Site pairs that share a template (see the module doc), most shared first."""
    sites_of: dict[str, set[str]] = defaultdict(set)
    blocks_of: dict[str, set[str]] = defaultdict(set)
    for _, _, site, hashes in facts:
        for h in hashes:
            sites_of[h].add(site)
            blocks_of[site].add(h)
    shared: Counter = Counter()
    for h, sites in sites_of.items():
        if 1 < len(sites) <= MAX_SITES:
            ordered = sorted(sites)
            for i, a in enumerate(ordered):
                for b in ordered[i + 1:]:
                    shared[(a, b)] += 1
    out = []
    for (a, b), n in shared.most_common():
        smaller = min(len(blocks_of[a]), len(blocks_of[b]))
        if n >= MIN_SHARED and n >= MIN_SHARE * smaller:
            out.append({"sites": [a, b], "shared": n, "share": round(n / smaller, 3)})
    return out


def template_matches(facts, min_shared: int = 5, min_share: float = 0.3) -> dict[str, dict]:
    """For each ``unknown:`` page, the page of its source it shares most long blocks with."""
    by_source: dict[str, list] = defaultdict(list)
    for fact in facts:
        by_source[fact[1]].append(fact)
    out = {}
    for source, rows in by_source.items():
        for page_id, _, site, hashes in rows:
            if not site.startswith("unknown:"):
                continue
            mine = set(hashes)
            best = None
            for other_id, _, other_site, other in rows:
                if other_id == page_id or not mine:
                    continue
                n = len(mine & set(other))
                if n >= min_shared and n >= min_share * len(mine):
                    if best is None or n > best[0]:
                        best = (n, other_id, other_site)
            if best:
                out[page_id] = {"like": best[1], "site": best[2], "shared": best[0],
                                "long_blocks": len(mine)}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m boilerkit.datasets.site_groups",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", default=",".join(SOURCES))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", help="also write the candidates as JSON to this file")
    args = parser.parse_args(argv)
    facts = collect(args.sources.split(","), workers=args.workers)
    aliases, templates = alias_candidates(facts), template_matches(facts)
    result = {"pages": len(facts), "aliases": aliases, "templates": templates}
    text = json.dumps(result, indent=1)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    print(text)
    print(f"{len(aliases)} alias candidates, {len(templates)} template "
          "matches", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
