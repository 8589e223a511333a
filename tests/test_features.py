"""Tests of boilerkit.features: the numeric and hashed-token feature matrix."""

from __future__ import annotations

import hashlib
import math
import os
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from conftest import compiled_or_python

from boilerkit import Block, build_blocks, parse_html
from boilerkit import features as features_module
from boilerkit.features import (
    FEATURE_SCHEMA_VERSION, LINK_REL_NAMES, LINK_SLUG_NAMES, LINK_TARGET_NAMES, NUMERIC_NAMES, REPETITION_NAMES,
    FeatureConfig, PageFeatures, feature_matrix, hashed_index, page_matrix, structure_groups,
    text_stats, widget_headings,
)

COLUMN = {name: i for i, name in enumerate(NUMERIC_NAMES)}
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "news-page.html"


@pytest.fixture(autouse=True, params=["compiled", "python"])
def path(request, monkeypatch):
    """Run every test on the compiled and the pure-Python text statistics and hashing."""
    return compiled_or_python(request, monkeypatch, features_module)


def _blocks(body: str):
    return build_blocks(parse_html(f"<html><body>{body}</body></html>"))


def _numeric(blocks, n_hashed: int = 64) -> np.ndarray:
    return page_matrix(blocks, FeatureConfig(n_hashed=n_hashed))[:, :len(NUMERIC_NAMES)]


def _tokens(blocks, n_hashed: int = 64) -> np.ndarray:
    return page_matrix(blocks, FeatureConfig(n_hashed=n_hashed))[:, len(NUMERIC_NAMES):]


def _row(body: str) -> np.ndarray:
    blocks = _blocks(body)
    assert len(blocks) == 1
    return _numeric(blocks)[0]


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

def test_shape_dtype_and_finiteness():
    pages = [_blocks(_PAGE_A), _blocks(_PAGE_B)]
    config = FeatureConfig(n_hashed=64)
    matrix = feature_matrix(pages, config)
    assert matrix.shape == (len(pages[0]) + len(pages[1]), len(NUMERIC_NAMES) + 64)
    assert matrix.shape[1] == config.n_features == len(config.feature_names())
    assert matrix.dtype == np.float32
    assert np.isfinite(matrix).all()


def test_stacked_matrix_is_the_pages_matrices():
    pages = [_blocks(_PAGE_A), _blocks(_PAGE_B)]
    config = FeatureConfig(n_hashed=64)
    stacked = feature_matrix(pages, config)
    np.testing.assert_array_equal(stacked[: len(pages[0])], page_matrix(pages[0], config))
    np.testing.assert_array_equal(stacked[len(pages[0]):], page_matrix(pages[1], config))


def test_rows_assembled_in_chunks_equal_the_whole_matrix():
    blocks = build_blocks(parse_html(EXAMPLE.read_bytes()))
    features = PageFeatures(blocks, FeatureConfig())
    whole = features.matrix()
    pieces = np.vstack([features.rows(start, start + 7) for start in range(0, len(blocks), 7)])
    np.testing.assert_array_equal(pieces, whole)


