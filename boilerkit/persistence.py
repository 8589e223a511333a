"""Saving and loading models as plain data: a JSON manifest and a ``.npz`` of numbers.

A model directory holds ``manifest.json`` (format and boilerkit versions,
feature configuration, labels, the structure of its heads, training data and
their licences, metrics, and the sha256 of the arrays) and ``model.npz``
(the trees' node arrays). Nothing is pickled: loading reads JSON and
``numpy.load(..., allow_pickle=False)``, checks every index in the arrays,
and never runs code from the files. scikit-learn is not needed to load or
run a model.

Models saved by boilerkit 0.1 (``model.joblib``, a pickle) are refused;
:func:`convert_joblib` (``boilerkit convert``) turns a pickled
:class:`~boilerkit.estimator.BlockClassifier` of this version into the plain
format, and a model of an older feature schema has to be retrained.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import zipfile
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ._version import __version__
from .context import ContextSpec
from .errors import ModelError, ModelIntegrityError, ModelNotFoundError, ModelVersionError
from .features import FEATURE_SCHEMA_VERSION, FeatureConfig
from .model import Head, Model
from .predictor import ARRAY_DTYPES, EnsembleError, TreeEnsemble

FORMAT = "boilerkit-model"
FORMAT_VERSION = 2
# A model that averages members (Model.members) is saved as version 3, so that a
# boilerkit that knows only version 2 refuses it instead of running its first member alone.
AVERAGED_FORMAT_VERSION = 3
READ_VERSIONS = (FORMAT_VERSION, AVERAGED_FORMAT_VERSION)
ARRAYS_NAME = "model.npz"
MANIFEST_NAME = "manifest.json"
LEGACY_ARTIFACT = "model.joblib"
DEFAULT_MODEL_NAME = "boilerkit-news-4class"
# Bounds that keep a hostile manifest or array file from costing unbounded memory.
_MAX_MANIFEST_BYTES = 16 * 1024 * 1024
_MAX_ARRAYS_BYTES = 512 * 1024 * 1024
_MAX_JSON_DEPTH = 64

#: Manifest keys that save_model writes itself; metadata may not set them.
RESERVED_KEYS = ("format", "format_version", "boilerkit_version", "created", "feature_config",
                  "labels", "levels", "context", "members", "params", "arrays", "sha256")

PathLike = str | os.PathLike


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _model_dir(path: PathLike) -> Path:
    path = Path(path)
    return path.parent if path.name == MANIFEST_NAME else path


def _to_json(value: Any) -> Any:
    """Metadata as plain JSON values (numpy numbers, paths and tuples included)."""
    if isinstance(value, dict):
        return {str(key): _to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_to_json(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def save_model(model: Any, path: PathLike, metadata: dict | None = None) -> Path:
    """Write ``model`` (a :class:`~boilerkit.model.Model` or a fitted ``BlockClassifier``)
    to the directory ``path`` and return the manifest's path.

    ``metadata`` (training data and their licences, metrics, ...) goes into
    the manifest.
    """
    params = None
    if not isinstance(model, Model):
        to_model = getattr(model, "to_model", None)
        if to_model is None:
            raise TypeError(f"cannot save a {type(model).__name__}; expected a boilerkit Model "
                            "or a fitted BlockClassifier")
        params = model.get_params()
        model = to_model()
    reserved = set(RESERVED_KEYS) & set(metadata or {})
    if reserved:
        raise ValueError(f"metadata may not set the manifest's own keys: {sorted(reserved)}")
    directory = _model_dir(path)
    directory.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    levels = _level_specs(model, "", arrays)
    members = [{"levels": _level_specs(member, f"member{number}_", arrays),
                "context": member.context.to_dict() if member.context else None}
               for number, member in enumerate(model.members, start=1)]
    buffer = io.BytesIO()
    # numpy's stubs type **kwds as if a name could be its allow_pickle flag (none is).
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    arrays_path = directory / ARRAYS_NAME
    arrays_path.write_bytes(buffer.getvalue())
    manifest = {
        "format": FORMAT,
        "format_version": AVERAGED_FORMAT_VERSION if members else FORMAT_VERSION,
        "boilerkit_version": __version__,
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "feature_config": model.feature_config.to_dict(),
        "labels": list(model.labels),
        "levels": levels,
        "context": model.context.to_dict() if model.context else None,
        **({"members": members} if members else {}),
        "params": _to_json(params) if params is not None else model.manifest.get("params"),
        "arrays": ARRAYS_NAME,
        "sha256": _sha256(arrays_path),
        **_to_json(metadata or {}),
    }
    manifest_path = directory / MANIFEST_NAME
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    legacy = directory / LEGACY_ARTIFACT
    if legacy.exists():
        legacy.unlink()  # a stale pickle next to the new files would only confuse
    return manifest_path


def _level_specs(model: Model, prefix: str, arrays: dict[str, np.ndarray]) -> list[dict]:
    """The manifest's description of ``model``'s levels; their arrays go into ``arrays``."""
    levels = []
    for level, head in enumerate(model.levels):
        ensembles = []
        for number, ensemble in enumerate(head.ensembles):
            name = f"{prefix}level{level}_ensemble{number}_"
            arrays.update({name + key: values for key, values in ensemble.arrays().items()})
            ensembles.append({"arrays": name, "link": ensemble.link,
                              "n_features": ensemble.n_features, "n_trees": ensemble.n_trees,
                              "classes": head.classes[number]})
        levels.append({"kind": head.kind, "primary": head.primary, "ensembles": ensembles})
    return levels


def _json_depth(value: Any, limit: int) -> int:
    """Nesting depth of parsed JSON, iteratively (no recursion on hostile input)."""
    stack = [(value, 1)]
    deepest = 0
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return deepest


def read_manifest(path: PathLike) -> dict:
    """The manifest of the model at ``path``, checked to be a JSON object of sane size."""
    manifest_path = _model_dir(path) / MANIFEST_NAME
    if not manifest_path.is_file():
        raise ModelNotFoundError(f"no model manifest at {manifest_path}")
    try:
        if manifest_path.stat().st_size > _MAX_MANIFEST_BYTES:
            raise ModelError(f"model manifest {manifest_path} is larger than "
                             f"{_MAX_MANIFEST_BYTES:,} bytes")
        manifest = json.loads(manifest_path.read_bytes())
    except RecursionError as error:
        raise ModelError(f"model manifest {manifest_path} is nested too deeply") from error
    except (OSError, ValueError) as error:
        raise ModelError(f"model manifest {manifest_path} is unreadable: "
                         f"{error or type(error).__name__}") from error
    if not isinstance(manifest, dict):
        raise ModelError(f"model manifest {manifest_path} holds a JSON "
                         f"{type(manifest).__name__}, not an object")
    if _json_depth(manifest, _MAX_JSON_DEPTH) > _MAX_JSON_DEPTH:
        raise ModelError(f"model manifest {manifest_path} is nested too deeply")
    return manifest


def _require(manifest: dict, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = manifest.get(key)
    if not isinstance(value, kind):
        raise ModelError(f"{where}: {key!r} is missing or not a {getattr(kind, '__name__', kind)}")
    return value


def _load_arrays(path: Path) -> dict[str, np.ndarray]:
    if path.stat().st_size > _MAX_ARRAYS_BYTES:
        raise ModelError(f"{path} is larger than {_MAX_ARRAYS_BYTES:,} bytes")
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as error:
        raise ModelError(f"cannot read the arrays in {path}: "
                         f"{error or type(error).__name__}") from error


def _ensemble(arrays: dict[str, np.ndarray], spec: dict, where: str) -> TreeEnsemble:
    prefix = _require(spec, "arrays", str, where)
    values = {}
    for name, dtype in ARRAY_DTYPES.items():
        array = arrays.get(prefix + name)
        if array is None or array.ndim != 1:
            raise ModelError(f"{where}: array {prefix + name} is missing or not 1-D")
        if array.dtype != dtype:
            raise ModelError(f"{where}: array {prefix + name} is {array.dtype}, not "
                             f"{np.dtype(dtype)}")
        values[name] = array
    try:
        return TreeEnsemble(**values, n_features=_require(spec, "n_features", int, where),
                            link=_require(spec, "link", str, where))
    except EnsembleError as error:
        raise ModelError(f"{where}: {error}") from error


def _read_levels(arrays: dict[str, np.ndarray], specs: list, where: str) -> list[Head]:
    levels = []
    for level_spec in specs:
        if not isinstance(level_spec, dict):
            raise ModelError(f"{where}: a level is not an object")
        ensembles, classes = [], []
        for spec in _require(level_spec, "ensembles", list, where):
            if not isinstance(spec, dict):
                raise ModelError(f"{where}: an ensemble is not an object")
            ensembles.append(_ensemble(arrays, spec, where))
            classes.append([str(name) for name in _require(spec, "classes", list, where)])
        levels.append(Head(_require(level_spec, "kind", str, where), ensembles, classes,
                           level_spec.get("primary")))
    return levels


def load_model(path: PathLike) -> Model:
    """Load a model saved by :func:`save_model`.

    Raises :class:`~boilerkit.errors.ModelNotFoundError` (no model there),
    :class:`~boilerkit.errors.ModelIntegrityError` (the arrays do not match
    the sha256 in the manifest), :class:`~boilerkit.errors.ModelVersionError`
    (another format or feature schema, or a legacy pickled model) or
    :class:`~boilerkit.errors.ModelError` (anything malformed).
    """
    directory = _model_dir(path)
    if Path(path).suffix == ".joblib" or (
            (directory / LEGACY_ARTIFACT).is_file() and not (directory / ARRAYS_NAME).is_file()):
        raise ModelVersionError(
            f"{path} is a pickled model of boilerkit 0.1, which boilerkit no longer loads "
            "(a pickle runs code). Convert a BlockClassifier pickled by this version with "
            "`boilerkit convert OLD NEW`; a model of an older feature schema has to be "
            "retrained with `boilerkit train`.")
    manifest = read_manifest(directory)
    where = str(directory / MANIFEST_NAME)
    if manifest.get("format") != FORMAT or manifest.get("format_version") not in READ_VERSIONS:
        raise ModelVersionError(
            f"{where}: model format {manifest.get('format')!r} version "
            f"{manifest.get('format_version')!r}; this boilerkit reads {FORMAT!r} versions "
            f"{', '.join(map(str, READ_VERSIONS))}. Retrain it with `boilerkit train`.")
    config_spec = _require(manifest, "feature_config", dict, where)
    if config_spec.get("schema_version") != FEATURE_SCHEMA_VERSION:
        raise ModelVersionError(
            f"{where}: the model uses feature schema {config_spec.get('schema_version')!r}, "
            f"this boilerkit computes schema {FEATURE_SCHEMA_VERSION}; retrain it with "
            "`boilerkit train`")
    arrays_path = directory / _require(manifest, "arrays", str, where)
    if arrays_path.resolve().parent != directory.resolve() or not arrays_path.is_file():
        raise ModelNotFoundError(f"{where}: model arrays {arrays_path} are missing")
    if manifest.get("sha256") != _sha256(arrays_path):
        raise ModelIntegrityError(f"{arrays_path} does not match the sha256 in {where}")
    arrays = _load_arrays(arrays_path)
    try:
        config = FeatureConfig.from_dict(config_spec)
        levels = _read_levels(arrays, _require(manifest, "levels", list, where), where)
        context = manifest.get("context")
        member_specs = manifest.get("members", [])
        if not isinstance(member_specs, list) or not all(isinstance(spec, dict)
                                                         for spec in member_specs):
            raise ModelError(f"{where}: members is not a list of objects")
        members = [Model(config, _read_levels(arrays, _require(spec, "levels", list, where), where),
                         ContextSpec.from_dict(spec["context"]) if spec.get("context") else None)
                   for spec in member_specs]
        model = Model(config, levels, ContextSpec.from_dict(context) if context else None,
                      manifest, members)
    except ModelError:
        raise
    except (KeyError, TypeError, ValueError) as error:
        raise ModelError(f"{where}: {error or type(error).__name__}") from error
    if list(model.labels) != manifest.get("labels"):
        raise ModelError(f"{where}: the labels {manifest.get('labels')!r} do not match the "
                         f"model's {list(model.labels)!r}")
    return model


def convert_joblib(source: PathLike, destination: PathLike) -> Path:
    """Convert a pickled ``BlockClassifier`` of this boilerkit into the plain format.

    **This unpickles** ``source``: only convert files you trust. Needs
    scikit-learn and joblib.
    """
    import joblib  # training-side dependency, imported only here

    from .estimator import BlockClassifier

    source = Path(source)
    artifact = source / LEGACY_ARTIFACT if source.is_dir() else source
    if not artifact.is_file():
        raise ModelNotFoundError(f"no joblib model at {artifact}")
    try:
        estimator = joblib.load(artifact)
    except Exception as error:  # a corrupt pickle can raise almost anything
        raise ModelError(f"cannot read {artifact}: {error or type(error).__name__}") from error
    if not isinstance(estimator, BlockClassifier) or not hasattr(estimator, "model_"):
        raise ModelVersionError(
            f"{artifact} holds a {type(estimator).__name__} without this version's plain model "
            "(probably a boilerkit 0.1 model of feature schema 3); retrain it with "
            "`boilerkit train`")
    return save_model(estimator, destination)


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
def default_model() -> Model:
    """The pre-trained model, loaded once on first use and cached."""
    return load_model(default_model_path())
