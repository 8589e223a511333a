"""Tests of boilerkit.persistence: a JSON manifest and a .npz of arrays, nothing pickled."""

from __future__ import annotations

import hashlib
import json
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import boilerkit
from boilerkit import (
    BoilerkitError, Model, ModelError, ModelIntegrityError, ModelNotFoundError,
    ModelVersionError, build_blocks, classify, load_model, parse_html, save_model,
)
from boilerkit.features import FEATURE_SCHEMA_VERSION
from boilerkit.persistence import FORMAT, FORMAT_VERSION, convert_joblib, read_manifest


@pytest.fixture()
def saved_dir(tiny_model, tmp_path):
    save_model(tiny_model, tmp_path / "model", metadata={"training_data": ["synthetic"]})
    return tmp_path / "model"


def _rewrite_manifest(path, **changes):
    manifest_path = path / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest.update(changes)
    manifest_path.write_text(json.dumps(manifest))


def _rewrite_arrays(path, change) -> None:
    """Change the arrays with ``change(dict)`` and fix the manifest's hash to match."""
    with np.load(path / "model.npz") as archive:
        arrays = {name: archive[name] for name in archive.files}
    change(arrays)
    np.savez(path / "model.npz", **arrays)
    _rewrite_manifest(path, sha256=hashlib.sha256((path / "model.npz").read_bytes()).hexdigest())


def _assert_same_predictions(a, b, pages):
    for pa, pb in zip(a.predict_proba(pages), b.predict_proba(pages)):
        np.testing.assert_array_equal(pa, pb)


# --------------------------------------------------------------------------- round trips

def test_save_and_load_give_the_same_predictions(tiny_model, labelled_pages, saved_dir):
    assert sorted(p.name for p in saved_dir.iterdir()) == ["manifest.json", "model.npz"]
    loaded = load_model(saved_dir)
    assert isinstance(loaded, Model)
    pages = [page.blocks for page in labelled_pages]
    _assert_same_predictions(tiny_model, loaded, pages)
    _assert_same_predictions(tiny_model, load_model(saved_dir / "manifest.json"), pages)
    _assert_same_predictions(tiny_model, load_model(str(saved_dir)), pages)


def test_manifest_contents(tiny_model, saved_dir):
    manifest = read_manifest(saved_dir)
    assert (manifest["format"], manifest["format_version"]) == (FORMAT, FORMAT_VERSION)
    assert manifest["boilerkit_version"] == boilerkit.__version__
    assert manifest["feature_config"]["schema_version"] == FEATURE_SCHEMA_VERSION
    assert manifest["feature_config"]["hash"] == "crc32"
    assert manifest["labels"] == list(tiny_model.classes_)
    assert manifest["sha256"] == hashlib.sha256((saved_dir / "model.npz").read_bytes()).hexdigest()
    assert manifest["training_data"] == ["synthetic"]
    assert [level["kind"] for level in manifest["levels"]] == ["single"]
    assert load_model(saved_dir).manifest == manifest


def test_the_arrays_hold_no_pickled_object(saved_dir):
    with zipfile.ZipFile(saved_dir / "model.npz") as archive:
        for name in archive.namelist():
            with archive.open(name) as member:
                header = member.read(256)
            assert b"'descr': '|O'" not in header and b"object" not in header, name


def test_metadata_cannot_overwrite_reserved_manifest_fields(tiny_model, tmp_path):
    with pytest.raises(ValueError, match="sha256"):
        save_model(tiny_model, tmp_path / "m", metadata={"sha256": "x"})


def test_metadata_with_numpy_values_and_paths_is_plain_json(tiny_model, tmp_path):
    save_model(tiny_model, tmp_path / "m", metadata={"n": np.int64(3), "where": tmp_path,
                                                     "pair": (1, 2)})
    manifest = read_manifest(tmp_path / "m")
    assert (manifest["n"], manifest["where"], manifest["pair"]) == (3, str(tmp_path), [1, 2])


def test_saving_something_else_is_a_type_error(tmp_path):
    with pytest.raises(TypeError, match="cannot save"):
        save_model(object(), tmp_path / "m")


@pytest.mark.parametrize("group_context", [False, True])
def test_stacked_model_round_trip(labelled_pages, tmp_path, group_context):
    from boilerkit.estimator import BlockClassifier

    pages = [page.blocks for page in labelled_pages]
    labels = [page.labels for page in labelled_pages]
    model = BlockClassifier(max_iter=10, min_samples_leaf=5, stacking=True, stacking_folds=2,
                            group_context=group_context)
    model.fit(pages, labels, groups=[page.site for page in labelled_pages])
    save_model(model, tmp_path / "stacked")
    loaded = load_model(tmp_path / "stacked")
    assert len(loaded.levels) == 2 and loaded.context is not None
    assert loaded.context.groups is group_context
    _assert_same_predictions(model, loaded, pages)