def test_kept_tokens_give_the_same_rows_the_second_time():
    blocks = build_blocks(parse_html(EXAMPLE.read_bytes()))
    whole = PageFeatures(blocks, FeatureConfig()).matrix()
    features = PageFeatures(blocks, FeatureConfig(), keep_tokens=True)
    for _ in range(2):  # computed, then rebuilt from the kept sparse counts
        pieces = np.vstack([features.rows(start, start + 7) for start in range(0, len(blocks), 7)])
        np.testing.assert_array_equal(pieces, whole)
    assert len(features._kept_tokens) == -(-len(blocks) // 7)


def test_spare_columns_come_after_the_features():
    blocks = build_blocks(parse_html(EXAMPLE.read_bytes()))
    features = PageFeatures(blocks, FeatureConfig())
    whole = features.matrix()
    wide = features.rows(0, len(blocks), spare_columns=5)
    assert wide.shape == (len(blocks), whole.shape[1] + 5) and wide.flags.c_contiguous
    np.testing.assert_array_equal(wide[:, :whole.shape[1]], whole)
    assert features.rows(3, 3, spare_columns=5).shape == (0, whole.shape[1] + 5)


def test_feature_schema_is_pinned_by_a_hash_of_the_example_page_features():
    # Any change to what blocks.py or features.py compute changes this hash: bump
    # FEATURE_SCHEMA_VERSION (saved models record it) and update the hash.
    # The shipped model reads the repetition, link-target and link-slug columns too, so
    # they are pinned as well.
    blocks = build_blocks(parse_html(EXAMPLE.read_bytes()))
    digests = []
    for config in (FeatureConfig(), FeatureConfig(repetition=True),
                   FeatureConfig(repetition=True, link_targets=True),
                   FeatureConfig(repetition=True, link_targets=True, link_slugs=True)):
        matrix = page_matrix(blocks, config)
        digests.append(
            hashlib.sha256(np.round(matrix.astype(np.float64), 4).tobytes()).hexdigest()[:16])
    assert (FEATURE_SCHEMA_VERSION, *digests) == (
        4, "433f5a7d53706696", "8b9cad5b6787557a", "bae77fdc4c092444", "403904b0c9f7cd26")


def test_text_stats_of_both_paths_agree(monkeypatch):
    texts = ["Hello, world!", "日本語のテキスト です。", "", "a 1 2 3 b", "«Quote» — done…",
             "x" * 300, "Ünïcödé text with 42 digits and (brackets)"]
    compiled = features_module._speedups
    expected = np.asarray([[13, 2, 1, 2, 0, 1], [12, 11, 1, 1, 0, 1], [0, 0, 0, 0, 0, 0],
                           [9, 5, 4, 0, 3, 0], [15, 3, 2, 4, 0, 1], [300, 1, 0, 0, 0, 0],
                           [42, 7, 6, 2, 2, 1]], dtype=np.float64)
    np.testing.assert_array_equal(text_stats(texts, use_speedups=compiled is not None), expected)


def test_empty_page_and_no_pages():
    d = len(NUMERIC_NAMES)
    config = FeatureConfig(n_hashed=32)
    assert page_matrix([], config).shape == (0, d + 32)
    assert feature_matrix([[]], config).shape == (0, d + 32)
    assert feature_matrix([], config).shape == (0, d + 32)
    assert PageFeatures([], config).rows(0, 5).shape == (0, d + 32)
    mixed = feature_matrix([[], _blocks(_PAGE_B), []], config)
    assert mixed.shape == (1, d + 32)


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
    matrix = _numeric(blocks)
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
    matrix = _numeric(blocks)
    assert matrix[1, COLUMN["log_chars@-1"]] == pytest.approx(math.log1p(1))
    assert matrix[2, COLUMN["log_chars@-1"]] == pytest.approx(math.log1p(6))
    assert matrix[0, COLUMN["log_chars@+1"]] == pytest.approx(math.log1p(6))
    assert matrix[0, COLUMN["log_chars@-1"]] == 0.0 and matrix[0, COLUMN["exists@-1"]] == 0.0
    assert matrix[2, COLUMN["log_chars@+1"]] == 0.0 and matrix[2, COLUMN["exists@+1"]] == 0.0


def test_heading_and_same_parent_neighbour_flags():
    blocks = _blocks("<h2>Title</h2><p>Text</p><div><p>Other parent</p></div>")
    matrix = _numeric(blocks)
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
    values = dict(text="a block of text that is long enough to skip words", tag="div")
    values.update(overrides)
    return Block(**values)


def test_token_hashing_is_deterministic():
    pages = [_blocks(_PAGE_A), _blocks(_PAGE_B)]
    first = feature_matrix(pages, FeatureConfig(n_hashed=128))
    second = feature_matrix([_blocks(_PAGE_A), _blocks(_PAGE_B)], FeatureConfig(n_hashed=128))
    np.testing.assert_array_equal(first, second)


def test_unseen_token_gives_non_zero_row_at_its_hash():
    n_hashed = 128
    token = "own:zqxv-never-seen-before"
    row = _tokens([_bare_block(own_tokens=("zqxv-never-seen-before",))], n_hashed)[0]
    assert np.count_nonzero(row) == 1
    # bucket: zlib.crc32 of the UTF-8 token modulo n_hashed, value log1p(count)
    assert row[zlib.crc32(token.encode()) % n_hashed] == pytest.approx(math.log(2))


def test_each_kind_of_token_is_counted_with_its_prefix():
    block = _bare_block(text="Read more", own_tokens=("a",), ancestor_tokens=("b", "b"),
                        inner_tokens=("c",), tag_path=("html", "body", "div", "p"))
    row = _tokens([block], 4096)[0]
    expected = {"own:a": 1, "anc:b": 2, "in:c": 1, "path:html>body": 1, "path:body>div": 1,
                "path:div>p": 1, "word:read": 1, "word:more": 1}
    for token, count in expected.items():
        assert row[zlib.crc32(token.encode()) % 4096] == pytest.approx(math.log1p(count)), token
    assert np.count_nonzero(row) == len(expected)


def test_block_without_tokens_gives_zero_row():
    row = _tokens([_bare_block()])[0]
    assert not row.any()


def test_headline_features_find_the_block_matching_the_title():
    html = ("<html><head><title>Pakistan and Russia agree to boost trade | Madzine</title></head>"
            "<body><p>Menu Home News</p><h1>Pakistan and Russia agree to boost trade</h1>"
            "<p>Body text of the story that follows the headline here.</p></body></html>")
    blocks = build_blocks(parse_html(html))
    numeric = _numeric(blocks)
    assert list(numeric[:, COLUMN["is_title_match"]]) == [0, 1, 0]
    assert numeric[1, COLUMN["title_coverage"]] == 1.0
    assert numeric[2, COLUMN["offset_from_title"]] > 0 > numeric[0, COLUMN["offset_from_title"]]
    assert list(numeric[:, COLUMN["after_title"]]) == [0, 1, 1]
    assert numeric[1, COLUMN["offset_from_h1"]] == 0.0


def test_features_do_not_depend_on_the_hash_seed():
    # "trains" and "return" are the title's longest words: a tie that a set's order
    # once broke, so the headline features changed from one process to the next.
    script = (
        "import hashlib\n"
        "from boilerkit import build_blocks, parse_html\n"
        "from boilerkit.features import FeatureConfig, PageFeatures\n"
        "html = ('<html><head><title>Night trains return - Daily</title></head><body>'\n"
        "        '<h1>Trains are back</h1><p>Return of a classic, after ten years.</p>'\n"
        "        '<p>The night trains return to the timetable this winter.</p></body></html>')\n"
        "X = PageFeatures(build_blocks(parse_html(html)), FeatureConfig()).matrix()\n"
        "print(hashlib.sha256(X.tobytes()).hexdigest())\n")
    digests = set()
    for seed in ("0", "1", "2", "3", "5"):
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                env={**os.environ, "PYTHONHASHSEED": seed}, timeout=120)
        assert result.returncode == 0, result.stderr
        digests.add(result.stdout.strip())
    assert len(digests) == 1


