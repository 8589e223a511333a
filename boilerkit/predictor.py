"""Tree ensembles as plain arrays, and a predictor that evaluates them for many rows at once.

A :class:`TreeEnsemble` holds every tree of a gradient-boosted model in flat
node arrays (split feature, threshold, children, the side missing values go
to, leaf value), the tree each root starts, the output column each tree adds
to, and the baseline. :meth:`TreeEnsemble.raw_predict` sums the trees for all
rows: in C when the optional ``boilerkit._speedups`` extension is built, else
in numpy, one tree level at a time for every (row, tree) pair. The C path does
not walk the trees: for trees of at most 31 leaves it visits, per feature, only
the splits a row fails and keeps one leaf bit mask per tree (QuickScorer,
Lucchese et al., SIGIR 2015), eight rows at a time in vector lanes; larger trees
are walked. All paths reach the same
leaves and add them in the same order, so they give the same sums.

Nothing here needs scikit-learn: a model trained with it is converted once
(:func:`boilerkit.estimator.ensemble_from_hgb`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

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
        self.max_depth = len(self.levels()) - 1
        self._packed: bytes | None = None  # the C walk's node layout, made on first use
        self._masks: LeafMasks | tuple[()] | None = None  # C leaf-mask tables, on first use

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

    def levels(self) -> list[np.ndarray]:
        """The nodes at each depth, from the roots down to the deepest leaf (a leaf stays in
        the levels below its own); raises if a child does not lie deeper than its parent."""
        levels = [self.roots.copy()]
        for _ in range(len(self.feature) + 1):
            if self.is_leaf[levels[-1]].all():
                return levels
            node = levels[-1]
            levels.append(np.unique(np.concatenate([self._left[node], self._right[node]])))
        raise EnsembleError("the trees have a cycle")

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in ARRAY_DTYPES}

    def raw_predict(self, X: np.ndarray, use_speedups: bool = True) -> np.ndarray:
        """Baseline plus the sum of the trees' leaf values, ``(n_rows, n_outputs)`` float64."""
        X = np.asarray(X, dtype=np.float32)
        if X.ndim == 2 and not (X.flags.c_contiguous or (
                X.strides[1] == X.itemsize and X.strides[0] >= X.itemsize * X.shape[1])):
            X = np.ascontiguousarray(X)  # the C paths take rows of adjacent columns, in order
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"expected rows of {self.n_features} features, got {X.shape}")
        if use_speedups and _speedups is not None:
            if self._masks is None:
                self._masks = leaf_mask_tables(self) or ()
            if self._masks:
                masks = self._masks
                out = np.empty((len(X), self.n_outputs))
                _speedups.predict_masks(X, masks.nodes, masks.starts, masks.missing,
                                        masks.missing_starts, masks.used, masks.leaf_values,
                                        masks.width, self.tree_output, self.baseline, out)
                return out
            if self._packed is None:
                self._packed = _speedups.pack_trees(self.feature,
                                                    float32_at_most(self.threshold),
                                                    self.left, self.right, self.is_leaf)
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
        return link_probabilities(self.raw_predict(X, use_speedups), self.link)


def link_probabilities(raw: np.ndarray, link: str) -> np.ndarray:
    """Probabilities from the raw scores of an ensemble with this link."""
    if link == "logistic":
        positive = np.exp(-np.logaddexp(0.0, -raw[:, 0]))  # 1 / (1 + e^-x), no overflow
        return np.column_stack([1.0 - positive, positive])
    exp = raw - raw.max(axis=1, keepdims=True)
    np.exp(exp, out=exp)
    exp /= exp.sum(axis=1, keepdims=True)
    return exp


def concatenate(ensembles: list[TreeEnsemble]) -> TreeEnsemble:
    """One ensemble whose raw outputs are those of ``ensembles`` side by side, with the same
    sums (each output still adds its trees in order), to predict them in one pass.

    Only :meth:`TreeEnsemble.raw_predict` of the result is meaningful: its link is nominal.
    """
    if len({ensemble.n_features for ensemble in ensembles}) != 1:
        raise ValueError("only ensembles over the same features can be concatenated")
    node_offsets = np.cumsum([0] + [len(e.feature) for e in ensembles[:-1]])
    output_offsets = np.cumsum([0] + [e.n_outputs for e in ensembles[:-1]])
    shifted = zip(ensembles, node_offsets, output_offsets)
    parts: dict[str, list[np.ndarray]] = {name: [] for name in ARRAY_DTYPES}
    for ensemble, nodes, outputs in shifted:
        inner = ensemble.is_leaf == 0
        for name, values in ensemble.arrays().items():
            if name in ("left", "right"):
                values = np.where(inner, values + nodes, values)
            elif name == "roots":
                values = values + nodes
            elif name == "tree_output":
                values = values + outputs
            parts[name].append(values)
    arrays = {name: np.concatenate(values) for name, values in parts.items()}
    link = "softmax" if len(arrays["baseline"]) > 1 else "logistic"
    return TreeEnsemble(**arrays, n_features=ensembles[0].n_features, link=link)


