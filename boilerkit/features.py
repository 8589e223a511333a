"""Step 3: turn the blocks of a page into feature arrays.

Everything here is language-independent: word counts treat each CJK
character as a word, and no stop-word list is used. Two transformers follow
the scikit-learn API and take a sequence of pages (each a list of
:class:`~boilerkit.blocks.Block`), returning one row per block:

- :class:`NumericFeatures`: text statistics, position, depth, tag, context
  flags, statistics of the enclosing containers, and the same shallow
  statistics for the two blocks before and after;
- :class:`TokenFeatures`: class/id/role tokens of the block, its ancestors and
  its inline children, tag-path bigrams and the words of short blocks, hashed
  so that unseen sites still get features.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction import FeatureHasher

from .blocks import ANCESTOR_LEVELS, CONTEXT_NAMES, Block

#: Bump when the meaning or order of feature columns changes; saved models record it.
FEATURE_SCHEMA_VERSION = 3

_TAG_GROUPS = {
    "p": "p", "div": "div", "li": "li", "dd": "li", "dt": "li", "td": "td", "th": "td",
    "h1": "h1", "h2": "h", "h3": "h", "h4": "h", "h5": "h", "h6": "h",
    "option": "option", "select": "option", "pre": "pre", "blockquote": "blockquote",
    "figcaption": "caption", "caption": "caption", "section": "section", "article": "section",
    "main": "section", "aside": "aside", "nav": "nav", "header": "header", "footer": "footer",
    "form": "form", "fieldset": "form", "legend": "form", "textarea": "form", "ul": "list",
    "ol": "list", "dl": "list", "tr": "td", "table": "td", "span": "other", "body": "body",
}
TAG_GROUP_NAMES = tuple(sorted(set(_TAG_GROUPS.values()) | {"other"}))
_TAG_INDEX = {name: i for i, name in enumerate(TAG_GROUP_NAMES)}

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_PUNCTUATION = string.punctuation + "“”‘’«»„…–—·•|»›‹。、，！？：；（）「」"
_DELETE_PUNCTUATION = str.maketrans("", "", _PUNCTUATION)
_DELETE_DIGITS = str.maketrans("", "", string.digits)
_SENTENCE_END = tuple(".!?。！？…\"”'»)")
_WRAP_WIDTH = 80  # boilerpipe's line width for text density
_SHORT_BLOCK_WORDS = 6
_NEIGHBOUR_OFFSETS = (-2, -1, 1, 2)
_SHALLOW_NAMES = ("log_chars", "link_density", "text_density", "heading", "punctuation_ratio",
                  "same_parent")

_BASE_NAMES = (
    "log_chars", "log_words", "link_density", "text_density", "log_links", "punctuation_ratio",
    "digit_ratio", "sentence_end", "mean_word_length", "relative_position",
    "relative_char_position", "depth", "relative_depth", "char_share", "log_images",
    "log_inputs", "offset_from_longest", "log_page_blocks", "log_page_chars", "link_only",
)
_ANCESTOR_NAMES = tuple(f"ancestor{level}_{name}" for level in range(1, ANCESTOR_LEVELS + 1)
                        for name in ("log_chars", "link_density", "log_blocks", "char_share"))
_WINDOWS = (3, 10)
_WINDOW_NAMES = tuple(f"window{size}_{name}" for size in _WINDOWS
                      for name in ("log_chars", "link_density", "sentence_end"))
FEATURE_NAMES: tuple[str, ...] = (
    _BASE_NAMES
    + _ANCESTOR_NAMES
    + _WINDOW_NAMES
    + tuple(f"tag_{name}" for name in TAG_GROUP_NAMES)
    + tuple(f"in_{name}" for name in CONTEXT_NAMES)
    + tuple(f"{name}@{offset:+d}" for offset in _NEIGHBOUR_OFFSETS for name in _SHALLOW_NAMES)
    + tuple(f"exists@{offset:+d}" for offset in _NEIGHBOUR_OFFSETS)
)


def _window_means(values: np.ndarray, size: int) -> np.ndarray:
    """Mean of ``values`` over the ``size`` blocks before and after each block (and itself)."""
    padded = np.concatenate([[0.0], np.cumsum(values)])
    index = np.arange(len(values))
    low = np.maximum(index - size, 0)
    high = np.minimum(index + size + 1, len(values))
    return (padded[high] - padded[low]) / (high - low)


def page_feature_matrix(blocks: Sequence[Block]) -> np.ndarray:
    """The numeric features of one page: a ``(len(blocks), len(FEATURE_NAMES))`` float32 array."""
    n = len(blocks)
    if n == 0:
        return np.zeros((0, len(FEATURE_NAMES)), dtype=np.float32)
    texts = [block.text for block in blocks]
    chars = np.fromiter((len(t) for t in texts), dtype=np.float64, count=n)
    # Every CJK character counts as one word; other words are split on whitespace.
    words = np.fromiter((len(_CJK.sub(" ", t).split()) + len(_CJK.findall(t)) for t in texts),
                        dtype=np.float64, count=n)
    visible_chars = chars - np.fromiter((t.count(" ") for t in texts), dtype=np.float64, count=n)
    punctuation = chars - np.fromiter((len(t.translate(_DELETE_PUNCTUATION)) for t in texts),
                                      dtype=np.float64, count=n)
    digits = chars - np.fromiter((len(t.translate(_DELETE_DIGITS)) for t in texts),
                                 dtype=np.float64, count=n)
    sentence_end = np.fromiter((t.endswith(_SENTENCE_END) for t in texts), dtype=np.float64, count=n)
    link_chars = np.fromiter((b.link_text_length for b in blocks), dtype=np.float64, count=n)
    links = np.fromiter((b.link_count for b in blocks), dtype=np.float64, count=n)
    depth = np.fromiter((b.depth for b in blocks), dtype=np.float64, count=n)
    images = np.fromiter((b.image_count for b in blocks), dtype=np.float64, count=n)
    inputs = np.fromiter((b.input_count for b in blocks), dtype=np.float64, count=n)
    context = np.fromiter((b.context for b in blocks), dtype=np.int64, count=n)
    tags = np.fromiter((_TAG_INDEX[_TAG_GROUPS.get(b.tag, "other")] for b in blocks),
                       dtype=np.int64, count=n)
    parent_ids = np.fromiter((b.parent_id for b in blocks), dtype=np.int64, count=n)
    # (n, levels, 3): characters, link characters and blocks under each ancestor.
    ancestors = np.asarray([b.ancestor_stats for b in blocks], dtype=np.float64).reshape(
        n, ANCESTOR_LEVELS, 3)

    log_chars = np.log1p(chars)
    # Link text is counted without whitespace (see Block.link_text_length).
    link_density = np.minimum(link_chars / np.maximum(visible_chars, 1), 1.0)
    text_density = np.where(chars <= _WRAP_WIDTH, words, words * _WRAP_WIDTH / np.maximum(chars, 1))
    total_chars = chars.sum()
    index = np.arange(n, dtype=np.float64)
    chars_before = np.cumsum(chars) - chars
    heading = ((tags == _TAG_INDEX["h1"]) | (tags == _TAG_INDEX["h"])).astype(np.float64)
    punctuation_ratio = punctuation / np.maximum(chars, 1)

    columns = [
        log_chars, np.log1p(words), link_density, text_density, np.log1p(links),
        punctuation_ratio, digits / np.maximum(chars, 1), sentence_end,
        chars / np.maximum(words, 1), index / max(n - 1, 1), chars_before / max(total_chars, 1),
        depth, depth / max(depth.max(), 1), chars / max(total_chars, 1), np.log1p(images),
        np.log1p(inputs), (index - float(np.argmax(chars))) / n,
        np.full(n, np.log1p(n)), np.full(n, np.log1p(total_chars)),
        (link_density > 0.99).astype(np.float64),
    ]
    total_visible = max(visible_chars.sum(), 1.0)
    for level in range(ANCESTOR_LEVELS):
        subtree_chars, subtree_links, subtree_blocks = ancestors[:, level].T
        columns += [np.log1p(subtree_chars), subtree_links / np.maximum(subtree_chars, 1),
                    np.log1p(subtree_blocks), subtree_chars / total_visible]
    for size in _WINDOWS:
        columns += [_window_means(log_chars, size), _window_means(link_density, size),
                    _window_means(sentence_end, size)]
    base = np.column_stack(columns)
    tag_onehot = np.zeros((n, len(TAG_GROUP_NAMES)))
    tag_onehot[np.arange(n), tags] = 1.0
    flags = ((context[:, None] >> np.arange(len(CONTEXT_NAMES))) & 1).astype(np.float64)

    shallow = np.column_stack([log_chars, link_density, text_density, heading, punctuation_ratio])
    neighbours = []
    exists = []
    for offset in _NEIGHBOUR_OFFSETS:
        shifted = np.zeros((n, len(_SHALLOW_NAMES)))
        present = np.zeros(n)
        source = slice(max(0, offset), n + min(0, offset))
        target = slice(max(0, -offset), n - max(0, offset))
        shifted[target, :-1] = shallow[source]
        shifted[target, -1] = parent_ids[source] == parent_ids[target]
        present[target] = 1.0
        neighbours.append(shifted)
        exists.append(present)
    matrix = np.hstack([base, tag_onehot, flags, *neighbours, np.column_stack(exists)])
    return matrix.astype(np.float32)


def block_tokens(block: Block) -> list[str]:
    """The hashed-token strings of one block."""
    tokens = ["own:" + t for t in block.own_tokens]
    tokens += ["anc:" + t for t in block.ancestor_tokens]
    tokens += ["in:" + t for t in block.inner_tokens]
    path = block.tag_path
    tokens += [f"path:{a}>{b}" for a, b in zip(path[-4:], path[-3:])]
    words = block.text.lower().split()
    if len(words) <= _SHORT_BLOCK_WORDS:
        tokens += ["word:" + w.strip(_PUNCTUATION) for w in words]
    return tokens


class NumericFeatures(TransformerMixin, BaseEstimator):
    """Pages -> dense float32 matrix of :data:`FEATURE_NAMES`, one row per block."""

    def fit(self, pages: Sequence[Sequence[Block]], y=None) -> "NumericFeatures":
        return self

    def transform(self, pages: Sequence[Sequence[Block]]) -> np.ndarray:
        matrices = [page_feature_matrix(page) for page in pages]
        if not matrices:
            return np.zeros((0, len(FEATURE_NAMES)), dtype=np.float32)
        return np.vstack(matrices)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray(FEATURE_NAMES, dtype=object)


class TokenFeatures(TransformerMixin, BaseEstimator):
    """Pages -> dense float32 matrix of hashed token counts (``log1p``), one row per block."""

    def __init__(self, n_features: int = 256):
        self.n_features = n_features

    def fit(self, pages: Sequence[Sequence[Block]], y=None) -> "TokenFeatures":
        return self

    def transform(self, pages: Sequence[Sequence[Block]]) -> np.ndarray:
        hasher = FeatureHasher(n_features=self.n_features, input_type="string",
                               alternate_sign=False, dtype=np.float32)
        token_lists = [block_tokens(block) for page in pages for block in page]
        if not token_lists:
            return np.zeros((0, self.n_features), dtype=np.float32)
        hashed = hasher.transform(token_lists)
        hashed.data = np.log1p(hashed.data)
        return hashed.toarray()

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray([f"token_{i}" for i in range(self.n_features)], dtype=object)