# --------------------------------------------------------------------------- repetition

_LISTING = (
    '<ul class="menu"><li><a href="/a">Home</a></li><li><a href="/b">World</a></li>'
    '<li><a href="/c">Sport</a></li></ul>'
    '<div class="body"><p>One paragraph of the story, with a full sentence.</p>'
    '<p>Another paragraph of the same story, also a sentence.</p></div>'
    + "".join(f'<article class="card post-{i}"><h3><a href="/s{i}">Story {i}</a></h3>'
              f'<p>Excerpt of story {i}.</p></article>' for i in range(4))
)


def _repetition(body: str) -> tuple[list[str], np.ndarray]:
    blocks = _blocks(body)
    config = FeatureConfig(n_hashed=16, repetition=True)
    matrix = page_matrix(blocks, config)
    start = len(NUMERIC_NAMES)
    return [b.text for b in blocks], matrix[:, start:start + len(REPETITION_NAMES)]


def test_repetition_columns_are_only_there_when_asked_for():
    blocks = _blocks(_LISTING)
    plain, wide = FeatureConfig(n_hashed=16), FeatureConfig(n_hashed=16, repetition=True)
    assert wide.n_features == plain.n_features + len(REPETITION_NAMES)
    assert wide.feature_names()[len(NUMERIC_NAMES):][:len(REPETITION_NAMES)] == REPETITION_NAMES
    with_columns = page_matrix(blocks, wide)
    np.testing.assert_array_equal(with_columns[:, :len(NUMERIC_NAMES)],
                                  page_matrix(blocks, plain)[:, :len(NUMERIC_NAMES)])
    assert FeatureConfig.from_dict(wide.to_dict()) == wide
    # A model saved before the columns existed has no "repetition" key.
    assert FeatureConfig.from_dict({"n_hashed": 16, "schema_version": 4}) == plain


