"""Tests of boilerkit.features: the numeric and hashed-token feature matrices."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.utils import murmurhash3_32

from boilerkit import Block, build_blocks, parse_html
from boilerkit.features import FEATURE_NAMES, NumericFeatures, TokenFeatures, page_feature_matrix

COLUMN = {name: i for i, name in enumerate(FEATURE_NAMES)}


def _blocks(body: str):
    return build_blocks(parse_html(f"<html><body>{body}</body></html>"))


def _row(body: str) -> np.ndarray:
    blocks = _blocks(body)
    assert len(blocks) == 1
    return page_feature_matrix(blocks)[0]


_PAGE_A = (
    '<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li></ul></nav>'
    "<article><h1>A headline</h1><p>First paragraph, with a sentence that ends here.</p>"
    "<p>Second paragraph: 42 digits 7 and more words to count.</p></article>"
    '<aside><p><a href="/r">Related story</a></p></aside><footer><p>(c) 2024</p></footer>'
)
_PAGE_B = "<div><p>Only block</p></div>"


def _boilerpipe_text_density(text: str, width: int = 80) -> float:
    """Reference: boilerpipe's BoilerpipeHTMLContentHandler.flushBlock word wrapping."""
    words = [token for token in text.split() if any(ch.isalnum() for ch in token)]
    line_length, wrapped_lines, words_current_line = -1, 0, 0
    for word in words:
        words_current_line += 1
        line_length += len(word) + 1
        if line_length > width:
            wrapped_lines += 1
            line_length = len(word)
            words_current_line = 1
    if wrapped_lines == 0:
        return float(len(words))
    return (len(words) - words_current_line) / wrapped_lines


# --------------------------------------------------------------------------- shapes

def test_numeric_shape_dtype_and_finiteness():
    pages = [_blocks(_PAGE_A), _blocks(_PAGE_B)]
    matrix = NumericFeatures().fit(pages).transform(pages)
    assert matrix.shape == (len(pages[0]) + len(pages[1]), len(FEATURE_NAMES))
    assert matrix.dtype == np.float32
    assert np.isfinite(matrix).all()
    assert len(NumericFeatures().get_feature_names_out()) == matrix.shape[1]


def test_page_feature_matrix_matches_transform_rows():
    pages = [_blocks(_PAGE_A), _blocks(_PAGE_B)]
    stacked = NumericFeatures().transform(pages)
    np.testing.assert_array_equal(stacked[: len(pages[0])], page_feature_matrix(pages[0]))
    np.testing.assert_array_equal(stacked[len(pages[0]):], page_feature_matrix(pages[1]))


def test_token_shape_dtype_and_finiteness():
    pages = [_blocks(_PAGE_A), _blocks(_PAGE_B)]
    matrix = TokenFeatures(n_features=64).fit(pages).transform(pages)
    assert matrix.shape == (len(pages[0]) + len(pages[1]), 64)
    assert matrix.dtype == np.float32
    assert np.isfinite(matrix).all()
    assert len(TokenFeatures(n_features=64).get_feature_names_out()) == 64


def test_empty_page_and_no_pages():
    d = len(FEATURE_NAMES)
    assert page_feature_matrix([]).shape == (0, d)
    assert NumericFeatures().transform([[]]).shape == (0, d)
    assert NumericFeatures().transform([]).shape == (0, d)
    assert TokenFeatures(n_features=32).transform([[]]).shape == (0, 32)
    assert TokenFeatures(n_features=32).transform([]).shape == (0, 32)
    mixed = NumericFeatures().transform([[], _blocks(_PAGE_B), []])
    assert mixed.shape == (1, d)


# --------------------------------------------------------------------------- link density

def test_link_density_of_single_link_block_is_one():
    row = _row('<p><a href="/x">Everything here is a link</a></p>')
    assert row[COLUMN["link_density"]] == 1.0
    assert row[COLUMN["link_only"]] == 1.0
    assert row[COLUMN["log_links"]] == pytest.approx(math.log1p(1))


def test_link_density_of_plain_paragraph_is_zero():
    row = _row("<p>A plain paragraph without any links at all.</p>")
    assert row[COLUMN["link_density"]] == 0.0
    assert row[COLUMN["link_only"]] == 0.0
    assert row[COLUMN["log_links"]] == 0.0


def test_link_density_of_partly_linked_block():
    row = _row('<p>abcde <a href="#">fghij</a></p>')  # 5 link chars of 10 non-space chars
    assert row[COLUMN["link_density"]] == pytest.approx(5 / 10)


def test_link_density_of_block_of_several_links_is_one():
    row = _row('<p><a href="/">Home</a> <a href="/a">About us</a> <a href="/c">Contact</a></p>')
    assert row[COLUMN["link_density"]] == 1.0
    assert row[COLUMN["link_only"]] == 1.0


# --------------------------------------------------------------------------- text density

def test_text_density_of_one_line_is_its_word_count():
    text = "The quick brown fox jumps."
    assert _boilerpipe_text_density(text) == 5.0
    assert _row(f"<p>{text}</p>")[COLUMN["text_density"]] == pytest.approx(5.0)


