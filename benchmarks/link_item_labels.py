"""How each review round labels short link items: teaser or navigation.

    python benchmarks/link_item_labels.py [--splits train,dev]

A guideline question the rounds could answer differently is whether a list of links
to single pages (archives, directories, footer lists) is teaser or navigation. For
the reviewed blocks of the licence-clean sources whose text is 3 to 80 characters,
at least 90% of it inside links, and labelled teaser or navigation, prints per
round (reviewer name without its number: ``reviewer``, ``helper-r4``, ...) the pages,
the teaser and navigation counts, and the teaser share, for blocks under 25
characters (menu-like) and from 25 to 80 (headline-like). Train and dev pages
only by default: never needed on test.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter, defaultdict

from boilerkit.blocks import NUMBER_FIELDS, numbers_of
from boilerkit.datasets.corpus import corpus_dir, read_labelled

SOURCES = ("kreuzer", "readability", "trafilatura-eval", "postlight-fixtures", "fundus-eval",
           "fundus-tests", "wcxb")
_LINK_TEXT = NUMBER_FIELDS.index("link_text_length")


def rounds_of_pages() -> dict[str, str]:
    """Page id -> review round (the reviewer's name without a trailing number)."""
    rounds = {}
    for path in (corpus_dir() / "reviews").glob("*__*.json"):
        review = json.loads(path.read_text())
        rounds[review["page_id"]] = re.sub(r"-?\d+$", "", str(review.get("reviewer")))
    return rounds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--splits", default="train,dev")
    args = parser.parse_args(argv)
    splits = set(args.splits.split(","))
    rounds = rounds_of_pages()
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    pages: Counter = Counter()
    folder = corpus_dir() / "annotations"
    for page in read_labelled([folder / f"{name}.jsonl.gz" for name in SOURCES]):
        if page.split not in splits or page.page_id not in rounds:
            continue
        round_ = rounds[page.page_id]
        pages[round_] += 1
        link_chars = numbers_of(list(page.blocks))[:, _LINK_TEXT]
        for block, label, provenance, linked in zip(page.blocks, page.labels, page.provenance,
                                                    link_chars):
            n = len(block.text)
            if (provenance == "reviewed" and 3 <= n <= 80 and linked >= 0.9 * n
                    and label in ("navigation", "teaser")):
                counts[round_, "short" if n < 25 else "long"][label] += 1
    print("round | pages | length | teaser | navigation | teaser share")
    for (round_, length), found in sorted(counts.items()):
        share = found["teaser"] / (found["teaser"] + found["navigation"])
        print(f"{round_} | {pages[round_]} | {length} | {found['teaser']} | "
              f"{found['navigation']} | {share:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
