"""Tests of boilerkit.persistence: joblib artifact + JSON manifest, and the checks on load."""

from __future__ import annotations

import hashlib
import json
import warnings

import joblib
import numpy as np
import pytest
import sklearn

import boilerkit
from boilerkit import (
    BlockClassifier, BoilerkitError, ModelError, ModelIntegrityError, ModelNotFoundError,
    ModelVersionError, load_model, save_model,
)
from boilerkit.features import FEATURE_SCHEMA_VERSION
from boilerkit.persistence import FORMAT_VERSION, ModelVersionWarning, read_manifest


@pytest.fixture(scope="module")
def pages(labelled_pages):
    """The blocks of a few of the conftest pages, to compare predictions on."""
    return [page.blocks for page in labelled_pages[:5]]


@pytest.fixture()
def saved_dir(tiny_model, tmp_path):
    save_model(tiny_model, tmp_path / "model")
    return tmp_path / "model"


def _rewrite_manifest(path, **changes):
    manifest_path = path / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest.update(changes)
    manifest_path.write_text(json.dumps(manifest))


def _assert_same_predictions(a, b, pages):
    for pa, pb in zip(a.predict_proba(pages), b.predict_proba(pages)):
        np.testing.assert_array_equal(pa, pb)
    for la, lb in zip(a.predict(pages), b.predict(pages)):
        np.testing.assert_array_equal(la, lb)


# --------------------------------------------------------------------------- round trips

def test_save_to_directory_and_load(tiny_model, pages, tmp_path):
    manifest_path = save_model(tiny_model, tmp_path / "new" / "dir")
    assert manifest_path == tmp_path / "new" / "dir" / "manifest.json"
    assert (tmp_path / "new" / "dir" / "model.joblib").is_file()
    loaded = load_model(tmp_path / "new" / "dir")
    assert isinstance(loaded, BlockClassifier)
    _assert_same_predictions(tiny_model, loaded, pages)
    # the manifest path itself also works
    _assert_same_predictions(tiny_model, load_model(manifest_path), pages)


def test_save_to_joblib_file_and_load(tiny_model, pages, tmp_path):
    manifest_path = save_model(tiny_model, tmp_path / "x.joblib")
    assert manifest_path == tmp_path / "x.json"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.joblib", "x.json"]
    _assert_same_predictions(tiny_model, load_model(tmp_path / "x.joblib"), pages)
    _assert_same_predictions(tiny_model, load_model(str(tmp_path / "x.joblib")), pages)


def test_model_save_method(tiny_model, pages, tmp_path):
    manifest_path = tiny_model.save(tmp_path / "m", metadata={"training_pages": 5})
    assert json.loads(manifest_path.read_text())["training_pages"] == 5
    _assert_same_predictions(tiny_model, load_model(tmp_path / "m"), pages)


def test_manifest_contents(tiny_model, saved_dir):
    manifest = read_manifest(saved_dir)
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["boilerkit_version"] == boilerkit.__version__
    assert manifest["sklearn_version"] == sklearn.__version__
    assert manifest["feature_schema_version"] == FEATURE_SCHEMA_VERSION
    assert manifest["labels"] == [str(label) for label in tiny_model.classes_]
    assert manifest["sha256"] == hashlib.sha256((saved_dir / "model.joblib").read_bytes()).hexdigest()
    assert manifest["params"]["max_iter"] == 20


def test_loaded_model_carries_its_manifest(saved_dir):
    model = load_model(saved_dir)
    assert model.manifest_ == read_manifest(saved_dir)


def test_metadata_cannot_overwrite_reserved_manifest_fields(tiny_model, pages, tmp_path):
    try:
        save_model(tiny_model, tmp_path / "m", metadata={"sha256": "hash-of-the-training-data"})
    except ValueError:
        return  # refusing reserved keys is a fine answer too
    _assert_same_predictions(tiny_model, load_model(tmp_path / "m"), pages)


# --------------------------------------------------------------------------- failures

