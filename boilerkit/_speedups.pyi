"""Types of the optional C extension ``boilerkit._speedups`` (see ``_speedups.c``)."""

from collections.abc import Callable
from typing import Any, TypeAlias

import lxml.etree
import numpy as np

#: The positional arguments of :class:`boilerkit.blocks.Block` up to ``input_count``:
#: text, tag, element, position, depth, context, element_id, parent_id, own_tokens,
#: ancestor_tokens, inner_tokens, tag_path, link_text_length, link_count, image_count,
#: input_count.
BlockRow: TypeAlias = tuple[
    str, str, lxml.etree._Element, int, int, int, int, int, tuple[str, ...], tuple[str, ...],
    tuple[str, ...], tuple[str, ...], int, int, int, int,
]

def configure(tags: dict[str, tuple[bool, bool, int, int]], role_flags: dict[str, int],
              token_flags: dict[str, int], tokenize: Callable[[str], tuple[str, ...]],
              limits: tuple[int, int, int, int, int], hidden_flag: int, /) -> None: ...
def walk(root: lxml.etree._Element, /) -> tuple[list[BlockRow], bytes, bytes, bytes]: ...
def configure_text(punctuation: str, sentence_end: str, /) -> None: ...
def text_stats(texts: list[str], /) -> bytes: ...
def hash_tokens(blocks: list[Any], words: list[Any], n_hashed: int, /) -> bytes: ...
def pack_trees(feature: np.ndarray, threshold: np.ndarray, left: np.ndarray, right: np.ndarray,
               is_leaf: np.ndarray, /) -> bytes: ...
def predict_trees(X: np.ndarray, packed: bytes, missing_left: np.ndarray, value: np.ndarray,
                  roots: np.ndarray, tree_output: np.ndarray, baseline: np.ndarray,
                  out: np.ndarray, /) -> None: ...
def predict_masks(X: np.ndarray, nodes: bytes, starts: np.ndarray, missing: bytes,
                  missing_starts: np.ndarray, used: np.ndarray, leaf_values: np.ndarray,
                  width: int, tree_output: np.ndarray, baseline: np.ndarray,
                  out: np.ndarray, /) -> None: ...
