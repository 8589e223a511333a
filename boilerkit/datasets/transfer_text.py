"""Label transfer of the text-gold sources: Dragnet, CleanEval, CleanPortalEval, Big9 +
Chaos, Readability, fundus-eval, fundus-tests, Postlight fixtures and WCXB.

Their gold is the text of the article (and, for Dragnet, of the comments).  The shared
engine (:func:`_text_transfer`) aligns the page's word tokens to the gold's
(:func:`boilerkit.datasets.alignment.covered_tokens`) and labels each block by the share
of its tokens that the alignment covers.  One ``transfer_*`` function per source says
which gold text goes in; the shared rules are appended to each one's docstring.
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

from ..blocks import Block, build_blocks
from .alignment import covered_tokens, tokenize
from .postlight import postlight_article_text
from .repair import fix_utf16
from .transfer_common import TEXT_MATCH_THRESHOLD, Transfer, parse_gold_html, vote
from .transfer_snippets import snippet_hits

__all__ = ["transfer_dragnet", "transfer_cleaneval", "transfer_big9_chaos",
           "transfer_readability", "transfer_fundus", "transfer_postlight", "transfer_wcxb"]


# =========================================================================== shared engine

def _text_transfer(blocks: Sequence[Block], golds: Sequence[tuple[str, str]]) -> Transfer:
    """Shared engine of the text-level sources (see :func:`transfer_dragnet`)."""
    n = len(blocks)
    page_tokens: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for block in blocks:
        starts.append(len(page_tokens))
        page_tokens.extend(tokenize(block.text))
        ends.append(len(page_tokens))
    gold_tokens: list[str] = []
    gold_label: list[str] = []
    for label, text in golds:
        toks = tokenize(fix_utf16(text or ""))
        gold_tokens.extend(toks)
        gold_label.extend([label] * len(toks))
    covered, how, short = covered_tokens(page_tokens, starts, ends, gold_tokens)

    labels: list[str | None] = [None] * n
    provenance: list[str | None] = [None] * n
    tokenless = []
    for b in range(n):
        size = ends[b] - starts[b]
        if size == 0:
            tokenless.append(b)
            continue
        by_label: Counter = Counter(gold_label[g] for g in covered[b].values())
        if sum(by_label.values()) / size >= TEXT_MATCH_THRESHOLD:
            labels[b], provenance[b] = vote(by_label), "mapped"
        else:
            labels[b], provenance[b] = "boilerplate", "rule"
    # token-less blocks (symbols only): the label of their neighbours when both agree
    for b in tokenless:
        prev = next((labels[x] for x in range(b - 1, -1, -1) if starts[x] != ends[x]), None)
        nxt = next((labels[x] for x in range(b + 1, n) if starts[x] != ends[x]), None)
        if prev is not None and prev == nxt:
            labels[b], provenance[b] = prev, "rule"

    gold_chars = sum(len(t) for t in gold_tokens)
    received: set[int] = set()
    for b in range(n):
        if labels[b] is not None:
            received.update(g for g in covered[b].values() if gold_label[g] == labels[b])
    lost = gold_chars - sum(len(gold_tokens[g]) for g in received)
    found: set[int] = set()
    for b in range(n):
        found.update(covered[b].values())
    stats = {
        "gold_unit": "token_chars", "gold_chars": gold_chars, "gold_chars_lost": lost,
        "gold_tokens": len(gold_tokens), "gold_tokens_lost": len(gold_tokens) - len(received),
        # share of the gold's tokens found in the page at all: low when the gold belongs
        # to another page (see corpus.MIN_GOLD_COVERAGE)
        "gold_coverage": round(len(found) / len(gold_tokens), 4) if gold_tokens else None,
        "page_tokens": len(page_tokens), "aligner": how, "tokenless_blocks": len(tokenless),
        "short_block_tokens": short,
        "alignment": "aligned" if gold_tokens else "failed",
    }
    if not gold_tokens:
        stats["reason"] = "empty gold"
    return Transfer(labels, provenance, stats)


_TEXT_RULES = """
    Rules (shared by all text-level sources):

    * Tokens: lowercase word tokens (runs of letters/digits); each CJK character is one
      token.  The page's token sequence is the concatenation of its blocks' tokens.
    * The page tokens are aligned to the gold tokens by a longest common subsequence
      (order-preserving, each gold token used at most once, so a menu word is not covered
      just because the word occurs somewhere in the gold; among equally long alignments
      the latest occurrences win, e.g. the headline next to the body rather than a copy in
      a teaser list above it).  Pages whose alignment would need more than
      ``MAX_LCS_BITS`` bits fall back to difflib's greedy matcher.
    * A page token counts as covered only inside a run of at least ``MIN_RUN`` (3) tokens
      that are consecutive on both sides, or when the run covers the whole of a block
      shorter than 3 tokens.
    * A block whose covered tokens are at least ``TEXT_MATCH_THRESHOLD`` (0.5) of its
      tokens takes the gold's label (the larger one if it mixes gold parts): provenance
      "mapped".  Every other block with tokens -> ``boilerplate``, provenance "rule".
    * Blocks without tokens (only symbols: "|", "»") take the label of their nearest
      blocks with tokens when the previous and the next agree (provenance "rule"), else
      ``None``.
    * ``gold_chars``: characters of the gold tokens; ``gold_chars_lost``: those not
      aligned to a block that ended up with the gold's label.
