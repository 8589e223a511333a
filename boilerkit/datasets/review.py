"""The labelling aid for human review, and the agreement check.

``python -m boilerkit.datasets.review show PAGE_ID`` prints a page's blocks
with the labels the source's transfer rule pre-fills; the reviewer reads every
block and saves the page with corrections::

    python -m boilerkit.datasets.review save PAGE_ID --reviewer NAME \
        --set 12-30=teaser --set 45=comment

``save`` writes ``datasets/reviews/<page>.json``: every block's XPath, text
hash and final label. ``show --blind`` hides the pre-filled labels, and
``save --blind`` (which needs a label for every block) writes the blind
re-label to ``datasets/agreement/`` instead; ``kappa`` compares the two, and
``changes`` counts how the reviews changed the transferred labels.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..labels import DEFAULT_LABELS
from .corpus import corpus_dir, label_page, review_path, text_key
from .sources import SourcePage, load_source

LABELS = DEFAULT_LABELS
_SHORT_CONTEXT = ("nav", "header", "footer", "aside", "form", "li", "table", "article", "hidden")


def find_page(page_id: str) -> SourcePage:
    source = page_id.split("/", 1)[0]
    for page in load_source(source):
        if page.page_id == page_id:
            return page
    raise SystemExit(f"no page {page_id!r}")


def agreement_path(page_id: str) -> Path:
    return corpus_dir() / "agreement" / (page_id.replace("/", "__") + ".json")


def show(page_id: str, blind: bool = False, width: int = 160) -> None:
    page = find_page(page_id)
    blocks, labels, _, stats = label_page(page)
    print(f"# {page.page_id}  url={page.url}  site={page.site}  blocks={len(blocks)}"
          + ("" if blind else f"  reviewed={stats.get('reviewed')}"))
    for i, block in enumerate(blocks):
        context = ",".join(name for name in _SHORT_CONTEXT if block.in_context(name))
        density = block.link_text_length / max(len(block.text) - block.text.count(" "), 1)
        label = "?" if blind else (labels[i] or "-")
        text = block.text if len(block.text) <= width else block.text[:width] + "…"
        tokens = " ".join((block.ancestor_tokens + block.own_tokens)[-4:])
        print(f"{i:4d} {label:10s} {block.tag:8s} L{density:.1f} [{context}] ({tokens}) {text}")


def _parse_assignments(assignments: list[str], n: int) -> dict[int, str | None]:
    result: dict[int, str | None] = {}
    for item in assignments:
        span, _, label = item.partition("=")
        label = label.strip()
        if label not in LABELS and label not in ("none", "-"):
            raise SystemExit(f"unknown label {label!r} in {item!r}")
        first, _, last = span.partition("-")
        start, end = int(first), int(last or first)
        if not 0 <= start <= end < n:
            raise SystemExit(f"block range {span} outside 0-{n - 1}")
        for i in range(start, end + 1):
            result[i] = None if label in ("none", "-") else label
    return result


def save(page_id: str, reviewer: str, assignments: list[str], blind: bool = False) -> Path:
    page = find_page(page_id)
    blocks, labels, _, _ = label_page(page)
    changes = _parse_assignments(assignments, len(blocks))
    if blind:
        missing = [i for i in range(len(blocks)) if i not in changes]
        if missing:
            raise SystemExit(f"blind labels must cover every block; missing {missing[:20]}")
        labels = [None] * len(blocks)
    for i, label in changes.items():
        labels[i] = label
    labels = [label if label in LABELS else None for label in labels]
    path = agreement_path(page_id) if blind else review_path(page_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "page_id": page.page_id, "sha256": page.sha256, "reviewer": reviewer,
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"), "changed": len(changes),
        "blocks": [[b.xpath, text_key(b.text), label] for b, label in zip(blocks, labels)],
    }, ensure_ascii=False, separators=(",", ":")) + "\n")
    counts = {label: labels.count(label) for label in LABELS}
    print(f"saved {path} ({len(changes)} blocks set) {counts}")
    return path


def cohen_kappa_per_class(first: list[str | None], second: list[str | None]) -> dict[str, float]:
    """Cohen's kappa of "is class c" versus "is not", for each class, over paired labels."""
    from sklearn.metrics import cohen_kappa_score

    a = np.asarray([x or "none" for x in first], dtype=object)
    b = np.asarray([x or "none" for x in second], dtype=object)
    result = {label: float(cohen_kappa_score(a == label, b == label)) for label in LABELS}
    result["all"] = float(cohen_kappa_score(a, b))
    return result


