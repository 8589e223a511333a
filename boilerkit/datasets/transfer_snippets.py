"""Label transfer of the snippet-gold sources: trafilatura-eval (and WCXB's ``without``).

Their gold is a few text snippets per page, each saying which kind of text it is; every
block holding part of an occurrence is hit (:func:`snippet_hits`).
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Sequence

from ..blocks import Block
from .transfer_common import Transfer

__all__ = ["snippet_hits", "transfer_trafilatura_eval"]

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"',
                         "\u00bb": '"', "\u2013": "-", "\u2014": "-", "\u00ad": None,
                         "\u200b": None})


def _compact(text: str) -> str:
    """Casefolded text without whitespace, with quotes and dashes unified."""
    return "".join(text.translate(_QUOTES).casefold().split())


def snippet_hits(blocks: Sequence[Block], kinds: Iterable[tuple[str, Iterable[str] | None]]
                 ) -> tuple[list[set[str]], dict]:
    """Which labels' snippets hit each block: ``kinds`` is ``[(label, snippets), ...]``.

    Snippets and blocks are compared on compact text (casefolded, whitespace removed,
    curly quotes and dashes unified); the page text is the concatenation of its blocks, so
    a snippet may span several blocks, and every block holding part of an occurrence is
    hit.  Every occurrence counts.  Returns the hits and ``{"gold_chars", "gold_chars_lost",
    "snippets", "snippets_found"}`` (a snippet found nowhere is lost).
    """
    owner: list[int] = []
    parts: list[str] = []
    for b, block in enumerate(blocks):
        compact = _compact(block.text)
        parts.append(compact)
        owner.extend([b] * len(compact))
    text = "".join(parts)
    hits: list[set] = [set() for _ in blocks]
    gold_chars = lost = 0
    found: Counter = Counter()
    total: Counter = Counter()
    for label, snippets in kinds:
        for snippet in snippets or []:
            key = _compact(snippet or "")
            if not key:
                continue
            total[label] += 1
            gold_chars += len(key)
            start = text.find(key)
            if start < 0:
                lost += len(key)
                continue
            found[label] += 1
            while start >= 0:
                for b in set(owner[start:start + len(key)]):
                    hits[b].add(label)
                start = text.find(key, start + 1)
    return hits, {"gold_chars": gold_chars, "gold_chars_lost": lost, "snippets": dict(total),
                  "snippets_found": dict(found)}


def transfer_trafilatura_eval(page, blocks: Sequence[Block]) -> Transfer:
    """trafilatura-eval: labels from the ``with`` / ``without`` / ``comments`` snippets.

    Rules:

    * Snippets are found in the blocks as described in :func:`snippet_hits` (compact
      text; a snippet may span blocks; every occurrence counts).
    * A block hit by snippets: ``with`` -> ``article``, ``comments`` -> ``comment``,
      ``without`` -> ``boilerplate`` (it lists menus, footers, teasers, share bars...
      without saying which); provenance "mapped".
    * A block hit by snippets of different kinds is a conflict and gets ``None``;
      blocks hit by no snippet get ``None`` (the snippets are sparse).

    Gold characters are the snippets' compact characters; a snippet found nowhere is lost.
    The page's alignment is "failed" when fewer than half of its snippets were found.
    """
    gold = page.gold
    hits, found = snippet_hits(blocks, [("article", gold.get("with")),
                                        ("comment", gold.get("comments")),
                                        ("boilerplate", gold.get("without"))])
    labels: list[str | None] = []
    provenance: list[str | None] = []
    conflicts = 0
    for kinds in hits:
        if len(kinds) == 1:
            labels.append(next(iter(kinds)))
            provenance.append("mapped")
        else:
            conflicts += len(kinds) > 1
            labels.append(None)
            provenance.append(None)
    names = {"article": "with", "comment": "comments", "boilerplate": "without"}
    total = sum(found["snippets"].values())
    got = sum(found["snippets_found"].values())
    stats = {
        "gold_unit": "snippet_chars", "gold_chars": found["gold_chars"],
        "gold_chars_lost": found["gold_chars_lost"],
        "snippets": {names[k]: v for k, v in found["snippets"].items()},
        "snippets_found": {names[k]: v for k, v in found["snippets_found"].items()},
        "conflicts": conflicts,
        "gold_coverage": round(got / total, 4) if total else None,
        "alignment": "aligned" if 2 * got >= total > 0 else "failed",
    }
    return Transfer(labels, provenance, stats)