def test_averaged_model_round_trip(stacked_pair, labelled_pages, tmp_path):
    from boilerkit.model import average_models
    from boilerkit.persistence import AVERAGED_FORMAT_VERSION

    pages = [page.blocks for page in labelled_pages]
    members = stacked_pair
    save_model(average_models(members), tmp_path / "averaged")
    manifest = read_manifest(tmp_path / "averaged")
    # A boilerkit that reads only version 2 refuses it instead of running one member alone.
    assert manifest["format_version"] == AVERAGED_FORMAT_VERSION
    assert len(manifest["members"]) == 1
    loaded = load_model(tmp_path / "averaged")
    assert loaded.n_members == 2
    for page in pages[:3]:
        np.testing.assert_allclose(loaded.predict_page(page), np.mean(
            [member.predict_page(page) for member in members], axis=0), rtol=0, atol=1e-12)
    # A plain model stays at version 2, without a members key.
    save_model(members[0], tmp_path / "plain")
    plain = read_manifest(tmp_path / "plain")
    assert plain["format_version"] == FORMAT_VERSION and "members" not in plain
    _rewrite_manifest(tmp_path / "averaged", members={"levels": []})
    with pytest.raises(ModelError, match="members"):
        load_model(tmp_path / "averaged")


# --------------------------------------------------------------------------- loading runs no code

_NO_UNPICKLING = """
import pickle, sys
def refuse(*args, **kwargs):
    raise AssertionError("a model load unpickled something")
pickle.load = pickle.loads = refuse
try:
    import joblib
    joblib.load = refuse
except ImportError:
    pass
import boilerkit
model = sys.argv[2] if len(sys.argv) > 2 else None
page = boilerkit.classify(open(sys.argv[1], 'rb').read(), model=model)
assert page.blocks and {b.label for b in page.blocks} <= set(boilerkit.DEFAULT_LABELS)
print(len(page.blocks), "sklearn" in sys.modules)
"""


