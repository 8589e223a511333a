"""Training: :class:`BlockClassifier`, a scikit-learn estimator over blocks.

scikit-learn's :class:`~sklearn.ensemble.HistGradientBoostingClassifier`
learns the trees; right after fitting they are converted into a plain
:class:`~boilerkit.model.Model` (:func:`ensemble_from_hgb`), which is what
predicts, what :func:`boilerkit.save_model` writes and what loads back
without scikit-learn.

The estimator takes data in two shapes:

- **pages**: ``fit(pages, labels)`` with ``pages`` a sequence of pages (each
  the blocks of :func:`boilerkit.build_blocks`) and ``labels`` one sequence
  of labels (or ``None``: unlabelled) per page, like sequence labellers
  (sklearn-crfsuite); ``predict`` returns one array per page;
- **rows**: ``fit(X, y)`` with ``X`` from :func:`flatten`, one row per
  labelled block, each knowing its page. This is the shape scikit-learn's
  model-selection tools need (``cross_val_score``, ``GridSearchCV``, any
  scorer such as ``"f1_macro"``); features still come from the whole page.
  Pass ``groups`` (e.g. the page or site of each row) to keep pages apart
  across folds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.utils.validation import check_is_fitted

from .blocks import Block
from .context import ContextSpec, context_features
from .features import FeatureConfig, feature_matrix
from .hyperparameters import DEFAULTS
from .labels import PARTIAL_LABEL, PRIMARY_LABEL
from .model import Head, Model
from .predictor import TreeEnsemble

Pages = Sequence[Sequence[Block]]


@dataclass(frozen=True)
class BlockRow:
    """One block as a row for scikit-learn tools: its page and its position there."""

    page: Sequence[Block]
    position: int

    @property
    def block(self) -> Block:
        return self.page[self.position]


def flatten(pages: Pages, labels: Sequence[Sequence[str | None]] | None = None,
            keep_unlabelled: bool = False) -> tuple[list[BlockRow], np.ndarray | None]:
    """``(X, y)`` rows for scikit-learn tools: one :class:`BlockRow` per (labelled) block."""
    rows: list[BlockRow] = []
    targets: list[str | None] = []
    for index, page in enumerate(pages):
        page_labels = labels[index] if labels is not None else [None] * len(page)
        if len(page_labels) != len(page):
            raise ValueError(f"a page has {len(page)} blocks but {len(page_labels)} labels")
        for position, label in enumerate(page_labels):
            if label is not None or labels is None or keep_unlabelled:
                rows.append(BlockRow(page, position))
                targets.append(label)
    return rows, (np.asarray(targets, dtype=object) if labels is not None else None)


def ensemble_from_hgb(hgb: HistGradientBoostingClassifier, n_features: int) -> TreeEnsemble:
    """The trees of a fitted ``HistGradientBoostingClassifier`` as a :class:`TreeEnsemble`."""
    parts: dict[str, list[np.ndarray]] = {name: [] for name in (
        "feature", "threshold", "left", "right", "missing_left", "is_leaf", "value")}
    roots, outputs = [], []
    offset = 0
    for iteration in hgb._predictors:
        for output, predictor in enumerate(iteration):
            nodes = predictor.nodes
            if nodes["is_categorical"].any():
                raise ValueError("categorical splits are not supported")
            parts["feature"].append(nodes["feature_idx"])
            parts["threshold"].append(nodes["num_threshold"])
            parts["left"].append(nodes["left"].astype(np.int64) + offset)
            parts["right"].append(nodes["right"].astype(np.int64) + offset)
            parts["missing_left"].append(nodes["missing_go_to_left"])
            parts["is_leaf"].append(nodes["is_leaf"])
            parts["value"].append(nodes["value"])
            roots.append(offset)
            outputs.append(output)
            offset += len(nodes)
    n_outputs = hgb.n_trees_per_iteration_
    return TreeEnsemble(
        **{name: np.concatenate(values) for name, values in parts.items()},
        roots=np.asarray(roots), tree_output=np.asarray(outputs),
        baseline=np.asarray(hgb._baseline_prediction, dtype=np.float64).reshape(-1)[:n_outputs],
        n_features=n_features, link="logistic" if n_outputs == 1 else "softmax")


def _balanced(labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``weights`` rescaled so that every label has the same total weight."""
    classes, inverse = np.unique(labels, return_inverse=True)
    totals = np.bincount(inverse, weights=weights)
    return weights * (weights.sum() / (len(classes) * totals))[inverse]


