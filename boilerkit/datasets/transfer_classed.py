"""Label transfer of the element-annotated sources: L3S-GN1, Kreuzer and CANOLA.

Their gold marks elements of an annotated copy of the page (classes or attributes).  The
shared engine (:func:`_transfer_classed`) encodes each character's class into the text of
that copy, cuts it into blocks, votes a label per block, and carries the labels to the
original page's blocks by aligning the two block sequences
(:mod:`boilerkit.datasets.alignment`).  One ``transfer_*`` function per source says how
its classes map to labels.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Callable, Iterable, Sequence, TypeAlias

import lxml.etree

from ..blocks import Block, build_blocks
from .alignment import (align_block_texts, covered_tokens, iter_tokens, match_anywhere,
                        match_key, tokenize)
from .repair import XML_BAD_SPACE, unmojibake_tree
from .transfer_common import TEXT_MATCH_THRESHOLD, Transfer, parse_gold_html, vote

#: A source class as ``(label, provenance)``; ``(None, None)`` for no label.
ClassPair: TypeAlias = tuple[str | None, str | None]

__all__ = ["transfer_l3s_gn1", "transfer_kreuzer", "transfer_canola"]

_NONSPACE = re.compile(r"\S")
_PUA = 0xE000  # private-use code points used to encode classes into block text


# =========================================================================== shared engine

def _encoder(code: int) -> Callable[[str], str]:
    char = chr(_PUA + code)

    def encode(text: str) -> str:
        # whitespace that XML forbids (\v, \f, \x1c-\x1f) becomes a space: lxml would
        # refuse it, and build_blocks collapses whitespace anyway
        return _NONSPACE.sub(char, text).translate(XML_BAD_SPACE)
    return encode


def _encode_tree(root, classify: Callable[[lxml.etree._Element], int | None],
                 default: int) -> None:
    """Replace every non-whitespace character of the tree's text by a code point that
    encodes the class of its innermost classified ancestor (``classify`` returns a class
    number for an element that sets a class, ``None`` for one that inherits).

    Whitespace is kept, so :func:`build_blocks` cuts the encoded tree into exactly the
    same blocks as before, and each block's text then lists its characters' classes.
    """
    encoders: dict[int, Callable[[str], str]] = {}

    def enc(text: str, code: int) -> str:
        func = encoders.get(code)
        if func is None:
            func = encoders[code] = _encoder(code)
        return func(text)

    stack = [default]
    for event, element in lxml.etree.iterwalk(root, events=("start", "end")):
        if not isinstance(element.tag, str):
            if event == "end" and element.tail:
                element.tail = enc(element.tail, stack[-1])
            continue
        if event == "start":
            own = classify(element)
            code = stack[-1] if own is None else own
            stack.append(code)
            if element.text:
                element.text = enc(element.text, code)
            if element.tag == "input" and element.get("value"):
                element.set("value", enc(element.get("value"), code))
        else:
            stack.pop()
            if element.tail:
                element.tail = enc(element.tail, stack[-1])


def _classed_blocks(root, classify, default: int) -> tuple[list[str], list[str]] | None:
    """Blocks of ``root`` as ``(texts, coded texts)``: ``coded[i][k]`` is
    ``chr(_PUA + class)`` of the character ``texts[i][k]`` (spaces stay spaces).

    ``root`` is modified (its text is encoded).  ``None`` if the encoded tree did not give
    the same blocks (should not happen).
    """
    texts = [b.text for b in build_blocks(root)]
    _encode_tree(root, classify, default)
    coded = [b.text for b in build_blocks(root)]
    if len(coded) != len(texts) or any(len(a) != len(b) for a, b in zip(texts, coded)):
        return None
    return texts, coded


def _transfer_classed(blocks: Sequence[Block], root, classify, default: int,
                      classes: dict[int, ClassPair],
                      gold_classes: Iterable[int], *, anywhere: bool = False) -> Transfer:
    """Shared engine of the element-annotated sources (L3S, Kreuzer, CANOLA).

    1. Blocks are built on the annotated tree with per-character classes (innermost
       classified ancestor, see :func:`_encode_tree`); each annotated block takes the
       label of the majority of its characters (``classes`` maps a class number to
       ``(label, provenance)``; ties: article > comment > teaser > navigation >
       boilerplate > no label).
    2. Original blocks whose matching key equals that of an annotated block in a
       difflib alignment of the two block sequences take that block's label.
    3. The remaining original blocks (the annotated copy split, merged or changed them)
       are aligned word by word to the remaining annotated blocks (the longest common
       subsequence of tokens, counting tokens in runs as for the text sources); such a
       block takes the majority label of its aligned tokens' characters when at least
       half of its tokens are aligned.
    4. With ``anywhere``, blocks still unmatched take the label of an unused annotated
       block with the same key anywhere in the page.
    Other original blocks get ``None``.
    """
    n = len(blocks)
    gold_classes = set(gold_classes)
    stats: dict = {"gold_unit": "chars"}
    if root is None:
        stats.update(alignment="failed", reason="annotated page could not be parsed")
        return Transfer([None] * n, [None] * n, stats)
    found = _classed_blocks(root, classify, default)
    if found is None:
        stats.update(alignment="failed", reason="encoded tree gave different blocks")
        return Transfer([None] * n, [None] * n, stats)
    texts, coded = found
    counts = []
    src_labels: list[ClassPair] = []
    for code in coded:
        by_char = Counter(code)
        by_char.pop(" ", None)
        count = Counter({ord(ch) - _PUA: v for ch, v in by_char.items()})
        counts.append(count)
        src_labels.append(_label_of(count, classes))

    dst_texts = [b.text for b in blocks]
    mapping, how = align_block_texts(texts, dst_texts)
    labels: list[str | None] = [None] * n
    provenance: list[str | None] = [None] * n
    for j, i in enumerate(mapping):
        if i is not None:
            labels[j], provenance[j] = src_labels[i]
    used = [False] * len(texts)
    for i in mapping:
        if i is not None:
            used[i] = True
    received = [1.0 if u else 0.0 for u in used]   # share of each annotated block received
    by_tokens_set: set[int] = set()
    if how != "identical" and None in mapping:
        by_tokens_set = _token_fallback(texts, coded, used, received, dst_texts, mapping,
                                        classes, labels, provenance)
    by_key = 0
    if anywhere and None in mapping:
        keys_a = [match_key(t) for t in texts]
        keys_b = [match_key(t) if labels[j] is None and mapping[j] is None else ""
                  for j, t in enumerate(dst_texts)]
        before = list(mapping)
        by_key = match_anywhere(keys_a, keys_b, mapping, used)
        for j, i in enumerate(mapping):
            if before[j] is None and i is not None:
                labels[j], provenance[j] = src_labels[i]
                received[i] = 1.0

    gold_chars = lost = outvoted = 0.0
    for i, count in enumerate(counts):
        chars = sum(v for k, v in count.items() if k in gold_classes)
        gold_chars += chars
        lost += chars * (1.0 - received[i])
        if used[i]:
            outvoted += sum(v for k, v in count.items() if k in gold_classes
                            and classes.get(k, (None,))[0] != src_labels[i][0])
    stats.update(
        alignment=how, gold_chars=int(gold_chars), gold_chars_lost=int(round(lost)),
        gold_chars_outvoted=int(outvoted), gold_blocks=len(texts),
        blocks_by_key=sum(1 for i in mapping if i is not None) - by_key,
        blocks_by_tokens=len(by_tokens_set), blocks_by_key_anywhere=by_key,
        blocks_unmatched=sum(1 for j in range(n)
                             if mapping[j] is None and j not in by_tokens_set),
    )
    return Transfer(labels, provenance, stats)


def _label_of(count: Counter, classes) -> ClassPair:
    """Majority label (and its majority provenance) of a Counter class -> characters."""
    by_label: Counter = Counter()
    by_prov: Counter = Counter()
    for cls, chars in count.items():
        label, prov = classes.get(cls, (None, None))
        by_label[label] += chars
        by_prov[(label, prov)] += chars
    label = vote(by_label)
    if label is None:
        return None, None
    prov = max((p for (lab, p) in by_prov if lab == label),
               key=lambda p: (by_prov[(label, p)], p == "mapped"))
    return label, prov


def _token_fallback(texts, coded, used, received, dst_texts, mapping, classes,
                    labels, provenance) -> set[int]:
    """Step 3 of :func:`_transfer_classed`; returns the original blocks it matched."""
    src_tokens: list[str] = []
    src_class: list[int] = []
    src_block: list[int] = []
    token_chars: Counter = Counter()
    for i, text in enumerate(texts):
        if used[i]:
            continue
        code = coded[i]
        for start, tok in iter_tokens(text):
            src_tokens.append(tok)
            src_class.append(ord(code[start]) - _PUA)
            src_block.append(i)
            token_chars[i] += len(tok)
    todo = [j for j, i in enumerate(mapping) if i is None]
    dst_tokens: list[str] = []
    starts, ends = [], []
    for j in todo:
        starts.append(len(dst_tokens))
        dst_tokens.extend(tokenize(dst_texts[j]))
        ends.append(len(dst_tokens))
    if not src_tokens or not dst_tokens:
        return set()
    covered, _, _ = covered_tokens(dst_tokens, starts, ends, src_tokens)
    done: set[int] = set()
    got: Counter = Counter()
    for k, j in enumerate(todo):
        size = ends[k] - starts[k]
        if not size or len(covered[k]) / size < TEXT_MATCH_THRESHOLD:
            continue
        count: Counter = Counter()
        for p, g in covered[k].items():
            count[src_class[g]] += len(src_tokens[g])
            got[src_block[g]] += len(src_tokens[g])
        labels[j], provenance[j] = _label_of(count, classes)
        done.add(j)
    for i, chars in got.items():
        received[i] = min(1.0, chars / token_chars[i]) if token_chars[i] else 0.0
    return done


# =========================================================================== L3S-GN1

_L3S_CLASS = re.compile(r"\bx-nc-sel(\d)\b")
_L3S_NONE = 9
_L3S_CLASSES: dict[int, ClassPair] = {
    0: ("navigation", "rule"), 1: ("article", "mapped"), 2: ("article", "mapped"),
    3: ("article", "mapped"), 4: ("teaser", "mapped"), 5: ("comment", "mapped"),
    _L3S_NONE: ("navigation", "rule"),
}


def _l3s_classify(element) -> int | None:
    cls = element.get("class")
    if cls and "x-nc-sel" in cls:
        m = _L3S_CLASS.search(cls)
        if m:
            return int(m.group(1))
    return None


def transfer_l3s_gn1(page, blocks: Sequence[Block]) -> Transfer:
    """L3S-GN1: labels from the ``x-nc-selN`` spans of ``gold["annotated_html"]``.

    Rules:

    * Each character of the annotated page takes the class of its innermost enclosing
      element whose ``class`` holds ``x-nc-selN`` (``x-nc-invisible`` is not a class).
    * Blocks are built on the annotated page (the spans are inline, so they are the
      blocks of the original); each annotated block takes the class of the majority of
      its characters, counted per label (ties: article > comment > teaser > navigation).
    * Mapping: ``x-nc-sel1`` (headline), ``x-nc-sel2`` (full text), ``x-nc-sel3``
      (supplemental: captions, bylines) -> ``article``; ``x-nc-sel4`` (related content)
      -> ``teaser``; ``x-nc-sel5`` (user comments) -> ``comment``: provenance "mapped".
      ``x-nc-sel0`` (not content) and text in no span -> ``navigation``: provenance
      "rule" (L3S does not separate navigation from other boilerplate; on the pages
      without ``x-nc-sel4``/``x-nc-sel5`` spans, teasers and comments are in there too).
    * The annotated blocks are carried to the original page's blocks by text: identical
      block sequences map 1:1 (``stats["alignment"] == "identical"``, 77 of 621 pages).
      Otherwise (the annotated copies lost non-ASCII characters to ``?``, gained spaces
      around inline tags, dropped collapsed submenus) original blocks whose matching key
      (casefolded, no whitespace, no ``?``/non-ASCII in mostly ASCII text) equals that of
      an annotated block in a difflib alignment take its label; the rest are aligned word
      by word (``stats["blocks_by_tokens"]``), see :func:`_transfer_classed`
      (``"aligned"``).  Original blocks with no counterpart (mostly menus missing from the
      annotated copy) get ``None`` (``stats["blocks_unmatched"]``).

    Gold characters are those inside an ``x-nc-sel*`` span.
    """
    root = parse_gold_html(page.gold["annotated_html"])
    return _transfer_classed(blocks, root, _l3s_classify, _L3S_NONE, _L3S_CLASSES,
                             gold_classes=range(6))


# =========================================================================== Kreuzer

_KZ_TYPES = {
    "menu": ("navigation", "mapped"), "header": ("navigation", "mapped"),
    "footer": ("navigation", "mapped"), "searchbar": ("navigation", "mapped"),
    "logo": ("navigation", "mapped"), "ad": ("navigation", "mapped"),
    "article": ("article", "mapped"), "content": ("article", "mapped"),
    "title": ("article", "mapped"), "author": ("article", "mapped"),
    "comments": ("comment", "mapped"),
    "linklist": ("navigation", "rule"), "sidebar": ("navigation", "rule"),
}
_KZ_INHERIT = frozenset({"image", "video", "table"})
_KZ_CODES = {
    ("article", "mapped"): 0, ("navigation", "mapped"): 1, ("navigation", "rule"): 2,
    ("comment", "mapped"): 3,
}
_KZ_NONE = 9
_KZ_CLASSES: dict[int, ClassPair] = {code: pair for pair, code in _KZ_CODES.items()}
_KZ_CLASSES[_KZ_NONE] = (None, None)


def _kreuzer_classify(element) -> int | None:
    kind = element.get("data-block-type")
    if not kind:
        return None
    kind = kind.strip().lower()
    if kind in _KZ_INHERIT:
        return None
    pair = _KZ_TYPES.get(kind)
    return _KZ_CODES[pair] if pair else None


def transfer_kreuzer(page, blocks: Sequence[Block]) -> Transfer:
    """Kreuzer segmentation: labels from ``data-block-type`` on the rendered DOM.

    Rules:

    * The labels sit on the browser-rendered DOM (``gold["blocks_html"]``), so blocks are
      built on that DOM.  Each character takes the type of its innermost ancestor-or-self
      element with a ``data-block-type`` (sub-blocks, ``data-block="2"``, win over their
      top-level block).
    * ``Menu``, ``Header``, ``Footer``, ``Searchbar``, ``Logo``, ``Ad`` -> ``navigation``;
      ``Article``, ``Content``, ``Title``, ``Author`` -> ``article``; ``Comments`` ->
      ``comment``: provenance "mapped".  ``LinkList`` and ``Sidebar`` -> ``navigation``
      with provenance "rule": they mix navigation and teaser lists and are flagged for
      review.  ``Image``, ``Video``, ``Table`` (and unknown types) take the type of
      the nearest typed ancestor above them, or none.  Text under no typed element has no
      label (``None``).
    * A rendered block takes the label of the majority of its characters (ties: article >
      comment > navigation > no label).
    * Labels are carried to the blocks of the raw ``.orig`` HTML by text (see
      :func:`_transfer_classed`): equal matching keys in a difflib alignment of the block
      sequences, then a word-by-word alignment for changed stretches, then an exact key
      lookup anywhere in the page for the blocks still unmatched (scripts may have moved
      content).  Original blocks with no
      counterpart get ``None``; ``stats["blocks_unmatched"]`` counts them.
    * Some rendered files hold their text as mojibake (UTF-8 read as Windows-1252, even
      twice, written as numeric character references); text nodes that re-decode as
      UTF-8 are repaired first (:func:`~boilerkit.datasets.repair.unmojibake`).

    Gold characters are those under an element with a mapped type.
    """
    root = parse_gold_html(page.gold["blocks_html"])
    repaired = unmojibake_tree(root) if root is not None else 0
    result = _transfer_classed(blocks, root, _kreuzer_classify, _KZ_NONE, _KZ_CLASSES,
                               gold_classes=_KZ_CODES.values(), anywhere=True)
    result.stats["mojibake_nodes_repaired"] = repaired
    return result


# =========================================================================== CANOLA

_KRD_CLASS = re.compile(r"\bkrdwrd-tag-(1|2|3|mrgtie)\b")
_KRD_CODES = {"1": 1, "2": 2, "3": 3, "mrgtie": 4}
_KRD_NONE = 9
_KRD_CLASSES = {1: ("boilerplate", "mapped"), 2: (None, None), 3: ("article", "mapped"),
                4: (None, None), _KRD_NONE: (None, None)}


def _canola_classify(element) -> int | None:
    cls = element.get("class")
    if cls and "krdwrd-tag" in cls:
        m = _KRD_CLASS.search(cls)
        if m:
            return _KRD_CODES[m.group(1)]
    return None


def transfer_canola(page, blocks: Sequence[Block]) -> Transfer:
    """KrdWrd CANOLA: labels from the ``krdwrd-tag-N`` classes of the merged file.

    Rules:

    * Each character takes the class of its innermost ancestor-or-self element whose
      ``class`` holds ``krdwrd-tag-N`` (KrdWrd wraps every text node in
      ``<kw class="krdwrd-tag-N">``).
    * ``krdwrd-tag-3`` (good) -> ``article``; ``krdwrd-tag-1`` (bad) -> ``boilerplate``
      (CANOLA does not say which kind of boilerplate): provenance "mapped".
      ``krdwrd-tag-2`` (unknown), ``krdwrd-tag-mrgtie`` (annotators tied) and untagged text
      -> no label.
    * A block takes the label of the majority of its characters, ``None`` included, so a
      block that is mostly "unknown" gets ``None`` (ties go to the label).
    * Blocks are built on ``gold["annotated_html"]`` and carried to the blocks of
      ``page.html`` (the same page with the KrdWrd markup removed): they are expected to
      be identical (``stats["alignment"] == "identical"``, 206 of 208 pages); otherwise
      the block texts are aligned as in :func:`_transfer_classed` (the cleaning also
      rewrites proxy URLs in the text).

    Gold characters are those with tag 1, 2 or 3.
    """
    root = parse_gold_html(page.gold["annotated_html"])
    return _transfer_classed(blocks, root, _canola_classify, _KRD_NONE, _KRD_CLASSES,
                             gold_classes=(1, 2, 3))
