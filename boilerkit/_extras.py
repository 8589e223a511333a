"""Optional dependencies, installed through extras such as ``boilerkit[warc]``."""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import BoilerkitError


class MissingExtraError(BoilerkitError, ImportError):
    """A feature needs a package that an extra of boilerkit installs."""


def require(module: str, extra: str, feature: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtraError` naming the extra to install.

    ``feature`` completes "… needs <package>", e.g. ``"reading WARC files"``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        package = module.split(".")[0]
        raise MissingExtraError(
            f"{feature} needs {package}, which is not installed; "
            f"install it with: pip install 'boilerkit[{extra}]'") from error
