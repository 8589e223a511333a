"""The review tool: show, save, freeze, blind labels and kappa, on made-up pages."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest

from boilerkit.datasets import review
from boilerkit.datasets.sources import SourcePage

BODY = ("The city council approved the new budget on Monday after a long debate about "
        "schools, hospitals and the water project that had divided the members for weeks.")
HTML = f"""<html><head><title>Budget approved - Gazette</title></head><body>
<header class="site-header"><nav class="main-menu"><ul><li><a href="/">Home</a></li>
<li><a href="/world">World</a></li></ul></nav></header>
<article class="post"><h1 class="entry-title">Budget approved</h1><p>{BODY}</p></article>
<aside class="related-posts"><h3>Related</h3><p><a href="/x">Another story about the city</a></p></aside>
<div id="comments" class="comment-respond"><p>Leave a Reply</p></div>
<footer><p>Copyright 2025 Gazette</p></footer></body></html>"""


def _page(source: str) -> SourcePage:
    raw = HTML.encode()
    gold = {"title": "Budget approved", "body": [BODY], "crawl_date": "", "publisher": "G",
            "article": BODY, "comments": "", "official_split": None}
    return SourcePage(page_id=f"{source}/p1", source=source, url="https://gazette.example/a",
                      site="gazette.example", html=raw, sha256=hashlib.sha256(raw).hexdigest(),
                      gold=gold)


@pytest.fixture
def corpus(tmp_path, monkeypatch):
    for name in ("reviews", "agreement"):
        (tmp_path / name).mkdir()
    (tmp_path / "splits.json").write_text('{"gazette.example": "test"}')
    monkeypatch.setenv("BOILERKIT_CORPUS", str(tmp_path))
    pages = {p.page_id: p for p in (_page("fundus-eval"), _page("dragnet"))}
    monkeypatch.setattr(review, "find_page", lambda page_id: pages[page_id])
    return tmp_path


def _labels_by_text(page_id: str) -> dict[str, str]:
    pre = review.prefilled(review.find_page(page_id))
    return {b.text: label for b, label in zip(pre.blocks, pre.labels)}


def test_show_prefills_only_article_from_allowed_gold(corpus, capsys):
    labels = _labels_by_text("fundus-eval/p1")
    assert labels["Budget approved"] == "article" and labels[BODY] == "article"
    assert labels["Home"] is None and labels["Leave a Reply"] is None   # boilerplate -> "?"
    review.show("fundus-eval/p1", width=30)
    out = capsys.readouterr().out
    assert "prefill: fundus-eval gold" in out and "split=test" in out
    assert "-- [nav,hdr,li] site-header main-menu" in out
    line = next(x for x in out.splitlines() if "The city council" in x)
    assert " article " in line and line.endswith("…") and len(line.split(" p ", 1)[1].strip()) == 30
    assert any(x.split()[1] == "?" and x.endswith("Home") for x in out.splitlines()
               if x.strip() and x.split()[0].isdigit())
    review.show("fundus-eval/p1", blind=True)
    out = capsys.readouterr().out
    assert " article " not in out and "prefill: none (blind)" in out


def test_restricted_sources_prefill_nothing(corpus, capsys):
    assert set(_labels_by_text("dragnet/p1").values()) == {None}
    review.show("dragnet/p1")
    assert "not licensed for the default model" in capsys.readouterr().out


def _all_sets(page_id: str) -> list[str]:
    pre = review.prefilled(review.find_page(page_id))
    out = []
    for i, block in enumerate(pre.blocks):
        label = ("article" if block.text in ("Budget approved", BODY) else
                 "comment" if "Reply" in block.text else
                 "teaser" if block.text in ("Related", "Another story about the city") else
                 "navigation")
        out.append(f"{i}={label}")
    return out


def test_save_needs_every_block_and_records_who(corpus):
    with pytest.raises(SystemExit, match="blocks have no label"):
        review.save("fundus-eval/p1", "r1", ["0-1=navigation"], reviewer_kind="model")
    with pytest.raises(SystemExit, match="unknown label"):
        review.save("fundus-eval/p1", "r1", ["0=boilerplate"], reviewer_kind="model")
    with pytest.raises(SystemExit, match="outside"):
        review.save("fundus-eval/p1", "r1", ["0-99=navigation"], reviewer_kind="model")
    sets = [s for s in _all_sets("fundus-eval/p1") if not s.endswith("=article")]
    path = review.save("fundus-eval/p1", "r1", sets, reviewer_kind="model")
    data = json.loads(path.read_text())
    assert data["reviewer"] == "r1"
    assert data["reviewer_kind"] == "model-based reviewer (helper session)"
    assert data["prefill"].startswith("fundus-eval gold")
    assert {label for _, _, label in data["blocks"]} == {"article", "navigation", "teaser", "comment"}
    assert data["date"] and data["sha256"] == review.find_page("fundus-eval/p1").sha256


def test_show_saved_reads_back_the_saved_labels(corpus, capsys):
    page = "fundus-eval/p1"
    with pytest.raises(SystemExit, match="no saved review"):
        review.show(page, saved=True)
    review.save(page, "r1", _all_sets(page), reviewer_kind="model")
    capsys.readouterr()
    review.show(page, saved=True)
    out = capsys.readouterr().out
    assert "prefill: saved review fundus-eval__p1.json" in out
    rows = {x.split(None, 2)[1]: x for x in out.splitlines()
            if x.strip() and x.split()[0].isdigit()}
    assert "?" not in rows and {"navigation", "teaser", "comment", "article"} <= set(rows)
    assert "Leave a Reply" in next(x for x in out.splitlines() if " comment " in x)


def test_tally_counts_one_round_of_reviewers(corpus):
    review.save("fundus-eval/p1", "round2-a", _all_sets("fundus-eval/p1"), reviewer_kind="model")
    result = review.tally("round2-")
    assert result["pages"] == 1 and result["pages_without_comment"] == 0
    assert set(result["labels"]) == {"article", "navigation", "teaser", "comment"}
    assert result["blocks"] == len(review.prefilled(review.find_page("fundus-eval/p1")).blocks)
    assert review.tally("round1-")["pages"] == 0


def test_blind_needs_freeze_and_kappa_uses_the_frozen_review(corpus):
    page = "fundus-eval/p1"
    sets = _all_sets(page)
    review.save(page, "first", sets, reviewer_kind="model")
    with pytest.raises(SystemExit, match="not frozen"):
        review.save(page, "blind", sets, blind=True, reviewer_kind="model")
    assert review.freeze()["frozen"] == [page]
    with pytest.raises(SystemExit, match="blocks have no label"):
        review.save(page, "blind", sets[:-1], blind=True, reviewer_kind="model")
    # the blind labeller disagrees on one block
    blind_sets = sets[:-1] + [sets[-1].split("=")[0] + "=teaser"]
    path = review.save(page, "blind", blind_sets, blind=True, reviewer_kind="model")
    blind = json.loads(path.read_text())
    assert blind["frozen_review_sha256"] == review.load_frozen()[page]["sha256"]
    result = review.agreement(rounds=50)
    assert result["frozen"]["all"]["pages"] == 1 and result["edited_after_blind"] == []
    table = result["frozen"]["all"]["classes"]
    assert table["article"]["kappa"] == 1.0 and table["navigation"]["support"] >= 3
    assert table["all"]["kappa"] < 1.0
    assert set(result["frozen"]["by_source"]) == {"fundus-eval"}
    # --sample: only the pages of a sample file are scored
    assert review.agreement(rounds=10, pages={page})["frozen"]["all"]["pages"] == 1
    assert review.agreement(rounds=10, pages={"wcxb/0001"})["frozen"]["all"]["pages"] == 0
    # the first review is edited after the blind labels: not scored ...
    first = corpus / "reviews" / path.name
    frozen_bytes = first.read_bytes()
    review.save(page, "first", sets[:-1] + [blind_sets[-1]], reviewer_kind="model")
    result = review.agreement(rounds=50)
    assert result["edited_after_blind"] == [page]
    assert result["frozen"]["all"]["pages"] == 0 and result["current"]["all"]["pages"] == 1
    assert result["current"]["all"]["classes"]["all"]["kappa"] == 1.0
    assert review.freeze()["edited_since_frozen"] == [page]      # the entry is not replaced
    # ... unless the frozen version is kept as a copy
    (corpus / "agreement" / review.FROZEN_COPIES).mkdir()
    (corpus / "agreement" / review.FROZEN_COPIES / path.name).write_bytes(frozen_bytes)
    result = review.agreement(rounds=50)
    assert result["frozen"]["all"]["pages"] == 1 and result["intact"]["all"]["pages"] == 0
    assert result["frozen"]["all"]["classes"]["all"]["kappa"] < 1.0
    assert "edited after" in review.format_agreement(result)


def test_kappa_math():
    import numpy as np

    assert review._kappas(review._confusion(["article", "navigation"] * 5,
                                            ["article", "navigation"] * 5))[-1] == 1.0
    m = review._confusion(["article"] * 6 + ["teaser"] * 4, ["article"] * 5 + ["teaser"] * 5)
    from sklearn.metrics import cohen_kappa_score

    expected = cohen_kappa_score(["article"] * 6 + ["teaser"] * 4, ["article"] * 5 + ["teaser"] * 5)
    assert review._kappas(m)[-1] == pytest.approx(expected)
    assert np.isnan(review._kappas(m)[3])                     # comment: neither side used it


def test_committed_agreement_set_scores_against_frozen_reviews():
    from boilerkit.datasets.store import corpus_dir

    folder = corpus_dir() / "agreement"
    if not (folder / review.FROZEN_COPIES).is_dir() or not review.frozen_path().is_file():
        pytest.skip("no committed agreement set")
    result = review.agreement(rounds=100)
    # 33 blind re-labels of the first reviews (ten of which were edited afterwards and are
    # scored against their frozen copies), 44 of the modern reviews and 20 of the third
    # and fourth rounds (blind-sample-2.json), 10 of the fifth (blind-sample-3.json) and 6 of
    # the sixth (blind-sample-4.json).
    assert result["frozen"]["all"]["pages"] == 113
    # Ten first reviews edited in a consistency pass, and wcxb/4362 adjudicated by the guideline.
    assert len(result["edited_after_blind"]) == 11
    assert result["intact"]["all"]["pages"] == 102
    assert result["not_scored"] == []
    for name, size in (("blind-sample-2.json", 20), ("blind-sample-3.json", 10),
                       ("blind-sample-4.json", 6)):
        sample = json.loads((folder / name).read_text())
        assert len(sample["pages"]) == size
        sampled = review.agreement(rounds=10, pages=set(sample["pages"]))
        assert sampled["frozen"]["all"]["pages"] == size
        assert sampled["edited_after_blind"] == (["wcxb/4362"] if name == "blind-sample-4.json"
                                                 else [])


def _committed_plan(name: str) -> dict:
    from boilerkit.datasets.store import corpus_dir

    path = corpus_dir() / name
    if not path.is_file():
        pytest.skip(f"no committed {path}")
    return json.loads(path.read_text())


def _check_plan(plan: dict) -> None:
    """Checks every review plan meets: modern pages of allowed sources, markers behind
    every comment page, balanced batches that cover the plan, splits and block counts as
    in the committed annotations."""
    from boilerkit.datasets import corpus
    from boilerkit.datasets.licences import LICENCES

    pages = plan["pages"]
    assert all(p["comment_markers"] for p in pages if p["comments"])
    assert all(p["year"] >= 2018 and LICENCES[p["source"]].default_model_allowed for p in pages)
    batched = [pid for batch in plan["batches"] for pid in batch["pages"]]
    assert sorted(batched) == sorted(p["page_id"] for p in pages)
    assert all(15 <= len(batch["pages"]) <= 25 for batch in plan["batches"])
    totals = [batch["blocks"] for batch in plan["batches"]]
    assert max(totals) <= 1.2 * min(totals)
    records = {r["page_id"]: r for r in corpus.iter_records(plan["criteria"]["sources"])}
    if records:
        # A page dropped after it was planned (a bot check found by its reviewer) has no record.
        dropped = corpus.load_dropped()
        for p in pages:
            if p["page_id"] in dropped:
                continue
            record = records[p["page_id"]]
            assert (record["split"], len(record["blocks"])) == (p["split"], p["blocks"])


def test_review_plan_meets_its_targets():
    plan = _committed_plan("review-plan.json")
    pages = plan["pages"]
    assert len(pages) >= 420
    assert len({p["site"] for p in pages}) >= 320
    assert sum(p["comments"] for p in pages) >= 110
    assert sum(p["split"] == "test" for p in pages) >= 120
    assert {"home", "listing", "collection", "forum"} <= {p["page_type"] for p in pages}
    _check_plan(plan)


def test_second_review_plan_adds_train_and_dev_pages_only():
    first = {p["page_id"] for p in _committed_plan("review-plan.json")["pages"]}
    plan = _committed_plan("review-plan-2.json")
    pages = plan["pages"]
    assert len(pages) == 160 and len({p["site"] for p in pages}) == 160
    assert {p["split"] for p in pages} == {"train", "dev"}
    # The plans share only pages that no reviewer could label (content not in the HTML).
    shared = first & {p["page_id"] for p in pages}
    assert all(not review.review_path(page_id).is_file() for page_id in shared)
    assert sum(p["comments"] for p in pages) >= 100
    _check_plan(plan)


@pytest.mark.parametrize("name, n_pages, split", [("review-plan-3.json", 96, "train"),
                                                   ("review-plan-4.json", 64, "dev")])
def test_later_review_plans_take_unreviewed_pages_of_one_split(name, n_pages, split):
    plan = _committed_plan(name)
    pages = plan["pages"]
    assert len(pages) == n_pages and len({p["site"] for p in pages}) == n_pages
    assert {p["split"] for p in pages} == {split}
    earlier = {p["page_id"] for earlier_name in ("review-plan.json", "review-plan-2.json",
                                                 "review-plan-3.json") if earlier_name != name
               for p in _committed_plan(earlier_name)["pages"]}
    # Pages shared with an earlier plan are those no reviewer could label there.
    shared = earlier & {p["page_id"] for p in pages}
    assert all(not review.review_path(page_id).is_file() for page_id in shared)
    _check_plan(plan)


def test_display_tokens_drop_generated_names_and_split_parts():
    tokens = ("dcr-1s837k5", "dcr", "1s837k5", "article-body", "article", "body",
              "post-navigation", "post", "navigation", "clearfix", "mt20")
    assert review._display_tokens(tokens, 3) == ["post-navigation", "clearfix", "mt20"]
    assert review._display_tokens(tokens, 9) == ["article-body", "post-navigation", "clearfix",
                                                 "mt20"]


def test_sample_draws_in_proportion_to_each_stratum_and_skips_blind_pages(corpus):
    def write(folder: str, page_id: str, reviewer: str, n_blocks: int) -> None:
        path = corpus / folder / (page_id.replace("/", "__") + ".json")
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps({"page_id": page_id, "reviewer": reviewer,
                                    "blocks": [["/html/body/p", "k", "article"]] * n_blocks}))

    for i in range(20):
        write("reviews", f"wcxb/{i:04d}", "round4-a", 10 + i)
    for i in range(10):
        write("reviews", f"fundus-tests/p{i}", "round4-b", 5)
    for i in range(10):
        write("reviews", f"fundus-eval/q{i}", "round1-a", 5)  # another round: never drawn
    write("agreement", "wcxb/0000", "blind", 10)  # re-labelled blind already
    drawn = review.blind_sample(["round4-"], fraction=0.2, seed=7, n_batches=2)
    assert drawn["strata"] == {"fundus-tests/article": [10, 2], "wcxb/article": [19, 4]}
    assert len(drawn["pages"]) == 6 and "wcxb/0000" not in drawn["pages"]
    assert sum(p.startswith("wcxb/") for p in drawn["pages"]) == 4
    assert sorted(p for batch in drawn["batches"] for p in batch) == drawn["pages"]
    assert drawn == review.blind_sample(["round4-"], fraction=0.2, seed=7, n_batches=2)
    with pytest.raises(ValueError, match="fraction"):
        review.blind_sample(["round4-"], fraction=0.0, seed=7)
