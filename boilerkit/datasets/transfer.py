"""Transfer the gold labels of the staged datasets onto boilerkit blocks.

:func:`transfer_labels` takes a :class:`~boilerkit.datasets.sources.SourcePage` and the
blocks of its original page (``build_blocks(parse_html(page.html))``) and returns a
:class:`Transfer`: one label per block, where the label came from, and statistics.

Labels
------
``article``, ``navigation``, ``teaser``, ``comment`` are the classes of
``datasets/GUIDELINE.md``.  ``boilerplate`` means "not article, but the source does not say
which of navigation/teaser/comment" (sources that only separate content from the rest,
GUIDELINE §7).  ``None`` means no decision: the block is ignored in training.

Provenance
----------
``"mapped"``: the label is the source's own gold label mapped to ours.  ``"rule"``: a
documented default of this module (e.g. unlabelled L3S text -> navigation, text that a
text-level gold does not contain -> boilerplate).  ``None`` exactly where the label is
``None``.

Statistics (``Transfer.stats``)
-------------------------------
Always present: ``blocks``, ``blocks_without_gold`` (blocks whose label is ``None``),
``gold_chars`` and ``gold_chars_lost``, ``gold_unit`` and ``alignment`` (``"identical"``,
``"aligned"`` or ``"failed"``).  Gold is counted in **non-whitespace characters**: for the
element-annotated sources (L3S, Kreuzer, CANOLA) the characters that carry a gold class in
the annotated page; for the text-level sources the characters of the gold's word tokens
(``gold_unit == "token_chars"``); for trafilatura-eval the characters of the snippets.
``gold_chars_lost`` is the part of it that no block received with its class: annotated
blocks that could not be aligned to an original block; gold tokens not aligned to a block
that ended up with the gold's label; snippets found in no block.  A page's ``alignment`` is
``"failed"`` when more than half of its gold was lost (trafilatura-eval: fewer than half of
its snippets found), or the annotated page could not be parsed; its blocks still get
whatever labels could be transferred.

Modules
-------
This module dispatches on the source; the rules live in one module per source family:
:mod:`.transfer_classed` (element-annotated: L3S-GN1, Kreuzer, CANOLA),
:mod:`.transfer_text` (text gold: Dragnet, CleanEval, Big9 + Chaos, Readability, fundus,
Postlight fixtures, WCXB) and :mod:`.transfer_snippets` (trafilatura-eval).  They share
:mod:`.transfer_common` and :mod:`.repair`, and align texts with :mod:`.alignment`, which
knows nothing about datasets.
"""

from __future__ import annotations

from collections import Counter
from typing import Callable, Sequence

from ..blocks import Block
from .alignment import MIN_RUN, tokenize  # noqa: F401  (re-exported)
from .postlight import postlight_article_text, postlight_containers  # noqa: F401  (re-exported)
from .transfer_classed import transfer_canola, transfer_kreuzer, transfer_l3s_gn1
from .transfer_common import LABELS, TEXT_MATCH_THRESHOLD, Transfer
from .transfer_snippets import transfer_trafilatura_eval
from .transfer_text import (transfer_big9_chaos, transfer_cleaneval, transfer_dragnet,
                            transfer_fundus, transfer_postlight, transfer_readability,
                            transfer_wcxb)

__all__ = ["LABELS", "Transfer", "transfer_labels", "tokenize", "TEXT_MATCH_THRESHOLD",
           "MIN_RUN"]


def transfer_labels(page, blocks: Sequence[Block]) -> Transfer:
    """Labels for ``blocks`` (the blocks of ``page.html``) from the gold of ``page``.

    Dispatches on ``page.source`` to one function per source; see each function's
    docstring for its rules.
    """
    try:
        func = _TRANSFERS[page.source]
    except KeyError:
        raise KeyError(f"no label transfer for source {page.source!r}; "
                       f"known: {', '.join(_TRANSFERS)}") from None
    result = func(page, list(blocks))
    stats = result.stats
    stats["blocks"] = len(blocks)
    stats["blocks_without_gold"] = sum(1 for label in result.labels if label is None)
    stats["labelled"] = dict(Counter(label for label in result.labels if label is not None))
    stats["provenance"] = dict(Counter(p for p in result.provenance if p is not None))
    stats.setdefault("gold_chars", 0)
    stats.setdefault("gold_chars_lost", 0)
    if stats.get("alignment") != "failed" and stats.get("gold_unit") != "snippet_chars":
        if stats["gold_chars"] and stats["gold_chars_lost"] > stats["gold_chars"] / 2:
            stats["alignment"] = "failed"
    stats.setdefault("alignment", "aligned")
    assert len(result.labels) == len(blocks) == len(result.provenance)
    return result


_TRANSFERS: dict[str, Callable] = {
    "l3s-gn1": transfer_l3s_gn1,
    "kreuzer": transfer_kreuzer,
    "canola": transfer_canola,
    "dragnet": transfer_dragnet,
    "cleaneval": transfer_cleaneval,
    "cleanportaleval": transfer_cleaneval,
    "big9-chaos": transfer_big9_chaos,
    "readability": transfer_readability,
    "trafilatura-eval": transfer_trafilatura_eval,
    "fundus-eval": transfer_fundus,
    "fundus-tests": transfer_fundus,
    "postlight-fixtures": transfer_postlight,
    "wcxb": transfer_wcxb,
}
