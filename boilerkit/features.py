"""Step 3: turn the blocks of a page into a feature matrix, with numpy only.

Everything here is language-independent: word counts treat each CJK
character as a word, and no stop-word list is used. A page's rows hold

- numeric features: text statistics, position, depth, tag, context flags,
  statistics of the enclosing containers, windows over the neighbouring
  blocks, the same shallow statistics for the two blocks before and after,
  and where the block sits relative to the page's headline (the ``<h1>`` and
  the block that matches the ``<title>``);
- optionally (:attr:`FeatureConfig.repetition`), statistics of the blocks that
  repeat the block's structure (:func:`structure_groups`), which tell a list
  of cards from the paragraphs of one article;
- optionally (:attr:`FeatureConfig.link_targets`), how long the block's link
  targets are after their host (:func:`boilerkit.blocks.link_target_length`):
  a story's link is long, a menu's link to a section short;
- optionally (:attr:`FeatureConfig.link_slugs`), how many words end the
  block's link targets (:func:`boilerkit.blocks.link_slug_words`), each link
  counting no more than its text has: a headline links to its own words, a
  menu item or "Next" does not;
- optionally (:attr:`FeatureConfig.link_rels`), which ``rel`` words the
  block's links carry (:func:`boilerkit.blocks.link_rel_flags`): ``next``,
  ``bookmark``, ``tag``, ``ugc`` and the like, which themes put on
  pagination, headlines, categories and commenters' links;
- hashed tokens: class/id/role tokens of the block (``own:``), its ancestors
  (``anc:``) and its inline children (``in:``), bigrams of its last four tags
  (``path:a>b``) and the words of blocks of at most six words (``word:``),
  counted in :attr:`FeatureConfig.n_hashed` buckets (``crc32 % n``) as
  ``log1p(count)``, so that unseen sites still get features.

:class:`PageFeatures` assembles the rows of one page in chunks, so a page of
a million blocks never needs its whole matrix in memory.
"""

from __future__ import annotations

import re
import string
import zlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import cached_property

import numpy as np

from .blocks import (
    ANCESTOR_LEVELS, CONTEXT_NAMES, LINK_REL_FLAGS, NUMBER_FIELDS, Block, ancestor_stats_of,
    numbers_of,
)

try:  # the compiled accelerator is optional: the Python path gives the same numbers
    from . import _speedups
except ImportError:  # pragma: no cover - depends on the build
    _speedups = None  # type: ignore[assignment]  # optional module: mypy/issues/1297

#: Bump when the meaning or order of feature columns changes (here or in what
#: :mod:`boilerkit.blocks` computes); saved models record it.
FEATURE_SCHEMA_VERSION = 4

_TAG_GROUPS = {
    "p": "p", "div": "div", "li": "li", "dd": "li", "dt": "li", "td": "td", "th": "td",
    "h1": "h1", "h2": "h", "h3": "h", "h4": "h", "h5": "h", "h6": "h",
    "option": "option", "select": "option", "pre": "pre", "blockquote": "blockquote",
    "figcaption": "caption", "caption": "caption", "section": "section", "article": "section",
    "main": "section", "aside": "aside", "nav": "nav", "header": "header", "footer": "footer",
    "form": "form", "fieldset": "form", "legend": "form", "ul": "list",
    "ol": "list", "dl": "list", "tr": "td", "table": "td", "span": "other", "body": "body",
}
TAG_GROUP_NAMES = tuple(sorted(set(_TAG_GROUPS.values()) | {"other"}))
_TAG_INDEX = {name: i for i, name in enumerate(TAG_GROUP_NAMES)}
_TAG_INDEX_OF = {tag: _TAG_INDEX[group] for tag, group in _TAG_GROUPS.items()}
_OTHER = _TAG_INDEX["other"]

_DIGIT = re.compile(r"\d")
# Container class tokens that define a block's structure (the nearest ones).
_REPEAT_ANCESTOR_TOKENS = 8
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
#: Characters counted as punctuation, and those that end a sentence.
PUNCTUATION = string.punctuation + "“”‘’«»„…–—·•|»›‹。、，！？：；（）「」"
SENTENCE_END = tuple(".!?。！？…\"”'»)")
_DELETE_PUNCTUATION = str.maketrans("", "", PUNCTUATION)
_DELETE_DIGITS = str.maketrans("", "", string.digits)
# Punctuation to spaces, to cut text into words for matching the title.
_PUNCTUATION_TO_SPACE = str.maketrans(dict.fromkeys(PUNCTUATION, " "))
# Separators between a headline and the site name in a <title>.
_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:·»]\s+|\s+[|·»]|[|·»]\s+")
_WRAP_WIDTH = 80  # boilerpipe's line width for text density
_SHORT_BLOCK_WORDS = 6
_TITLE_MATCH_MAX_WORDS = 40
_NEIGHBOUR_OFFSETS = (-2, -1, 1, 2)
_SHALLOW_NAMES = ("log_chars", "link_density", "text_density", "heading", "punctuation_ratio",
                  "same_parent")