def agreement() -> dict:
    """Per-class kappa between first reviews and blind re-labels of the same pages."""
    first_labels: list = []
    second_labels: list = []
    pages = 0
    for path in sorted((corpus_dir() / "agreement").glob("*.json")):
        blind = json.loads(path.read_text())
        first_path = corpus_dir() / "reviews" / path.name
        if not first_path.is_file():
            continue
        first = {(x, k): label for x, k, label in json.loads(first_path.read_text())["blocks"]}
        for xpath, key, label in blind["blocks"]:
            if (xpath, key) in first:
                first_labels.append(first[(xpath, key)])
                second_labels.append(label)
        pages += 1
    kappas = cohen_kappa_per_class(first_labels, second_labels) if first_labels else {}
    return {"pages": pages, "blocks": len(first_labels), "kappa": kappas}


def review_changes() -> dict:
    """How the reviews changed the transferred labels: blocks reviewed, changed, old -> new."""
    from collections import Counter

    from ..blocks import build_blocks
    from ..parse import parse_html
    from .corpus import apply_review, load_review
    from .transfer import transfer_labels

    changes: Counter = Counter()
    pages = blocks_reviewed = 0
    for source in ("l3s-gn1", "kreuzer"):
        for page in load_source(source):
            review = load_review(page.page_id)
            if not review or not review["blocks"] or review.get("sha256") != page.sha256:
                continue
            blocks = build_blocks(parse_html(page.html, max_bytes=None))
            transferred = transfer_labels(page, blocks).labels
            reviewed, provenance = list(transferred), [None] * len(blocks)
            apply_review(blocks, reviewed, provenance, review)
            pages += 1
            blocks_reviewed += len(blocks)
            changes.update(f"{old or '-'} -> {new or '-'}"
                           for old, new in zip(transferred, reviewed) if old != new)
    return {"pages": pages, "blocks": blocks_reviewed, "changed": sum(changes.values()),
            "changes": dict(changes.most_common())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m boilerkit.datasets.review",
                                     description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    show_cmd = commands.add_parser("show", help="print a page's blocks with pre-filled labels")
    show_cmd.add_argument("page_id")
    show_cmd.add_argument("--blind", action="store_true", help="hide pre-filled labels")
    show_cmd.add_argument("--width", type=int, default=160, help="characters of text per block")
    save_cmd = commands.add_parser("save", help="save the reviewed labels of a page")
    save_cmd.add_argument("page_id")
    save_cmd.add_argument("--reviewer", required=True)
    save_cmd.add_argument("--set", dest="assignments", action="append", default=[],
                          metavar="A[-B]=LABEL", help="label blocks A..B (inclusive); repeatable")
    save_cmd.add_argument("--blind", action="store_true", help="a blind re-label for agreement")
    commands.add_parser("kappa", help="per-class Cohen's kappa of blind re-labels vs reviews")
    commands.add_parser("changes", help="how the reviews changed the transferred labels")
    args = parser.parse_args(argv)
    if args.command == "show":
        show(args.page_id, blind=args.blind, width=args.width)
    elif args.command == "save":
        save(args.page_id, args.reviewer, args.assignments, blind=args.blind)
    else:
        json.dump(agreement() if args.command == "kappa" else review_changes(), sys.stdout,
                  indent=2)
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
