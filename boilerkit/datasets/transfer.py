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
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import lxml.etree

from ..blocks import Block, build_blocks
from ..errors import BoilerkitError
from ..labels import DEFAULT_LABELS, PARTIAL_LABEL
from ..parse import parse_html
from .alignment import MIN_RUN  # noqa: F401  (re-exported)
from .alignment import (align_block_texts, covered_tokens, iter_tokens, match_anywhere,
                        match_key, tokenize)

__all__ = ["LABELS", "Transfer", "transfer_labels", "tokenize", "TEXT_MATCH_THRESHOLD",
           "MIN_RUN"]

#: Every label a transfer can produce (besides ``None``).
LABELS = DEFAULT_LABELS + (PARTIAL_LABEL,)

#: Share of a block's tokens that must be aligned to the gold text for the block to take
#: the gold's label (text-level sources).
TEXT_MATCH_THRESHOLD = 0.5

# Ties in a majority vote go to the earlier entry; ``None`` loses every tie.
_PRIORITY = {"article": 0, "comment": 1, "teaser": 2, "navigation": 3, "boilerplate": 4,
             None: 9}


@dataclass
class Transfer:
    """The labels transferred onto the blocks of one page."""

    labels: list[str | None]
    provenance: list[str | None]
    stats: dict = field(default_factory=dict)


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


# =========================================================================== helpers

_NONSPACE = re.compile(r"\S")
_PUA = 0xE000  # private-use code points used to encode classes into block text
_XML_BAD_SPACE = {c: " " for c in (0x0B, 0x0C, 0x1C, 0x1D, 0x1E, 0x1F)}
_XML_BAD_CHAR = re.compile("[\x00-\x08\x0e-\x1f\ufffe\uffff]")


def _parse_gold_html(data: bytes | str):
    """Parse an annotated/gold page; ``None`` when it cannot be parsed."""
    try:
        return parse_html(data, max_bytes=None)
    except BoilerkitError:
        return None


def _encoder(code: int) -> Callable[[str], str]:
    char = chr(_PUA + code)

    def encode(text: str) -> str:
        # whitespace that XML forbids (\v, \f, \x1c-\x1f) becomes a space: lxml would
        # refuse it, and build_blocks collapses whitespace anyway
        return _NONSPACE.sub(char, text).translate(_XML_BAD_SPACE)
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


def _vote(label_chars: dict) -> str | None:
    """Label with the most characters; ties go by :data:`_PRIORITY` (``None`` last)."""
    if not label_chars:
        return None
    return min(label_chars, key=lambda lab: (-label_chars[lab], _PRIORITY[lab]))


