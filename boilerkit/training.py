"""Training a model on labelled pages (see :mod:`boilerkit.labelled` for reading them)."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from .errors import BoilerkitError
from .evaluation import evaluate
from .labelled import LabelledPage
from .labels import label_order
from .estimator import BlockClassifier
from .progress import Progress

log = logging.getLogger(__name__)

DEFAULT_HOLDOUT = 0.15

# -- preparing ----------------------------------------------------------------


def relabel(pages: Iterable[LabelledPage],
            label_map: Mapping[str, str | None] | None) -> list[LabelledPage]:
    """Copies of ``pages`` with labels renamed by ``label_map``; ``None`` unlabels.

    ``{"boilerplate": "navigation"}`` renames, ``{"boilerplate": None}`` drops
    a label; labels not in the map stay as they are. A key ``LABEL@PROVENANCE``
    renames only blocks of that provenance, e.g. ``{"navigation@rule":
    "boilerplate"}`` turns rule-made navigation labels into "not article".
    """
    if not label_map:
        return list(pages)
    renamed = []
    for page in pages:
        labels = [label_map.get(f"{label}@{origin}", label_map.get(label, label))
                  if label is not None else None
                  for label, origin in zip(page.labels, page.provenance)]
        provenance = [origin if label is not None else None
                      for origin, label in zip(page.provenance, labels)]
        renamed.append(dataclasses.replace(page, labels=labels, provenance=provenance))
    return renamed


def label_counts(pages: Iterable[LabelledPage]) -> dict[str, int]:
    """Number of blocks per label, in report order."""
    counts = Counter(label for page in pages for label in page.labels if label is not None)
    return {label: counts[label] for label in label_order(counts)}


def balanced_weights(pages: Sequence[LabelledPage]) -> list[np.ndarray]:
    """Block weights that give every page the same total weight.

    A labelled block on a page with ``k`` labelled blocks weighs ``mean / k``,
    where ``mean`` is the mean number of labelled blocks per page, so the
    total weight stays the number of labelled blocks but a 3,000-block forum
    thread no longer outweighs a hundred short articles. Unlabelled blocks
    weigh 0.
    """
    counts = [page.n_labelled for page in pages]
    labelled_pages = [count for count in counts if count]
    mean = sum(labelled_pages) / len(labelled_pages) if labelled_pages else 0.0
    return [
        np.asarray([mean / count if label is not None else 0.0 for label in page.labels],
                   dtype=np.float64)
        for page, count in zip(pages, counts)
    ]


def weigh_provenance(pages: Sequence[LabelledPage], weights: list[np.ndarray] | None,
                     factors: Mapping[str, float]) -> list[np.ndarray]:
    """Multiply the weight of each block whose label came from a provenance in ``factors``.

    ``{"reviewed": 3}`` counts labels a reviewer checked block by block three
    times as much as labels transferred from another dataset's gold.
    """
    weights = weights or [np.asarray([1.0 if label is not None else 0.0 for label in page.labels])
                          for page in pages]
    out = []
    for page, page_weights in zip(pages, weights):
        scale = np.asarray([factors.get(origin or "", 1.0) for origin in page.provenance])
        out.append(page_weights * scale if len(scale) else page_weights)
    return out


def subsample_per_page(pages: Sequence[LabelledPage], weights: list[np.ndarray] | None,
                       caps: Mapping[str, int]) -> tuple[list[LabelledPage], list[np.ndarray]]:
    """Keep at most ``caps[label]`` blocks of a label per page, to cut training time.

    The kept blocks carry the weight of the dropped ones, so each page keeps
    its balance of labels. The choice is random but fixed by the page id.
    """
    weights = weights or [np.asarray([1.0 if label is not None else 0.0 for label in page.labels])
                          for page in pages]
    out_pages, out_weights = [], []
    for page, page_weights in zip(pages, weights):
        labels = list(page.labels)
        page_weights = page_weights.copy()
        rng = np.random.default_rng(int(_unit_hash(page.page_id) * 2**32))
        for label, cap in caps.items():
            where = np.flatnonzero(np.asarray([x == label for x in labels], dtype=bool))
            if len(where) > cap:
                dropped = rng.choice(where, len(where) - cap, replace=False)
                kept = np.setdiff1d(where, dropped)
                page_weights[kept] *= len(where) / cap
                page_weights[dropped] = 0.0
                for i in dropped:
                    labels[i] = None
        out_pages.append(dataclasses.replace(page, labels=labels))
        out_weights.append(page_weights)
    return out_pages, out_weights


def _unit_hash(key: str) -> float:
    """A stable pseudo-random number in [0, 1) for ``key`` (not Python's salted ``hash``)."""
    digest = hashlib.sha1(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64


def split_holdout(pages: Sequence[LabelledPage], fraction: float = DEFAULT_HOLDOUT
                  ) -> tuple[list[LabelledPage], list[LabelledPage], dict]:
    """Split ``pages`` into training and held-out pages, whole sites at a time.

    A site is held out when the hash of its name falls below ``fraction``, so
    a site stays on the same side as data is added and results are
    reproducible. At least one site is held out and one kept. If all pages
    come from one site, pages are held out instead (scores are then
    optimistic: the model has seen the site's templates). Returns
    ``(train, held_out, info)``.
    """
    info = {"method": "none", "fraction": fraction, "pages": 0, "sites": 0}
    if fraction <= 0 or len(pages) < 2:
        return list(pages), [], info
    sites = sorted({page.site or page.page_id for page in pages})
    if len(sites) >= 2:
        method, keys = "site", sites
        key_of = lambda page: page.site or page.page_id  # noqa: E731
    else:
        log.warning("all pages come from one site (%s): holding out pages, not sites; "
                    "held-out scores will be optimistic", sites[0])
        method, keys = "page", sorted({page.page_id for page in pages})
        key_of = lambda page: page.page_id  # noqa: E731
    held = {key for key in keys if _unit_hash(key) < fraction}
    if not held:
        held = {min(keys, key=_unit_hash)}
    if len(held) == len(keys):
        held.discard(max(keys, key=_unit_hash))
    train = [page for page in pages if key_of(page) not in held]
    dev = [page for page in pages if key_of(page) in held]
    info.update(method=method, pages=len(dev),
                sites=len({page.site or page.page_id for page in dev}))
    return train, dev, info


# -- training -----------------------------------------------------------------


def train(pages: Sequence[LabelledPage], *, dev_pages: Sequence[LabelledPage] | None = None,
          params: Mapping | None = None, label_map: Mapping[str, str | None] | None = None,
          page_weights: bool = True, holdout: float = DEFAULT_HOLDOUT,
          max_per_page: Mapping[str, int] | None = None,
          provenance_weights: Mapping[str, float] | None = None,
          progress: bool = True) -> tuple[BlockClassifier, dict]:
    """Fit a :class:`~boilerkit.estimator.BlockClassifier` on labelled ``pages``.

    ``params`` go to the classifier (``max_iter``, ``learning_rate``, ...);
    ``label_map`` renames labels first (see :func:`relabel`). With
    ``page_weights`` every page gets the same total weight (see
    :func:`balanced_weights`). Without ``dev_pages``, a ``holdout`` share of
    the sites is held out (see :func:`split_holdout`); pass ``dev_pages=[]``
    to train on everything. ``max_per_page`` caps the blocks of a label per
    page (see :func:`subsample_per_page`); ``provenance_weights`` weighs
    labels by where they came from (see :func:`weigh_provenance`).

    Returns the model and the :func:`~boilerkit.evaluation.evaluate` metrics
    on the held-out pages (no score keys if there were none), plus
    ``"training"`` (pages, sites, blocks per label) and ``"holdout"`` (how
    the held-out pages were chosen).
    """
    pages = relabel(pages, label_map)
    if dev_pages is None:
        train_pages, dev_pages, holdout_info = split_holdout(pages, holdout)
    else:
        train_pages, dev_pages = pages, relabel(dev_pages, label_map)
        holdout_info = {"method": "given", "pages": len(dev_pages),
                        "sites": len({page.site for page in dev_pages})}
    train_pages = [page for page in train_pages if page.n_labelled]
    counts = label_counts(train_pages)
    if not train_pages:
        raise BoilerkitError("no labelled blocks to train on")
    if len(counts) < 2:
        raise BoilerkitError(f"training needs at least two labels, found only {list(counts)}")
    test_pages = sum(page.split == "test" for page in train_pages)
    if test_pages:
        log.warning("training on %d page(s) of split 'test'; select the training split "
                    "to keep them for evaluation", test_pages)
    n_blocks = sum(counts.values())
    training_info = {
        "pages": len(train_pages), "sites": len({page.site for page in train_pages}),
        "labelled_blocks": n_blocks, "label_counts": counts, "page_weights": page_weights,
        "sources": dict(sorted(Counter(page.source for page in train_pages).items())),
    }
    log.info("training on %s labelled blocks from %s pages of %s sites (%s)",
             f"{n_blocks:,}", f"{len(train_pages):,}", f"{training_info['sites']:,}",
             ", ".join(f"{label} {count:,}" for label, count in counts.items()))

    model = BlockClassifier(**dict(params or {}))
    weights = balanced_weights(train_pages) if page_weights else None
    if provenance_weights:
        weights = weigh_provenance(train_pages, weights, provenance_weights)
        training_info["provenance_weights"] = dict(provenance_weights)
    if max_per_page:
        train_pages, weights = subsample_per_page(train_pages, weights, max_per_page)
        n_fitted = sum(page.n_labelled for page in train_pages)
        training_info["max_per_page"] = dict(max_per_page)
        training_info["blocks_after_max_per_page"] = n_fitted
    else:
        n_fitted = n_blocks
    with Progress(len(train_pages), "computing features", unit="pages",
                  disable=not progress) as bar:
        def features_done(pages_done: int) -> None:
            bar.update(pages_done - bar.n)
            if pages_done == len(train_pages):
                bar.close()
                log.info("fitting %s on %s blocks", type(model).__name__, f"{n_fitted:,}")

        try:
            model.fit([page.blocks for page in train_pages], [page.labels for page in train_pages],
                      sample_weight=weights, groups=[page.site for page in train_pages],
                      feature_progress=features_done)
        except ValueError as error:  # bad parameters or data, as sklearn reports them
            raise BoilerkitError(f"training failed: {error}") from error

    metrics: dict = {}
    if any(page.n_labelled for page in dev_pages):
        metrics = evaluate(model, dev_pages, progress=progress)
    elif dev_pages or (holdout_info["method"] != "given" and holdout > 0):
        # Held-out data was asked for but has no labels (dev_pages=[] asks for none).
        log.warning("no held-out pages with labels: the model is not evaluated")
    metrics["training"] = training_info
    metrics["holdout"] = holdout_info
    return model, metrics
