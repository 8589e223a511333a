"""Saving and loading models: a joblib artifact plus a JSON manifest.

.. warning::
   Loading a joblib file runs code from it (it is a pickle). Only load model
   files you trust: your own, or the one shipped inside boilerkit. The sha256
   check catches corruption, not an attacker who rewrites both files.

The manifest records the format, boilerkit, scikit-learn and feature-schema
versions, the labels, the training data and metrics, and the artifact's
sha256. Loading refuses a model whose hash does not match or whose format,
feature schema or scikit-learn minor version differs, since such a model
could silently give wrong answers; a differing scikit-learn patch release
only warns.
"""

from __future__ import annotations

import functools
import hashlib
import json
import warnings
from importlib import resources
from pathlib import Path

import joblib
import sklearn

from ._version import __version__
from .errors import ModelError, ModelIntegrityError, ModelNotFoundError, ModelVersionError
from .features import FEATURE_SCHEMA_VERSION

FORMAT_VERSION = 1
ARTIFACT_NAME = "model.joblib"
MANIFEST_NAME = "manifest.json"
DEFAULT_MODEL_NAME = "boilerkit-news-4class"


class ModelVersionWarning(UserWarning):
    """The model was saved under another scikit-learn patch release."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _paths(path: Path) -> tuple[Path, Path]:
    """``(artifact, manifest)`` for a model directory, a ``.joblib`` file or a manifest."""
    if path.suffix == ".joblib":
        return path, path.with_suffix(".json")
    if path.name == MANIFEST_NAME:
        return path.parent / ARTIFACT_NAME, path
    if path.suffix == ".json":
        return path.with_suffix(".joblib"), path
    return path / ARTIFACT_NAME, path / MANIFEST_NAME


_RESERVED_KEYS = ("format_version", "boilerkit_version", "sklearn_version",
                  "feature_schema_version", "labels", "params", "artifact", "sha256")


def save_model(model, path: str | Path, metadata: dict | None = None) -> Path:
    """Write ``model`` to ``path`` and return the manifest's path.

    ``path`` is a directory (created if needed) or a ``*.joblib`` file, whose
    manifest goes next to it as ``*.json``. ``metadata`` (training data,
    metrics, ...) is stored in the manifest.
    """
    artifact, manifest_path = _paths(Path(path))
    reserved = set(_RESERVED_KEYS) & set(metadata or {})
    if reserved:
        raise ValueError(f"metadata may not set the manifest's own keys: {sorted(reserved)}")
    artifact.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, artifact, compress=3)
    manifest = {
        "format_version": FORMAT_VERSION,
        "boilerkit_version": __version__,
        "sklearn_version": sklearn.__version__,
        "feature_schema_version": FEATURE_SCHEMA_VERSION,
        "labels": [str(label) for label in model.classes_],
        "params": model.get_params(),
        "artifact": artifact.name,
        "sha256": _sha256(artifact),
        **(metadata or {}),
    }
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n")
    return manifest_path


def _version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def read_manifest(path: str | Path) -> dict:
    """The manifest of the model at ``path``, checked for readability only."""
    _, manifest_path = _paths(Path(path))
    if not manifest_path.is_file():
        raise ModelNotFoundError(f"no model manifest at {manifest_path}")
    try:
        return json.loads(manifest_path.read_text())
    except (OSError, ValueError) as error:
        raise ModelError(f"model manifest {manifest_path} is unreadable: {error}") from error


def load_model(path: str | Path):
    """Load a model saved by :func:`save_model` after checking its manifest.

    Raises :class:`~boilerkit.errors.ModelNotFoundError`,
    :class:`~boilerkit.errors.ModelIntegrityError` (hash mismatch),
    :class:`~boilerkit.errors.ModelVersionError` (format, feature schema or
    scikit-learn minor version differs) or :class:`~boilerkit.errors.ModelError`
    (corrupt file). Only load files you trust: joblib runs code.
    """
    from .model import BlockClassifier

    artifact, manifest_path = _paths(Path(path))
    manifest = read_manifest(path)
    if not artifact.is_file():
        raise ModelNotFoundError(f"model artifact {artifact} is missing")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ModelVersionError(
            f"model format {manifest.get('format_version')!r} is not {FORMAT_VERSION}; "
            "retrain it with this boilerkit (`boilerkit train`)")
    if manifest.get("feature_schema_version") != FEATURE_SCHEMA_VERSION:
        raise ModelVersionError(
            f"model uses feature schema {manifest.get('feature_schema_version')!r}, this boilerkit "
            f"computes schema {FEATURE_SCHEMA_VERSION}; retrain it with `boilerkit train`")
    saved = str(manifest.get("sklearn_version", "unknown"))
    if _version_tuple(saved)[:2] != _version_tuple(sklearn.__version__)[:2]:
        raise ModelVersionError(
            f"model was saved with scikit-learn {saved}, this is {sklearn.__version__}; install "
            f"scikit-learn=={saved} or retrain the model with `boilerkit train`")
    if manifest.get("sha256") != _sha256(artifact):
        raise ModelIntegrityError(f"{artifact} does not match the sha256 in {manifest_path}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sklearn.exceptions.InconsistentVersionWarning)
        try:
            model = joblib.load(artifact)
        except Exception as error:  # a corrupt pickle can raise almost anything
            raise ModelError(f"cannot load model {artifact}: {error}") from error
    if not isinstance(model, BlockClassifier):
        raise ModelError(f"{artifact} holds a {type(model).__name__}, not a BlockClassifier")
    if saved != sklearn.__version__:
        warnings.warn(f"model was saved with scikit-learn {saved}, running {sklearn.__version__}",
                      ModelVersionWarning, stacklevel=2)
    model.manifest_ = manifest
    return model


def default_model_path() -> Path:
    """Where the pre-trained model lives: inside the installed package, or in ``models/``."""
    try:
        installed = Path(str(resources.files("boilerkit.pretrained"))) / DEFAULT_MODEL_NAME
        if installed.is_dir():
            return installed
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parent.parent / "models" / DEFAULT_MODEL_NAME


@functools.lru_cache(maxsize=1)
def default_model():
    """The pre-trained model, loaded once on first use and cached."""
    return load_model(default_model_path())