_BASE_NAMES = (
    "log_chars", "log_words", "link_density", "text_density", "log_links", "punctuation_ratio",
    "digit_ratio", "sentence_end", "mean_word_length", "relative_position",
    "relative_char_position", "depth", "relative_depth", "char_share", "log_images",
    "log_inputs", "offset_from_longest", "log_page_blocks", "log_page_chars", "link_only",
)
_HEADLINE_NAMES = ("title_overlap", "title_coverage", "is_title_match", "offset_from_title",
                   "chars_from_title", "offset_from_h1", "after_title")
_ANCESTOR_NAMES = tuple(f"ancestor{level}_{name}" for level in range(1, ANCESTOR_LEVELS + 1)
                        for name in ("log_chars", "link_density", "log_blocks", "char_share"))
_WINDOWS = (3, 10)
_WINDOW_NAMES = tuple(f"window{size}_{name}" for size in _WINDOWS
                      for name in ("log_chars", "link_density", "sentence_end"))
NUMERIC_NAMES: tuple[str, ...] = (
    _BASE_NAMES
    + _HEADLINE_NAMES
    + _ANCESTOR_NAMES
    + _WINDOW_NAMES
    + tuple(f"tag_{name}" for name in TAG_GROUP_NAMES)
    + tuple(f"in_{name}" for name in CONTEXT_NAMES)
    + tuple(f"{name}@{offset:+d}" for offset in _NEIGHBOUR_OFFSETS for name in _SHALLOW_NAMES)
    + tuple(f"exists@{offset:+d}" for offset in _NEIGHBOUR_OFFSETS)
)
#: Statistics of the blocks that repeat a block's structure (same tag path, container
#: classes and own classes): cards of a listing repeat across many containers,
#: paragraphs of an article repeat inside one, a menu's items inside one list.
REPETITION_NAMES = ("repeat_log_count", "repeat_container_spread", "repeat_link_density",
                    "repeat_char_share", "repeat_mean_log_chars")
#: The block's mean link target length (``log1p``; a block inside a link has that link's),
#: and its mean over the 3 blocks before and after.
LINK_TARGET_NAMES = ("log_link_target", "window3_log_link_target")
#: The block's mean slug words per link (``log1p``; :func:`boilerkit.blocks.link_slug_words`,
#: each at most the link text's words), and its mean over the 3 blocks before and after.
LINK_SLUG_NAMES = ("log_link_slug_words", "window3_log_link_slug_words")
#: Whether any of the block's links carries each of :data:`boilerkit.blocks.LINK_REL_FLAGS`,
#: and the share of the 3 blocks before and after (and itself) that do.
LINK_REL_NAMES = (tuple(f"rel_{name}" for name in LINK_REL_FLAGS)
                  + tuple(f"window3_rel_{name}" for name in LINK_REL_FLAGS))
_REL_FLAG_BITS = np.array(list(LINK_REL_FLAGS.values()), dtype=np.int64)
#: Characters (whitespace not counted) of link text taken for one word.
_CHARS_PER_WORD = 5.0
#: Tags and class tokens of a widget heading ("Related posts", "Categories", "Comments").
_HEADING_TAGS = frozenset(("h2", "h3", "h4", "h5", "h6"))
_HEADING_CLASS = re.compile(r"title|heading|header")
#: Rows per chunk when a page's rows are assembled piecewise.
CHUNK_ROWS = 8192
# A token cache larger than this is emptied rather than grown without bound.
_MAX_CACHED_TOKENS = 200_000