def _sklearn_head_proba(head: Head, fitted: list[HistGradientBoostingClassifier],
                        X: np.ndarray) -> np.ndarray:
    """What ``head.predict_proba`` computes, with scikit-learn's estimators instead."""
    first = fitted[0].predict_proba(X)
    if head.kind == "single":
        return first
    primary = first[:, list(fitted[0].classes_).index(head.primary)]
    if len(fitted) == 1:
        return np.column_stack([primary, 1.0 - primary])
    return np.column_stack([primary, fitted[1].predict_proba(X) * (1.0 - primary)[:, None]])


class BlockClassifier(ClassifierMixin, BaseEstimator):
    """Label every block of a page (see the module docs for the data shapes).

    Parameters mirror the gradient-boosting model inside;
    ``n_hashed_features`` sets the width of the hashed token features. Any
    label set works: the classes are whatever the training labels hold.
    ``None`` labels are ignored, and ``"boilerplate"`` labels (not article,
    exact class unknown) train only the article decision (a two-stage head,
    see :class:`boilerkit.model.Head`). With ``stacking``, a second level
    learns from the first level's predictions over the page
    (:mod:`boilerkit.context`), fitted on out-of-fold first-level
    predictions over ``stacking_folds`` folds of ``groups``; with ``group_context``,
    it also reads them over the blocks that repeat each block's structure.
    """

    def __init__(self, n_hashed_features: int = DEFAULTS["n_hashed_features"],  # type: ignore[assignment]
                 repetition_features: bool = DEFAULTS["repetition_features"],  # type: ignore[assignment]
                 link_target_features: bool = DEFAULTS["link_target_features"],  # type: ignore[assignment]
                 heading_token_features: int = DEFAULTS["heading_token_features"],  # type: ignore[assignment]
                 link_slug_features: bool = DEFAULTS["link_slug_features"],  # type: ignore[assignment]
                 link_rel_features: bool = DEFAULTS["link_rel_features"],  # type: ignore[assignment]
                 max_iter: int = DEFAULTS["max_iter"],  # type: ignore[assignment]
                 learning_rate: float = DEFAULTS["learning_rate"],  # type: ignore[assignment]
                 max_leaf_nodes: int = DEFAULTS["max_leaf_nodes"],  # type: ignore[assignment]
                 min_samples_leaf: int = DEFAULTS["min_samples_leaf"],  # type: ignore[assignment]
                 l2_regularization: float = DEFAULTS["l2_regularization"],  # type: ignore[assignment]
                 class_weight: str | dict | None = DEFAULTS["class_weight"],  # type: ignore[assignment]
                 balance_second_stage: bool = DEFAULTS["balance_second_stage"],  # type: ignore[assignment]
                 stacking: bool = DEFAULTS["stacking"],  # type: ignore[assignment]
                 stacking_folds: int = DEFAULTS["stacking_folds"],  # type: ignore[assignment]
                 group_context: bool = DEFAULTS["group_context"],  # type: ignore[assignment]
                 random_state: int = DEFAULTS["random_state"]):  # type: ignore[assignment]
        self.n_hashed_features = n_hashed_features
        self.repetition_features = repetition_features
        self.link_target_features = link_target_features
        self.heading_token_features = heading_token_features
        self.link_slug_features = link_slug_features
        self.link_rel_features = link_rel_features
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.class_weight = class_weight
        self.balance_second_stage = balance_second_stage
        self.stacking = stacking
        self.stacking_folds = stacking_folds
        self.group_context = group_context
        self.random_state = random_state

    def __setstate__(self, state: dict) -> None:
        # An estimator pickled before a parameter existed gets its default, so that
        # get_params (and boilerkit convert) still work on it.
        for name, default in DEFAULTS.items():
            state.setdefault(name, default)
        super().__setstate__(state)

    # -- data shapes ----------------------------------------------------------------

    @staticmethod
    def _is_rows(X) -> bool:
        return len(X) > 0 and isinstance(X[0], BlockRow)

    def _as_pages(self, X, y=None, sample_weight=None, groups=None):
        """``(pages, labels per page, weights per page, group per page)`` from either shape.

        Rows of the same block add their weights (a block listed twice counts twice).
        """
        if self._is_rows(X):
            if y is None:
                y = [None] * len(X)
            pages, labels, weights, page_groups = [], [], [], []
            for page, rows, positions in self._rows_by_page(X):
                page_labels: list = [None] * len(page)
                for row, position in zip(rows, positions):
                    page_labels[position] = y[row]
                page_weights = np.zeros(len(page))
                np.add.at(page_weights, positions, 1.0 if sample_weight is None
                          else np.asarray(sample_weight, dtype=np.float64)[rows])
                pages.append(page)
                labels.append(page_labels)
                weights.append(page_weights)
                page_groups.append(groups[rows[0]] if groups is not None else id(page))
            return pages, labels, weights, page_groups
        pages = list(X)
        if y is not None and len(pages) != len(y):
            raise ValueError(f"{len(pages)} pages but {len(y)} label sequences")
        if sample_weight is None:
            weights = [np.ones(len(page)) for page in pages]
        else:
            weights = [np.asarray(w, dtype=np.float64) for w in sample_weight]
        page_groups = list(groups) if groups is not None else list(range(len(pages)))
        return pages, (list(y) if y is not None else None), weights, page_groups

    # -- fitting ----------------------------------------------------------------------

    def _hgb(self) -> HistGradientBoostingClassifier:
        return HistGradientBoostingClassifier(
            max_iter=self.max_iter, learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes, min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization, class_weight=self.class_weight,
            early_stopping=False, random_state=self.random_state)

    def _fit_head(self, X: np.ndarray, y: np.ndarray, weights: np.ndarray
                  ) -> tuple[Head, list[HistGradientBoostingClassifier]]:
        n_features = X.shape[1]
        if PARTIAL_LABEL not in set(y):
            hgb = self._hgb().fit(X, y, sample_weight=weights)
            head = Head("single", [ensemble_from_hgb(hgb, n_features)],
                        [[str(c) for c in hgb.classes_]])
            return head, [hgb]
        is_primary = y == PRIMARY_LABEL
        if not is_primary.any():
            raise ValueError(f"{PARTIAL_LABEL!r} labels need {PRIMARY_LABEL!r} labels too")
        first = self._hgb().fit(X, np.where(is_primary, PRIMARY_LABEL, "other"),
                                sample_weight=weights)
        fitted = [first]
        ensembles = [ensemble_from_hgb(first, n_features)]
        classes = [[str(c) for c in first.classes_]]
        precise = ~is_primary & (y != PARTIAL_LABEL)
        if len(set(y[precise])) == 1:
            raise ValueError(f"the labels other than {PRIMARY_LABEL!r} and {PARTIAL_LABEL!r} "
                             "need at least two classes")
        if precise.any():
            second_weights = weights[precise]
            if self.balance_second_stage:
                # Sources that label only some classes (comments, say) skew the priors of
                # the second stage; give each class the same total weight.
                second_weights = _balanced(y[precise], second_weights)
            second = self._hgb().fit(X[precise], y[precise], sample_weight=second_weights)
            fitted.append(second)
            ensembles.append(ensemble_from_hgb(second, n_features))
            classes.append([str(c) for c in second.classes_])
        else:  # only the primary label and the partial one: a binary model
            classes = [[PRIMARY_LABEL if c == PRIMARY_LABEL else PARTIAL_LABEL
                        for c in classes[0]]]
        return Head("two-stage", ensembles, classes, primary=PRIMARY_LABEL), fitted

    def fit(self, X, y, sample_weight=None, groups=None,
            feature_progress: Callable[[int], None] | None = None) -> BlockClassifier:
        """Fit on pages with one label (or ``None``) per block, or on :func:`flatten` rows.

        ``groups`` (one per page, or per row) keep pages of a group in one
        stacking fold; ``feature_progress(pages_done)`` is called as features
        are computed.
        """
        pages, labels, weights, page_groups = self._as_pages(X, y, sample_weight, groups)
        if labels is None:
            raise ValueError("fit needs labels")
        for page, page_labels in zip(pages, labels):
            if len(page) != len(page_labels):
                raise ValueError(f"a page has {len(page)} blocks but {len(page_labels)} labels")
        config = FeatureConfig(n_hashed=self.n_hashed_features,
                               repetition=bool(self.repetition_features),
                               link_targets=bool(self.link_target_features),
                               heading_buckets=int(self.heading_token_features),
                               link_slugs=bool(self.link_slug_features),
                               link_rels=bool(self.link_rel_features))
        flat = np.asarray([label for page_labels in labels for label in page_labels],
                          dtype=object)
        flat_weights = np.concatenate(weights) if weights else np.zeros(0)
        keep = np.asarray([label is not None for label in flat], dtype=bool) & (flat_weights > 0)
        if not keep.any():
            raise ValueError("no labelled blocks to train on")
        # A fresh array lets numpy infer the label dtype (str, int, ...) for scikit-learn.
        y_kept = np.asarray([str(label) for label in flat[keep]])
        cache: dict[str, int] = {}
        features = feature_matrix(pages, config, cache, progress=feature_progress)
        level0, fitted = self._fit_head(features[keep], y_kept, flat_weights[keep])
        levels = [level0]
        self.fitted_hgbs_ = [fitted]
        spec = None
        if self.stacking:
            spec = ContextSpec(tuple(level0.labels), groups=bool(self.group_context))
            context = self._out_of_fold_context(pages, features, keep, y_kept, flat_weights,
                                                page_groups, spec)
            level1, fitted1 = self._fit_head(np.hstack([features, context])[keep], y_kept,
                                             flat_weights[keep])
            levels.append(level1)
            self.fitted_hgbs_.append(fitted1)
        self.model_ = Model(config, levels, spec)
        self.classes_ = self.model_.classes_
        return self

    def _out_of_fold_context(self, pages, features, keep, y_kept, flat_weights, page_groups,
                             spec: ContextSpec) -> np.ndarray:
        """Context features from first-level predictions made without the page's own fold."""
        bounds = np.cumsum([0] + [len(page) for page in pages])
        unique_groups = sorted(set(map(str, page_groups)))
        rng = np.random.default_rng(self.random_state)
        fold_of_group = dict(zip(unique_groups, rng.permutation(len(unique_groups))
                                 % max(self.stacking_folds, 2)))
        page_fold = np.asarray([fold_of_group[str(g)] for g in page_groups])
        block_fold = np.repeat(page_fold, np.diff(bounds))
        kept_fold = block_fold[keep]
        probabilities = np.zeros((len(features), len(spec.labels)))
        for fold in np.unique(page_fold):
            train = kept_fold != fold
            if len(set(y_kept[train])) < 2:
                continue
            head, _ = self._fit_head(features[keep][train], y_kept[train],
                                     flat_weights[keep][train])
            if head.labels != list(spec.labels):
                continue  # a fold without some label: leave its context at zero
            rows = block_fold == fold
            probabilities[rows] = head.predict_proba(features[rows])
        return np.vstack([context_features(page, probabilities[bounds[i]:bounds[i + 1]], spec)
                          for i, page in enumerate(pages) if len(page)]
                         or [np.zeros((0, spec.n_features), dtype=np.float32)])

    # -- checking the conversion ------------------------------------------------------------

    def sklearn_predict_proba(self, pages: Pages) -> list[np.ndarray]:
        """Per page, the probabilities computed by scikit-learn's own fitted estimators.

        The reference for the converted :class:`~boilerkit.model.Model`: both must agree to
        rounding (``boilerkit train --verify-split`` and the tests compare them).
        """
        model = self.to_model()
        out = []
        for page in pages:
            if not len(page):
                out.append(np.zeros((0, len(model.labels))))
                continue
            X = feature_matrix([page], model.feature_config)
            probabilities = _sklearn_head_proba(model.levels[0], self.fitted_hgbs_[0], X)
            if len(model.levels) == 2:
                assert model.context is not None  # Model requires it with a second level
                context = context_features(page, probabilities, model.context)
                probabilities = _sklearn_head_proba(model.levels[1], self.fitted_hgbs_[1],
                                                    np.hstack([X, context]))
            out.append(probabilities)
        return out

    # -- predicting -------------------------------------------------------------------

    def to_model(self) -> Model:
        """The fitted model in its plain form (what :func:`boilerkit.save_model` writes)."""
        check_is_fitted(self, "model_")
        return self.model_

    def predict_proba(self, X):
        """Probabilities: per page an ``(n_blocks, n_classes)`` array, or one row per row of X."""
        model = self.to_model()
        if not self._is_rows(X):
            return model.predict_proba(list(X))
        out = np.zeros((len(X), len(model.labels)))
        for page, rows, positions in self._rows_by_page(X):
            out[rows] = model.predict_page(page)[positions]
        return out

    @staticmethod
    def _rows_by_page(X: Sequence[BlockRow]):
        """``(page, row indices in X, block positions)`` for every distinct page of X."""
        pages: dict[int, tuple[Sequence[Block], list[int], list[int]]] = {}
        for i, row in enumerate(X):
            entry = pages.setdefault(id(row.page), (row.page, [], []))
            entry[1].append(i)
            entry[2].append(row.position)
        return [(page, np.asarray(rows), np.asarray(positions))
                for page, rows, positions in pages.values()]

    def choose_labels(self, blocks, probabilities: np.ndarray) -> np.ndarray:
        """The label index of every block of one page, as :meth:`predict` chooses them
        (:meth:`boilerkit.model.Model.choose_labels`)."""
        return self.to_model().choose_labels(blocks, probabilities)

    def predict(self, X):
        """The label of every block (:meth:`boilerkit.model.Model.choose_labels`): per page an
        array, or one per row of X."""
        model = self.to_model()
        if not self._is_rows(X):
            return model.predict(list(X))
        out = np.empty(len(X), dtype=object)
        for page, rows, positions in self._rows_by_page(X):
            labels = model.classes_[model.choose_labels(page, model.predict_page(page))]
            out[rows] = labels[positions]
        return out

    def score(self, X, y, sample_weight=None) -> float:
        """Share of judged blocks labelled right, as :mod:`boilerkit.evaluation` judges them.

        Unlabelled blocks are skipped; a ``"boilerplate"`` block counts as wrong when
        predicted article and is skipped otherwise (its exact class is unknown).
        """
        predicted = self.predict(X)
        if isinstance(predicted, list):
            predicted = np.concatenate(predicted) if predicted else np.asarray([])
            truth = np.asarray([label for page_labels in y for label in page_labels],
                               dtype=object)
        else:
            truth = np.asarray(y, dtype=object)
        weights = np.ones(len(truth)) if sample_weight is None else np.asarray(sample_weight)
        judged = np.asarray([label is not None for label in truth], dtype=bool)
        partial = truth == PARTIAL_LABEL
        judged &= ~partial | (predicted == PRIMARY_LABEL)
        correct = (predicted == truth) | (partial & (predicted != PRIMARY_LABEL))
        total = weights[judged].sum()
        return float((weights[judged] * correct[judged]).sum() / total) if total else 0.0
