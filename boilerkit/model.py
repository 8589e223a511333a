"""Step 4: a trained block classifier, as plain arrays, and how it predicts.

A :class:`Model` is what :func:`boilerkit.load_model` returns and what
``classify`` uses: a feature configuration, one or two *levels* of tree
ensembles and the label set. It needs numpy only; scikit-learn trains the
trees (:class:`boilerkit.estimator.BlockClassifier`), which are then
converted into this form.

Each level is a :class:`Head`. A ``single`` head is one ensemble over all
labels. A ``two-stage`` head learns from labels of mixed precision, such as
"not article" next to "teaser": its first ensemble gives ``P(primary)`` and
its second the other labels given "not primary", so
``P(c) = (1 - P(primary)) * P(c | not primary)``. A second level reads the
block's features plus :mod:`boilerkit.context` features of the first
level's probabilities over the page (stacking).

A model may also average the probabilities of several *members* trained by
one recipe with different seeds (:func:`average_models`): they share the
feature rows, so only their trees cost more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .blocks import NUMBER_FIELDS, Block, numbers_of
from .context import ContextSpec, context_features, element_tree
from .features import CHUNK_ROWS, FeatureConfig, PageFeatures
from .labels import PRIMARY_LABEL
from .predictor import TreeEnsemble, concatenate, link_probabilities

Pages = Sequence[Sequence[Block]]


@dataclass(eq=False)
class Head:
    """Turns feature rows into probabilities over a label set (see the module docs).

    ``classes[i]`` names the columns of ``ensembles[i].predict_proba``.
    """

    kind: str
    ensembles: list[TreeEnsemble]
    classes: list[list[str]]
    primary: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("single", "two-stage"):
            raise ValueError(f"unknown head kind {self.kind!r}")
        if len(self.classes) != len(self.ensembles) or not self.ensembles:
            raise ValueError("a head needs ensembles, each with its class names")
        for ensemble, names in zip(self.ensembles, self.classes):
            expected = 2 if ensemble.link == "logistic" else ensemble.n_outputs
            if len(names) != expected:
                raise ValueError(f"{len(names)} class names for {expected} probability columns")
        if self.kind == "two-stage" and (self.primary is None or len(self.ensembles) > 2):
            raise ValueError("a two-stage head needs a primary label and at most two ensembles")
        self._together: TreeEnsemble | None = None  # the ensembles as one, made on first use

    @property
    def labels(self) -> list[str]:
        """The labels this head gives probabilities for, in column order."""
        if self.kind == "single":
            return list(self.classes[0])
        assert self.primary is not None  # __post_init__: a two-stage head has one
        rest = self.classes[1] if len(self.ensembles) > 1 else [
            name for name in self.classes[0] if name != self.primary]
        return [self.primary, *rest]

    def _ensemble_probabilities(self, X: np.ndarray, use_speedups: bool) -> list[np.ndarray]:
        """``predict_proba`` of each ensemble, from one pass over the rows."""
        if len(self.ensembles) == 1:
            return [self.ensembles[0].predict_proba(X, use_speedups)]
        if self._together is None:
            self._together = concatenate(self.ensembles)
        raw = self._together.raw_predict(X, use_speedups)
        probabilities, start = [], 0
        for ensemble in self.ensembles:
            end = start + ensemble.n_outputs
            probabilities.append(link_probabilities(raw[:, start:end], ensemble.link))
            start = end
        return probabilities

    def predict_proba(self, X: np.ndarray, use_speedups: bool = True) -> np.ndarray:
        probabilities = self._ensemble_probabilities(X, use_speedups)
        first = probabilities[0]
        if self.kind == "single":
            return first
        assert self.primary is not None  # __post_init__: a two-stage head has one
        primary = first[:, self.classes[0].index(self.primary)]
        if len(self.ensembles) == 1:  # only the primary label and the partial one were seen
            return np.column_stack([primary, 1.0 - primary])
        rest = probabilities[1]
        combined = np.empty((len(primary), 1 + rest.shape[1]))
        combined[:, 0] = primary
        np.multiply(rest, (1.0 - primary)[:, None], out=combined[:, 1:])
        return combined


@dataclass(eq=False)
class Model:
    """A trained block classifier: features, one or two levels of heads, labels.

    ``levels[0]`` reads the feature rows; ``levels[1]``, if present, reads the
    feature rows plus the context features of ``levels[0]``'s probabilities,
    as ``context`` describes. ``manifest`` holds the metadata saved with the
    model (training data, licences, metrics). ``members`` are further models of
    the same features, labels and levels whose probabilities are averaged with
    this one's (see :func:`average_models`).
    """

    feature_config: FeatureConfig
    levels: list[Head]
    context: ContextSpec | None = None
    manifest: dict = field(default_factory=dict)
    members: list[Model] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not 1 <= len(self.levels) <= 2:
            raise ValueError("a model has one or two levels")
        if len(self.levels) == 2 and self.context is None:
            raise ValueError("a second level needs a context specification")
        labels = self.levels[-1].labels
        if len(set(labels)) != len(labels):
            raise ValueError(f"duplicate labels {labels}")
        self.labels: tuple[str, ...] = tuple(labels)
        self.classes_ = np.asarray(self.labels, dtype=object)
        self._token_cache: dict[str, int] = {}
        expected = self.feature_config.n_features
        for level, head in enumerate(self.levels):
            width = expected + (self.context.n_features if level else 0)  # type: ignore[union-attr]
            for ensemble in head.ensembles:
                if ensemble.n_features != width:
                    raise ValueError(f"level {level} ensembles read {ensemble.n_features} "
                                     f"features, the configuration gives {width}")
        if len(self.levels) == 2 and list(self.levels[0].labels) != list(self.context.labels):  # type: ignore[union-attr]
            raise ValueError("the context specification names other labels than level 0")
        for member in self.members:
            if member.members:
                raise ValueError("a member of an averaged model has no members of its own")
            if (member.feature_config != self.feature_config or member.labels != self.labels
                    or len(member.levels) != len(self.levels)
                    or member.spare_columns != self.spare_columns):
                raise ValueError("averaged models need the same features, labels and levels")

    @property
    def n_members(self) -> int:
        """How many models' probabilities this one averages (1 for a plain model)."""
        return 1 + len(self.members)

    @property
    def spare_columns(self) -> int:
        """Columns that :meth:`predict_rows` needs after the feature columns (the context)."""
        return self.context.n_features if len(self.levels) == 2 and self.context else 0

    def predict_page(self, blocks: Sequence[Block], use_speedups: bool = True) -> np.ndarray:
        """``(len(blocks), len(labels))`` probabilities for one page, computed in chunks."""
        n = len(blocks)
        if n == 0:
            return np.zeros((0, len(self.labels)))
        two_passes = len(self.levels) == 2 and n > CHUNK_ROWS
        features = PageFeatures(blocks, self.feature_config, self._token_cache,
                                use_speedups=use_speedups, keep_tokens=two_passes)
        if n <= CHUNK_ROWS:
            return self.predict_rows(features, features.rows(0, n, self.spare_columns),
                                     use_speedups)
        # A longer page goes by chunks of rows; the second level needs the first level's
        # probabilities of the whole page, so its rows are made again (tokens kept).
        chunks = range(0, n, CHUNK_ROWS)
        models = [self, *self.members]
        level0: list[list[np.ndarray]] = [[] for _ in models]
        for start in chunks:
            rows = features.rows(start, start + CHUNK_ROWS)
            for parts, model in zip(level0, models):
                parts.append(model.levels[0].predict_proba(rows, use_speedups))
        firsts = [np.vstack(parts) for parts in level0]
        if len(self.levels) == 1:
            return _mean(firsts)
        groups = _structure_groups_of(features)
        contexts = [context_features(blocks, first, model.context, features.chars,  # type: ignore[arg-type]
                                     use_speedups, groups)
                    for first, model in zip(firsts, models)]
        width = self.feature_config.n_features
        probabilities = []
        for start in chunks:
            rows = features.rows(start, start + CHUNK_ROWS, self.spare_columns)
            seconds = []
            for context, model in zip(contexts, models):
                rows[:, width:] = context[start:start + CHUNK_ROWS]
                seconds.append(model.levels[1].predict_proba(rows, use_speedups))
            probabilities.append(_mean(seconds))
        return np.vstack(probabilities)

    def predict_rows(self, features: PageFeatures, rows: np.ndarray,
                     use_speedups: bool = True) -> np.ndarray:
        """Probabilities of all the blocks of ``features``' page from its feature ``rows``.

        ``rows`` is ``features.rows(0, n, self.spare_columns)``: a second level's context
        features are written into its spare columns.
        """
        width = self.feature_config.n_features
        if features.n == 0:
            return np.zeros((0, len(self.labels)))
        if rows.shape != (features.n, width + self.spare_columns):
            raise ValueError(f"expected rows of shape {(features.n, width + self.spare_columns)}, "
                             f"got {rows.shape}")
        return _mean([model._own_probabilities(features, rows, use_speedups)
                      for model in (self, *self.members)])

    def _own_probabilities(self, features: PageFeatures, rows: np.ndarray,
                           use_speedups: bool) -> np.ndarray:
        """This model's levels alone on ``rows`` (members aside); fills the spare columns."""
        width = self.feature_config.n_features
        level0 = self.levels[0].predict_proba(rows[:, :width], use_speedups)
        if len(self.levels) == 1:
            return level0
        assert self.context is not None  # __post_init__: a second level has one
        rows[:, width:] = context_features(features.blocks, level0, self.context, features.chars,
                                           use_speedups, _structure_groups_of(features))
        return self.levels[1].predict_proba(rows, use_speedups)

    def predict_proba(self, pages: Pages) -> list[np.ndarray]:
        """Per page, an ``(n_blocks, n_labels)`` array; columns follow :attr:`labels`."""
        return [self.predict_page(page) for page in pages]

    def choose_labels(self, blocks: Sequence[Block], probabilities: np.ndarray) -> np.ndarray:
        """The label index of every block: the most probable label, except that a page with
        substantive text always keeps an article (see :func:`keep_an_article`), the
        article claims its lead (:func:`claim_the_lead`) and ends with its region
        (:func:`end_with_the_main_region`), whose short gaps it then closes
        (:func:`close_the_region_gaps`)."""
        best = np.argmax(probabilities, axis=1)
        if PRIMARY_LABEL in self.labels and len(best):
            primary = self.labels.index(PRIMARY_LABEL)
            amounts = text_amounts(blocks)
            keep_an_article(blocks, probabilities, best, primary, amounts)
            claim_the_lead(blocks, probabilities, best, primary, amounts)
            end_with_the_main_region(blocks, probabilities, best, primary, amounts)
            close_the_region_gaps(blocks, probabilities, best, primary, amounts)
        return best

    def predict(self, pages: Pages) -> list[np.ndarray]:
        """Per page, an array with the label of each block (see :meth:`choose_labels`)."""
        return [self.classes_[self.choose_labels(page, p)] if len(p)
                else np.asarray([], dtype=object)
                for page, p in zip(pages, self.predict_proba(pages))]


