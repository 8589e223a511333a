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


def test_dataset_card_counts_match_the_annotations():
    path = _repo_datasets()
    card = (path / "README.md").read_text()
    match = re.search(r"<!-- counts:start -->\n(.*?)\n<!-- counts:end -->", card, re.S)
    assert match, "the dataset card has no counts table between the markers"
    assert match.group(1).strip() == corpus.counts_table().strip()


def test_acceptance_counts_per_class_and_split():
    """The research set (every source) has every class in train and test."""
    _repo_datasets()
    counts = corpus.count_labels()
    per_split: dict[str, Counter] = {}
    for (_, split), counter in counts.items():
        per_split.setdefault(split, Counter()).update(counter)
    for label in ("article", "navigation", "teaser", "comment"):
        assert per_split["train"][label] >= 1000, label
        assert per_split["test"][label] >= 150, label
    test_sites = {r["site"] for r in corpus.iter_records(split="test")
                  if any(label in ("teaser", "comment") for _, label, _ in r["blocks"])}
    assert len(test_sites) >= 30


def test_held_out_sets_have_a_third_of_their_pages_in_test():
    _repo_datasets()
    from boilerkit.datasets.splits import HELD_OUT_SETS, MIN_TEST_SHARE

    pages = Counter((r["source"], r["split"]) for r in corpus.iter_records(HELD_OUT_SETS))
    assert pages
    for source in HELD_OUT_SETS:
        total = sum(n for (s, _), n in pages.items() if s == source)
        assert total, source
        assert pages[(source, "test")] / total >= MIN_TEST_SHARE, source
        assert pages[(source, "train")] / total >= 0.4, source


def test_default_model_sources_are_the_allowed_ones():
    from boilerkit.datasets.licences import LICENCES

    assert corpus.DEFAULT_MODEL_SOURCES
    assert all(LICENCES[s].default_model_allowed for s in corpus.DEFAULT_MODEL_SOURCES)
    assert "l3s-gn1" not in corpus.DEFAULT_MODEL_SOURCES and "wcxb" in corpus.DEFAULT_MODEL_SOURCES


def test_drop_reason():
    assert corpus.drop_reason({"gold_unit": "token_chars", "gold_coverage": 0.1}).startswith(
        "gold does not match the HTML: 10%")
    assert corpus.drop_reason({"gold_unit": "token_chars", "gold_coverage": 0.9}) is None
    assert corpus.drop_reason({"gold_unit": "token_chars", "gold_coverage": None}) is None
    assert corpus.drop_reason({"gold_unit": "token_chars", "gold_coverage": 0.1,
                               "reviewed": True}) is None
    assert corpus.drop_reason({"gold_unit": "chars", "gold_chars": 100,
                               "gold_chars_lost": 80}) is not None


def test_dropped_pages_are_listed_and_left_out():
    path = _repo_datasets()
    dropped = corpus.load_dropped()
    assert "big9-chaos/big5-17/trump (4).htm" in dropped       # carries another article's gold
    by_hand = corpus.load_drops_by_hand()
    assert "wcxb/4352" in by_hand                                # a bot check
    assert all(dropped[page_id]["reason"] == f"by hand: {why}" for page_id, why in by_hand.items())
    by_gold = {k: v for k, v in dropped.items() if k not in by_hand}
    assert all(v["reason"].startswith("gold does not match") for v in by_gold.values())
    assert all(v["gold_coverage"] < corpus.MIN_GOLD_COVERAGE for v in by_gold.values())
    kept = {r["page_id"] for r in corpus.iter_records()}
    assert not kept & set(dropped)
    card = (path / "README.md").read_text()
    assert all(f"`{page_id}`" in card for page_id in dropped), "the card lists every dropped page"


def test_no_site_is_unknown_in_the_annotations():
    _repo_datasets()
    assert not [r["page_id"] for r in corpus.iter_records() if r["site"].startswith("unknown:")]


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


def test_a_page_dropped_by_hand_gets_no_record_and_says_why():
    from boilerkit.datasets.sources import SourcePage

    page = SourcePage(page_id="wcxb/9999", source="wcxb", url=None, site="shop.example",
                      html=b"<p>Let us know you're human</p>", sha256="", gold={})
    record, stats = corpus._record(page, {}, {"wcxb/9999": "a bot check"})
    assert record == {}
    assert stats == {"page_id": "wcxb/9999", "dropped": "by hand: a bot check",
                     "site": "shop.example", "gold_coverage": None}
