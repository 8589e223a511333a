"""Align the text of two versions of a page: block to block, or token to token.

The engine knows nothing about datasets or labels; it takes strings and token lists and
says which parts correspond.

Block texts (:func:`align_block_texts`)
    Two sequences of block texts (say, the blocks of a page and those of an edited copy
    of it) are mapped block to block.  Identical sequences map 1:1.  Otherwise the
    blocks' matching keys (:func:`match_key`: casefolded, without whitespace, and without
    non-ASCII characters and ``?`` in mostly ASCII text) are aligned with
    ``difflib.SequenceMatcher`` and equal runs map 1:1; optionally, blocks of a replaced
    stretch are paired in order by character similarity, and blocks still unmatched take
    an unused block with the same key anywhere (:func:`match_anywhere`).

Tokens (:func:`covered_tokens`)
    A page's word tokens (:func:`tokenize`: lowercase letters/digits, one token per CJK
    character), cut into blocks, are aligned to a reference token sequence by a longest
    common subsequence: order-preserving, each reference token used at most once, the
    latest occurrences preferred among equally long alignments.  It is computed
    bit-parallel over Python integers (:func:`lcs_pairs`), or by difflib's greedy matcher
    when it would need more than :data:`MAX_LCS_BITS` bits.  A page token counts as
    covered only inside a run of at least :data:`MIN_RUN` tokens consecutive on both
    sides, or when its run covers the whole of a block shorter than that.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Iterator, Sequence

__all__ = ["MIN_RUN", "MAX_LCS_BITS", "match_key", "align_block_texts", "match_anywhere",
           "tokenize", "iter_tokens", "lcs_pairs", "covered_tokens"]

#: Aligned tokens count only inside runs of at least this many consecutive tokens (on both
#: sides), or when the run covers a whole block shorter than this.
MIN_RUN = 3
#: Above this many bits (page tokens x reference tokens) the exact LCS alignment would
#: need too much memory, and difflib's greedy matcher is used instead.
MAX_LCS_BITS = 400_000_000


# =========================================================================== block texts

_NON_ASCII = re.compile(r"[^\x21-\x3e\x40-\x7e]")  # also drops "?"


def match_key(text: str) -> str:
    """Matching key of a block text: casefolded, without whitespace, and, when the text
    is mostly ASCII, without its non-ASCII characters and ``?`` (edited copies often
    lost non-ASCII characters to ``?`` and gained spaces around inline tags)."""
    compact = "".join(text.casefold().split())
    ascii_only = _NON_ASCII.sub("", compact)
    if len(ascii_only) * 2 >= len(compact):
        return ascii_only
    return compact


def _fuzzy_ratio(a: str, b: str) -> float:
    a, b = a[:300], b[:300]
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < 0.7 or matcher.quick_ratio() < 0.7:
        return 0.0
    return matcher.ratio()


def align_block_texts(src: Sequence[str], dst: Sequence[str], *, fuzzy: float | None = None,
                      anywhere: bool = False) -> tuple[list[int | None], str]:
    """Map each ``dst`` block text to the index of a ``src`` block text (or ``None``).

    Identical sequences map 1:1 (``"identical"``).  Otherwise the texts' matching keys
    (:func:`match_key`) are aligned with ``difflib.SequenceMatcher`` (``"aligned"``) and
    equal runs map 1:1.  With ``fuzzy``, blocks inside a replaced stretch are also paired
    in order when their character similarity is at least ``fuzzy``.  With ``anywhere``,
    ``dst`` blocks still unmatched then take an unused ``src`` block with the same key
    wherever it is (the first unused one).
    """
    if list(src) == list(dst):
        return list(range(len(dst))), "identical"
    a = [match_key(t) for t in src]
    b = [match_key(t) for t in dst]
    mapping: list[int | None] = [None] * len(b)
    used = [False] * len(a)
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                mapping[j1 + k] = i1 + k
                used[i1 + k] = True
        elif tag == "replace" and fuzzy is not None:
            cursor = i1
            for j in range(j1, j2):
                # look a few blocks ahead for a similar text, keeping the order
                for i in range(cursor, min(i2, cursor + 12)):
                    if _fuzzy_ratio(a[i], b[j]) >= fuzzy:
                        mapping[j] = i
                        used[i] = True
                        cursor = i + 1
                        break
    if anywhere:
        match_anywhere(a, b, mapping, used)
    return mapping, "aligned"


def match_anywhere(a: Sequence[str], b: Sequence[str], mapping: list[int | None],
                   used: list[bool]) -> int:
    """Give unmatched ``b`` keys an unused equal ``a`` key anywhere; return how many.

    ``mapping[j]`` (index into ``a`` or ``None``) and ``used[i]`` are updated in place;
    empty keys never match, and among equal keys the first unused ``a`` is taken.
    """
    free: dict[str, list[int]] = {}
    for i, key in enumerate(a):
        if not used[i] and key:
            free.setdefault(key, []).append(i)
    done = 0
    for j, key in enumerate(b):
        if mapping[j] is None and free.get(key):
            i = free[key].pop(0)
            mapping[j] = i
            used[i] = True
            done += 1
    return done


# =========================================================================== tokens

_CJK = ("\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f"
        "\uff66-\uff9f")
_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")


def tokenize(text: str) -> list[str]:
    """Lowercase word tokens (letters and digits); each CJK character is a token."""
    return [tok.lower() for tok in _TOKEN.findall(text)]


def iter_tokens(text: str) -> Iterator[tuple[int, str]]:
    """The tokens of :func:`tokenize` with their start offsets in ``text``."""
    for m in _TOKEN.finditer(text):
        yield m.start(), m.group(0).lower()


def lcs_pairs(a: Sequence[int], b: Sequence[int]) -> list[tuple[int, int]]:
    """Pairs ``(i, j)`` of one longest common subsequence of ``a`` and ``b``, in order.

    Bit-parallel LCS (Allison-Dix / Hyyrö) over Python integers, one row per element of
    ``a``, then a trace back from the end that takes a diagonal step whenever the elements
    are equal: among equally long alignments it prefers the latest occurrences.
    """
    m = len(b)
    if not a or not m:
        return []
    masks: dict[int, int] = {}
    for j, tok in enumerate(b):
        masks[tok] = masks.get(tok, 0) | (1 << j)
    full = (1 << m) - 1
    v = full
    rows = [v]
    for tok in a:
        u = v & masks.get(tok, 0)
        v = ((v + u) | (v - u)) & full
        rows.append(v)
    # D(i, j) = LCS(a[:i], b[:j]) = number of zero bits of rows[i] below bit j
    pairs: list[tuple[int, int]] = []
    i, j = len(a), m
    d = m - rows[i].bit_count()
    while i > 0 and j > 0 and d > 0:
        if a[i - 1] == b[j - 1]:
            pairs.append((i - 1, j - 1))
            i -= 1
            j -= 1
            d -= 1
            continue
        low = (1 << j) - 1
        up = j - (rows[i - 1] & low).bit_count()
        if up == d:
            i -= 1
        else:
            j -= 1  # D(i, j-1) == d here
    pairs.reverse()
    return pairs


def _difflib_pairs(a: Sequence[int], b: Sequence[int]) -> list[tuple[int, int]]:
    matcher = SequenceMatcher(None, a, b, autojunk=True)
    pairs: list[tuple[int, int]] = []
    for i, j, size in matcher.get_matching_blocks():
        pairs.extend((i + k, j + k) for k in range(size))
    return pairs


def _align_tokens(page_tokens: list[str],
                  ref_tokens: list[str]) -> tuple[list[tuple[int, int]], str]:
    """Matched ``(page index, reference index)`` pairs of an order-preserving token
    alignment, and the aligner used (``"lcs"`` or ``"difflib"``).

    Tokens that do not occur on the other side can never match, so they are dropped
    before the alignment (this shrinks pages with much boilerplate a lot) and the indices
    are mapped back afterwards.
    """
    vocab: dict[str, int] = {}
    ref_ids = [vocab.setdefault(t, len(vocab)) for t in ref_tokens]
    page_set = set(page_tokens)
    ref_set = set(ref_tokens)
    a_idx = [i for i, t in enumerate(page_tokens) if t in ref_set]
    b_idx = [j for j, t in enumerate(ref_tokens) if t in page_set]
    a = [vocab[page_tokens[i]] for i in a_idx]
    b = [ref_ids[j] for j in b_idx]
    if len(a) * len(b) <= MAX_LCS_BITS:
        pairs, how = lcs_pairs(a, b), "lcs"
    else:
        pairs, how = _difflib_pairs(a, b), "difflib"
    return [(a_idx[i], b_idx[j]) for i, j in pairs], how


def covered_tokens(page_tokens: list[str], starts: Sequence[int], ends: Sequence[int],
                   ref_tokens: list[str]) -> tuple[list[dict[int, int]], str, int]:
    """Align page tokens to reference tokens; per block ``{page index: reference index}``
    of its covered tokens (in runs of at least :data:`MIN_RUN`, or a run covering a whole
    shorter block), the aligner used, and how many tokens the short-block rule added.

    Block ``k`` holds ``page_tokens[starts[k]:ends[k]]``.
    """
    pairs, how = _align_tokens(page_tokens, ref_tokens)
    run_of: dict[int, tuple[int, int]] = {}   # page index -> (run start, run end)
    matched_ref: dict[int, int] = {}          # page index -> reference index
    k = 0
    while k < len(pairs):
        e = k + 1
        while (e < len(pairs) and pairs[e][0] == pairs[e - 1][0] + 1
               and pairs[e][1] == pairs[e - 1][1] + 1):
            e += 1
        span = (pairs[k][0], pairs[e - 1][0] + 1)
        for p, g in pairs[k:e]:
            run_of[p] = span
            matched_ref[p] = g
        k = e
    covered: list[dict[int, int]] = []
    short = 0
    for s, e in zip(starts, ends):
        size = e - s
        found: dict[int, int] = {}
        for p in range(s, e):
            run = run_of.get(p)
            if run is None:
                continue
            run_len = run[1] - run[0]
            if run_len >= MIN_RUN:
                found[p] = matched_ref[p]
            elif size < MIN_RUN and run[0] <= s and run[1] >= e:
                found[p] = matched_ref[p]
                short += 1
        covered.append(found)
    return covered, how, short
