"""Tree ensembles as plain arrays, and a predictor that evaluates them for many rows at once.

A :class:`TreeEnsemble` holds every tree of a gradient-boosted model in flat
node arrays (split feature, threshold, children, the side missing values go
to, leaf value), the tree each root starts, the output column each tree adds
to, and the baseline. :meth:`TreeEnsemble.raw_predict` sums the trees for all
rows: in C when the optional ``boilerkit._speedups`` extension is built, else
in numpy, one tree level at a time for every (row, tree) pair. Both give the
same sums; the C path is faster on small batches, where numpy's per-call
overhead dominates.

Nothing here needs scikit-learn: a model trained with it is converted once
(:func:`boilerkit.estimator.ensemble_from_hgb`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

try:  # the compiled accelerator is optional: pure numpy gives the same results
    from . import _speedups
except ImportError:  # pragma: no cover - depends on the build
    _speedups = None  # type: ignore[assignment]  # optional module: mypy/issues/1297

#: Arrays of an ensemble, with the dtype each is stored and used in.
ARRAY_DTYPES = {
    "feature": np.int32, "threshold": np.float64, "left": np.int32, "right": np.int32,
    "missing_left": np.uint8, "is_leaf": np.uint8, "value": np.float64,
    "roots": np.int32, "tree_output": np.int32, "baseline": np.float64,
}


class EnsembleError(ValueError):
    """The arrays do not describe a valid tree ensemble."""


@dataclass(eq=False)
class TreeEnsemble:
    """Trees over ``n_features`` inputs adding into ``n_outputs`` raw scores.

    ``link`` turns raw scores into probabilities: ``"logistic"`` (one output,
    the probability of the positive class) or ``"softmax"`` (one output per
    class).
    """

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    missing_left: np.ndarray
    is_leaf: np.ndarray
    value: np.ndarray
    roots: np.ndarray
    tree_output: np.ndarray
    baseline: np.ndarray
    n_features: int
    link: str

    def __post_init__(self) -> None:
        for name, dtype in ARRAY_DTYPES.items():
            setattr(self, name, np.ascontiguousarray(getattr(self, name), dtype=dtype))
        self.validate()
        # Leaves point to themselves, so a level-by-level walk can run past them.
        nodes = np.arange(len(self.feature), dtype=np.int32)
        self._left = np.where(self.is_leaf, nodes, self.left).astype(np.int32)
        self._right = np.where(self.is_leaf, nodes, self.right).astype(np.int32)
        self._feature = np.where(self.is_leaf, 0, self.feature).astype(np.int32)
        self.max_depth = self._depth()
        self._packed: bytes | None = None  # the C path's node layout, made on first use

    @property
    def n_outputs(self) -> int:
        return len(self.baseline)

    @property
    def n_trees(self) -> int:
        return len(self.roots)

    def validate(self) -> None:
        """Check every index, so that no file can make the predictor read out of bounds."""
        n_nodes = len(self.feature)
        if self.link not in ("logistic", "softmax"):
            raise EnsembleError(f"unknown link {self.link!r}")
        if not (len(self.threshold) == len(self.left) == len(self.right) == len(self.missing_left)
                == len(self.is_leaf) == len(self.value) == n_nodes):
            raise EnsembleError("node arrays differ in length")
        if self.n_outputs < 1 or (self.link == "logistic" and self.n_outputs != 1):
            raise EnsembleError(f"{self.n_outputs} outputs do not fit the {self.link} link")
        if len(self.roots) != len(self.tree_output) or n_nodes == 0 or len(self.roots) == 0:
            raise EnsembleError("an ensemble needs trees, and one output per tree")
        inner = self.is_leaf == 0
        for name, values, bound in (("roots", self.roots, n_nodes),
                                    ("tree_output", self.tree_output, self.n_outputs),
                                    ("left", self.left[inner], n_nodes),
                                    ("right", self.right[inner], n_nodes),
                                    ("feature", self.feature[inner], self.n_features)):
            if len(values) and (values.min() < 0 or values.max() >= bound):
                raise EnsembleError(f"{name} holds an index outside 0..{bound - 1}")
        if not (np.isfinite(self.value).all() and np.isfinite(self.baseline).all()):
            raise EnsembleError("leaf values must be finite")

    def _depth(self) -> int:
        """Depth of the deepest leaf; raises if a child does not lie deeper than its parent."""
        node = self.roots.copy()
        for depth in range(len(self.feature) + 1):
            if self.is_leaf[node].all():
                return depth
            node = np.unique(np.concatenate([self._left[node], self._right[node]]))
        raise EnsembleError("the trees have a cycle")

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in ARRAY_DTYPES}

    def raw_predict(self, X: np.ndarray, use_speedups: bool = True) -> np.ndarray:
        """Baseline plus the sum of the trees' leaf values, ``(n_rows, n_outputs)`` float64."""
        X = np.ascontiguousarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"expected rows of {self.n_features} features, got {X.shape}")
        if use_speedups and _speedups is not None:
            if self._packed is None:
                self._packed = _speedups.pack_trees(self.feature, self.threshold, self.left,
                                                    self.right, self.is_leaf)
            out = np.empty((len(X), self.n_outputs))
            _speedups.predict_trees(X, self._packed, self.missing_left, self.value, self.roots,
                                    self.tree_output, self.baseline, out)
            return out
        return self._raw_predict_numpy(X)

    def _raw_predict_numpy(self, X: np.ndarray) -> np.ndarray:
        n = len(X)
        out = np.tile(self.baseline, (n, 1))
        if n == 0:
            return out
        rows = np.arange(n)[:, None]
        node = np.broadcast_to(self.roots, (n, self.n_trees))
        for _ in range(self.max_depth):
            x = X[rows, self._feature[node]]
            go_left = np.where(np.isnan(x), self.missing_left[node].astype(bool),
                               x <= self.threshold[node])
            node = np.where(go_left, self._left[node], self._right[node])
        leaf_values = self.value[node]
        # Add tree by tree, in order, as the C path does, so that both give equal sums.
        for tree in range(self.n_trees):
            out[:, self.tree_output[tree]] += leaf_values[:, tree]
        return out

    def predict_proba(self, X: np.ndarray, use_speedups: bool = True) -> np.ndarray:
        """Class probabilities: ``(n, 2)`` for the logistic link, ``(n, n_outputs)`` else."""
        raw = self.raw_predict(X, use_speedups)
        if self.link == "logistic":
            positive = np.exp(-np.logaddexp(0.0, -raw[:, 0]))  # 1 / (1 + e^-x), no overflow
            return np.column_stack([1.0 - positive, positive])
        raw = raw - raw.max(axis=1, keepdims=True)
        exp = np.exp(raw)
        return exp / exp.sum(axis=1, keepdims=True)


def has_speedups() -> bool:
    """Whether the compiled accelerator is available."""
    return _speedups is not None