def test_cards_repeat_across_containers_and_paragraphs_inside_one():
    texts, columns = _repetition(_LISTING)
    row = {text: columns[i] for i, text in enumerate(texts)}
    col = {name: i for i, name in enumerate(REPETITION_NAMES)}
    card, menu = row["Story 2"], row["World"]
    paragraph = row["Another paragraph of the same story, also a sentence."]
    # The four card headlines share a structure although their classes carry numbers.
    assert card[col["repeat_log_count"]] == pytest.approx(math.log1p(4))
    assert card[col["repeat_container_spread"]] == 1.0  # each in its own card
    assert card[col["repeat_link_density"]] == 1.0
    assert paragraph[col["repeat_log_count"]] == pytest.approx(math.log1p(2))
    assert paragraph[col["repeat_container_spread"]] == 0.5  # both in one container
    assert paragraph[col["repeat_link_density"]] == 0.0
    assert menu[col["repeat_log_count"]] == pytest.approx(math.log1p(3))
    assert menu[col["repeat_container_spread"]] == pytest.approx(1 / 3)
    share = sum(len(t) for t in texts if t.startswith("Story")) / sum(len(t) for t in texts)
    assert card[col["repeat_char_share"]] == pytest.approx(share, rel=1e-5)
    assert np.isfinite(columns).all()


def test_structure_groups_of_both_paths_agree():
    blocks = list(build_blocks(parse_html(EXAMPLE.read_bytes())))
    # Decimal digits of any script are left out; a superscript two is not a decimal digit.
    container = ("list", "post-12")
    blocks += [Block("a", "p", own_tokens=own, ancestor_tokens=container, tag_path=("div", "p"))
               for own in (("card", "card-١٢"), ("card",), ("x²",), ("x",))]
    groups = structure_groups(blocks)
    np.testing.assert_array_equal(groups, structure_groups(blocks, use_speedups=False))
    assert list(np.unique(groups)) == list(range(groups.max() + 1))  # numbered from 0
    card_digits, card, superscript, plain = groups[-4:]
    assert card_digits == card and len({card, superscript, plain}) == 3
    # Token fields that are not tuples go through the Python path.
    listed = [Block("a", "p", own_tokens=["card"], ancestor_tokens=["list", "post-1"],
                    tag_path=["div", "p"]), Block("b", "p", own_tokens=("card",),
                                              ancestor_tokens=("list",), tag_path=("div", "p"))]
    assert list(structure_groups(listed)) == [0, 0]