def _mean(probabilities: list[np.ndarray]) -> np.ndarray:
    """The members' mean; a plain model's probabilities are returned as they are."""
    if len(probabilities) == 1:
        return probabilities[0]
    return np.mean(probabilities, axis=0)


def average_models(models: Sequence[Model], manifest: dict | None = None) -> Model:
    """One model whose probabilities are the mean of ``models``' probabilities.

    The models must share features, labels and levels: several seeds of one
    training recipe, whose mean varies less from seed to seed than any one of
    them. Models that average members already give those members. ``manifest``
    becomes the new model's.
    """
    plain = [member for model in models for member in (model, *model.members)]
    if not plain:
        raise ValueError("no models to average")
    first, *rest = [Model(member.feature_config, member.levels, member.context)
                    for member in plain]
    return Model(first.feature_config, first.levels, first.context, dict(manifest or {}), rest)


def _structure_groups_of(features: PageFeatures) -> np.ndarray | None:
    """The blocks' structure groups if the repetition features computed them already."""
    by_group = features.repetition_by_group
    return by_group[0] if by_group is not None else None


#: A page whose blocks hold at least this many characters of text outside links has
#: substantive text, and so an article.
SUBSTANTIVE_CHARS = 250
# Blocks whose article probability is at least this share of the page's highest become
# the article when no block is labelled article.
_ARTICLE_SHARE = 0.5


