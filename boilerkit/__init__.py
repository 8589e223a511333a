"""boilerkit: label every block of a web page as article, navigation, teaser or comment.

>>> import boilerkit
>>> page = boilerkit.classify(html)          # doctest: +SKIP
>>> print(boilerkit.extract(html))           # doctest: +SKIP
"""

from ._version import __version__  # noqa: E402

from .api import classify, extract  # noqa: E402
from .blocks import Block, build_blocks  # noqa: E402
from .errors import (  # noqa: E402
    ArgumentError, BoilerkitError, InputError, LabelError, ModelError, ModelIntegrityError,
    ModelNotFoundError, ModelVersionError, PageTooLargeError,
)
from .labels import DEFAULT_LABELS  # noqa: E402
from .model import BlockClassifier  # noqa: E402
from .page import LabelledBlock, Page  # noqa: E402
from .parse import parse_html  # noqa: E402
from .persistence import load_model, save_model  # noqa: E402

__all__ = [
    "ArgumentError", "BlockClassifier", "Block", "BoilerkitError", "DEFAULT_LABELS", "InputError",
    "LabelError", "LabelledBlock",
    "ModelError", "ModelIntegrityError", "ModelNotFoundError", "ModelVersionError", "Page",
    "PageTooLargeError", "build_blocks", "classify", "extract", "load_model", "parse_html",
    "save_model",
]