# --------------------------------------------------------------------------- link targets

def test_link_target_columns_follow_the_repetition_ones_when_asked_for():
    blocks = _blocks(_LISTING)
    plain = FeatureConfig(n_hashed=16, repetition=True)
    wide = FeatureConfig(n_hashed=16, repetition=True, link_targets=True)
    assert wide.numeric_names == NUMERIC_NAMES + REPETITION_NAMES + LINK_TARGET_NAMES
    assert wide.n_features == plain.n_features + len(LINK_TARGET_NAMES)
    numeric = len(plain.numeric_names)
    with_columns = page_matrix(blocks, wide)
    np.testing.assert_array_equal(with_columns[:, :numeric],
                                  page_matrix(blocks, plain)[:, :numeric])
    assert FeatureConfig.from_dict(wide.to_dict()) == wide
    # Configurations saved before the columns existed have no "link_targets" key.
    assert "link_targets" not in plain.to_dict()
    only_links = FeatureConfig(n_hashed=16, link_targets=True)
    assert only_links.numeric_names == NUMERIC_NAMES + LINK_TARGET_NAMES
    texts = [block.text for block in blocks]
    own = page_matrix(blocks, only_links)[:, len(NUMERIC_NAMES)]
    row = dict(zip(texts, own))
    # Mean target per link: the menu's "/b" (2 bytes), a card headline's "/s2" (3).
    assert row["World"] == pytest.approx(math.log1p(2))
    assert row["Story 2"] == pytest.approx(math.log1p(3))
    assert row["Excerpt of story 2."] == 0.0  # no link


def test_link_slug_columns_come_last_when_asked_for():
    blocks = _blocks(_LISTING)
    before = FeatureConfig(n_hashed=16, repetition=True, link_targets=True, heading_buckets=4)
    wide = FeatureConfig(n_hashed=16, repetition=True, link_targets=True, heading_buckets=4,
                         link_slugs=True)
    assert wide.numeric_names == before.numeric_names + LINK_SLUG_NAMES
    numeric = len(before.numeric_names)
    np.testing.assert_array_equal(page_matrix(blocks, wide)[:, :numeric],
                                  page_matrix(blocks, before)[:, :numeric])
    assert FeatureConfig.from_dict(wide.to_dict()) == wide
    assert "link_slugs" not in before.to_dict()  # as saved before the columns existed
    only_slugs = FeatureConfig(n_hashed=16, link_slugs=True)
    row = dict(zip([block.text for block in blocks],
                   page_matrix(blocks, only_slugs)[:, len(NUMERIC_NAMES)]))
    assert row["World"] == pytest.approx(math.log1p(1))  # the menu's "/b"
    assert row["Excerpt of story 2."] == 0.0  # no link


def test_link_rel_columns_come_after_the_slug_ones_when_asked_for():
    blocks = _blocks('<p>By <a rel="author" href="/a">Ann</a></p><p>Body text here.</p>'
                     '<p>More body.</p><p>Even more.</p><p>Last one.</p>'
                     '<h3><a rel="bookmark" href="/s">Story</a></h3>')
    before = FeatureConfig(n_hashed=16, link_slugs=True)
    wide = FeatureConfig(n_hashed=16, link_slugs=True, link_rels=True)
    assert wide.numeric_names == before.numeric_names + LINK_REL_NAMES
    numeric = len(before.numeric_names)
    matrix = page_matrix(blocks, wide)
    np.testing.assert_array_equal(matrix[:, :numeric], page_matrix(blocks, before)[:, :numeric])
    assert FeatureConfig.from_dict(wide.to_dict()) == wide
    assert "link_rels" not in before.to_dict()  # as saved before the columns existed
    rows = {block.text: dict(zip(LINK_REL_NAMES, row))
            for block, row in zip(blocks, matrix[:, numeric:])}
    assert rows["By Ann"]["rel_author"] == 1.0 and rows["By Ann"]["rel_bookmark"] == 0.0
    assert rows["Story"]["rel_bookmark"] == 1.0
    assert rows["Body text here."]["rel_author"] == 0.0
    # "More body." sees all 6 blocks (2 before it, 3 after): one carries rel="author".
    assert rows["More body."]["window3_rel_author"] == pytest.approx(1 / 6)