def _transfer_classed(blocks: Sequence[Block], root, classify, default: int,
                      classes: dict[int, tuple[str | None, str | None]],
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
    src_labels: list[tuple[str | None, str | None]] = []
    for code in coded:
        count = Counter(code)
        count.pop(" ", None)
        count = Counter({ord(ch) - _PUA: v for ch, v in count.items()})
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


def _label_of(count: Counter, classes) -> tuple[str | None, str | None]:
    """Majority label (and its majority provenance) of a Counter class -> characters."""
    by_label: Counter = Counter()
    by_prov: Counter = Counter()
    for cls, chars in count.items():
        label, prov = classes.get(cls, (None, None))
        by_label[label] += chars
        by_prov[(label, prov)] += chars
    label = _vote(by_label)
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
_L3S_CLASSES = {
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
    root = _parse_gold_html(page.gold["annotated_html"])
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
_KZ_CLASSES = {code: pair for pair, code in _KZ_CODES.items()}
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


_MOJIBAKE_HINT = re.compile(
    "[\u0080-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013-\u203a\u20ac\u2122\u0400-\u045f\u0490\u0491]{2}")


def _legacy_bytes(text: str, encoding: str) -> bytes:
    """``text`` as the bytes it was mis-decoded from (code points below 256 map to
    themselves, as browsers do for bytes that the legacy code page leaves undefined)."""
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        out = bytearray()
        for ch in text:
            if ch == "\ufffd":
                out += b"?"
            else:
                out += bytes([ord(ch)]) if ord(ch) < 256 else ch.encode(encoding)
        return bytes(out)


def unmojibake(text: str, rounds: int = 3) -> str:
    """Undo UTF-8 text that was decoded as Windows-1252 or -1251 (up to ``rounds`` times).

    A round is accepted when the legacy bytes decode as UTF-8, or decode with at most one
    replacement character per three non-ASCII characters (the C1 characters of the
    mojibake are often lost); otherwise the text is returned as it is.
    """
    for _ in range(rounds):
        if not _MOJIBAKE_HINT.search(text):
            break
        for encoding in ("cp1252", "cp1251"):
            try:
                raw = _legacy_bytes(text, encoding)
            except UnicodeEncodeError:
                continue
            try:
                fixed = raw.decode("utf-8")
            except UnicodeDecodeError:
                fixed = raw.decode("utf-8", errors="replace")
                bad = fixed.count("\ufffd")
                non_ascii = sum(1 for ch in fixed if ord(ch) > 127)
                if bad * 3 > non_ascii or non_ascii == bad:
                    continue
            if fixed != text:
                text = fixed
                break
        else:
            break
    return text


def _unmojibake_tree(root) -> int:
    """Repair mojibake text nodes in place; return how many were changed."""
    changed = 0
    for element in root.iter():
        for attr in ("text", "tail"):
            value = getattr(element, attr)
            if value and _MOJIBAKE_HINT.search(value):
                fixed = unmojibake(value)
                if fixed != value:
                    setattr(element, attr, _XML_BAD_CHAR.sub("", fixed.translate(_XML_BAD_SPACE)))
                    changed += 1
    return changed


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
      UTF-8 are repaired first (:func:`unmojibake`).

    Gold characters are those under an element with a mapped type.
    """
    root = _parse_gold_html(page.gold["blocks_html"])
    repaired = _unmojibake_tree(root) if root is not None else 0
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
    root = _parse_gold_html(page.gold["annotated_html"])
    return _transfer_classed(blocks, root, _canola_classify, _KRD_NONE, _KRD_CLASSES,
                             gold_classes=(1, 2, 3))


# =========================================================================== text gold

def _fix_utf16(text: str) -> str:
    """Gold text that is UTF-16 read as a single-byte code page (starts with the BOM
    read as ``ÿþ``/``þÿ``) decoded properly; other text unchanged."""
    if text[:2] in ("\u00ff\u00fe", "\u00fe\u00ff") or text.count("\x00") > len(text) // 4 > 0:
        try:
            return _legacy_bytes(text, "cp1252").decode("utf-16")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return text


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
        toks = tokenize(_fix_utf16(text or ""))
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
            labels[b], provenance[b] = _vote(by_label), "mapped"
        else:
            labels[b], provenance[b] = "boilerplate", "rule"
    # token-less blocks (symbols only): the label of their neighbours when both agree
    for b in tokenless:
        prev = next((labels[x] for x in range(b - 1, -1, -1) if starts[x] != ends[x]), None)
        nxt = next((labels[x] for x in range(b + 1, n) if starts[x] != ends[x]), None)
        if prev is not None and prev == nxt:
            labels[b], provenance[b] = prev, "rule"

    gold_chars = sum(len(t) for t in gold_tokens)
    received = set()
    for b in range(n):
        if labels[b] is not None:
            received.update(g for g in covered[b].values() if gold_label[g] == labels[b])
    lost = gold_chars - sum(len(gold_tokens[g]) for g in received)
    found = set()
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
    root = _parse_gold_html(page.gold["expected_html"])
    text = "\n".join(b.text for b in build_blocks(root)) if root is not None else ""
    meta = page.gold.get("metadata") or {}
    head = [str(meta.get(key) or "") for key in ("title", "byline")]
    return _text_transfer(blocks, [("article", head[0]), ("article", head[1]),
                                   ("article", text)])


for _func in (transfer_dragnet, transfer_cleaneval, transfer_big9_chaos,
              transfer_readability):
    _func.__doc__ = (_func.__doc__ or "") + "\n" + _TEXT_RULES


# =========================================================================== trafilatura

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"',
                         "\u00bb": '"', "\u2013": "-", "\u2014": "-", "\u00ad": None,
                         "\u200b": None})


def _compact(text: str) -> str:
    """Casefolded text without whitespace, with quotes and dashes unified."""
    return "".join(text.translate(_QUOTES).casefold().split())


def _snippet_hits(blocks: Sequence[Block], kinds) -> tuple[list[set], dict]:
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

    * Snippets are found in the blocks as described in :func:`_snippet_hits` (compact
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
    hits, found = _snippet_hits(blocks, [("article", gold.get("with")),
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


_SKIP_TEXT = ("script", "style", "noscript", "template")


def _css(root, selector: str) -> list:
    from lxml.cssselect import CSSSelector         # needs the cssselect package
    from cssselect import SelectorError

    try:
        return CSSSelector(selector, translator="html")(root)
    except (SelectorError, ValueError, AssertionError):
        return []                                   # selectors cssselect cannot read


def _has_text(element) -> bool:
    return bool("".join(element.itertext()).strip())


def postlight_containers(root, selectors) -> list:
    """The article container(s) that Postlight's content rules pick in ``root``.

    As the parser does: the first selector that matches exactly one element with text
    wins; a nested list is a multi-match selector, used when each of its parts matches
    something: then every element any part matches is taken, in document order (an
    element inside another taken one only once, through its ancestor).
    """
    for selector in selectors:
        if isinstance(selector, list):
            parts = [_css(root, s) for s in selector if isinstance(s, str)]
            if parts and all(parts):
                chosen = {id(e): e for part in parts for e in part}
                found = [e for e in root.iter() if id(e) in chosen]
                picked = set()
                out = []
                for element in found:            # document order
                    if not any(id(a) in picked for a in element.iterancestors()):
                        picked.add(id(element))
                        out.append(element)
                if any(_has_text(e) for e in out):
                    return out
        elif isinstance(selector, str):
            found = _css(root, selector)
            if len(found) == 1 and _has_text(found[0]):
                return found
    return []


def _drop_keep_tail(element) -> None:
    """Remove ``element`` and its subtree, keeping its tail text in place."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _readable_text(element) -> str:
    """Text of a subtree, without comments and script/style/noscript/template content."""
    out: list[str] = []
    skip = 0
    for event, el in lxml.etree.iterwalk(element, events=("start", "end")):
        is_element = isinstance(el.tag, str)
        if event == "start":
            if is_element and el.tag in _SKIP_TEXT:
                skip += 1
            elif is_element and not skip and el.text:
                out.append(el.text)
        else:
            if is_element and el.tag in _SKIP_TEXT:
                skip -= 1
            if el is not element and not skip and el.tail:
                out.append(el.tail)
    return " ".join(" ".join(out).split())


def postlight_article_text(html: bytes, selectors, clean) -> str:
    """The article text Postlight's rules give: the container(s) minus the ``clean``
    elements inside them, without script/style/noscript/template text."""
    root = _parse_gold_html(html)
    if root is None:
        return ""
    texts = []
    for container in postlight_containers(root, selectors):
        for element in [e for sel in clean if isinstance(sel, str) for e in _css(container, sel)]:
            if element is not container:
                _drop_keep_tail(element)
        texts.append(_readable_text(container))
    return "\n".join(texts)


def transfer_postlight(page, blocks: Sequence[Block]) -> Transfer:
    """Postlight Parser fixtures: text of the content container(s) -> ``article``.

    The per-site ``selectors`` pick the container (:func:`postlight_containers`), the
    ``clean`` selectors inside it are not article; the remaining text, with the expected
    ``title`` in front (the headline sits outside the container on most sites), is the
    gold text.  Non-matched blocks -> ``boilerplate``.  Postlight's JavaScript transforms
    and generic cleaner are not reproduced.  A page whose rules match no container has an
    empty gold (alignment "failed").
    """
    gold = page.gold
    text = postlight_article_text(page.html, gold.get("selectors") or [], gold.get("clean") or [])
    result = _text_transfer(blocks, [("article", gold.get("title") or ""), ("article", text)])
    result.stats["container_found"] = bool(text)
    if not text:
        result.stats.update(alignment="failed", reason="content rules matched no container")
    return result


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
    """
    gold = page.gold
    result = _text_transfer(blocks, [("article", gold.get("title") or ""),
                                     ("article", gold.get("main_content") or "")])
    hits, found = _snippet_hits(blocks, [("boilerplate", gold.get("without"))])
    labels, provenance = result.labels, result.provenance
    conflicts = forum = 0
    for b, kinds in enumerate(hits):
        if not kinds:
            continue
        if labels[b] == "article":
            labels[b] = provenance[b] = None
            conflicts += 1
        else:
            labels[b], provenance[b] = "boilerplate", "mapped"
    if gold.get("page_type") == "forum":
        for b, label in enumerate(labels):
            if label == "article":
                labels[b] = provenance[b] = None
                forum += 1
    result.stats.update(without_snippets=found["snippets"].get("boilerplate", 0),
                        without_found=found["snippets_found"].get("boilerplate", 0),
                        without_conflicts=conflicts, forum_posts_unlabelled=forum)
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
