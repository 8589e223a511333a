"""boilerkit: label every block of a web page as article, navigation, teaser or comment.

>>> import boilerkit
>>> page = boilerkit.classify(html)          # doctest: +SKIP
>>> print(boilerkit.extract(html))           # doctest: +SKIP

Classifying needs numpy and lxml only; :class:`BlockClassifier` (training)
needs scikit-learn and is imported on first use.
"""

from typing import Any

from ._version import __version__
from .api import classify, extract
from .blocks import Block, build_blocks
from .errors import (
    ArgumentError, BoilerkitError, InputError, LabelError, ModelError, ModelIntegrityError,
    ModelNotFoundError, ModelVersionError, PageTooLargeError,
)
from .labels import DEFAULT_LABELS
from .model import Model
from .page import LabelledBlock, Page
from .parse import parse_html
from .persistence import load_model, save_model

__all__ = [
    "ArgumentError", "BlockClassifier", "Block", "BoilerkitError", "DEFAULT_LABELS", "InputError",
    "LabelError", "LabelledBlock", "Model", "ModelError", "ModelIntegrityError",
    "ModelNotFoundError", "ModelVersionError", "Page", "PageTooLargeError", "__version__",
    "build_blocks", "classify", "extract", "load_model", "parse_html", "save_model",
]


def __getattr__(name: str) -> Any:
    # The estimator imports scikit-learn, which classifying never needs.
    if name == "BlockClassifier":
        from .estimator import BlockClassifier

        return BlockClassifier
    raise AttributeError(f"module 'boilerkit' has no attribute {name!r}")