def test_missing_model_raises_model_not_found(tmp_path):
    for path in (tmp_path / "nothing-here", tmp_path / "nothing.joblib"):
        with pytest.raises(ModelNotFoundError) as info:
            load_model(path)
        assert isinstance(info.value, FileNotFoundError)
        assert str(info.value)


def test_missing_artifact_with_manifest_raises_model_not_found(saved_dir):
    (saved_dir / "model.joblib").unlink()
    with pytest.raises(ModelNotFoundError):
        load_model(saved_dir)


def test_truncated_artifact_fails_the_hash_check(saved_dir):
    artifact = saved_dir / "model.joblib"
    data = artifact.read_bytes()
    artifact.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelIntegrityError):
        load_model(saved_dir)


@pytest.mark.parametrize("corrupt", ["truncated", "garbage"])
def test_corrupt_artifact_with_matching_hash_raises_model_error(saved_dir, corrupt):
    artifact = saved_dir / "model.joblib"
    data = artifact.read_bytes()
    artifact.write_bytes(data[: len(data) // 2] if corrupt == "truncated" else b"not a pickle" * 50)
    _rewrite_manifest(saved_dir, sha256=hashlib.sha256(artifact.read_bytes()).hexdigest())
    with pytest.raises(ModelError) as info:
        load_model(saved_dir)
    assert not isinstance(info.value, (ModelIntegrityError, ModelVersionError, ModelNotFoundError))
    assert str(info.value)


def test_artifact_that_is_not_a_block_classifier_raises_model_error(saved_dir):
    artifact = saved_dir / "model.joblib"
    joblib.dump({"not": "a model"}, artifact)
    _rewrite_manifest(saved_dir, sha256=hashlib.sha256(artifact.read_bytes()).hexdigest())
    with pytest.raises(ModelError, match="dict"):
        load_model(saved_dir)


def test_unreadable_manifest_raises_model_error(saved_dir):
    (saved_dir / "manifest.json").write_text("{not json")
    with pytest.raises(ModelError):
        load_model(saved_dir)


def test_old_sklearn_version_raises_version_error_naming_both(saved_dir):
    _rewrite_manifest(saved_dir, sklearn_version="0.24.2")
    with pytest.raises(ModelVersionError) as info:
        load_model(saved_dir)
    assert "0.24.2" in str(info.value)
    assert sklearn.__version__ in str(info.value)


def _other_patch_release(version: str) -> str:
    major, minor, patch = (version.split(".") + ["0", "0"])[:3]
    patch_number = int("".join(ch for ch in patch if ch.isdigit()) or 0)
    return f"{major}.{minor}.{patch_number + 1}"


def test_other_sklearn_patch_release_only_warns(tiny_model, pages, saved_dir):
    other = _other_patch_release(sklearn.__version__)
    assert other != sklearn.__version__
    _rewrite_manifest(saved_dir, sklearn_version=other)
    with pytest.warns(ModelVersionWarning, match=other):
        model = load_model(saved_dir)
    _assert_same_predictions(tiny_model, model, pages)


def test_same_sklearn_version_does_not_warn(saved_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelVersionWarning)
        assert isinstance(load_model(saved_dir), BlockClassifier)


@pytest.mark.parametrize("field, value", [
    ("format_version", FORMAT_VERSION + 1),
    ("format_version", None),
    ("feature_schema_version", FEATURE_SCHEMA_VERSION + 1),
    ("feature_schema_version", "1"),
])
def test_wrong_format_or_schema_version_raises_version_error(saved_dir, field, value):
    _rewrite_manifest(saved_dir, **{field: value})
    with pytest.raises(ModelVersionError):
        load_model(saved_dir)


def test_model_errors_are_boilerkit_errors():
    for error in (ModelError, ModelIntegrityError, ModelNotFoundError, ModelVersionError):
        assert issubclass(error, BoilerkitError)
    assert issubclass(ModelVersionWarning, UserWarning)