"""


def transfer_dragnet(page, blocks: Sequence[Block]) -> Transfer:
    """Dragnet: article text -> ``article``, comment text -> ``comment``.

    ``gold["article"]`` and ``gold["comments"]`` (the text after the hand-typed
    ``COMMENTS`` separator) are concatenated in that order and aligned together, each
    gold token keeping its part.  Non-matched blocks -> ``boilerplate``.
    """
    return _text_transfer(blocks, [("article", page.gold.get("article", "")),
                                   ("comment", page.gold.get("comments", ""))])


def transfer_cleaneval(page, blocks: Sequence[Block]) -> Transfer:
    """CleanEval / CleanPortalEval: ``gold["article"]`` (the kept segments) -> ``article``.

    CleanEval's annotators kept most running text, including some comments and lists;
    those blocks become ``article`` too (conversion note).  Non-matched blocks ->
    ``boilerplate``.
    """
    return _text_transfer(blocks, [("article", page.gold.get("article", ""))])


def transfer_big9_chaos(page, blocks: Sequence[Block]) -> Transfer:
    """Big9 + Chaos: the plain main text ``gold["article"]`` -> ``article``; non-matched
    blocks -> ``boilerplate``."""
    return _text_transfer(blocks, [("article", page.gold.get("article", ""))])


def transfer_readability(page, blocks: Sequence[Block]) -> Transfer:
    """Readability: the text of ``gold["expected_html"]`` -> ``article``.

    The expected HTML (Readability.js output) is cut into blocks like a page and its
    block texts are the gold text.  It keeps images/captions and drops comments and
    related boxes, and it leaves out the headline and the byline, which Readability
    returns as metadata: the ``title`` and ``byline`` of ``gold["metadata"]`` are put in
    front of the gold text, so that the headline and byline blocks become ``article``
    (GUIDELINE §2; among several copies of the headline the alignment takes the one
    nearest the body).  Non-matched blocks -> ``boilerplate``.
    """
    root = parse_gold_html(page.gold["expected_html"])
    text = "\n".join(b.text for b in build_blocks(root)) if root is not None else ""
    meta = page.gold.get("metadata") or {}
    head = [str(meta.get(key) or "") for key in ("title", "byline")]
    return _text_transfer(blocks, [("article", head[0]), ("article", head[1]),
                                   ("article", text)])


for _func in (transfer_dragnet, transfer_cleaneval, transfer_big9_chaos,
              transfer_readability):
    _func.__doc__ = (_func.__doc__ or "") + "\n" + _TEXT_RULES


# =========================================================================== modern sources

def _strip_optional(paragraph: str) -> str:
    """A fundus-eval paragraph without the ``[...]`` that marks it optional."""
    text = paragraph.strip()
    if text.startswith("[") and text.endswith("]"):
        return text[1:-1]
    return text


def transfer_fundus(page, blocks: Sequence[Block]) -> Transfer:
    """fundus-eval and fundus-tests: the title and the body paragraphs -> ``article``.

    The gold body leaves out the headline, which the guideline counts as article, so the
    gold ``title`` is put in front of the body (fundus-eval has no title: its loader takes
    the page's ``og:title``); among several copies of the headline the alignment takes the
    one nearest the body.  Optional ``[...]`` paragraphs of fundus-eval count as article
    (brackets removed).  Non-matched blocks -> ``boilerplate`` (not article, class
    unknown).
    """
    body = "\n".join(_strip_optional(p) for p in page.gold.get("body") or [])
    return _text_transfer(blocks, [("article", page.gold.get("title") or ""),
                                   ("article", body)])


def transfer_postlight(page, blocks: Sequence[Block]) -> Transfer:
    """Postlight Parser fixtures: text of the content container(s) -> ``article``.

    The per-site ``selectors`` pick the container
    (:func:`~boilerkit.datasets.postlight.postlight_containers`), the ``clean`` selectors
    inside it are not article; the remaining text, with the expected ``title`` in front
    (the headline sits outside the container on most sites), is the gold text.
    Non-matched blocks -> ``boilerplate``.  Postlight's JavaScript transforms and generic
    cleaner are not reproduced.  A page whose rules match no container has an empty gold
    (alignment "failed").
    """
    gold = page.gold
    text = postlight_article_text(page.html, gold.get("selectors") or [], gold.get("clean") or [])
    result = _text_transfer(blocks, [("article", gold.get("title") or ""), ("article", text)])
    result.stats["container_found"] = bool(text)
    if not text:
        result.stats.update(alignment="failed", reason="content rules matched no container")
    return result


#: WCXB page types whose ``main_content`` is list cards (teaser to the guideline) below
#: the page's own intro (article).
LIST_PAGE_TYPES = frozenset({"listing", "collection"})
#: Provenance of the article labels that WCXB's main content gives such pages.
LIST_PROVENANCE = "mapped-list"


def transfer_wcxb(page, blocks: Sequence[Block]) -> Transfer:
    """WCXB: the title and ``main_content`` -> ``article``; ``without`` snippets ->
    ``boilerplate``.

    * The title and the main text are aligned like the other text sources; matched blocks
      -> ``article`` ("mapped"), the others -> ``boilerplate`` ("rule").
    * Blocks hit by a ``without`` snippet (menus, ads, cookie banners, footers) ->
      ``boilerplate`` with provenance "mapped"; a block that the alignment made article
      and a ``without`` snippet hits is a conflict -> ``None``.
    * Forum pages: WCXB counts every post as main content, the guideline makes the first
      post article and the replies comment; the transfer cannot tell them apart, so
      matched blocks of ``forum`` pages get ``None`` (left to review).
    * Listing and collection pages: WCXB counts the cards as main content, the guideline
      makes the page's own title and description article and the cards teaser.  Every
      ``article`` block of such a page (the title, the intro and symbol-only blocks
      between cards too: the transfer cannot tell them apart) keeps its label, with
      provenance ``"mapped-list"``, so that a consumer can leave them out
      (``--label-map article@mapped-list=``).
    """
    gold = page.gold
    result = _text_transfer(blocks, [("article", gold.get("title") or ""),
                                     ("article", gold.get("main_content") or "")])
    hits, found = snippet_hits(blocks, [("boilerplate", gold.get("without"))])
    labels, provenance = result.labels, result.provenance
    conflicts = forum = listed = 0
    for b, kinds in enumerate(hits):
        if not kinds:
            continue
        if labels[b] == "article":
            labels[b] = provenance[b] = None
            conflicts += 1
        else:
            labels[b], provenance[b] = "boilerplate", "mapped"
    page_type = gold.get("page_type")
    articles = [b for b, label in enumerate(labels) if label == "article"]
    if page_type == "forum":
        for b in articles:
            labels[b] = provenance[b] = None
        forum = len(articles)
    elif page_type in LIST_PAGE_TYPES:
        for b in articles:
            provenance[b] = LIST_PROVENANCE
        listed = len(articles)
    result.stats.update(without_snippets=found["snippets"].get("boilerplate", 0),
                        without_found=found["snippets_found"].get("boilerplate", 0),
                        without_conflicts=conflicts, forum_posts_unlabelled=forum,
                        list_cards_marked=listed)
    return result
