"""Site identity, publisher grouping, split planning and the licence records (no data needed)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from boilerkit.datasets import licences, sites
from boilerkit.datasets.sources import SOURCES
from boilerkit.datasets.splits import MIN_TEST_SHARE, hashed_split, most_held_out, plan_splits


def _html(title: str = "", links: tuple[str, ...] = (), head: str = "") -> bytes:
    anchors = "".join(f'<a href="{href}">x</a>' for href in links)
    return f"<html><head><title>{title}</title>{head}</head><body>{anchors}</body></html>".encode()


# --------------------------------------------------------------------------- sites


def test_link_host_takes_the_own_host_not_third_parties():
    raw = _html("A post - Some Blog", ["http://twitter.com/x"] * 9 + ["https://someblog.com/a"] * 4
                + ["http://other.org/"] * 2)
    assert sites.link_host(raw) == "someblog.com"


def test_link_host_prefers_the_host_named_in_the_title():
    raw = _html("Costas to honor Israelis - Olympic sports- NBC Sports",
                ["http://msnbc.com/"] * 66 + ["http://nbcsports.com/"] * 61)
    assert sites.link_host(raw) == "nbcsports.com"
    # a third-party host only when the title's site name is that host
    assert sites.link_host(_html("Time loops - Wikipedia", ["https://en.wikipedia.org/w"] * 9
                                 + ["http://other.com/"] * 5)) == "wikipedia.org"
    assert sites.link_host(_html("TextMate Blog » TextMate 2 at GitHub",
                                 ["https://github.com/x"] * 3 + ["http://macromates.com/"] * 25)
                           ) == "macromates.com"


def test_link_host_needs_evidence():
    assert sites.link_host(_html("t", ["http://a.com/"] * 2 + ["http://b.com/"])) is None
    assert sites.link_host(_html("t", ["http://only.com/"])) == "only.com"   # the only host
    assert sites.link_host(_html("t")) is None


def test_title_site():
    assert sites.title_site(_html("Post title | Site Name")) == "title:site-name"
    assert sites.title_site(_html("Seth's Blog: The importance of going first")) == "title:seth-s-blog"
    assert sites.title_site(_html("Just a title without a site")) is None
    assert sites.title_site(_html()) is None


def test_resolve_site_order_and_table(tmp_path, monkeypatch):
    (tmp_path / "sites.json").write_text(json.dumps({
        "aliases": {"bbc.com": {"site": "bbc.co.uk", "why": "test"}},
        "pages": {"src/fixed": {"site": "fixed.example", "why": "test"}}}))
    monkeypatch.setenv("BOILERKIT_CORPUS", str(tmp_path))
    raw = _html("Post - Blog", ["http://blog.example/"] * 5)
    assert sites.resolve_site("src/fixed", "http://www.bbc.com/news", raw) == "fixed.example"
    assert sites.resolve_site("src/a", "http://www.bbc.com/news", raw) == "bbc.co.uk"
    assert sites.resolve_site("src/a", None, raw, hint="hint.example") == "hint.example"
    assert sites.resolve_site("src/a", None, raw) == "blog.example"
    assert sites.resolve_site("src/a", None, _html("Post - My Blog")) == "title:my-blog"
    assert sites.resolve_site("src/a", None, _html()) == "unknown:src/a"


def test_committed_site_table_is_well_formed():
    from boilerkit.datasets.store import corpus_dir

    path = corpus_dir() / "sites.json"
    if not path.is_file():
        pytest.skip(f"no committed {path}")
    data = json.loads(path.read_text())
    assert data["aliases"]["bbc.com"]["site"] == "bbc.co.uk"
    assert data["aliases"]["vulture.com"]["site"] == "nymag.com"
    for entry in list(data["aliases"].values()) + list(data["pages"].values()):
        assert entry["site"] and entry["why"]
    # an alias target is never itself aliased (one step resolves it)
    assert not set(v["site"] for v in data["aliases"].values()) & set(data["aliases"])


# --------------------------------------------------------------------------- splits


def _triples(spec: dict[str, dict[str, int]]) -> list[tuple[str, str, str]]:
    out = []
    for source, per_site in spec.items():
        for site, n in per_site.items():
            out.extend((f"{source}/{site}/{i}", source, site) for i in range(n))
    return out


def test_merged_sites_take_the_most_held_out_split():
    assert most_held_out(["train", "test", "dev"]) == "test"
    pages = _triples({"old": {"a.com": 2, "b.com": 1}})
    former = {"old/a.com/0": "train", "old/a.com/1": "test", "old/b.com/0": "dev"}
    splits, notes = plan_splits(pages, {"b.com": "dev"}, former, held_out_sets=())
    assert splits == {"a.com": "test", "b.com": "dev"}
    assert any("a.com" in note for note in notes)


def test_held_out_sets_get_a_third_in_test_and_keep_fixed_sites():
    spec = {"new": {f"s{i}.com": 1 + i % 3 for i in range(60)},
            "old": {"fixed.com": 5}}
    pages = _triples(spec) + [("new/fixed/0", "new", "fixed.com")]
    splits, _ = plan_splits(pages, {"fixed.com": "train"}, {}, held_out_sets=("new",))
    assert splits["fixed.com"] == "train"
    per_split = Counter(splits[site] for _, source, site in pages if source == "new")
    total = sum(per_split.values())
    assert per_split["test"] / total >= MIN_TEST_SHARE
    assert 0.08 <= per_split["dev"] / total <= 0.2
    again, _ = plan_splits(list(reversed(pages)), {"fixed.com": "train"}, {},
                           held_out_sets=("new",))
    assert again == splits                                  # deterministic


def test_train_sites_of_held_out_sets_move_to_test_only_when_needed():
    pages = _triples({"evalset": {f"e{i}.org": 1 for i in range(30)}})
    former = {pid: "train" for pid, _, _ in pages}
    splits, notes = plan_splits(pages, {}, former, held_out_sets=("evalset",))
    test = sum(splits[site] == "test" for _, _, site in pages)
    assert test / len(pages) >= MIN_TEST_SHARE
    assert sum(note.startswith("move:") for note in notes) == test
    assert "dev" not in splits.values()                     # moves only fill the test part
    # a site that also has pages of another (trained) source never moves
    pages2 = pages + [("other/x", "other", "e0.org")]
    splits2, _ = plan_splits(pages2, {}, {**former, "other/x": "train"},
                             held_out_sets=("evalset",))
    assert splits2["e0.org"] == "train"


def test_hashed_split_is_deterministic_and_roughly_70_10_20():
    shares = Counter(hashed_split(f"site{i}.example") for i in range(5000))
    assert hashed_split("bbc.co.uk") == hashed_split("bbc.co.uk")
    assert 0.65 < shares["train"] / 5000 < 0.75
    assert 0.07 < shares["dev"] / 5000 < 0.13
    assert 0.17 < shares["test"] / 5000 < 0.23


# --------------------------------------------------------------------------- licences


def test_every_source_has_one_licence_record():
    assert set(SOURCES) <= set(licences.LICENCES)
    allowed = set(licences.default_model_sources())
    assert allowed == {"kreuzer", "readability", "trafilatura-eval", "postlight-fixtures",
                       "fundus-eval", "fundus-tests", "wcxb"}
    for name in ("l3s-gn1", "big9-chaos", "dragnet", "canola", "cleaneval", "cleanportaleval",
                 "htmltotext-benchmark"):
        assert not licences.licence(name).default_model_allowed
    assert all(rec.credit and rec.licence for rec in licences.LICENCES.values())
    assert any("CC BY 4.0" in line for line in licences.credits())
    with pytest.raises(KeyError):
        licences.licence("nope")


def test_a_second_plan_changes_nothing():
    pages = _triples({"evalset": {f"e{i}.org": 1 for i in range(40)},
                      "newset": {f"n{i}.org": 2 for i in range(30)}})
    former = {pid: "train" for pid, source, _ in pages if source == "evalset"}
    first, _ = plan_splits(pages, {}, former, held_out_sets=("evalset", "newset"))
    again = {pid: first[site] for pid, _, site in pages}
    second, notes = plan_splits(pages, first, again, held_out_sets=("evalset", "newset"))
    assert second == first and notes == []