def test_text_density_of_wrapped_text_follows_boilerpipe():
    # 100 words of 4 letters: boilerpipe wraps at 80 columns into lines of 16 words
    # (-1 + 16 * 5 = 79 <= 80; the 17th word opens a new line), giving 6 full lines of
    # 16 words and a last line of 4, which does not count: density 96 / 6 = 16.
    text = " ".join(["abcd"] * 100)
    assert _boilerpipe_text_density(text) == 16.0
    # boilerkit uses words per 80 characters (100 * 80 / 499), an approximation within 1 %
    assert _row(f"<p>{text}</p>")[COLUMN["text_density"]] == pytest.approx(16.0, rel=0.01)


# --------------------------------------------------------------------------- neighbours

def test_neighbour_features_copy_the_neighbours_shallow_features():
    blocks = _blocks(_PAGE_A)
    n = len(blocks)
    assert n == 7
    matrix = page_feature_matrix(blocks)
    for offset in (-2, -1, 1, 2):
        for i in range(n):
            j = i + offset
            exists = matrix[i, COLUMN[f"exists@{offset:+d}"]]
            for name in ("log_chars", "link_density", "text_density", "punctuation_ratio"):
                value = matrix[i, COLUMN[f"{name}@{offset:+d}"]]
                if 0 <= j < n:
                    assert value == matrix[j, COLUMN[name]], (name, offset, i)
                else:
                    assert value == 0.0, (name, offset, i)
            assert exists == (1.0 if 0 <= j < n else 0.0)


def test_log_chars_of_previous_block():
    blocks = _blocks("<p>a</p><p>bbbbbb</p><p>cc</p>")
    matrix = page_feature_matrix(blocks)
    assert matrix[1, COLUMN["log_chars@-1"]] == pytest.approx(math.log1p(1))
    assert matrix[2, COLUMN["log_chars@-1"]] == pytest.approx(math.log1p(6))
    assert matrix[0, COLUMN["log_chars@+1"]] == pytest.approx(math.log1p(6))
    assert matrix[0, COLUMN["log_chars@-1"]] == 0.0 and matrix[0, COLUMN["exists@-1"]] == 0.0
    assert matrix[2, COLUMN["log_chars@+1"]] == 0.0 and matrix[2, COLUMN["exists@+1"]] == 0.0


def test_heading_and_same_parent_neighbour_flags():
    blocks = _blocks("<h2>Title</h2><p>Text</p><div><p>Other parent</p></div>")
    matrix = page_feature_matrix(blocks)
    assert matrix[1, COLUMN["heading@-1"]] == 1.0
    assert matrix[2, COLUMN["heading@-1"]] == 0.0
    assert matrix[1, COLUMN["same_parent@-1"]] == 1.0  # h2 and p are both children of body
    assert matrix[2, COLUMN["same_parent@-1"]] == 0.0


# --------------------------------------------------------------------------- words, CJK

def test_word_count_of_latin_text():
    row = _row("<p>one two three four</p>")
    assert row[COLUMN["log_words"]] == pytest.approx(math.log1p(4))
    assert row[COLUMN["log_chars"]] == pytest.approx(math.log1p(len("one two three four")))


def test_cjk_text_gets_word_counts():
    row = _row("<p>\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3067\u3059\u3002</p>")
    assert row[COLUMN["log_words"]] > 0
    assert row[COLUMN["text_density"]] > 0


def test_each_cjk_character_is_one_word():
    row = _row("<p>\u65e5\u672c\u8a9e</p>")
    assert row[COLUMN["log_words"]] == pytest.approx(math.log1p(3))


# --------------------------------------------------------------------------- hashed tokens

def _bare_block(**overrides) -> Block:
    values = dict(text="a block of text that is long enough to skip words", xpath="/x", tag="div",
                  tag_path=(), own_tokens=(), ancestor_tokens=(), inner_tokens=(),
                  link_text_length=0, link_count=0, position=0, depth=0, context=0,
                  parent_id=-1)
    values.update(overrides)
    return Block(**values)


def test_token_hashing_is_deterministic():
    pages = [_blocks(_PAGE_A), _blocks(_PAGE_B)]
    first = TokenFeatures(n_features=128).transform(pages)
    second = TokenFeatures(n_features=128).transform([_blocks(_PAGE_A), _blocks(_PAGE_B)])
    np.testing.assert_array_equal(first, second)


def test_unseen_token_gives_non_zero_row_at_its_hash():
    n_features = 128
    token = "own:zqxv-never-seen-before"
    row = TokenFeatures(n_features=n_features).transform(
        [[_bare_block(own_tokens=("zqxv-never-seen-before",))]])[0]
    assert np.count_nonzero(row) == 1
    # FeatureHasher: column abs(murmurhash3_32(token, seed=0)) % n_features, value log1p(count)
    assert row[abs(murmurhash3_32(token, seed=0)) % n_features] == pytest.approx(math.log(2))


def test_block_without_tokens_gives_zero_row():
    row = TokenFeatures(n_features=64).transform([[_bare_block()]])[0]
    assert not row.any()
