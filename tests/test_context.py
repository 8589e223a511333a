"""Tests of boilerkit.context: page context from first-level probabilities."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import compiled_or_python

from boilerkit import build_blocks, parse_html
from boilerkit.blocks import ANCESTOR_LEVELS
from boilerkit import context as context_module
from boilerkit.context import ContextSpec, context_features, group_features

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "news-page.html"

SPEC = ContextSpec(("article", "navigation"))
NAMES = {name: i for i, name in enumerate(SPEC.feature_names())}


def _page():
    return build_blocks(parse_html(
        "<html><body><nav><p>Home</p><p>News</p></nav>"
        "<article><p>First paragraph text.</p><p>Second paragraph text.</p></article>"
        "</body></html>"))


def test_own_probability_window_and_page_share():
    blocks = _page()
    probabilities = np.asarray([[0.1, 0.9], [0.2, 0.8], [0.9, 0.1], [0.7, 0.3]])
    features = context_features(blocks, probabilities, SPEC)
    assert features.shape == (4, SPEC.n_features) and features.dtype == np.float32
    np.testing.assert_allclose(features[:, NAMES["ctx_article"]], probabilities[:, 0], rtol=1e-6)
    chars = np.asarray([len(b.text) for b in blocks], float)
    share = (probabilities[:, 0] * chars).sum() / chars.sum()
    np.testing.assert_allclose(features[:, NAMES["ctx_article_page"]], share, rtol=1e-6)
    # window of 2 around the first block: blocks 0, 1, 2
    np.testing.assert_allclose(features[0, NAMES["ctx_article_window2"]],
                               probabilities[:3, 0].mean(), rtol=1e-6)


def test_container_means_cover_the_whole_subtree():
    blocks = _page()
    probabilities = np.asarray([[0.0, 1.0], [0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    features = context_features(blocks, probabilities, SPEC)
    # first ancestor of the paragraphs: nav (all navigation) or article (all article)
    assert list(features[:, NAMES["ctx_article_ancestor1"]]) == [0, 0, 1, 1]
    # second ancestor is the body: the character-weighted mean over the page
    chars = np.asarray([len(b.text) for b in blocks], float)
    body = chars[2:].sum() / chars.sum()
    np.testing.assert_allclose(features[:, NAMES["ctx_article_ancestor2"]], body, rtol=1e-6)
    # the article holds all likely article characters
    assert list(features[:, NAMES["ctx_article_share_ancestor1"]]) == [0, 0, 1, 1]


def test_distance_to_the_nearest_likely_article_block():
    blocks = _page()
    probabilities = np.asarray([[0.1, 0.9], [0.2, 0.8], [0.9, 0.1], [0.2, 0.8]])
    features = context_features(blocks, probabilities, SPEC)
    after = features[:, NAMES["ctx_article_distance_after"]] * 4
    before = features[:, NAMES["ctx_article_distance_before"]] * 4
    np.testing.assert_allclose(after, [2, 1, 0, 4])
    np.testing.assert_allclose(before, [4, 4, 0, 1])


def test_empty_page():
    assert context_features([], np.zeros((0, 2)), SPEC).shape == (0, SPEC.n_features)


@pytest.fixture(params=["compiled", "python"])
def path(request, monkeypatch) -> str:
    return compiled_or_python(request, monkeypatch, context_module)


def test_both_paths_pass_the_tests_above(path):
    test_own_probability_window_and_page_share()
    test_container_means_cover_the_whole_subtree()
    test_distance_to_the_nearest_likely_article_block()


def test_compiled_and_numpy_paths_give_identical_features():
    if context_module._speedups is None:
        pytest.skip("the C accelerator is not built")
    blocks = build_blocks(parse_html(EXAMPLE.read_bytes()))
    spec = ContextSpec(("article", "navigation", "teaser", "comment"))
    rng = np.random.default_rng(7)
    probabilities = rng.dirichlet(np.ones(4), size=len(blocks))
    probabilities[::5, 0] = 0.5  # on the "more likely than not" boundary
    chars = np.asarray([len(b.text) for b in blocks], dtype=np.float64)
    compiled = context_features(blocks, probabilities, spec, chars)
    numpy_path = context_features(blocks, probabilities, spec, use_speedups=False)
    np.testing.assert_array_equal(compiled, numpy_path)  # bitwise: the same sums in order


def test_a_plain_list_of_blocks_has_no_containers(path):
    blocks = list(_page())  # no element tree: container features are zero
    probabilities = np.asarray([[0.0, 1.0], [0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    features = context_features(blocks, probabilities, SPEC)
    assert not features[:, NAMES["ctx_article_ancestor1"]].any()
    np.testing.assert_allclose(features[:, NAMES["ctx_article"]], probabilities[:, 0])


def test_the_compiled_path_refuses_ids_outside_the_tree():
    if context_module._speedups is None:
        pytest.skip("the C accelerator is not built")
    one = np.zeros(1, dtype=np.int64)
    out = np.empty((1, SPEC.n_features), dtype=np.float32)
    probabilities, chars = np.asarray([[0.5, 0.5]]), np.ones(1)
    with pytest.raises(ValueError, match="owner"):
        context_module._speedups.context_features(probabilities, chars, one + 5,
                                                  np.zeros((1, 4), np.int64), one,
                                                  np.asarray([2, 6]), out)
    with pytest.raises(ValueError, match="ancestor"):
        context_module._speedups.context_features(probabilities, chars, one,
                                                  np.full((1, 4), 3, np.int64), one,
                                                  np.asarray([2, 6]), out)
    with pytest.raises(ValueError, match="out"):
        context_module._speedups.context_features(probabilities, chars, one,
                                                  np.zeros((1, 4), np.int64), one,
                                                  np.asarray([2, 6]), out[:, :-1].copy())


def test_a_window_longer_than_the_page_covers_the_page():
    if context_module._speedups is None:
        pytest.skip("the C accelerator is not built")
    blocks = _page()
    probabilities = np.asarray([[0.1, 0.9], [0.2, 0.8], [0.9, 0.1], [0.7, 0.3]])
    owners, ancestor_ids, subtree_end = context_module.element_tree(blocks)
    width = len(SPEC.labels) * (3 + ANCESTOR_LEVELS) + ANCESTOR_LEVELS + 2  # one window
    for window in (3, 4, 2**62):
        out = np.empty((4, width), dtype=np.float32)
        context_module._speedups.context_features(
            probabilities, np.ones(4), np.ascontiguousarray(owners), ancestor_ids, subtree_end,
            np.asarray([window]), out)
        np.testing.assert_allclose(out[:, 1], probabilities[:, 0].mean(), rtol=1e-6)


# --------------------------------------------------------------------------- repetition groups

_CARDS = ("<html><body><h1>Rain returns</h1><p>After months of drought the rain came.</p>"
          + "".join(f'<div class="card post-{i}"><h3><a href="/{i}">Story {i}</a></h3>'
                    f"<p>Excerpt of story {i}.</p></div>" for i in range(3))
          + "</body></html>")


def test_group_columns_average_the_group_and_rank_its_blocks(path):
    blocks = build_blocks(parse_html(_CARDS))
    texts = [b.text for b in blocks]
    assert texts[:3] == ["Rain returns", "After months of drought the rain came.", "Story 0"]
    spec = ContextSpec(("article", "navigation"), groups=True)
    names = {name: i for i, name in enumerate(spec.feature_names())}
    probabilities = np.asarray([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9], [0.3, 0.7],
                                [0.4, 0.6], [0.6, 0.4], [0.7, 0.3], [0.2, 0.8]])
    features = context_features(blocks, probabilities, spec)
    assert features.shape == (8, spec.n_features)
    plain = context_features(blocks, probabilities, ContextSpec(("article", "navigation")))
    np.testing.assert_array_equal(features[:, :spec.n_page_features], plain)
    headlines, excerpts = [2, 4, 6], [3, 5, 7]  # each card's headline and excerpt
    for members in (headlines, excerpts):
        np.testing.assert_allclose(features[members, names["ctx_article_group"]],
                                   probabilities[members, 0].mean(), rtol=1e-6)
        np.testing.assert_allclose(features[members, names["ctx_group_rank"]], [0, 0.5, 1])
    # A block alone in its group keeps its own probability, at rank 0.
    np.testing.assert_allclose(features[0, names["ctx_navigation_group"]], 0.1, rtol=1e-6)
    assert features[0, names["ctx_group_rank"]] == 0
    # Groups the caller already has give the same columns.
    from boilerkit.features import structure_groups
    np.testing.assert_array_equal(
        context_features(blocks, probabilities, spec, groups=structure_groups(blocks)), features)


def test_group_features_of_no_blocks():
    assert group_features(np.zeros(0, np.int64), np.zeros((0, 3))).shape == (0, 4)