@dataclass(frozen=True)
class FeatureConfig:
    """What a model's feature matrix looks like; saved with the model."""

    n_hashed: int = 256
    schema_version: int = FEATURE_SCHEMA_VERSION
    #: Add the :data:`REPETITION_NAMES` columns; models saved before they existed
    #: load without them.
    repetition: bool = False
    #: Add the :data:`LINK_TARGET_NAMES` columns (after the repetition ones).
    link_targets: bool = False
    #: Add this many columns of hashed words of each block's widget heading
    #: (:func:`widget_headings`), after the link target ones; 0: none.
    heading_buckets: int = 0
    #: Add the :data:`LINK_SLUG_NAMES` columns (after the heading ones).
    link_slugs: bool = False
    #: Add the :data:`LINK_REL_NAMES` columns (after the slug ones).
    link_rels: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.n_hashed, int) or self.n_hashed < 1:
            raise ValueError(f"n_hashed must be a positive integer, got {self.n_hashed!r}")
        if not isinstance(self.heading_buckets, int) or self.heading_buckets < 0:
            raise ValueError(f"heading_buckets must be a non-negative integer, "
                             f"got {self.heading_buckets!r}")

    # Cached: rows() asks for them per page, and the heading names are built one by one.
    @cached_property
    def numeric_names(self) -> tuple[str, ...]:
        return (NUMERIC_NAMES + (REPETITION_NAMES if self.repetition else ())
                + (LINK_TARGET_NAMES if self.link_targets else ())
                + tuple(f"heading_token_{i}" for i in range(self.heading_buckets))
                + (LINK_SLUG_NAMES if self.link_slugs else ())
                + (LINK_REL_NAMES if self.link_rels else ()))

    @cached_property
    def n_features(self) -> int:
        return len(self.numeric_names) + self.n_hashed

    def feature_names(self) -> tuple[str, ...]:
        return self.numeric_names + tuple(f"token_{i}" for i in range(self.n_hashed))

    def to_dict(self) -> dict:
        data = {**asdict(self), "hash": "crc32", "numeric_features": len(self.numeric_names)}
        # Absent when off, so that configurations saved before they existed read the same.
        for option in ("link_targets", "heading_buckets", "link_slugs", "link_rels"):
            if not data[option]:
                del data[option]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> FeatureConfig:
        return cls(n_hashed=int(data["n_hashed"]), schema_version=int(data["schema_version"]),
                   repetition=bool(data.get("repetition", False)),
                   link_targets=bool(data.get("link_targets", False)),
                   heading_buckets=int(data.get("heading_buckets", 0)),
                   link_slugs=bool(data.get("link_slugs", False)),
                   link_rels=bool(data.get("link_rels", False)))


def hashed_index(token: str, n_buckets: int) -> int:
    """The bucket of a token: CRC-32 of its UTF-8 bytes, modulo ``n_buckets``."""
    return zlib.crc32(token.encode("utf-8", "surrogatepass")) % n_buckets


def text_stats(texts: list[str], use_speedups: bool = True) -> np.ndarray:
    """``(n, 6)``: characters, words (each CJK character one), spaces, punctuation, digits,
    and whether the text ends like a sentence, per block text."""
    if use_speedups and _speedups is not None:
        return np.frombuffer(_speedups.text_stats(texts), dtype=np.float64).reshape(-1, 6)
    n = len(texts)
    chars = np.fromiter(map(len, texts), dtype=np.float64, count=n)
    cjk = np.fromiter((len(_CJK.findall(t)) for t in texts), dtype=np.float64, count=n)
    words = np.fromiter((len(_CJK.sub(" ", t).split()) if c else (t.count(" ") + 1 if t else 0)
                         for t, c in zip(texts, cjk)), dtype=np.float64, count=n) + cjk
    spaces = np.fromiter((t.count(" ") for t in texts), dtype=np.float64, count=n)
    punctuation = chars - np.fromiter((len(t.translate(_DELETE_PUNCTUATION)) for t in texts),
                                      dtype=np.float64, count=n)
    digits = chars - np.fromiter((len(t.translate(_DELETE_DIGITS)) for t in texts),
                                 dtype=np.float64, count=n)
    ends = np.fromiter((t.endswith(SENTENCE_END) for t in texts), dtype=np.float64, count=n)
    return np.column_stack([chars, words, spaces, punctuation, digits, ends]).reshape(n, 6)


_UNSEEN: list[str] = []  # a sentinel that no _short_words result is


def _short_words(text: str) -> list[str] | None:
    """The words of a block of at most six words, lower-cased and stripped of punctuation."""
    if text.count(" ") >= _SHORT_BLOCK_WORDS:
        return None
    words = text.lower().split()
    return [w.strip(PUNCTUATION) for w in words] if len(words) <= _SHORT_BLOCK_WORDS else None


def window_means(values: np.ndarray, size: int) -> np.ndarray:
    """Mean of ``values`` (one value per block, or one row) over the ``size`` blocks before
    and after each block (and itself)."""
    padded = np.zeros((len(values) + 1, *values.shape[1:]))
    np.cumsum(values, axis=0, out=padded[1:])
    index = np.arange(len(values))
    low = np.maximum(index - size, 0)
    high = np.minimum(index + size + 1, len(values))
    span = (high - low).reshape(-1, *(1,) * (values.ndim - 1))
    return (padded[high] - padded[low]) / span


def _title_core_words(title: str | None) -> set[str]:
    """The words of the longest part of the title between separators (the headline)."""
    if not title:
        return set()
    parts = [part for part in _TITLE_SEPARATORS.split(title) if part.strip()]
    core = max(parts, key=len) if parts else title
    return set(core.lower().translate(_PUNCTUATION_TO_SPACE).split())