def test_a_link_counts_no_more_slug_words_than_its_text_has():
    blocks = _blocks('<div class="nav-next"><a href="/2024/05/the-next-post-title">Next</a></div>'
                     '<h3><a href="/2024/05/rain-returns-to-the-valley">Rain returns to the '
                     'valley</a></h3>')
    config = FeatureConfig(n_hashed=16, link_slugs=True)
    row = dict(zip([block.text for block in blocks],
                   page_matrix(blocks, config)[:, config.numeric_names.index(LINK_SLUG_NAMES[0])]))
    # 4 characters of link text are 0.8 of a word, though the slug has 4 words.
    assert row["Next"] == pytest.approx(math.log1p(len("Next") / 5))
    # A headline's slug is its words: 22 characters of text allow 4.4 of the slug's 5.
    assert row["Rain returns to the valley"] == pytest.approx(math.log1p(22 / 5))


# --------------------------------------------------------------------------- widget headings

_WIDGETS = (b"<html><body><h1>Title</h1><p>Body text.</p>"
            b"<div class=w><h3>Recent Posts</h3><ul><li><a href=/a>One story</a></li>"
            b"<li><a href=/b>Two</a></li></ul></div>"
            b"<section><header><h2>Related</h2></header><div><p>card</p></div></section>"
            b"<div class=widget><div class=widget-title>Categories</div><ul><li>News</li></ul>"
            b"</div><p>after</p></body></html>")


def test_a_block_takes_the_nearest_heading_whose_container_holds_it():
    blocks = build_blocks(parse_html(_WIDGETS))
    texts = [block.text for block in blocks]
    heading_of = {text: (texts[j] if j >= 0 else None)
                  for text, j in zip(texts, widget_headings(blocks))}
    assert heading_of == {
        "Title": None, "Body text.": None,  # an h1 heads the page, not a widget
        "Recent Posts": "Recent Posts", "One story": "Recent Posts", "Two": "Recent Posts",
        # the h2 is alone in its <header>: its scope is the <section>
        "Related": "Related", "card": "Related",
        "Categories": "Categories", "News": "Categories",  # a heading by its class
        "after": None,  # outside every widget
    }
    assert list(widget_headings([Block("x", "p")])) == [-1]  # no element tree: no headings


def test_heading_token_columns_hold_the_buckets_of_the_heading_words():
    blocks = build_blocks(parse_html(_WIDGETS))
    plain = FeatureConfig(n_hashed=8)
    wide = FeatureConfig(n_hashed=8, heading_buckets=32)
    assert wide.numeric_names == NUMERIC_NAMES + tuple(f"heading_token_{i}" for i in range(32))
    assert "heading_buckets" not in plain.to_dict()
    assert FeatureConfig.from_dict(wide.to_dict()) == wide
    with pytest.raises(ValueError, match="heading_buckets"):
        FeatureConfig(heading_buckets=-1)
    matrix = page_matrix(blocks, wide)
    first = len(NUMERIC_NAMES)
    columns = matrix[:, first:first + 32]
    texts = [block.text for block in blocks]
    expected = {hashed_index("heading:recent", 32), hashed_index("heading:posts", 32)}
    assert set(np.flatnonzero(columns[texts.index("One story")])) == expected
    assert columns[texts.index("Body text.")].sum() == 0.0
    # rows made by chunks hold the same cells as the whole matrix
    features = PageFeatures(blocks, wide)
    np.testing.assert_array_equal(np.vstack([features.rows(0, 3), features.rows(3, len(blocks))]),
                                  features.matrix())
