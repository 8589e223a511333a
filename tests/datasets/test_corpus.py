"""The committed corpus: splits, counts in the dataset card, and a rebuild from the loaders."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from collections import Counter

import pytest

from boilerkit.datasets import corpus
from boilerkit.datasets.sources import DatasetNotFound, data_root

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _repo_datasets():
    path = corpus.corpus_dir()
    if not (path / "annotations").is_dir():
        pytest.skip(f"no committed annotations in {path}")
    return path


def _need_data():
    try:
        data_root()
    except DatasetNotFound as error:
        pytest.skip(f"BOILERKIT_DATA not found: {error}")


def test_every_site_is_in_exactly_one_split():
    _repo_datasets()
    split_by_site: dict[str, set[str]] = {}
    for record in corpus.iter_records():
        split_by_site.setdefault(record["site"], set()).add(record["split"])
    assert split_by_site
    mixed = {site: splits for site, splits in split_by_site.items() if len(splits) > 1}
    assert not mixed
    committed = corpus.load_splits()
    assert all(committed[site] == next(iter(splits)) for site, splits in split_by_site.items())


def test_hashed_split_is_deterministic_and_roughly_70_10_20():
    shares = Counter(corpus.hashed_split(f"site{i}.example") for i in range(5000))
    assert corpus.hashed_split("bbc.co.uk") == corpus.hashed_split("bbc.co.uk")
    assert 0.65 < shares["train"] / 5000 < 0.75
    assert 0.07 < shares["dev"] / 5000 < 0.13
    assert 0.17 < shares["test"] / 5000 < 0.23


def test_dataset_card_counts_match_the_annotations():
    path = _repo_datasets()
    card = (path / "README.md").read_text()
    match = re.search(r"<!-- counts:start -->\n(.*?)\n<!-- counts:end -->", card, re.S)
    assert match, "the dataset card has no counts table between the markers"
    assert match.group(1).strip() == corpus.counts_table().strip()


def test_acceptance_counts_per_class_and_split():
    _repo_datasets()
    counts = corpus.count_labels(corpus.TRAINING_SOURCES)
    per_split: dict[str, Counter] = {}
    for (_, split), counter in counts.items():
        per_split.setdefault(split, Counter()).update(counter)
    for label in ("article", "navigation", "teaser", "comment"):
        assert per_split["train"][label] >= 1000, label
        assert per_split["test"][label] >= 150, label
    test_sites = {r["site"] for r in corpus.iter_records(corpus.TRAINING_SOURCES, split="test")
                  if any(label in ("teaser", "comment") for _, label, _ in r["blocks"])}
    assert len(test_sites) >= 30


def test_reviews_cover_300_pages_from_200_sites():
    _repo_datasets()
    reviewed = [r for r in corpus.iter_records() if r["labelled_by"] == "reviewed"]
    assert len(reviewed) >= 300
    assert len({r["site"] for r in reviewed}) >= 200


def test_rebuild_from_the_loaders_gives_the_committed_annotations(tmp_path, monkeypatch):
    """Rebuild two sources (one with human reviews) and compare with the committed files."""
    _need_data()
    path = _repo_datasets()
    shutil.copy(path / "splits.json", tmp_path / "splits.json")
    shutil.copy(path / "GUIDELINE.md", tmp_path / "GUIDELINE.md")
    shutil.copytree(path / "reviews", tmp_path / "reviews")
    committed = {}
    for source in ("cleanportaleval", "kreuzer"):
        with gzip.open(path / "annotations" / f"{source}.jsonl.gz", "rt") as handle:
            committed[source] = [json.loads(line) for line in handle]
    monkeypatch.setenv(corpus.CORPUS_ENV, str(tmp_path))
    summary = corpus.build(["cleanportaleval", "kreuzer"], workers=2)
    assert summary["kreuzer"]["pages_reviewed"] > 0
    for source, records in committed.items():
        with gzip.open(tmp_path / "annotations" / f"{source}.jsonl.gz", "rt") as handle:
            rebuilt = [json.loads(line) for line in handle]
        assert rebuilt == records, source