#: Leaf masks are 32 bits: one per leaf, and one that no split clears, so none gets empty.
MAX_MASK_LEAVES = 31
#: One split of the leaf-mask tables: float32 threshold, tree, leaves it keeps.
MASK_NODE = np.dtype([("threshold", "<f4"), ("tree", "<i4"), ("mask", "<u4")])


def float32_at_most(values: np.ndarray) -> np.ndarray:
    """The largest float32 not above each float64 value: for float32 ``x``, ``x <= result``
    exactly when ``x <= value``."""
    down = values.astype(np.float32)
    above = down.astype(np.float64) > values
    down[above] = np.nextafter(down[above], np.float32(-np.inf))
    return down


class LeafMasks(NamedTuple):
    """The tables of ``_speedups.predict_masks`` for one ensemble."""

    nodes: bytes  # MASK_NODE splits, sorted by feature, then threshold
    starts: np.ndarray  # int32: feature f's splits are nodes[starts[f]:starts[f + 1]]
    missing: bytes  # MASK_NODE splits that send missing values right, by feature
    missing_starts: np.ndarray
    used: np.ndarray  # int32: the features any split reads
    leaf_values: np.ndarray  # float64 (n_trees * width): leaf j of tree t at t * width + j
    width: int


def leaf_mask_tables(ensemble: TreeEnsemble) -> LeafMasks | None:
    """The leaf-mask tables of ``ensemble``, or ``None`` when a tree has more than
    :data:`MAX_MASK_LEAVES` leaves or a node has two parents.

    Leaves are numbered left to right within their tree; a split's mask clears the bits of
    the leaves under its left child, which a row that goes right cannot reach.
    """
    n_nodes = len(ensemble.feature)
    inner = np.flatnonzero(ensemble.is_leaf == 0)
    parents = np.bincount(np.concatenate([ensemble.roots, ensemble.left[inner],
                                          ensemble.right[inner]]), minlength=n_nodes)
    if (parents != 1).any():  # shared or unreachable nodes: not a forest of trees
        return None
    levels = ensemble.levels()  # each split is in exactly one level
    tree = np.empty(n_nodes, np.int32)
    tree[ensemble.roots] = np.arange(ensemble.n_trees)
    for level in levels:
        split = level[ensemble.is_leaf[level] == 0]
        tree[ensemble.left[split]] = tree[ensemble.right[split]] = tree[split]
    leaves = ensemble.is_leaf.astype(np.int64)
    for level in reversed(levels):
        split = level[ensemble.is_leaf[level] == 0]
        leaves[split] = leaves[ensemble.left[split]] + leaves[ensemble.right[split]]
    if leaves[ensemble.roots].max() > MAX_MASK_LEAVES:
        return None
    first = np.zeros(n_nodes, np.int64)  # the number of a node's leftmost leaf in its tree
    for level in levels:
        split = level[ensemble.is_leaf[level] == 0]
        first[ensemble.left[split]] = first[split]
        first[ensemble.right[split]] = first[split] + leaves[ensemble.left[split]]
    width = 1 << int(leaves[ensemble.roots].max()).bit_length()  # > every leaf number
    leaf = np.flatnonzero(ensemble.is_leaf)
    leaf_values = np.zeros(ensemble.n_trees * width)
    leaf_values[tree[leaf].astype(np.int64) * width + first[leaf]] = ensemble.value[leaf]

    left_leaves = leaves[ensemble.left[inner]].astype(np.uint64)
    ruled_out = ((np.uint64(1) << left_leaves) - np.uint64(1)) << first[inner].astype(np.uint64)
    nodes = np.empty(len(inner), MASK_NODE)
    nodes["threshold"] = float32_at_most(ensemble.threshold[inner])
    nodes["tree"] = tree[inner]
    nodes["mask"] = (~ruled_out & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    features = ensemble.feature[inner]
    order = np.lexsort((nodes["threshold"], features))
    bounds = np.arange(ensemble.n_features + 1)
    starts = np.searchsorted(features[order], bounds).astype(np.int32)
    # A missing value fails the splits that send it right.
    right = np.flatnonzero(ensemble.missing_left[inner] == 0)
    right = right[np.argsort(features[right], kind="stable")]
    missing_starts = np.searchsorted(features[right], bounds).astype(np.int32)
    used = np.unique(features).astype(np.int32)
    return LeafMasks(nodes[order].tobytes(), starts, nodes[right].tobytes(), missing_starts,
                     used, leaf_values, width)


def has_speedups() -> bool:
    """Whether the compiled accelerator is available."""
    return _speedups is not None
