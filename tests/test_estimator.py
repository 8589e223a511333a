"""Tests of boilerkit.estimator.BlockClassifier: a scikit-learn estimator over blocks."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_val_score
from threadpoolctl import threadpool_limits

from boilerkit import DEFAULT_LABELS, build_blocks, parse_html
from boilerkit.estimator import BlockClassifier, flatten
from boilerkit.features import feature_matrix
from boilerkit.labels import PARTIAL_LABEL

@pytest.fixture(scope="module", autouse=True)
def _single_thread():
    # HistGradientBoosting's OpenMP threads crawl when the machine is busy (several test
    # runs at once on few cores); one thread keeps these tiny fits fast.
    with threadpool_limits(limits=1):
        yield


# --------------------------------------------------------------------------- synthetic data
# Private stand-in for the conftest ``tiny_model`` fixture, so this module runs on its own.

_TOPICS = ("river", "harbour", "orchard", "library", "railway", "glacier")


def _synthetic_page(i: int) -> str:
    topic = _TOPICS[i % len(_TOPICS)]
    nav = "".join(f'<li><a href="/{w}">{w.title()}</a></li>' for w in ("home", "world", "sport", topic))
    paras = "".join(f"<p>The {topic} story, part {k}, explains how the {topic} changed the town "
                    f"over a decade, and what officials now plan to do about it.</p>" for k in range(3 + i % 2))
    related = "".join(f'<li><a href="/r{k}">More on the {topic}: {w}</a></li>'
                      for k, w in enumerate(("past", "future", "critics")))
    comments = "".join(f'<div class="comment"><p>I enjoyed this piece on the {topic}. Reader {k}</p></div>'
                       for k in range(2))
    return (
        f"<html><head><title>{topic}</title></head><body>"
        f'<nav class="main-menu" data-label="navigation"><ul>{nav}</ul></nav>'
        f'<article data-label="article"><h1>All about the {topic}</h1>{paras}</article>'
        f'<aside class="related-posts" data-label="teaser"><ul>{related}</ul></aside>'
        f'<section id="comments" data-label="comment">{comments}'
        f'<form class="comment-form"><textarea>Your comment</textarea>'
        f'<input type="submit" value="Post comment"></form></section>'
        f'<footer data-label="navigation"><p><a href="/about">About</a></p></footer>'
        "</body></html>")


def _label_of(block) -> str | None:
    for element in block.element.iterancestors():
        if element.get("data-label"):
            return element.get("data-label")
    return None


@pytest.fixture(scope="module")
def _data():
    pages = [build_blocks(parse_html(_synthetic_page(i))) for i in range(6)]
    labels = [[_label_of(block) for block in page] for page in pages]
    assert all(label is not None for page_labels in labels for label in page_labels)
    return pages, labels


def _tiny(**params) -> BlockClassifier:
    return BlockClassifier(max_iter=20, min_samples_leaf=2, **params)


@pytest.fixture(scope="module")
def _tiny_model(_data) -> BlockClassifier:
    pages, labels = _data
    return _tiny().fit(pages, labels)


# --------------------------------------------------------------------------- fit / predict

def test_classes_are_the_training_label_set(_tiny_model, _data):
    _, labels = _data
    classes = list(_tiny_model.classes_)
    assert len(classes) == len(set(classes))
    assert set(classes) == {l for page in labels for l in page} == set(DEFAULT_LABELS)


def test_predict_and_predict_proba_shapes_per_page(_tiny_model, _data):
    pages, _ = _data
    predicted = _tiny_model.predict(pages)
    probabilities = _tiny_model.predict_proba(pages)
    assert len(predicted) == len(probabilities) == len(pages)
    for page, labels, proba in zip(pages, predicted, probabilities):
        assert labels.shape == (len(page),)
        assert proba.shape == (len(page), len(_tiny_model.classes_))
        assert set(labels) <= set(_tiny_model.classes_)
        np.testing.assert_array_equal(labels, _tiny_model.classes_[np.argmax(proba, axis=1)])


def test_probabilities_sum_to_one(_tiny_model, _data):
    pages, _ = _data
    for proba in _tiny_model.predict_proba(pages):
        assert np.all(proba >= 0) and np.all(proba <= 1)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


def test_tiny_model_learns_the_synthetic_labels(_tiny_model, _data):
    pages, labels = _data
    assert _tiny_model.score(pages, labels) > 0.9


def test_arbitrary_label_set(_data):
    pages, labels = _data
    good_bad = [["good" if l == "article" else "bad" for l in page] for page in labels]
    model = _tiny().fit(pages, good_bad)
    assert sorted(model.classes_) == ["bad", "good"]
    for page, predicted, proba in zip(pages, model.predict(pages), model.predict_proba(pages)):
        assert set(predicted) <= {"good", "bad"}
        assert proba.shape == (len(page), 2)


def test_labels_become_their_names(_data):
    # A saved model names its labels in JSON, so labels are strings from the start.
    pages, labels = _data
    binary = [[1 if l == "article" else 0 for l in page] for page in labels]
    model = _tiny().fit(pages, binary)
    assert list(model.classes_) == ["0", "1"]
    assert set(model.predict(pages[:1])[0]) <= {"0", "1"}


def test_none_labels_are_ignored(_data):
    pages, labels = _data
    partial = [[None if l == "teaser" else l for l in page] for page in labels]
    model = _tiny().fit(pages, partial)
    assert sorted(model.classes_) == ["article", "comment", "navigation"]
    predicted = model.predict(pages)
    assert [len(p) for p in predicted] == [len(page) for page in pages]
    # score skips unlabelled blocks
    assert 0.0 <= model.score(pages, partial) <= 1.0


def test_partial_boilerplate_labels_train_only_the_article_decision(_data):
    pages, labels = _data
    # on odd pages only "article" vs "boilerplate" (= not article, class unknown) is known
    mixed = [[l if (i % 2 == 0 or l == "article") else PARTIAL_LABEL for l in page]
             for i, page in enumerate(labels)]
    model = _tiny().fit(pages, mixed)
    assert set(model.classes_) == set(DEFAULT_LABELS)
    assert PARTIAL_LABEL not in set(model.classes_)
    for page, proba in zip(pages, model.predict_proba(pages)):
        assert proba.shape == (len(page), len(DEFAULT_LABELS))
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert model.score(pages, labels) > 0.9


def test_article_versus_boilerplate_only_labels(_data):
    pages, labels = _data
    binary = [[l if l == "article" else PARTIAL_LABEL for l in page] for page in labels]
    model = _tiny().fit(pages, binary)
    assert "article" in set(model.classes_)
    for page, predicted in zip(pages, model.predict(pages)):
        assert len(predicted) == len(page)


def test_all_none_labels_raise(_data):
    pages, labels = _data
    with pytest.raises(ValueError):
        _tiny().fit(pages, [[None] * len(page) for page in pages])


def test_sample_weight_per_block(_data):
    pages, labels = _data
    # Zero weight drops a label's blocks; unequal weights move the probabilities.
    no_teasers = [[0.0 if label == "teaser" else 1.0 for label in page] for page in labels]
    assert "teaser" not in _tiny().fit(pages, labels, sample_weight=no_teasers).classes_
    heavy_first = [[5.0 if i == 0 else 1.0] * len(page) for i, page in enumerate(pages)]
    weighted = _tiny().fit(pages, labels, sample_weight=heavy_first)
    plain = _tiny().fit(pages, labels)
    assert any(not np.allclose(a, b) for a, b in zip(weighted.predict_proba(pages),
                                                      plain.predict_proba(pages)))


def test_mismatched_lengths_raise_value_error(_data):
    pages, labels = _data
    with pytest.raises(ValueError):
        _tiny().fit(pages, labels[:-1])
    with pytest.raises(ValueError):
        _tiny().fit(pages, [labels[0][:-1]] + labels[1:])


def test_predict_on_no_pages_and_empty_pages(_tiny_model, _data):
    pages, _ = _data
    n_classes = len(_tiny_model.classes_)
    assert _tiny_model.predict([]) == []
    assert _tiny_model.predict_proba([]) == []
    (empty,) = _tiny_model.predict([[]])
    assert empty.shape == (0,)
    (empty_proba,) = _tiny_model.predict_proba([[]])
    assert empty_proba.shape == (0, n_classes)
    mixed = _tiny_model.predict_proba([[], pages[0], []])
    assert [p.shape for p in mixed] == [(0, n_classes), (len(pages[0]), n_classes), (0, n_classes)]
    np.testing.assert_allclose(mixed[1], _tiny_model.predict_proba([pages[0]])[0])


def test_unfitted_model_refuses_to_predict(_data):
    pages, _ = _data
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        BlockClassifier().predict(pages)


# --------------------------------------------------------------------------- sklearn API

def test_get_params_set_params_round_trip():
    model = BlockClassifier(max_iter=7, learning_rate=0.2, class_weight="balanced")
    params = model.get_params()
    assert params["max_iter"] == 7 and params["learning_rate"] == 0.2
    assert params["class_weight"] == "balanced"
    other = BlockClassifier().set_params(**params)
    assert other.get_params() == params
    assert other.set_params(max_leaf_nodes=5) is other and other.max_leaf_nodes == 5


def test_clone_gives_equal_unfitted_estimator(_tiny_model, _data):
    pages, labels = _data
    copy = clone(_tiny_model)
    assert copy.get_params() == _tiny_model.get_params()
    assert not hasattr(copy, "model_")
    copy.fit(pages, labels)
    for a, b in zip(copy.predict_proba(pages), _tiny_model.predict_proba(pages)):
        np.testing.assert_allclose(a, b)  # random_state is fixed


def test_second_stage_balancing_gives_every_class_the_same_total_weight():
    from boilerkit.estimator import _balanced

    labels = np.asarray(["comment"] * 6 + ["teaser"] * 2 + ["navigation"])
    weights = _balanced(labels, np.ones(len(labels)))
    totals = [weights[labels == label].sum() for label in ("comment", "teaser", "navigation")]
    assert totals == pytest.approx([3.0, 3.0, 3.0])


# --------------------------------------------------------------------------- scikit-learn tools

def _rows(data):
    pages, labels = data
    pages = pages * 2  # ten pages, so that five folds each hold some of every label
    labels = labels * 2
    X, y = flatten(pages, labels)
    return X, y


def test_cross_val_score_with_the_default_cv_and_f1_macro(_data):
    X, y = _rows(_data)
    scores = cross_val_score(_tiny(), X, y, scoring="f1_macro")
    assert len(scores) == 5 and np.isfinite(scores).all() and scores.min() > 0.5
    plain = cross_val_score(_tiny(), X, y)  # the estimator's own score
    assert np.isfinite(plain).all()


def test_grid_search_with_f1_macro_and_groups(_data):
    X, y = _rows(_data)
    groups = [id(row.page) for row in X]
    search = GridSearchCV(_tiny(), {"max_iter": [5, 20]}, scoring="f1_macro",
                          cv=GroupKFold(n_splits=3))
    search.fit(X, y, groups=groups)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_params_["max_iter"] in (5, 20)
    assert set(search.predict(X)) <= set(DEFAULT_LABELS)


def test_rows_use_their_whole_page_as_context(_data, _tiny_model):
    pages, labels = _data
    X, y = flatten(pages, labels)
    by_rows = _tiny_model.predict_proba(X)
    by_pages = np.vstack(_tiny_model.predict_proba(pages))
    np.testing.assert_array_equal(by_rows, by_pages)
    subset = X[3:9]
    np.testing.assert_array_equal(_tiny_model.predict_proba(subset), by_pages[3:9])


def test_score_judges_boilerplate_blocks_as_evaluation_does(_data, _tiny_model):
    pages, labels = _data
    predicted = np.concatenate(_tiny_model.predict(pages))
    truth = [l if l == "article" else PARTIAL_LABEL for page in labels for l in page]
    # boilerplate predicted as something other than article is not judged, so the score is
    # the share of blocks whose article decision is right
    judged = [(t == PARTIAL_LABEL and p == "article") or t == "article"
              for t, p in zip(truth, predicted)]
    correct = [t == p for t, p, j in zip(truth, predicted, judged) if j]
    X, _ = flatten(pages, labels)
    assert _tiny_model.score(X, truth) == pytest.approx(sum(correct) / len(correct))


# --------------------------------------------------------------------------- the plain model

def test_plain_model_matches_scikit_learn_probabilities(_data):
    pages, labels = _data
    for labelling in (labels, [[l if (i % 2 == 0 or l == "article") else PARTIAL_LABEL
                                for l in page] for i, page in enumerate(labels)]):
        model = _tiny().fit(pages, labelling)
        X = feature_matrix(pages, model.model_.feature_config)
        head = model.model_.levels[0]
        for ensemble, fitted in zip(head.ensembles, model.fitted_hgbs_[0]):
            np.testing.assert_allclose(ensemble.predict_proba(X), fitted.predict_proba(X),
                                       atol=1e-9, rtol=0)


def test_stacking_adds_a_second_level_fitted_out_of_fold(_data):
    pages, labels = _data
    model = _tiny(stacking=True, stacking_folds=3).fit(pages, labels, groups=list(range(6)))
    assert len(model.model_.levels) == 2
    assert model.model_.levels[1].ensembles[0].n_features == (
        model.model_.feature_config.n_features + model.model_.context.n_features)
    assert model.score(pages, labels) > 0.9


def test_the_defaults_the_command_line_lists_are_the_estimators():
    from boilerkit.hyperparameters import DEFAULTS

    assert BlockClassifier().get_params() == DEFAULTS


def test_an_estimator_pickled_before_a_parameter_existed_gets_its_default():
    import pickle

    from boilerkit.hyperparameters import DEFAULTS

    estimator = BlockClassifier(max_iter=7)
    del estimator.link_target_features, estimator.group_context  # as pickled before them
    restored = pickle.loads(pickle.dumps(estimator))
    assert restored.get_params() == {**DEFAULTS, "max_iter": 7}


@pytest.mark.parametrize("group_context", [False, True])
def test_the_plain_model_matches_scikit_learn_with_stacking(_data, group_context):
    pages, labels = _data
    mixed = [[l if (i % 2 == 0 or l == "article") else PARTIAL_LABEL for l in page]
             for i, page in enumerate(labels)]
    model = _tiny(stacking=True, stacking_folds=3, group_context=group_context,
                  repetition_features=group_context).fit(pages, mixed, groups=list(range(6)))
    assert model.model_.context.groups is group_context
    for ours, reference in zip(model.predict_proba(pages), model.sklearn_predict_proba(pages)):
        np.testing.assert_allclose(ours, reference, atol=1e-9, rtol=0)
