"""The model that ships in the package: what it was trained on, and that it loads plainly."""

from __future__ import annotations

from boilerkit.datasets.licences import LICENCES, default_model_sources
from boilerkit.persistence import default_model, default_model_path, read_manifest


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
