"""Metrics of the benchmark: bag-of-tokens P/R/F1, token ROUGE-L, snippet scores, bootstrap.

Everything here is pure Python (plus numpy for the bootstrap) and independent of the
extractors, so it can be unit-checked on its own (``python benchmarks/metrics.py`` runs a
self-check).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

#: Tokens are maximal runs of Unicode word characters, as in the Scrapinghub
#: article-extraction-benchmark (``\w+``); case is kept for the bag-of-tokens metric.
TOKEN_RE = re.compile(r"\w+", re.UNICODE)

#: Token cap of the ROUGE-L metric (per side); longer texts are truncated.
ROUGE_L_CAP = 20_000


def tokenize(text: str | None) -> list[str]:
    return TOKEN_RE.findall(text or "")


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float
    f1: float


def _prf(overlap: int, n_pred: int, n_gold: int) -> PRF:
    """Precision/recall/F1 of one page from an overlap count, with the edge cases:

    * gold and prediction both empty: P = R = F1 = 1 (nothing to find, nothing returned);
    * prediction empty, gold not: P = R = F1 = 0;
    * gold empty, prediction not: P = 0, R = 1 (nothing to recall), F1 = 0.
    """
    if n_pred == 0 and n_gold == 0:
        return PRF(1.0, 1.0, 1.0)
    if n_pred == 0:
        return PRF(0.0, 0.0, 0.0)
    if n_gold == 0:
        return PRF(0.0, 1.0, 0.0)
    p = overlap / n_pred
    r = overlap / n_gold
    f = 2 * p * r / (p + r) if overlap else 0.0
    return PRF(p, r, f)


def bag_of_tokens(pred: str | None, gold: str | None) -> PRF:
    """Token-level P/R/F1 with multiset intersection: |pred ∩ gold| / |pred| and / |gold|."""
    p, g = Counter(tokenize(pred)), Counter(tokenize(gold))
    n_pred, n_gold = sum(p.values()), sum(g.values())
    if len(p) > len(g):
        overlap = sum(min(c, p[t]) for t, c in g.items() if t in p)
    else:
        overlap = sum(min(c, g[t]) for t, c in p.items() if t in g)
    return _prf(overlap, n_pred, n_gold)


def bag_of_tokens_best(pred: str | None, references: list[str]) -> PRF:
    """:func:`bag_of_tokens` against the reference that gives the highest F1 (the first on a
    tie); one reference is the plain metric. Used where a gold accepts variants (fundus-eval's
    optional paragraphs, an optional headline)."""
    if len(references) == 1:
        return bag_of_tokens(pred, references[0])
    p = Counter(tokenize(pred))
    n_pred = sum(p.values())
    best = None
    for ref in references:
        g = Counter(tokenize(ref))
        overlap = sum(min(c, p[t]) for t, c in g.items() if t in p)
        score = _prf(overlap, n_pred, sum(g.values()))
        if best is None or score.f1 > best.f1:
            best = score
    return best if best is not None else bag_of_tokens(pred, "")


def lcs_length(a: list, b: list) -> int:
    """Length of the longest common subsequence of two token lists.

    Bit-parallel algorithm (Allison & Dix 1986 / Hyyrö 2004): one big-integer bit
    vector over the positions of ``a``; each token of ``b`` costs a few big-int
    operations, so 20k x 20k tokens take well under a second.
    """
    if not a or not b:
        return 0
    masks: dict = {}
    for i, tok in enumerate(a):
        masks[tok] = masks.get(tok, 0) | (1 << i)
    full = (1 << len(a)) - 1
    v = full
    for tok in b:
        m = masks.get(tok)
        if m is None:
            continue
        u = v & m
        v = ((v + u) | (v - u)) & full
    return len(a) - bin(v).count("1")


def rouge_l(pred: str | None, gold: str | None, cap: int = ROUGE_L_CAP) -> PRF:
    """ROUGE-L over lower-cased ``\\w+`` tokens (each side capped at ``cap`` tokens).

    P = LCS / |pred|, R = LCS / |gold|, F1 their harmonic mean (beta = 1). Unlike the
    bag of tokens it rewards text in the gold's order, and a repeated or shuffled
    paragraph does not count twice. Same edge cases as :func:`bag_of_tokens`.
    """
    p = [t.lower() for t in tokenize(pred)[:cap]]
    g = [t.lower() for t in tokenize(gold)[:cap]]
    return _prf(lcs_length(p, g), len(p), len(g))


def rouge_l_best(pred: str | None, references: list[str], cap: int = ROUGE_L_CAP) -> PRF:
    """:func:`rouge_l` against the reference that gives the highest F1 (the first on a tie)."""
    if len(references) == 1:
        return rouge_l(pred, references[0], cap)
    best = None
    for ref in references:
        score = rouge_l(pred, ref, cap)
        if best is None or score.f1 > best.f1:
            best = score
    return best if best is not None else rouge_l(pred, "", cap)


_WS = re.compile(r"\s+")


def normalise_ws(text: str | None) -> str:
    return _WS.sub(" ", text or "").strip()


def snippet_counts(output: str | None, with_: list[str], without: list[str]) -> tuple[int, int, int, int]:
    """trafilatura-eval scoring of one page: (tp, fp, tn, fn).

    A ``with`` snippet found in the output is a true positive, missing a false negative;
    a ``without`` snippet found is a false positive, absent a true negative. "Found" is a
    plain substring test after collapsing white space runs to one space on both sides.
    """
    text = normalise_ws(output)
    tp = fn = fp = tn = 0
    for snip in with_:
        s = normalise_ws(snip)
        if s and s in text:
            tp += 1
        else:
            fn += 1
    for snip in without:
        s = normalise_ws(snip)
        if s and s in text:
            fp += 1
        else:
            tn += 1
    return tp, fp, tn, fn


def snippet_scores(counts: np.ndarray) -> dict[str, float]:
    """P/R/F1/accuracy from summed (tp, fp, tn, fn) counts (rows = pages)."""
    tp, fp, tn, fn = (float(x) for x in counts.sum(axis=0))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    total = tp + fp + tn + fn
    return {"precision": p, "recall": r, "f1": f, "accuracy": (tp + tn) / total if total else 0.0}


def bootstrap_mean(values, n_resamples: int = 1000, seed: int = 0) -> tuple[float, float, float]:
    """Mean of per-page values and the 95% percentile interval of the mean over
    ``n_resamples`` bootstrap resamples of pages. Returns (mean, low, high)."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, x.size, size=(n_resamples, x.size))
    means = x[idx].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(x.mean()), float(lo), float(hi)


