"""Page context for a second level: what the first level thinks of a block's surroundings.

Articles are contiguous regions under one container, and a headline is
followed by its body. A first-level model judges each block on its own
features; these features tell a second level (stacking) what the first level
predicted around it, per label:

- the block's own first-level probability;
- the mean probability over windows of neighbouring blocks;
- the character-weighted mean probability over the whole subtree of each of
  the block's four nearest ancestors (its containers);
- the character-weighted share of the label on the page;

and, for the primary label (article), the share of the page's likely
article characters inside each of the block's containers, and the distance
to the nearest block more likely article than not.

With ``groups`` (:attr:`ContextSpec.groups`), also what the first level
thinks of the blocks that repeat the block's structure
(:func:`boilerkit.features.structure_groups`): the mean probability of each
label over the group, and the block's rank in it (0 for the first, 1 for the
last). Cards of a list vote together, and the first post of a forum thread
(article) comes before its replies (comment).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .blocks import ANCESTOR_LEVELS, NUMBER_FIELDS, Block
from .features import structure_groups, window_means

try:
    from . import _speedups
except ImportError:  # pragma: no cover - built with the package where a compiler exists
    _speedups = None  # type: ignore[assignment]  # optional module: mypy/issues/1297

_WINDOWS = (2, 6)
_ELEMENT_ID = NUMBER_FIELDS.index("element_id")


@dataclass(frozen=True)
class ContextSpec:
    """The first level's labels, in the column order of its probabilities."""

    labels: tuple[str, ...]
    #: Add the repetition-group columns; models saved before them load without.
    groups: bool = False

    @property
    def n_page_features(self) -> int:
        """The columns without the repetition-group ones."""
        per_label = 1 + len(_WINDOWS) + ANCESTOR_LEVELS + 1
        return len(self.labels) * per_label + ANCESTOR_LEVELS + 2

    @property
    def n_features(self) -> int:
        return self.n_page_features + (len(self.labels) + 1 if self.groups else 0)

    def feature_names(self) -> tuple[str, ...]:
        names = []
        for label in self.labels:
            names += [f"ctx_{label}", *(f"ctx_{label}_window{w}" for w in _WINDOWS),
                      *(f"ctx_{label}_ancestor{a}" for a in range(1, ANCESTOR_LEVELS + 1)),
                      f"ctx_{label}_page"]
        primary = self.labels[0]
        names += [f"ctx_{primary}_share_ancestor{a}" for a in range(1, ANCESTOR_LEVELS + 1)]
        names += [f"ctx_{primary}_distance_before", f"ctx_{primary}_distance_after"]
        if self.groups:
            names += [f"ctx_{label}_group" for label in self.labels] + ["ctx_group_rank"]
        return tuple(names)

    def to_dict(self) -> dict:
        data: dict = {"labels": list(self.labels), "n_features": self.n_features}
        if self.groups:  # absent otherwise, so that older manifests read the same
            data["groups"] = True
        return data

    @classmethod
    def from_dict(cls, data: dict) -> ContextSpec:
        return cls(labels=tuple(str(label) for label in data["labels"]),
                   groups=bool(data.get("groups", False)))


