"""Step 4: the block classifier, a scikit-learn estimator over pages of blocks.

Like sequence labellers (sklearn-crfsuite), ``fit`` takes a sequence of pages
and a sequence of label arrays, one label per block; ``predict`` and
``predict_proba`` return one array per page. Inside it is a plain
:class:`~sklearn.pipeline.Pipeline`: a :class:`~sklearn.pipeline.FeatureUnion`
of numeric and hashed-token features feeding a
:class:`~sklearn.ensemble.HistGradientBoostingClassifier`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import ThreadpoolController

from .blocks import Block
from .features import NumericFeatures, TokenFeatures
from .labels import PARTIAL_LABEL


Pages = Sequence[Sequence[Block]]

# Below this many blocks, prediction runs on one thread (see predict_proba).
_PARALLEL_MIN_BLOCKS = 20_000


def _balanced(labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``weights`` rescaled so that every label has the same total weight."""
    classes, inverse = np.unique(labels, return_inverse=True)
    totals = np.bincount(inverse, weights=weights)
    return weights * (weights.sum() / (len(classes) * totals))[inverse]


class TwoStageClassifier(ClassifierMixin, BaseEstimator):
    """Learn from labels of mixed precision, such as "not article" next to "teaser".

    When the training labels contain ``partial_label``, a first copy of
    ``estimator`` learns ``primary_label`` against everything else on all rows,
    and a second one learns the other precise labels on their rows only:
    ``P(c) = (1 - P(primary)) * P(c | not primary)``. Without ``partial_label``
    it is one plain classifier.
    """

    def __init__(self, estimator=None, primary_label: str = "article",
                 partial_label: str = PARTIAL_LABEL, balance_second_stage: bool = True):
        self.estimator = estimator
        self.primary_label = primary_label
        self.partial_label = partial_label
        self.balance_second_stage = balance_second_stage

    def fit(self, X, y, sample_weight=None) -> "TwoStageClassifier":
        y = np.asarray(y)
        prototype = self.estimator if self.estimator is not None else HistGradientBoostingClassifier()
        weights = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight)
        self.two_stage_ = self.partial_label in set(y)
        if not self.two_stage_:
            self.stages_ = [clone(prototype).fit(X, y, sample_weight=weights)]
            self.classes_ = self.stages_[0].classes_
            return self
        is_primary = y == self.primary_label
        if not is_primary.any():
            raise ValueError(f"{self.partial_label!r} labels need {self.primary_label!r} labels too")
        first = clone(prototype).fit(X, np.where(is_primary, "primary", "other"),
                                     sample_weight=weights)
        precise = ~is_primary & (y != self.partial_label)
        self.stages_ = [first]
        self.classes_ = np.asarray([self.primary_label, self.partial_label], dtype=object)
        if precise.any():
            second_weights = weights[precise]
            if self.balance_second_stage:
                # Sources that label only some classes (comments, say) skew the priors of
                # the second stage; give each class the same total weight.
                second_weights = _balanced(y[precise], second_weights)
            second = clone(prototype).fit(X[precise], y[precise], sample_weight=second_weights)
            self.stages_.append(second)
            self.classes_ = np.concatenate([[self.primary_label], second.classes_]).astype(object)
        return self

    def predict_proba(self, X) -> np.ndarray:
        first = self.stages_[0]
        if not self.two_stage_:
            return first.predict_proba(X)
        primary = first.predict_proba(X)[:, list(first.classes_).index("primary")]
        if len(self.stages_) == 1:  # only the primary label and the partial one were seen
            return np.column_stack([primary, 1.0 - primary])
        rest = self.stages_[1].predict_proba(X) * (1.0 - primary)[:, None]
        return np.column_stack([primary, rest])

    def predict(self, X) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class BlockClassifier(ClassifierMixin, BaseEstimator):
    """Label every block of a page.

    Parameters mirror the gradient-boosting model inside; ``n_hashed_features``
    sets the width of the hashed class/id-token features. Any label set works:
    the classes are whatever the training labels hold. ``None`` labels are
    ignored during training (unlabelled blocks), and ``"boilerplate"`` labels
    (not article, exact class unknown) train only the article decision
    (see :class:`TwoStageClassifier`).
    """

    def __init__(self, n_hashed_features: int = 256, max_iter: int = 100,
                 learning_rate: float = 0.15, max_leaf_nodes: int = 31,
                 min_samples_leaf: int = 40, l2_regularization: float = 1.0,
                 class_weight: str | dict | None = None, random_state: int = 0):
        self.n_hashed_features = n_hashed_features
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.class_weight = class_weight
        self.random_state = random_state

    def _make_pipeline(self) -> Pipeline:
        return Pipeline([
            ("features", FeatureUnion([
                ("numeric", NumericFeatures()),
                ("tokens", TokenFeatures(n_features=self.n_hashed_features)),
            ])),
            ("classifier", TwoStageClassifier(HistGradientBoostingClassifier(
                max_iter=self.max_iter, learning_rate=self.learning_rate,
                max_leaf_nodes=self.max_leaf_nodes, min_samples_leaf=self.min_samples_leaf,
                l2_regularization=self.l2_regularization, class_weight=self.class_weight,
                early_stopping=False, random_state=self.random_state,
            ))),
        ])

    def fit(self, pages: Pages, labels: Sequence[Sequence[str | None]],
            sample_weight: Sequence[Sequence[float]] | None = None) -> "BlockClassifier":
        """Fit on ``pages`` with one label (or ``None``) per block."""
        if len(pages) != len(labels):
            raise ValueError(f"{len(pages)} pages but {len(labels)} label sequences")
        flat_labels = []
        for page, page_labels in zip(pages, labels):
            if len(page) != len(page_labels):
                raise ValueError(f"a page has {len(page)} blocks but {len(page_labels)} labels")
            flat_labels.extend(page_labels)
        flat_labels = np.asarray(flat_labels, dtype=object)
        keep = np.asarray([label is not None for label in flat_labels])
        if not keep.any():
            raise ValueError("no labelled blocks to train on")
        weights = None
        if sample_weight is not None:
            weights = np.concatenate([np.asarray(w, dtype=np.float64) for w in sample_weight])[keep]
        pipeline = self._make_pipeline()
        features = pipeline.named_steps["features"].fit_transform(pages)
        # A fresh array lets numpy infer the label dtype (str, int, ...) for sklearn.
        pipeline.named_steps["classifier"].fit(
            features[keep], np.asarray(flat_labels[keep].tolist()), sample_weight=weights)
        self.pipeline_ = pipeline
        self.classes_ = pipeline.named_steps["classifier"].classes_
        return self

    def _split_by_page(self, pages: Pages, rows: np.ndarray) -> list[np.ndarray]:
        bounds = np.cumsum([len(page) for page in pages])[:-1]
        return np.split(rows, bounds) if len(pages) else []

    def predict_proba(self, pages: Pages) -> list[np.ndarray]:
        """Per page, an ``(n_blocks, n_classes)`` array; columns follow :attr:`classes_`."""
        check_is_fitted(self, "pipeline_")
        n_blocks = sum(len(page) for page in pages)
        if n_blocks == 0:
            return [np.zeros((0, len(self.classes_))) for _ in pages]
        if n_blocks >= _PARALLEL_MIN_BLOCKS:
            probabilities = self.pipeline_.predict_proba(pages)
        else:
            # Starting OpenMP threads for every tree costs more than a small page's whole
            # prediction, and is far worse when the cores are busy.
            with self._thread_controller().limit(limits=1, user_api="openmp"):
                probabilities = self.pipeline_.predict_proba(pages)
        return self._split_by_page(pages, probabilities)

    def _thread_controller(self) -> ThreadpoolController:
        # Made once per model: inspecting the loaded thread pools takes milliseconds.
        controller = self.__dict__.get("_threadpool_controller")
        if controller is None:
            controller = self.__dict__["_threadpool_controller"] = ThreadpoolController()
        return controller

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state.pop("_threadpool_controller", None)
        return state

    def predict(self, pages: Pages) -> list[np.ndarray]:
        """Per page, an array with the most probable label of each block."""
        return [self.classes_[np.argmax(p, axis=1)] if len(p) else np.asarray([], dtype=object)
                for p in self.predict_proba(pages)]

    def score(self, pages: Pages, labels: Sequence[Sequence[str | None]], sample_weight=None) -> float:
        """Block accuracy over the labelled blocks."""
        predicted = np.concatenate(self.predict(pages)) if len(pages) else np.asarray([])
        truth = np.asarray([label for page_labels in labels for label in page_labels], dtype=object)
        keep = np.asarray([label is not None for label in truth], dtype=bool)
        return float(np.mean(predicted[keep] == truth[keep])) if keep.any() else 0.0

    def save(self, path: str | Path, metadata: dict | None = None) -> Path:
        """Save to a directory (``model.joblib`` + ``manifest.json``) or a ``.joblib`` file.

        See :func:`boilerkit.persistence.save_model`.
        """
        from .persistence import save_model

        return save_model(self, path, metadata=metadata)
