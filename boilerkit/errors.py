"""Exceptions raised by boilerkit. All of them derive from :class:`BoilerkitError`."""


class BoilerkitError(Exception):
    """Base class of every error boilerkit raises on purpose."""


class InputError(BoilerkitError, ValueError):
    """The input cannot be read as HTML (wrong type, binary data, undecodable)."""


class PageTooLargeError(InputError):
    """The page is larger than the configured ``max_bytes`` limit."""


class ArgumentError(BoilerkitError, ValueError):
    """An argument has a value boilerkit cannot use (an unknown output format, a
    probability outside [0, 1])."""


class LabelError(ArgumentError):
    """A label was asked for that the model does not have."""


class ModelError(BoilerkitError):
    """A model file is missing, corrupt, or unusable."""


class ModelNotFoundError(ModelError, FileNotFoundError):
    """No model exists at the given path."""


class ModelIntegrityError(ModelError):
    """The model artifact does not match the sha256 recorded in its manifest."""


class ModelVersionError(ModelError):
    """The model was saved by an incompatible boilerkit, format or scikit-learn version."""
