"""Site-disjoint train/dev/test splits, fixed in ``datasets/splits.json``.

Rules, applied by :func:`plan_splits` (``python -m boilerkit.datasets splits``):

1. A site keeps the split it had: the split committed for it, and the splits its pages
   had in the committed annotations.  When a site gathers pages that had different splits
   (an alias merged two sites, or pages that had no site before now have one), it takes
   the **most held-out** of them (test over dev over train), so that no page that was
   held out becomes trainable.
2. For each set in :data:`HELD_OUT_SETS`, in that order, sites without a split are placed
   so that at least :data:`TEST_SHARE` of the set's pages are in test, about
   :data:`DEV_SHARE` in dev and the rest in train, taking sites in the order of a hash of
   their name (deterministic).  When the test part is still short of a third, sites that
   are in train but have pages only in these sets (never trained on before, since
   readability and trafilatura-eval were evaluation-only) are moved to test, in the same
   hash order, until it reaches :data:`TEST_SHARE`.  A second run changes nothing.  A site placed for one set keeps its split in the others.
3. Any other site without a split: :func:`hashed_split` (70/10/20).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from typing import Iterable

SPLITS = ("train", "dev", "test")
_RANK = {"train": 0, "dev": 1, "test": 2}
#: Sets that get a fixed test part of at least a third of their pages, in planning order.
HELD_OUT_SETS = ("readability", "fundus-eval", "postlight-fixtures", "fundus-tests",
                 "trafilatura-eval", "wcxb")
TEST_SHARE = 0.35          # aim a little above one third, so that the share stays >= 1/3
MIN_TEST_SHARE = 1 / 3
DEV_SHARE = 0.12
SPLIT_SHARES = (("train", 70), ("dev", 10), ("test", 20))


def _site_hash(site: str) -> str:
    return hashlib.sha1(site.encode("utf-8")).hexdigest()


def hashed_split(site: str) -> str:
    """The split a site falls in by the hash rule: 70% train, 10% dev, 20% test."""
    bucket = int(_site_hash(site), 16) % 100
    for split, share in SPLIT_SHARES:
        if bucket < share:
            return split
        bucket -= share
    return "test"


def most_held_out(splits: Iterable[str]) -> str:
    """``test`` over ``dev`` over ``train``."""
    return max(splits, key=_RANK.__getitem__)


def plan_splits(pages: Iterable[tuple[str, str, str]], committed: dict[str, str],
                former: dict[str, str], held_out_sets: tuple[str, ...] = HELD_OUT_SETS
                ) -> tuple[dict[str, str], list[str]]:
    """The split of every site of ``pages`` (``(page_id, source, site)`` triples).

    ``committed`` is the current ``splits.json``, ``former`` the split of each page in
    the committed annotations.  Returns ``({site: split}, notes)``; the notes say which
    sites were merged or moved, and why.
    """
    pages = list(pages)
    site_pages: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for page_id, source, site in pages:
        site_pages[site].append((page_id, source))
    splits: dict[str, str] = {}
    notes: list[str] = []
    movable: set[str] = set()
    held = set(held_out_sets)
    for site in sorted(site_pages):
        items = site_pages[site]
        known = {former[pid] for pid, _ in items if pid in former}
        if site in committed:
            known.add(committed[site])
        if not known:
            continue
        split = most_held_out(known)
        splits[site] = split
        if len(known) > 1:
            notes.append(f"merge: {site} had pages in {'/'.join(sorted(known, key=_RANK.__getitem__))}"
                         f" -> {split}")
        if split == "train" and {src for _, src in items} <= held:
            movable.add(site)

    for source in held_out_sets:
        counts = Counter(site for _, src, site in pages if src == source)
        total = sum(counts.values())
        if not total:
            continue

        def share(split: str) -> float:
            return sum(n for site, n in counts.items() if splits.get(site) == split) / total

        new = sorted((s for s in counts if s not in splits), key=_site_hash)
        moves = sorted((s for s in counts if s in movable), key=_site_hash)
        for site in new:
            if share("test") >= TEST_SHARE:
                break
            splits[site] = "test"
        if share("test") >= MIN_TEST_SHARE:
            moves = []                       # moves only when the share is short of a third
        for site in moves:
            if share("test") >= TEST_SHARE:
                break
            splits[site] = "test"
            notes.append(f"move: {site} train -> test ({source} test part; never trained on)")
        for site in new:
            if site in splits:
                continue
            splits[site] = "dev" if share("dev") < DEV_SHARE else "train"
        movable -= set(counts)               # placed for this set: fixed for the others
    for site in site_pages:
        splits.setdefault(site, hashed_split(site))
    return splits, notes


def split_shares(pages: Iterable[tuple[str, str, str]], splits: dict[str, str]
                 ) -> dict[str, dict[str, float]]:
    """Per source, the share of its pages in each split."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for _, source, site in pages:
        counts[source][splits[site]] += 1
    return {source: {split: c[split] / sum(c.values()) for split in SPLITS}
            for source, c in counts.items()}