def _run(script: str, *args: str) -> str:
    result = subprocess.run([sys.executable, "-c", script, *args], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_default_and_trained_models_load_with_pickle_disabled(saved_dir, unlabelled_page):
    script = _NO_UNPICKLING
    blocks, sklearn_imported = _run(script, str(unlabelled_page)).split()
    assert int(blocks) > 0 and sklearn_imported == "False"
    blocks, sklearn_imported = _run(script, str(unlabelled_page), str(saved_dir)).split()
    assert int(blocks) > 0 and sklearn_imported == "False"


def test_import_and_classify_do_not_import_sklearn(unlabelled_page):
    script = ("import sys, boilerkit\n"
              "assert 'sklearn' not in sys.modules\n"
              "boilerkit.classify(open(sys.argv[1], 'rb').read())\n"
              "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'joblib', 'scipy')))")
    assert _run(script, str(unlabelled_page)).strip() == "[]"


# --------------------------------------------------------------------------- refused files

def test_missing_model_raises_model_not_found(tmp_path):
    with pytest.raises(ModelNotFoundError):
        load_model(tmp_path / "nothing")
    with pytest.raises(FileNotFoundError):  # ModelNotFoundError is one
        load_model(tmp_path / "nothing")


def test_missing_arrays_raise_model_not_found(saved_dir):
    (saved_dir / "model.npz").unlink()
    with pytest.raises(ModelNotFoundError, match="arrays"):
        load_model(saved_dir)


def test_arrays_outside_the_model_directory_are_refused(saved_dir, tmp_path):
    _rewrite_manifest(saved_dir, arrays="../elsewhere.npz")
    with pytest.raises(ModelNotFoundError):
        load_model(saved_dir)


def test_changed_arrays_fail_the_hash_check(saved_dir):
    data = (saved_dir / "model.npz").read_bytes()
    (saved_dir / "model.npz").write_bytes(data[:-10])
    with pytest.raises(ModelIntegrityError):
        load_model(saved_dir)


@pytest.mark.parametrize("manifest", ["null", "[1, 2, 3]", '"text"', "12", "{", "",
                                      "[" * 100_000 + "]" * 100_000])
def test_manifest_that_is_no_json_object_raises_model_error(saved_dir, manifest):
    (saved_dir / "manifest.json").write_text(manifest)
    with pytest.raises(ModelError) as info:
        load_model(saved_dir)
    assert str(info.value).split(": ", 1)[-1].strip()  # a reason after the colon


def test_deeply_nested_manifest_values_raise_model_error(saved_dir):
    deep: list = []
    for _ in range(200):
        deep = [deep]
    _rewrite_manifest(saved_dir, training=deep)
    with pytest.raises(ModelError, match="nested"):
        load_model(saved_dir)


def test_legacy_joblib_model_is_refused_with_how_to_convert(tmp_path):
    legacy = tmp_path / "old"
    legacy.mkdir()
    (legacy / "model.joblib").write_bytes(pickle.dumps(1))
    (legacy / "manifest.json").write_text(json.dumps({"format_version": 1}))
    for path in (legacy, legacy / "model.joblib"):
        with pytest.raises(ModelVersionError, match="boilerkit convert"):
            load_model(path)


@pytest.mark.parametrize("field, value", [("format_version", 1), ("format", "other"),
                                          ("feature_config", {"n_hashed": 256,
                                                              "schema_version": 3})])
def test_wrong_format_or_schema_raises_version_error(saved_dir, field, value):
    _rewrite_manifest(saved_dir, **{field: value})
    with pytest.raises(ModelVersionError):
        load_model(saved_dir)


@pytest.mark.parametrize("change, message", [
    (lambda a: a.update(level0_ensemble0_left=a["level0_ensemble0_left"] + 10_000), "index"),
    (lambda a: a.update(level0_ensemble0_feature=np.full_like(a["level0_ensemble0_feature"],
                                                              99_999)), "index"),
    (lambda a: a.update(level0_ensemble0_roots=-a["level0_ensemble0_roots"] - 1), "index"),
    (lambda a: a.update(level0_ensemble0_value=a["level0_ensemble0_value"] * np.nan), "finite"),
    (lambda a: a.update(level0_ensemble0_threshold=a["level0_ensemble0_threshold"][:-1]),
     "length"),
    (lambda a: a.update(level0_ensemble0_left=a["level0_ensemble0_left"].astype(np.int64)),
     "int64"),
    (lambda a: a.pop("level0_ensemble0_right"), "missing"),
])
def test_arrays_that_would_read_out_of_bounds_are_refused(saved_dir, change, message):
    _rewrite_arrays(saved_dir, change)
    with pytest.raises(ModelError, match=message):
        load_model(saved_dir)


def test_cyclic_trees_are_refused(saved_dir):
    def cycle(arrays):
        left, right = arrays["level0_ensemble0_left"], arrays["level0_ensemble0_right"]
        leaf = arrays["level0_ensemble0_is_leaf"]
        root = arrays["level0_ensemble0_roots"][0]
        leaf[:] = 0  # every node an inner node pointing back at the root: no leaf is ever reached
        left[:] = root
        right[:] = root

    _rewrite_arrays(saved_dir, cycle)
    with pytest.raises(ModelError, match="cycle"):
        load_model(saved_dir)


def test_labels_that_do_not_match_the_heads_are_refused(saved_dir):
    _rewrite_manifest(saved_dir, labels=["a", "b"])
    with pytest.raises(ModelError, match="labels"):
        load_model(saved_dir)


def test_convert_refuses_a_pickle_that_is_not_a_model(tmp_path):
    joblib = pytest.importorskip("joblib")
    joblib.dump({"not": "a model"}, tmp_path / "x.joblib")
    with pytest.raises(ModelVersionError, match="retrain"):
        convert_joblib(tmp_path / "x.joblib", tmp_path / "out")


def test_convert_turns_a_pickled_block_classifier_into_the_plain_format(tiny_model, tmp_path,
                                                                         labelled_pages):
    joblib = pytest.importorskip("joblib")
    joblib.dump(tiny_model, tmp_path / "m.joblib")
    convert_joblib(tmp_path / "m.joblib", tmp_path / "plain")
    _assert_same_predictions(tiny_model, load_model(tmp_path / "plain"),
                             [page.blocks for page in labelled_pages])


def test_model_errors_are_boilerkit_errors():
    for error in (ModelError, ModelIntegrityError, ModelNotFoundError, ModelVersionError):
        assert issubclass(error, BoilerkitError)


def test_classify_accepts_a_model_path(saved_dir, tiny_model):
    html = "<html><body><nav><a href='/'>Home</a></nav><p>Some text of a paragraph.</p></body></html>"
    by_path = classify(html, model=str(saved_dir))
    by_model = classify(html, model=tiny_model)
    assert [b.label for b in by_path.blocks] == [b.label for b in by_model.blocks]
    with pytest.raises(ModelNotFoundError):
        classify(html, model=str(saved_dir / "missing"))


def test_loaded_model_predicts_blocks_of_a_parsed_page(saved_dir):
    model = load_model(saved_dir)
    blocks = build_blocks(parse_html("<html><body><p>One paragraph of text.</p></body></html>"))
    (probabilities,) = model.predict_proba([blocks])
    assert probabilities.shape == (1, len(model.labels))
