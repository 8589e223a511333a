"""Tests of boilerkit.predictor: tree ensembles as arrays, in C and in numpy."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from boilerkit import predictor
from boilerkit.estimator import ensemble_from_hgb
from boilerkit.predictor import EnsembleError, TreeEnsemble

needs_speedups = pytest.mark.skipif(not predictor.has_speedups(),
                                    reason="the C accelerator is not built")


def _data(n_classes: int, missing: bool, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(600, 12)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int) + (n_classes > 2) * (X[:, 3] > 0.5)
    if missing:
        X[rng.random(X.shape) < 0.1] = np.nan
    return X, np.asarray([f"c{label}" for label in y])


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("missing", [False, True])
@pytest.mark.parametrize("use_speedups", [True, False])
def test_probabilities_match_scikit_learn(n_classes, missing, use_speedups):
    if use_speedups and not predictor.has_speedups():
        pytest.skip("the C accelerator is not built")
    X, y = _data(n_classes, missing)
    hgb = HistGradientBoostingClassifier(max_iter=30, max_leaf_nodes=15, random_state=0).fit(X, y)
    ensemble = ensemble_from_hgb(hgb, X.shape[1])
    assert ensemble.n_trees == 30 * (1 if n_classes == 2 else n_classes)
    X_test, _ = _data(n_classes, missing, seed=1)
    np.testing.assert_allclose(ensemble.predict_proba(X_test, use_speedups),
                               hgb.predict_proba(X_test), atol=1e-9, rtol=0)


@needs_speedups
def test_compiled_and_numpy_paths_give_the_same_sums():
    X, y = _data(3, True)
    hgb = HistGradientBoostingClassifier(max_iter=40, random_state=0).fit(X, y)
    ensemble = ensemble_from_hgb(hgb, X.shape[1])
    compiled = ensemble.raw_predict(X, use_speedups=True)
    numpy = ensemble.raw_predict(X, use_speedups=False)
    np.testing.assert_array_equal(compiled, numpy)


def test_no_rows_give_no_predictions():
    X, y = _data(2, False)
    ensemble = ensemble_from_hgb(HistGradientBoostingClassifier(max_iter=5).fit(X, y), 12)
    for use_speedups in (True, False):
        assert ensemble.predict_proba(np.zeros((0, 12), np.float32), use_speedups).shape == (0, 2)


def test_wrong_number_of_features_is_refused():
    X, y = _data(2, False)
    ensemble = ensemble_from_hgb(HistGradientBoostingClassifier(max_iter=5).fit(X, y), 12)
    with pytest.raises(ValueError, match="12 features"):
        ensemble.raw_predict(np.zeros((3, 11), np.float32))


def _stump(**changes) -> dict:
    arrays = dict(feature=[0, 0, 0], threshold=[0.5, 0, 0], left=[1, 0, 0], right=[2, 0, 0],
                  missing_left=[1, 0, 0], is_leaf=[0, 1, 1], value=[0.0, -1.0, 1.0], roots=[0],
                  tree_output=[0], baseline=[0.25], n_features=2, link="logistic")
    arrays.update(changes)
    return arrays


def test_a_hand_made_stump():
    ensemble = TreeEnsemble(**_stump())
    X = np.asarray([[0.0, 9.0], [1.0, 9.0], [np.nan, 9.0]], dtype=np.float32)
    for use_speedups in (True, False):
        np.testing.assert_array_equal(ensemble.raw_predict(X, use_speedups)[:, 0],
                                      [-0.75, 1.25, -0.75])
    assert ensemble.max_depth == 1


@pytest.mark.parametrize("changes, message", [
    ({"left": [5, 0, 0]}, "left"), ({"right": [-1, 0, 0]}, "right"),
    ({"feature": [2, 0, 0]}, "feature"), ({"roots": [3]}, "roots"),
    ({"tree_output": [1]}, "tree_output"), ({"value": [0.0, np.inf, 1.0]}, "finite"),
    ({"threshold": [0.5, 0]}, "length"), ({"link": "probit"}, "link"),
    ({"baseline": [0.0, 0.0]}, "outputs"), ({"left": [0, 0, 0], "right": [0, 0, 0]}, "cycle"),
])
def test_invalid_arrays_are_refused(changes, message):
    with pytest.raises(EnsembleError, match=message):
        TreeEnsemble(**_stump(**changes))


def _walked(ensemble: TreeEnsemble) -> TreeEnsemble:
    """A copy that the C path walks tree by tree instead of using leaf masks."""
    copy = TreeEnsemble(**ensemble.arrays(), n_features=ensemble.n_features, link=ensemble.link)
    copy._masks = ()
    return copy


@needs_speedups
@pytest.mark.parametrize("max_leaf_nodes", [2, 7, 31])
def test_leaf_masks_walk_and_numpy_give_the_same_sums(max_leaf_nodes):
    X, y = _data(3, True)
    hgb = HistGradientBoostingClassifier(max_iter=20, max_leaf_nodes=max_leaf_nodes,
                                         random_state=0).fit(X, y)
    ensemble = ensemble_from_hgb(hgb, X.shape[1])
    assert predictor.leaf_mask_tables(ensemble) is not None
    X_test, _ = _data(3, True, seed=2)
    X_test[:5] = np.inf
    X_test[5:10] = -np.inf
    X_test[10:13] = np.nan  # whole rows missing
    masks = ensemble.raw_predict(X_test[:-3])  # not a multiple of the 8 rows a group holds
    np.testing.assert_array_equal(masks, _walked(ensemble).raw_predict(X_test[:-3]))
    np.testing.assert_array_equal(masks, ensemble.raw_predict(X_test[:-3], use_speedups=False))


@needs_speedups
@pytest.mark.parametrize("rows", [1, 13])
def test_rows_of_a_wider_matrix_are_read_in_place(rows):
    # A model's second level leaves room for its context: its first level reads the
    # first columns of a wider matrix, a view whose rows are further apart than their length.
    X, y = _data(3, True)
    ensemble = ensemble_from_hgb(HistGradientBoostingClassifier(max_iter=10, random_state=0)
                                 .fit(X, y), X.shape[1])
    wide = np.full((rows, X.shape[1] + 5), 1e30, dtype=np.float32)  # would change every sum
    wide[:, :X.shape[1]] = X[:rows]
    view = wide[:, :X.shape[1]]
    assert rows == 1 or not view.flags.c_contiguous  # one row is contiguous anyway
    expected = ensemble.raw_predict(X[:rows].copy(), use_speedups=False)
    for walker in (ensemble, _walked(ensemble)):
        np.testing.assert_array_equal(walker.raw_predict(view), expected)
    np.testing.assert_array_equal(ensemble.raw_predict(view, use_speedups=False), expected)
    # Columns that are not adjacent, rows in reverse or repeated, are copied first.
    every_other = np.repeat(X[:rows], 2, axis=1)[:, ::2]
    np.testing.assert_array_equal(ensemble.raw_predict(every_other), expected)
    reversed_rows = X[:rows][::-1].copy()[::-1]
    np.testing.assert_array_equal(ensemble.raw_predict(reversed_rows), expected)
    repeated = np.broadcast_to(X[0], (rows, X.shape[1]))
    np.testing.assert_array_equal(ensemble.raw_predict(repeated),
                                  ensemble.raw_predict(np.tile(X[0], (rows, 1))))


@needs_speedups
def test_the_compiled_predictors_refuse_other_than_float32_rows():
    X, y = _data(2, False)
    ensemble = ensemble_from_hgb(HistGradientBoostingClassifier(max_iter=3).fit(X, y), 12)
    masks, out = predictor.leaf_mask_tables(ensemble), np.empty((len(X), 1))
    with pytest.raises(ValueError, match="float32"):
        predictor._speedups.predict_masks(X.astype(np.float64), masks.nodes, masks.starts,
                                          masks.missing, masks.missing_starts, masks.used,
                                          masks.leaf_values, masks.width, ensemble.tree_output,
                                          ensemble.baseline, out)


@needs_speedups
def test_trees_too_large_for_leaf_masks_are_walked():
    X, y = _data(2, True)
    hgb = HistGradientBoostingClassifier(max_iter=5, max_leaf_nodes=40, min_samples_leaf=2,
                                         random_state=0).fit(X, y)
    ensemble = ensemble_from_hgb(hgb, X.shape[1])
    first_tree = slice(ensemble.roots[0], ensemble.roots[1])  # converted trees are contiguous
    assert ensemble.is_leaf[first_tree].sum() > predictor.MAX_MASK_LEAVES
    assert predictor.leaf_mask_tables(ensemble) is None
    np.testing.assert_array_equal(ensemble.raw_predict(X),
                                  ensemble.raw_predict(X, use_speedups=False))


def test_a_node_with_two_parents_gets_no_leaf_masks():
    # Both children of the root are node 1: a valid walk, but not a tree.
    shared = TreeEnsemble(**_stump(left=[1, 0, 0], right=[1, 0, 0]))
    assert predictor.leaf_mask_tables(shared) is None
    X = np.asarray([[0.0, 0.0], [1.0, 0.0]], dtype=np.float32)
    for use_speedups in (True, False):
        np.testing.assert_array_equal(shared.raw_predict(X, use_speedups)[:, 0], [-0.75, -0.75])


def test_leaf_masks_of_a_hand_made_stump():
    nodes, starts, missing, missing_starts, used, leaf_values, width = \
        predictor.leaf_mask_tables(TreeEnsemble(**_stump()))
    split = np.frombuffer(nodes, predictor.MASK_NODE)
    # Going right rules out leaf 0 (the left one); bits above the leaves are never cleared.
    assert (split["mask"] & 0b11).tolist() == [0b10] and split["mask"][0] >> 1 == 2**31 - 1
    assert starts.tolist() == [0, 1, 1] and used.tolist() == [0]
    assert missing == b"" and missing_starts.tolist() == [0, 0, 0]  # missing values go left
    assert width == 4 and leaf_values.tolist() == [-1.0, 1.0, 0.0, 0.0]  # width > leaves


@pytest.mark.parametrize("use_speedups", [True, False])
def test_concatenated_ensembles_give_each_ensembles_sums(use_speedups):
    if use_speedups and not predictor.has_speedups():
        pytest.skip("the C accelerator is not built")
    X, y = _data(3, True)
    three = ensemble_from_hgb(HistGradientBoostingClassifier(max_iter=8).fit(X, y), 12)
    two = ensemble_from_hgb(HistGradientBoostingClassifier(max_iter=5).fit(X, y == "c0"), 12)
    together = predictor.concatenate([two, three])
    raw = together.raw_predict(X, use_speedups)
    assert raw.shape == (len(X), 4)
    np.testing.assert_array_equal(raw[:, :1], two.raw_predict(X, use_speedups))
    np.testing.assert_array_equal(raw[:, 1:], three.raw_predict(X, use_speedups))
    np.testing.assert_array_equal(
        predictor.link_probabilities(raw[:, 1:], "softmax"), three.predict_proba(X, use_speedups))


def test_only_ensembles_over_the_same_features_are_concatenated():
    stump = TreeEnsemble(**_stump())
    wider = TreeEnsemble(**_stump(n_features=3))
    with pytest.raises(ValueError, match="same features"):
        predictor.concatenate([stump, wider])
