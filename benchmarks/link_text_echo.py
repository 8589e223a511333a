"""Does a link's target echo its text? A candidate signal for menus against headline lists.

    python benchmarks/link_text_echo.py [--splits train,dev] [--model MODEL]

Navigation taken for teaser is the largest error of the default model, and the two look
alike block by block: a short run of link text. A story's link usually carries its
headline in the path (``/2024/05/rain-returns-to-the-valley`` under "Rain returns to the
valley"), a menu's link a section name (``/news/`` under "News"). For the reviewed blocks
of the licence-clean sources that are mostly link text (at least 90% of 3 to 120
characters) and labelled navigation or teaser, this prints, per label:

- ``echo``: the share of the block's words (3 letters or more) found among the words of
  its links' targets (path and query, split at non-letters), the mean over the blocks;
- ``slug words``: the most words in the last path segment of one of its links
  (:func:`boilerkit.blocks.link_slug_words`, the walk's own count);
- the share of blocks with echo at least 0.5, and with 4 or more slug words;
- for comparison with the link-target feature the model has: the share of blocks whose
  links' targets average 40 bytes or more (``Block.link_target_length`` per link), and
  among those, the share with 4 or more slug words.

With ``--model``, it also prints how the signal stands on the dev blocks the model takes
navigation for teaser, or teaser for navigation. An analysis for choosing features, not a
feature: it walks each block's links again in Python. Train and dev pages only: never
needed on test.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from urllib.parse import urlsplit

import numpy as np

from boilerkit.blocks import BLOCK_TAGS, NUMBER_FIELDS, link_slug_words, numbers_of
from boilerkit.datasets.corpus import corpus_dir, read_annotations
from boilerkit.datasets.licences import default_model_sources

_LINK_TEXT = NUMBER_FIELDS.index("link_text_length")
_LONG_TARGET = 40
_WORD = re.compile(r"[^\W\d_]{3,}")
_SPLIT = re.compile(r"[^\w]+|_")


def own_links(element) -> list:
    """The ``a`` elements whose nearest block-level ancestor is ``element``."""
    found = []
    for link in element.iter("a"):
        parent = link.getparent()
        while parent is not None and parent is not element and parent.tag not in BLOCK_TAGS:
            parent = parent.getparent()
        if parent is element:
            found.append(link)
    return found


def echo_and_slug(text: str, hrefs: list[str]) -> tuple[float, int]:
    """The share of ``text``'s words in the targets' words, and the longest last segment."""
    target_words: set[str] = set()
    slug = 0
    for href in hrefs:
        parts = urlsplit(href.strip())
        if parts.scheme not in ("", "http", "https"):
            continue  # mailto:, javascript:, tel: go nowhere on the web
        target_words.update(word for word in _SPLIT.split((parts.path + " " + parts.query)
                                                          .casefold()) if word)
        slug = max(slug, link_slug_words(href))
    words = [word.casefold() for word in _WORD.findall(text)]
    if not words:
        return 0.0, slug
    return sum(word in target_words for word in words) / len(words), slug


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--splits", default="train,dev")
    parser.add_argument("--model", help="also break down this model's navigation/teaser "
                                        "errors on the dev pages")
    args = parser.parse_args(argv)
    splits = set(args.splits.split(","))
    if "test" in splits:
        parser.error("never on test")
    model = None
    if args.model:
        from boilerkit.persistence import load_model

        model = load_model(args.model)
    stats: dict[str, list[tuple[float, int, float]]] = defaultdict(list)
    errors: dict[str, list[tuple[float, int, float]]] = defaultdict(list)
    for source in default_model_sources():
        path = corpus_dir() / "annotations" / f"{source}.jsonl.gz"
        for page in read_annotations(path, keep_elements=True):
            if page.split not in splits or not any(
                    origin and origin.startswith("review") for origin in page.provenance):
                continue
            predicted = (model.predict([page.blocks])[0] if model is not None
                         and page.split == "dev" else None)
            numbers = numbers_of(list(page.blocks))
            for index, (block, label, origin) in enumerate(zip(page.blocks, page.labels,
                                                               page.provenance)):
                chars = len(block.text)
                if (label not in ("navigation", "teaser") or not origin
                        or not origin.startswith("review") or not 3 <= chars <= 120
                        or numbers[index, _LINK_TEXT] < 0.9 * chars or block.element is None):
                    continue
                hrefs = [link.get("href") or "" for link in own_links(block.element)]
                if not hrefs:
                    continue
                value = (*echo_and_slug(block.text, hrefs),
                         block.link_target_length / max(block.link_count, 1))
                stats[label].append(value)
                if predicted is not None and predicted[index] != label and \
                        predicted[index] in ("navigation", "teaser"):
                    errors[f"{label} taken for {predicted[index]}"].append(value)
    print(f"blocks | count | mean echo | echo >= 0.5 | slug words >= 4 | "
          f"target >= {_LONG_TARGET} bytes | of those, slug words >= 4")
    for name, values in [*sorted(stats.items()), *sorted(errors.items())]:
        echo, slug, target = (np.array(column, dtype=float) for column in zip(*values))
        long_target = target >= _LONG_TARGET
        among = (slug[long_target] >= 4).mean() if long_target.any() else float("nan")
        print(f"{name} | {len(values)} | {echo.mean():.2f} | {(echo >= 0.5).mean():.2f} | "
              f"{(slug >= 4).mean():.2f} | {long_target.mean():.2f} | {among:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