def _without_digits(tokens: tuple[str, ...]) -> tuple[str, ...]:
    if not _DIGIT.search(" ".join(tokens)):
        return tokens
    return tuple(token for token in tokens if not _DIGIT.search(token))


def structure_groups(blocks: Sequence[Block], use_speedups: bool = True) -> np.ndarray:
    """Each block's group, numbered in order of first appearance: the blocks with the same
    tag path, the same classes of their nearest containers and the same own classes.

    Class tokens with digits (``post-1234``) differ per card, so they are left out.
    """
    # getattr: an accelerator built before this function existed lacks it.
    compiled = getattr(_speedups, "structure_groups", None) if use_speedups else None
    if compiled is not None:
        try:
            return np.frombuffer(compiled(list(blocks), _REPEAT_ANCESTOR_TOKENS), dtype=np.int64)
        except TypeError:  # token fields that are not tuples: the Python path takes them
            pass
    # Token tuples are shared by the blocks of a container or a class: clean each once.
    plain_ancestors: dict[int, tuple[str, ...]] = {}
    plain_own: dict[int, tuple[str, ...]] = {}
    group_of: dict[tuple, int] = {}
    groups = np.empty(len(blocks), dtype=np.int64)
    for i, block in enumerate(blocks):
        ancestors, own = block.ancestor_tokens, block.own_tokens
        kept = plain_ancestors.get(id(ancestors))
        if kept is None:
            kept = plain_ancestors[id(ancestors)] = _without_digits(
                tuple(ancestors[-_REPEAT_ANCESTOR_TOKENS:]))
        if own:
            kept_own = plain_own.get(id(own))
            if kept_own is None:
                kept_own = plain_own[id(own)] = _without_digits(tuple(own))
            own = kept_own
        groups[i] = group_of.setdefault((tuple(block.tag_path), kept, own), len(group_of))
    return groups


def widget_headings(blocks: Sequence[Block]) -> np.ndarray:
    """For each block, the index of its widget heading, or -1.

    A widget heading is an ``h2``-``h6`` or a short block with a title or heading
    class. Its scope is its parent element's subtree, or a higher ancestor's (up to
    the fourth) while the heading is the only block in it (``<header><h2>``). A
    block's widget heading is the nearest heading before it, or itself, whose scope
    holds it. Needs the page's element tree; all -1 without it.
    """
    n = len(blocks)
    headings = np.full(n, -1, dtype=np.int64)
    # The page's element tree, as boilerkit.context.element_tree reads it.
    ancestor_ids = getattr(blocks, "ancestor_ids", None)
    subtree_end = getattr(blocks, "subtree_end", None)
    if n == 0 or ancestor_ids is None or subtree_end is None or len(ancestor_ids) != n:
        return headings
    # Plain lists: indexing numpy arrays one scalar at a time is several times slower.
    owners = numbers_of(blocks)[:, NUMBER_FIELDS.index("element_id")].tolist()  # type: ignore[arg-type]
    last_element = len(subtree_end) - 1
    heading_classed: dict[tuple[str, ...], bool] = {}  # class lists repeat across a page
    open_headings: list[tuple[int, int]] = []  # (block index, last element id in scope)
    for i, block in enumerate(blocks):
        owner = owners[i]
        while open_headings and open_headings[-1][1] < owner:
            open_headings.pop()
        own = block.own_tokens
        if block.tag in _HEADING_TAGS:
            is_heading = True
        elif own:
            key = own if isinstance(own, tuple) else tuple(own)
            classed = heading_classed.get(key)
            if classed is None:
                classed = heading_classed[key] = any(map(_HEADING_CLASS.search, own))
            is_heading = classed and block.text.count(" ") < _SHORT_BLOCK_WORDS
        else:
            is_heading = False
        if is_heading:
            next_owner = owners[i + 1] if i + 1 < n else owner
            scope_end = owner
            for ancestor in ancestor_ids[i]:
                if ancestor < 0:  # above the root: the rest of the page
                    scope_end = last_element
                    break
                scope_end = int(subtree_end[ancestor])
                if next_owner <= scope_end:  # the ancestor holds more than the heading
                    break
            open_headings.append((i, scope_end))
        if open_headings:
            headings[i] = open_headings[-1][0]
    return headings