def element_tree(blocks: Sequence[Block]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The blocks' element ids, ancestor ids and the subtree ends, if ``blocks`` has them."""
    ancestor_ids = getattr(blocks, "ancestor_ids", None)
    subtree_end = getattr(blocks, "subtree_end", None)
    if ancestor_ids is None or subtree_end is None or len(ancestor_ids) != len(blocks):
        return None
    numbers = getattr(blocks, "numbers", None)
    owners = numbers[:, _ELEMENT_ID] if numbers is not None and len(numbers) == len(blocks) \
        else np.fromiter((b.element_id for b in blocks), dtype=np.int64, count=len(blocks))
    return owners, ancestor_ids, subtree_end


def _subtree_sums(blocks: Sequence[Block], weights: np.ndarray) -> np.ndarray:
    """``(n, ANCESTOR_LEVELS, k)``: sums of ``weights`` (n, k) over each ancestor's subtree."""
    n, k = weights.shape
    tree = element_tree(blocks)
    if tree is None:
        return np.zeros((n, ANCESTOR_LEVELS, k))
    owners, ancestor_ids, subtree_end = tree
    n_elements = len(subtree_end)
    # Element ids are in document order, so a subtree is the id range [e, end(e)]. One
    # bincount over (element, column) pairs adds each column's weights in block order.
    cells = (owners[:, None] * k + np.arange(k)).ravel()
    per_element = np.bincount(cells, weights.ravel(), minlength=n_elements * k)
    prefix = np.zeros((n_elements + 1, k))
    np.cumsum(per_element.reshape(n_elements, k), axis=0, out=prefix[1:])
    valid = ancestor_ids > 0
    first = np.where(valid, ancestor_ids, 0)
    sums = prefix[subtree_end[first] + 1] - prefix[first]
    sums[~valid] = 0.0
    return sums


def _distance_to_nearest(flags: np.ndarray, before: bool) -> np.ndarray:
    """Blocks to the nearest flagged block before (or after) each block, over the page length."""
    n = len(flags)
    index = np.arange(n)
    if before:
        last = np.maximum.accumulate(np.where(flags, index, -1))
        distance = np.where(last >= 0, index - last, n)
    else:
        nearest = np.minimum.accumulate(np.where(flags, index, n)[::-1])[::-1]
        distance = np.where(nearest < n, nearest - index, n)
    return distance / max(n, 1)


def group_features(groups: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """``(n, k + 1)``: each label's mean probability over the block's group, and the
    block's rank in its group (0 first, 1 last; 0 for a block alone)."""
    n, k = probabilities.shape
    out = np.empty((n, k + 1), dtype=np.float32)
    if n == 0:
        return out
    n_groups = int(groups.max()) + 1
    count = np.bincount(groups, minlength=n_groups).astype(np.float64)
    for label in range(k):
        out[:, label] = (np.bincount(groups, probabilities[:, label], minlength=n_groups)
                         / count)[groups]
    # The rank of each block among its group's blocks, in document order.
    order = np.argsort(groups, kind="stable")
    starts = np.cumsum(count) - count
    rank = np.empty(n, dtype=np.float64)
    rank[order] = np.arange(n) - np.repeat(starts, count.astype(np.int64))
    out[:, k] = rank / np.maximum(count[groups] - 1, 1)
    return out


def context_features(blocks: Sequence[Block], probabilities: np.ndarray, spec: ContextSpec,
                     chars: np.ndarray | None = None, use_speedups: bool = True,
                     groups: np.ndarray | None = None) -> np.ndarray:
    """``(n, spec.n_features)`` float32 context features from first-level probabilities.

    ``chars`` is the length of each block's text, and ``groups`` each block's
    :func:`~boilerkit.features.structure_groups` group, if the caller has them already.
    The compiled accelerator and the numpy path give the same features.
    """
    n = len(blocks)
    if probabilities.shape != (n, len(spec.labels)):
        raise ValueError(f"expected probabilities of shape {(n, len(spec.labels))}, "
                         f"got {probabilities.shape}")
    if n == 0:
        return np.zeros((0, spec.n_features), dtype=np.float32)
    page = _page_context(blocks, probabilities, spec, chars, use_speedups)
    if not spec.groups:
        return page
    if groups is None:
        groups = structure_groups(blocks, use_speedups)
    return np.hstack([page, group_features(groups, probabilities)])


def _page_context(blocks: Sequence[Block], probabilities: np.ndarray, spec: ContextSpec,
                  chars: np.ndarray | None, use_speedups: bool) -> np.ndarray:
    """The ``spec.n_page_features`` columns: windows, containers, page, article region."""
    n = len(blocks)
    if chars is None:
        chars = np.fromiter((len(b.text) for b in blocks), dtype=np.float64, count=n)
    tree = element_tree(blocks) if use_speedups and _speedups is not None else None
    if tree is not None:
        out = np.empty((n, spec.n_page_features), dtype=np.float32)
        owners, ancestor_ids, subtree_end = (np.ascontiguousarray(a, dtype=np.int64)
                                             for a in tree)
        _speedups.context_features(
            np.ascontiguousarray(probabilities, dtype=np.float64),
            np.ascontiguousarray(chars, dtype=np.float64), owners, ancestor_ids, subtree_end,
            np.asarray(_WINDOWS, dtype=np.int64), out)
        return out
    weighted = probabilities * chars[:, None]
    sums = _subtree_sums(blocks, np.column_stack([weighted, chars]))
    label_sums, char_sums = sums[:, :, :-1], sums[:, :, -1:]
    container_means = np.where(char_sums > 0, label_sums / np.maximum(char_sums, 1e-9), 0.0)
    # Page totals added in block order (not numpy's pairwise sum), as the accelerator does.
    totals = np.cumsum(np.column_stack([weighted, chars]), axis=0)[-1]
    page_share = totals[:-1] / max(totals[-1], 1.0)
    windows = [window_means(probabilities, size) for size in _WINDOWS]
    # Columns per label: own, windows, containers, page share (see feature_names).
    per_label = 1 + len(_WINDOWS) + ANCESTOR_LEVELS + 1
    k = len(spec.labels)
    out = np.empty((n, spec.n_page_features), dtype=np.float32)
    by_label = out[:, :k * per_label].reshape(n, k, per_label)
    by_label[:, :, 0] = probabilities
    for offset, means in enumerate(windows, start=1):
        by_label[:, :, offset] = means
    by_label[:, :, 1 + len(_WINDOWS):-1] = container_means.transpose(0, 2, 1)
    by_label[:, :, -1] = page_share
    primary_total = max(totals[0], 1e-9)
    rest = k * per_label
    out[:, rest:rest + ANCESTOR_LEVELS] = label_sums[:, :, 0] / primary_total
    likely = probabilities[:, 0] > 0.5
    out[:, -2] = _distance_to_nearest(likely, before=True)
    out[:, -1] = _distance_to_nearest(likely, before=False)
    return out
