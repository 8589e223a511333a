"""Tests of boilerkit.datasets.alignment (block and token alignment of two texts; no data)."""

from __future__ import annotations

import random

from boilerkit.datasets.alignment import (
    MIN_RUN, align_block_texts, covered_tokens, iter_tokens, lcs_pairs, match_anywhere,
    match_key, tokenize,
)


# =========================================================================== tokens

def test_tokenize_lowercases_and_splits_cjk():
    assert tokenize("Hello, World! 東京 news_2") == ["hello", "world", "東", "京", "news", "2"]
    assert tokenize("»  |  ") == []


def test_iter_tokens_gives_the_tokens_with_their_offsets():
    text = "Hello, World! 東京 news_2"
    spans = list(iter_tokens(text))
    assert [tok for _, tok in spans] == tokenize(text)
    assert all(text[start:start + len(tok)].lower() == tok for start, tok in spans)


def test_lcs_pairs_is_a_longest_common_subsequence():
    def lcs_length(a, b):
        rows = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
        for i, x in enumerate(a):
            for j, y in enumerate(b):
                rows[i + 1][j + 1] = (rows[i][j] + 1 if x == y
                                      else max(rows[i][j + 1], rows[i + 1][j]))
        return rows[-1][-1]

    rng = random.Random(3)
    for _ in range(300):
        a = [rng.randrange(4) for _ in range(rng.randrange(25))]
        b = [rng.randrange(4) for _ in range(rng.randrange(25))]
        pairs = lcs_pairs(a, b)
        assert len(pairs) == lcs_length(a, b)
        assert all(a[i] == b[j] for i, j in pairs)
        assert all(p[0] < q[0] and p[1] < q[1] for p, q in zip(pairs, pairs[1:]))


def test_lcs_prefers_the_latest_copy():
    # "x y" appears twice in a; the copy next to the rest of the match is taken
    pairs = lcs_pairs([1, 2, 9, 9, 1, 2, 3], [1, 2, 3])
    assert pairs == [(4, 0), (5, 1), (6, 2)]


def test_covered_tokens_counts_runs_and_whole_short_blocks():
    assert MIN_RUN == 3
    # blocks: a 2-token menu whose words occur apart in the reference, a 4-token run,
    # and a 2-token block matched whole
    page = ["home", "news"] + ["the", "council", "met", "today"] + ["by", "ann"]
    starts, ends = [0, 2, 6], [2, 6, 8]
    ref = ["news", "of", "the", "council", "met", "today", "home", "by", "ann"]
    covered, how, short = covered_tokens(page, starts, ends, ref)
    assert how == "lcs"
    assert covered[0] == {}                      # run of 1 inside a 2-token block: no
    assert covered[1] == {2: 2, 3: 3, 4: 4, 5: 5}
    assert covered[2] == {6: 7, 7: 8}            # short block covered whole
    assert short == 2


# =========================================================================== block texts

def test_match_key_drops_spacing_case_and_lost_characters():
    assert match_key("Kosovo’s  Future?") == match_key("kosovo?s future") == "kosovosfuture"
    # mostly non-ASCII text keeps its characters
    assert match_key("東京 の ニュース") == "東京のニュース"


def test_align_block_texts_ignores_spacing_case_and_lost_characters():
    src = ["Kosovo?s future", "Tags: a , b", "Extra block"]
    dst = ["Kosovo’s future", "tags: a, b"]
    mapping, how = align_block_texts(src, dst)
    assert how == "aligned" and mapping == [0, 1]
    assert align_block_texts(dst, dst) == ([0, 1], "identical")


def test_align_block_texts_fuzzy_and_anywhere():
    src = ["Intro", "The council approved the budget on Monday", "Menu item", "Footer"]
    dst = ["Intro", "The council approved the budget on Monday.", "Footer", "Menu item"]
    mapping, _ = align_block_texts(src, dst)
    assert mapping[1] is None
    mapping, _ = align_block_texts(src, dst, fuzzy=0.9, anywhere=True)
    assert mapping == [0, 1, 3, 2]


def test_match_anywhere_takes_the_first_unused_equal_key():
    mapping: list[int | None] = [None, 0, None, None]
    used = [True, False, False]
    assert match_anywhere(["a", "b", "b"], ["b", "a", "b", ""], mapping, used) == 2
    assert mapping == [1, 0, 2, None] and used == [True, True, True]