class PageFeatures:
    """The feature rows of one page.

    The per-block statistics are computed once for the whole page (windows
    and neighbours need them); :meth:`rows` assembles any range of rows as a
    float32 matrix of :attr:`FeatureConfig.n_features` columns.
    ``token_cache`` maps token strings to buckets across pages; pass the same
    dict for every page of a model (it is bounded).
    """

    def __init__(self, blocks: Sequence[Block], config: FeatureConfig,
                 token_cache: dict[str, int] | None = None, use_speedups: bool = True,
                 keep_tokens: bool = False) -> None:
        self.blocks = blocks
        self.config = config
        self.token_cache = token_cache if token_cache is not None else {}
        self.use_speedups = use_speedups
        # With keep_tokens, each range's token counts are kept, sparse (a few buckets per
        # block), for a caller that asks for the same rows twice (a second model level).
        self._kept_tokens: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] | None = \
            {} if keep_tokens else None
        self.n = n = len(blocks)
        if n == 0:
            return
        texts = [block.text for block in blocks]
        chars, words, spaces, punctuation, digits, self.sentence_end = text_stats(
            texts, use_speedups).T

        numbers = numbers_of(blocks)  # type: ignore[arg-type]
        column = {name: numbers[:, i] for i, name in enumerate(NUMBER_FIELDS)}
        link_chars = column["link_text_length"].astype(np.float64)
        self.links = column["link_count"].astype(np.float64)
        self.depth = column["depth"].astype(np.float64)
        self.images = column["image_count"].astype(np.float64)
        self.inputs = column["input_count"].astype(np.float64)
        self.context = column["context"]
        tag_index = _TAG_INDEX_OF
        self.tags = np.fromiter((tag_index.get(b.tag, _OTHER) for b in blocks), dtype=np.int64,
                                count=n)
        self.parent_ids = column["parent_id"]
        self.ancestors = ancestor_stats_of(blocks)  # type: ignore[arg-type]

        self.chars, self.words, self.punctuation, self.digits = chars, words, punctuation, digits
        self.log_chars = np.log1p(chars)
        # Link text is counted without whitespace (see Block.link_text_length).
        visible = chars - spaces
        self.visible_total = max(visible.sum(), 1.0)
        self.link_density = np.minimum(link_chars / np.maximum(visible, 1), 1.0)
        self.text_density = np.where(chars <= _WRAP_WIDTH, words,
                                     words * _WRAP_WIDTH / np.maximum(chars, 1))
        self.total_chars = chars.sum()
        self.chars_before = np.cumsum(chars) - chars
        self.heading = ((self.tags == _TAG_INDEX["h1"]) | (self.tags == _TAG_INDEX["h"])
                        ).astype(np.float64)
        self.punctuation_ratio = punctuation / np.maximum(chars, 1)
        self.longest = float(np.argmax(chars))
        self.shallow = np.column_stack([self.log_chars, self.link_density, self.text_density,
                                        self.heading, self.punctuation_ratio])
        self.windows = [(window_means(self.log_chars, size),
                         window_means(self.link_density, size),
                         window_means(self.sentence_end, size)) for size in _WINDOWS]
        self._headline(texts, getattr(blocks, "title", None))
        # Kept per group, and spread over the blocks chunk by chunk: a page of a million
        # blocks would otherwise hold a million rows of them.
        self.repetition_by_group = (self._repetition(blocks, link_chars, visible)
                                    if config.repetition else None)
        self.link_targets = None
        if config.link_targets:
            per_link = np.log1p(column["link_target_length"] / np.maximum(self.links, 1))
            self.link_targets = np.column_stack([per_link, window_means(per_link, 3)])
        self.heading_cells = (self._heading_cells(blocks, texts, config.heading_buckets)
                              if config.heading_buckets else None)
        self.link_slugs = None
        if config.link_slugs:
            links = np.maximum(self.links, 1)
            # No more slug words than the link text has: "Next" to a post's slug is no headline.
            words = np.minimum(column["link_slug_words"] / links,
                               link_chars / links / _CHARS_PER_WORD)
            per_link = np.log1p(words)
            self.link_slugs = np.column_stack([per_link, window_means(per_link, 3)])
        self.link_rels = None
        if config.link_rels:
            has = (column["link_rels"][:, None] & _REL_FLAG_BITS != 0).astype(np.float64)
            self.link_rels = np.column_stack([has, window_means(has, 3)])

    def _repetition(self, blocks: Sequence[Block], link_chars: np.ndarray,
                    visible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The group of each block (the blocks that share its structure) and each group's
        ``len(REPETITION_NAMES)`` statistics."""
        groups = structure_groups(blocks, self.use_speedups)
        n_groups = int(groups.max()) + 1
        count = np.bincount(groups, minlength=n_groups).astype(np.float64)
        # Distinct parents per group: the distinct (group, parent) pairs, counted by group.
        span = int(self.parent_ids.max()) + 2  # parent ids run from -1
        pairs = np.unique(groups * span + self.parent_ids + 1)
        containers = np.bincount(pairs // span, minlength=n_groups)
        chars = np.bincount(groups, self.chars, minlength=n_groups)
        links = np.bincount(groups, link_chars, minlength=n_groups)
        visible_chars = np.bincount(groups, visible, minlength=n_groups)
        log_chars = np.bincount(groups, self.log_chars, minlength=n_groups)
        per_group = np.column_stack([
            np.log1p(count), containers / count,
            np.minimum(links / np.maximum(visible_chars, 1), 1.0),
            chars / max(self.total_chars, 1), log_chars / count,
        ])
        return groups, per_group

    def _heading_cells(self, blocks: Sequence[Block], texts: list[str],
                       buckets: int) -> tuple[np.ndarray, np.ndarray]:
        """Per block with a widget heading, the buckets of the heading's words: the
        ``(block index, bucket)`` pairs, in block order."""
        headings = widget_headings(blocks)
        with_heading = np.flatnonzero(headings >= 0)
        distinct, which = np.unique(headings[with_heading], return_inverse=True)
        by_text: dict[str, list[int]] = {}  # widget headings repeat ("Related posts")
        found = []
        for heading in distinct:
            text = texts[heading]
            words = by_text.get(text)
            if words is None:
                words = by_text[text] = sorted({hashed_index("heading:" + word, buckets)
                                                for word in _short_words(text) or () if word})
            found.append(words)
        counts = np.fromiter(map(len, found), dtype=np.int64, count=len(found))
        per_block = counts[which]
        if not per_block.sum():
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        flat = np.fromiter((bucket for words in found for bucket in words), dtype=np.int64)
        starts = (np.cumsum(counts) - counts)[which]
        # Each block's run of its heading's buckets: the run's start plus 0, 1, ...
        offsets = np.arange(per_block.sum()) - np.repeat(np.cumsum(per_block) - per_block,
                                                        per_block)
        return np.repeat(with_heading, per_block), flat[np.repeat(starts, per_block) + offsets]

    def _headline(self, texts: list[str], title: str | None) -> None:
        """Where each block sits relative to the headline: the <title> match and the <h1>."""
        n = self.n
        overlap = np.zeros(n)
        coverage = np.zeros(n)
        core = _title_core_words(title)
        if core:
            # Only blocks holding the title's longest word can match it well: a substring
            # test skips the others cheaply. Sorted first: a set's order changes with the hash
            # seed, and a tie between equally long words must not change the features.
            key = max(sorted(core), key=len)
            for i in np.flatnonzero(self.words <= _TITLE_MATCH_MAX_WORDS):
                lowered = texts[i].lower()
                if key not in lowered:
                    continue
                words = set(lowered.translate(_PUNCTUATION_TO_SPACE).split())
                if words:
                    shared = len(words & core)
                    overlap[i] = shared / len(words)
                    coverage[i] = shared / len(core)
        score = overlap * coverage
        best = int(np.argmax(score)) if score.max() > 0.25 else -1
        index = np.arange(n, dtype=np.float64)
        self.title_overlap, self.title_coverage = overlap, coverage
        self.is_title_match = (index == best).astype(np.float64)
        if best >= 0:
            self.offset_from_title = (index - best) / n
            self.chars_from_title = (self.chars_before - self.chars_before[best]) / max(
                self.total_chars, 1)
            self.after_title = (index >= best).astype(np.float64)
        else:
            self.offset_from_title = np.zeros(n)
            self.chars_from_title = np.zeros(n)
            self.after_title = np.full(n, 0.5)
        h1 = np.flatnonzero(self.tags == _TAG_INDEX["h1"])
        self.offset_from_h1 = (index - h1[0]) / n if len(h1) else np.zeros(n)

    def __len__(self) -> int:
        return self.n

    def rows(self, start: int = 0, stop: int | None = None, spare_columns: int = 0) -> np.ndarray:
        """Rows ``start:stop`` of the page's feature matrix (float32).

        With ``spare_columns``, the matrix has that many more columns at the right, left
        for the caller to fill (a second model level's context features), so that adding
        them copies nothing.
        """
        stop = self.n if stop is None else min(stop, self.n)
        n_features = self.config.n_features
        if stop <= start:
            return np.zeros((0, n_features + spare_columns), dtype=np.float32)
        matrix = np.empty((stop - start, n_features + spare_columns), dtype=np.float32)
        n_numeric = len(self.config.numeric_names)
        self._numeric(start, stop, matrix[:, :n_numeric])
        self._token_columns(start, stop, matrix, n_numeric)
        return matrix

    def _token_columns(self, start: int, stop: int, matrix: np.ndarray, column: int) -> None:
        """Write rows ``start:stop``'s token columns into ``matrix`` from ``column`` on."""
        kept = self._kept_tokens
        if kept is not None and (start, stop) in kept:
            self._set_tokens(matrix, column, *kept[start, stop])
            return
        cells, values = self._tokens(start, stop, matrix, column)
        if kept is not None:
            kept[start, stop] = (cells, values)

    def _set_tokens(self, matrix: np.ndarray, column: int, cells: np.ndarray,
                    values: np.ndarray) -> None:
        """Token columns from ``column`` on: ``values`` at ``cells`` (row * n_hashed + bucket),
        zero elsewhere."""
        n_hashed = self.config.n_hashed
        matrix[:, column:column + n_hashed] = 0.0
        rows, buckets = np.divmod(cells, n_hashed)
        matrix[rows, buckets + column] = values

    def matrix(self) -> np.ndarray:
        return self.rows(0, self.n)

    def _numeric(self, start: int, stop: int, matrix: np.ndarray) -> None:
        """Write rows ``start:stop``'s numeric features into ``matrix`` (k, NUMERIC_NAMES)."""
        n, part = self.n, slice(start, stop)
        k = stop - start
        index = np.arange(start, stop, dtype=np.float64)
        chars, words, depth = self.chars[part], self.words[part], self.depth[part]
        link_density = self.link_density[part]
        columns = [
            self.log_chars[part], np.log1p(words), link_density, self.text_density[part],
            np.log1p(self.links[part]), self.punctuation_ratio[part],
            self.digits[part] / np.maximum(chars, 1), self.sentence_end[part],
            chars / np.maximum(words, 1), index / max(n - 1, 1),
            self.chars_before[part] / max(self.total_chars, 1),
            depth, depth / max(self.depth.max(), 1), chars / max(self.total_chars, 1),
            np.log1p(self.images[part]), np.log1p(self.inputs[part]),
            (index - self.longest) / n, np.full(k, np.log1p(n)),
            np.full(k, np.log1p(self.total_chars)), (link_density > 0.99).astype(np.float64),
            self.title_overlap[part], self.title_coverage[part], self.is_title_match[part],
            self.offset_from_title[part], self.chars_from_title[part], self.offset_from_h1[part],
            self.after_title[part],
        ]
        width = len(columns)
        matrix[:, :width] = np.column_stack(columns)
        ancestors = self.ancestors[part]  # (k, levels, [chars, link chars, blocks])
        subtree_chars = ancestors[:, :, 0]
        per_level = np.stack([np.log1p(subtree_chars),
                              ancestors[:, :, 1] / np.maximum(subtree_chars, 1),
                              np.log1p(ancestors[:, :, 2]), subtree_chars / self.visible_total],
                             axis=2)
        matrix[:, width:width + 4 * ANCESTOR_LEVELS] = per_level.reshape(k, -1)
        width += 4 * ANCESTOR_LEVELS
        windows = np.column_stack([values[part] for window in self.windows for values in window])
        matrix[:, width:width + windows.shape[1]] = windows
        width += windows.shape[1]
        tags = self.tags[part]
        onehot = matrix[:, width:width + len(TAG_GROUP_NAMES)]
        onehot[:] = 0.0
        onehot[np.arange(k), tags] = 1.0
        width += len(TAG_GROUP_NAMES)
        flags = (self.context[part, None] >> np.arange(len(CONTEXT_NAMES))) & 1
        matrix[:, width:width + len(CONTEXT_NAMES)] = flags
        width += len(CONTEXT_NAMES)
        shallow = self.shallow
        n_shallow = len(_SHALLOW_NAMES)
        exists_at = width + len(_NEIGHBOUR_OFFSETS) * n_shallow
        for j, offset in enumerate(_NEIGHBOUR_OFFSETS):
            source = np.arange(start, stop) + offset
            present = (source >= 0) & (source < n)
            source = np.clip(source, 0, n - 1)
            neighbour = matrix[:, width:width + n_shallow]
            neighbour[:, :-1] = shallow[source] * present[:, None]
            neighbour[:, -1] = present & (self.parent_ids[source] == self.parent_ids[part])
            width += n_shallow
            matrix[:, exists_at + j] = present
        width = len(NUMERIC_NAMES)
        if self.repetition_by_group is not None:
            groups, per_group = self.repetition_by_group
            matrix[:, width:width + per_group.shape[1]] = per_group[groups[part]]
            width += per_group.shape[1]
        if self.link_targets is not None:
            matrix[:, width:width + len(LINK_TARGET_NAMES)] = self.link_targets[part]
            width += len(LINK_TARGET_NAMES)
        if self.heading_cells is not None:
            buckets = self.config.heading_buckets
            matrix[:, width:width + buckets] = 0.0
            heading_rows, heading_columns = self.heading_cells
            low, high = np.searchsorted(heading_rows, [start, stop])
            matrix[heading_rows[low:high] - start, width + heading_columns[low:high]] = 1.0
            width += buckets
        if self.link_slugs is not None:
            matrix[:, width:width + len(LINK_SLUG_NAMES)] = self.link_slugs[part]
            width += len(LINK_SLUG_NAMES)
        if self.link_rels is not None:
            matrix[:, width:width + len(LINK_REL_NAMES)] = self.link_rels[part]

    def _buckets(self, tokens: list[str]) -> list[int]:
        cache = self.token_cache
        if len(cache) >= _MAX_CACHED_TOKENS:
            cache.clear()
        n_hashed = self.config.n_hashed
        found = []
        for token in tokens:
            bucket = cache.get(token)
            if bucket is None:
                bucket = cache[token] = hashed_index(token, n_hashed)
            found.append(bucket)
        return found

    def _tokens(self, start: int, stop: int, matrix: np.ndarray,
                column: int) -> tuple[np.ndarray, np.ndarray]:
        """Write log1p of the token counts per bucket into ``matrix`` from ``column`` on, and
        return the cells set (``row * n_hashed + bucket``) and their values."""
        n_hashed = self.config.n_hashed
        if self.use_speedups and _speedups is not None:
            blocks = list(self.blocks[start:stop])
            # Short texts repeat ("Reply", "Share", dates): split each distinct one once.
            words_of: dict[str, list[str] | None] = {}
            block_words = []
            for block in blocks:
                text = block.text
                words = words_of.get(text, _UNSEEN)
                if words is _UNSEEN:
                    words = words_of[text] = _short_words(text)
                block_words.append(words)
            cells = np.frombuffer(_speedups.hash_tokens(blocks, block_words, n_hashed, matrix,
                                                        column), dtype=np.int64)
            # Most cells are zero: take the logarithm of the others only.
            rows, cell_columns = np.divmod(cells, n_hashed)
            cell_columns += column
            values = np.log1p(matrix[rows, cell_columns])
            matrix[rows, cell_columns] = values
            return cells, values
        buckets = self._buckets
        # Token tuples are shared: by all blocks of a container (ancestors), by elements
        # with the same class (own, inner) and by blocks at the same place (path).
        # Hash each distinct tuple once; the blocks keep the tuples alive meanwhile.
        by_tuple: dict[tuple[str, int], list[int]] = {}
        by_path: dict[tuple[str, ...], list[int]] = {}
        columns: list[int] = []
        lengths = np.zeros(stop - start, dtype=np.int64)
        for row, block in enumerate(self.blocks[start:stop]):
            before = len(columns)
            for prefix, tokens in (("anc:", block.ancestor_tokens), ("own:", block.own_tokens),
                                   ("in:", block.inner_tokens)):
                if tokens:
                    key = (prefix, id(tokens))
                    cached = by_tuple.get(key)
                    if cached is None:
                        cached = by_tuple[key] = buckets([prefix + t for t in tokens])
                    columns += cached
            path = block.tag_path[-4:]
            cached = by_path.get(path)
            if cached is None:
                cached = by_path[path] = buckets([f"path:{a}>{b}" for a, b in zip(path, path[1:])])
            columns += cached
            words = _short_words(block.text)
            if words:
                columns += buckets(["word:" + word for word in words])
            lengths[row] = len(columns) - before
        k = stop - start
        rows = np.repeat(np.arange(k), lengths)
        counts = np.bincount(rows * n_hashed + np.asarray(columns, dtype=np.int64),
                             minlength=k * n_hashed)
        cells = np.flatnonzero(counts)
        values = np.log1p(counts[cells], dtype=np.float32)
        self._set_tokens(matrix, column, cells, values)
        return cells, values


def page_matrix(blocks: Sequence[Block], config: FeatureConfig,
                token_cache: dict[str, int] | None = None) -> np.ndarray:
    """The whole feature matrix of one page (use :class:`PageFeatures` for huge pages)."""
    return PageFeatures(blocks, config, token_cache).matrix()


def feature_matrix(pages: Sequence[Sequence[Block]], config: FeatureConfig,
                   token_cache: dict[str, int] | None = None,
                   progress: Callable[[int], None] | None = None) -> np.ndarray:
    """The feature rows of several pages, stacked: one row per block.

    ``progress(pages_done)`` is called after each page.
    """
    cache = token_cache if token_cache is not None else {}
    matrices = []
    for done, page in enumerate(pages, 1):
        if len(page):
            matrices.append(page_matrix(page, config, cache))
        if progress is not None:
            progress(done)
    if not matrices:
        return np.zeros((0, config.n_features), dtype=np.float32)
    return np.vstack(matrices)


if _speedups is not None:
    _speedups.configure_text(PUNCTUATION, "".join(SENTENCE_END))
