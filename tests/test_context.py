"""Tests of boilerkit.context: page context from first-level probabilities."""

from __future__ import annotations

import numpy as np

from boilerkit import build_blocks, parse_html
from boilerkit.context import ContextSpec, context_features

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