_LINK_TEXT = NUMBER_FIELDS.index("link_text_length")


def text_amounts(blocks: Sequence[Block]) -> tuple[np.ndarray, np.ndarray]:
    """The characters of each block's text, and those inside links."""
    chars = np.fromiter((len(b.text) for b in blocks), dtype=np.float64, count=len(blocks))
    links = numbers_of(blocks if isinstance(blocks, list) else list(blocks))[:, _LINK_TEXT]
    return chars, links.astype(np.float64)


def keep_an_article(blocks: Sequence[Block], probabilities: np.ndarray, best: np.ndarray,
                    primary: int, amounts: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """Give a page with substantive text an article, changing ``best`` in place.

    When no block's most probable label is the primary label (article) although
    the page holds at least :data:`SUBSTANTIVE_CHARS` characters of text outside
    links, the blocks most likely to be article (at least half the page's
    highest article probability, and not mostly links) become article: an
    empty article is never the honest answer for such a page.
    """
    if (best == primary).any():
        return
    chars, links = amounts if amounts is not None else text_amounts(blocks)
    plain = chars - np.minimum(links, chars)
    if plain.sum() < SUBSTANTIVE_CHARS:
        return
    article = probabilities[:, primary]
    chosen = (article >= _ARTICLE_SHARE * article.max()) & (links <= 0.5 * chars)
    if not chosen.any():
        chosen = article == article.max()
    best[chosen] = primary


#: How far before the article's first paragraph its headline may be, in blocks.
LEAD_WINDOW = 25
# A body paragraph has at least this many characters outside links.
_BODY_CHARS = 80
# Between the headline and the body, blocks at least this likely article, and not mostly
# links, are the article's lead (byline, date, image, caption).
_LEAD_PROBABILITY = 0.05
_HEADINGS = frozenset(("h1", "h2", "h3"))


def _normalised(text: str) -> str:
    return " ".join(text.lower().split())


def claim_the_lead(blocks: Sequence[Block], probabilities: np.ndarray, best: np.ndarray,
                   primary: int, amounts: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """Give the article its headline and what sits between it and the body, in place.

    A block-by-block model is least sure of the short blocks that open an
    article: the headline, the byline and date, the lead image and its
    caption. The guideline makes them article, and their place says so: they
    sit between the page's headline and the article's first body paragraph.
    The headline is the nearest ``h1`` (or an ``h2``/``h3`` whose text is in
    the page's ``<title>``) at most :data:`LEAD_WINDOW` blocks before the first
    article block with :data:`_BODY_CHARS` characters outside links; it and the
    blocks after it that are not mostly links and have some article probability
    become article.
    """
    chars, links = amounts if amounts is not None else text_amounts(blocks)
    plain = chars - np.minimum(links, chars)
    body = np.flatnonzero((best == primary) & (plain >= _BODY_CHARS))
    if not len(body):
        return
    first = int(body[0])
    title = _normalised(getattr(blocks, "title", None) or "")
    headline = -1
    for index in range(first - 1, max(first - LEAD_WINDOW, 0) - 1, -1):
        block = blocks[index]
        if block.tag == "h1" or (block.tag in _HEADINGS and title
                                 and len(block.text) >= 10
                                 and _normalised(block.text) in title):
            headline = index
            break
    if headline < 0:
        return
    lead = np.arange(headline, first)
    keep = (links[lead] <= 0.5 * chars[lead]) & (probabilities[lead, primary] >= _LEAD_PROBABILITY)
    keep[0] = True
    best[lead[keep]] = primary


#: The article's main region is the innermost element that holds at least this share of
#: the article's characters (above half, so that the elements that do are one chain).
REGION_SHARE = 0.8
#: After that region ends, only blocks at least this likely article stay article.
AFTER_REGION_PROBABILITY = 0.9


def main_region(blocks: Sequence[Block], chars: np.ndarray,
                is_article: np.ndarray) -> tuple[int, int] | None:
    """The element id range ``(first, last)`` of the article's main region, if known.

    The region is the innermost element whose subtree holds at least
    :data:`REGION_SHARE` of the characters of the blocks ``is_article`` marks.
    Needs the page's element tree (:func:`boilerkit.context.element_tree`);
    ``None`` without it.
    """
    return _region_in(element_tree(blocks), chars, is_article)


def _region_in(tree: tuple[np.ndarray, np.ndarray, np.ndarray] | None, chars: np.ndarray,
               is_article: np.ndarray) -> tuple[int, int] | None:
    """:func:`main_region` on the page's :func:`boilerkit.context.element_tree`."""
    if tree is None or len(chars) != len(tree[0]) or not is_article.any():
        return None
    owners, _, subtree_end = tree
    order = np.argsort(owners[is_article], kind="stable")
    ids = owners[is_article][order]
    running = np.concatenate(([0.0], np.cumsum(chars[is_article][order])))
    if running[-1] <= 0:
        return None
    # An element holding over half of the characters holds the block with the middle
    # one, so only that block's ancestors are candidates. Element ids are in document
    # order and a subtree is the id range [e, end(e)].
    middle = ids[max(int(np.searchsorted(running, running[-1] / 2)) - 1, 0)]
    candidates = np.flatnonzero(subtree_end[:middle + 1] >= middle)
    inside = (running[np.searchsorted(ids, subtree_end[candidates], side="right")]
              - running[np.searchsorted(ids, candidates, side="left")])
    # The candidates are a chain of ancestors in document order: the innermost that
    # qualifies comes last.
    qualifying = candidates[inside >= REGION_SHARE * running[-1]]
    if not len(qualifying):
        return None
    region = int(qualifying[-1])
    return region, int(subtree_end[region])


def end_with_the_main_region(blocks: Sequence[Block], probabilities: np.ndarray,
                             best: np.ndarray, primary: int,
                             amounts: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """Take the article label from unsure blocks after the article's region, in place.

    An article is one region of the page, and what follows it (a newsletter
    box, a disclaimer, a "read more" line, related links) is seldom article.
    Blocks whose element comes after its :func:`main_region`'s subtree in
    document order stay article only if at least :data:`AFTER_REGION_PROBABILITY`
    likely article; the others get their most probable other label. Blocks
    before the region, and text of the region's ancestors, are left alone: the
    headline, byline and lead image often sit outside the body's container.
    """
    is_article = best == primary
    chars = (amounts if amounts is not None else text_amounts(blocks))[0]
    tree = element_tree(blocks)
    region = _region_in(tree, chars, is_article)
    if tree is None or region is None:
        return
    owners = tree[0]
    demoted = np.flatnonzero(is_article & (owners > region[1])
                             & (probabilities[:, primary] < AFTER_REGION_PROBABILITY))
    if len(demoted):
        others = probabilities[demoted].copy()
        others[:, primary] = -np.inf
        best[demoted] = np.argmax(others, axis=1)


#: A run of at most this many blocks between two article blocks may be a gap in the article.
GAP_BLOCKS = 3
#: ... if each block of the run is at least this likely article.
GAP_PROBABILITY = 0.2


def close_the_region_gaps(blocks: Sequence[Block], probabilities: np.ndarray,
                          best: np.ndarray, primary: int,
                          amounts: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """Give the article the short runs of blocks it surrounds inside its region, in place.

    A block-by-block model drops single blocks from the middle of an article: a
    caption, a subheading, a short paragraph, a cell of a table. A run of at most
    :data:`GAP_BLOCKS` blocks with article blocks on both sides, inside the
    article's :func:`main_region`, becomes article when every block of it is at
    least :data:`GAP_PROBABILITY` likely article and not mostly links. Longer
    runs (a newsletter box, a related-stories widget) and link lists stay as
    they are.
    """
    is_article = best == primary
    if is_article.sum() < 2:
        return
    chars, links = amounts if amounts is not None else text_amounts(blocks)
    tree = element_tree(blocks)
    region = _region_in(tree, chars, is_article)
    if tree is None or region is None:
        return
    owners = tree[0]
    fits = ((probabilities[:, primary] >= GAP_PROBABILITY) & (links <= 0.5 * chars)
            & (owners >= region[0]) & (owners <= region[1]))
    article = np.flatnonzero(is_article)
    starts, ends = article[:-1] + 1, article[1:]
    short = (ends > starts) & (ends - starts <= GAP_BLOCKS)
    starts, ends = starts[short], ends[short]
    misfits = np.concatenate(([0], np.cumsum(~fits)))
    whole = misfits[ends] - misfits[starts] == 0
    if not whole.any():
        return
    # Mark the ranges [start, end) with +1/-1 steps; a running sum above 0 is inside one.
    steps = np.zeros(len(best) + 1, dtype=np.int64)
    np.add.at(steps, starts[whole], 1)
    np.add.at(steps, ends[whole], -1)
    best[np.cumsum(steps[:-1]) > 0] = primary