def bootstrap_snippets(counts: np.ndarray, n_resamples: int = 1000, seed: int = 0) -> dict[str, tuple]:
    """Snippet scores with 95% bootstrap intervals (resampling pages)."""
    counts = np.asarray(counts, dtype=float).reshape(-1, 4)
    point = snippet_scores(counts)
    if len(counts) == 0:
        return {k: (v, float("nan"), float("nan")) for k, v in point.items()}
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(counts), size=(n_resamples, len(counts)))
    sums = counts[idx].sum(axis=1)                      # (n_resamples, 4)
    tp, fp, tn, fn = sums.T
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        r = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        f = np.where(p + r > 0, 2 * p * r / (p + r), 0.0)
        acc = (tp + tn) / np.maximum(sums.sum(axis=1), 1)
    out = {}
    for key, arr in (("precision", p), ("recall", r), ("f1", f), ("accuracy", acc)):
        lo, hi = np.percentile(arr, [2.5, 97.5])
        out[key] = (point[key], float(lo), float(hi))
    return out


def _self_check() -> None:
    import random

    def lcs_dp(a, b):
        prev = [0] * (len(b) + 1)
        for x in a:
            cur = [0]
            for j, y in enumerate(b):
                cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
            prev = cur
        return prev[-1]

    rnd = random.Random(1)
    for _ in range(300):
        a = [rnd.choice("abcde") for _ in range(rnd.randint(0, 40))]
        b = [rnd.choice("abcdef") for _ in range(rnd.randint(0, 40))]
        assert lcs_length(a, b) == lcs_dp(a, b), (a, b)
    assert bag_of_tokens("a a b", "a b b c") == PRF(2 / 3, 2 / 4, 2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    assert bag_of_tokens("", "") == PRF(1, 1, 1)
    assert bag_of_tokens("", "x") == PRF(0, 0, 0)
    assert bag_of_tokens("x", "") == PRF(0, 1, 0)
    assert rouge_l("A b c d", "a c d e").precision == 0.75
    assert snippet_counts("foo  bar\nbaz", ["bar baz", "qux"], ["foo", "zzz"]) == (1, 1, 1, 1)
    # best of several references: the optional-paragraph variant that fits wins
    assert bag_of_tokens_best("a b", ["a b c", "a b"]) == PRF(1, 1, 1)
    assert bag_of_tokens_best("a b c", ["a b c", "a b"]) == PRF(1, 1, 1)
    assert bag_of_tokens_best("x", ["a", "b"]) == PRF(0, 0, 0)
    assert bag_of_tokens_best("a", ["a"]) == bag_of_tokens("a", "a")
    assert rouge_l_best("t a b", ["a b", "t a b"]).f1 == 1.0
    print("metrics self-check passed")


if __name__ == "__main__":
    _self_check()
