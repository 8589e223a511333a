"""The model that ships in the package: what it was trained on, and that it loads plainly."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest

from boilerkit.datasets.licences import LICENCES, default_model_sources
from boilerkit.persistence import (
    DEFAULT_MODEL_NAME, default_model, default_model_path, read_manifest)


def test_default_model_is_trained_only_on_sources_it_may_ship_with():
    # The package is MIT: a research-only, copyleft or unlicensed source must never
    # reach the default model (boilerkit/datasets/licences.py decides which may).
    manifest = read_manifest(default_model_path())
    sources = manifest["training_sources"]
    assert sources, "the manifest must list the training sources"
    allowed = set(default_model_sources())
    for entry in sources:
        assert entry["source"] in allowed, entry
        assert entry["licence"] == LICENCES[entry["source"]].licence
        assert entry["default_model_allowed"] is True


def test_default_model_was_trained_on_the_train_split_only():
    manifest = read_manifest(default_model_path())
    assert manifest["training_split"] == "train"
    assert manifest["dev_split"] == "dev"


def test_default_model_loads_and_names_the_four_labels():
    model = default_model()
    assert set(model.labels) == {"article", "navigation", "teaser", "comment"}


RESEARCH_MODEL = Path(__file__).resolve().parents[1] / "models" / "boilerkit-research-4class"


def test_the_research_model_names_its_restricted_sources():
    # Separately named because its sources keep it from the MIT package: its manifest
    # must say which ones, so that nobody takes it for the default.
    manifest = read_manifest(RESEARCH_MODEL)
    restricted = {entry["source"] for entry in manifest["training_sources"]
                  if not entry["default_model_allowed"]}
    assert restricted and not restricted & set(default_model_sources())
    assert manifest["training_split"] == "train"


def test_the_research_model_is_never_installed():
    # What pip installed, whichever copy of boilerkit this test imported.
    installed = [str(path) for path in metadata.files("boilerkit") or []]
    if not any(path.endswith(f"{DEFAULT_MODEL_NAME}/model.npz") for path in installed):
        pytest.skip("not installed from a wheel (editable install): no packaged models to check")
    assert not [path for path in installed if RESEARCH_MODEL.name in path]
