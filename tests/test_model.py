"""Tests of boilerkit.model: the plain model that classify uses (numpy only)."""

from __future__ import annotations

import numpy as np
import pytest

from boilerkit import build_blocks, features, parse_html
from boilerkit.context import ContextSpec
from boilerkit.features import FeatureConfig
from boilerkit.model import Head, Model
from boilerkit.predictor import TreeEnsemble


def _constant_ensemble(n_features: int, n_outputs: int, values) -> TreeEnsemble:
    """One leaf per output: raw scores are the baseline plus ``values``."""
    k = n_outputs
    return TreeEnsemble(
        feature=np.zeros(k), threshold=np.zeros(k), left=np.zeros(k), right=np.zeros(k),
        missing_left=np.zeros(k), is_leaf=np.ones(k), value=np.asarray(values, float),
        roots=np.arange(k), tree_output=np.arange(k), baseline=np.zeros(k),
        n_features=n_features, link="logistic" if k == 1 else "softmax")


def test_two_stage_head_multiplies_the_stages():
    config = FeatureConfig(n_hashed=8)
    first = _constant_ensemble(config.n_features, 1, [0.0])  # P(article) = 0.5
    second = _constant_ensemble(config.n_features, 3, [0.0, np.log(2), np.log(5)])
    head = Head("two-stage", [first, second], [["article", "other"], ["comment", "navigation",
                                                                     "teaser"]], "article")
    model = Model(config, [head])
    assert model.labels == ("article", "comment", "navigation", "teaser")
    blocks = build_blocks(parse_html("<p>one</p><p>two</p>"))
    probabilities = model.predict_page(blocks)
    np.testing.assert_allclose(probabilities, [[0.5, 0.0625, 0.125, 0.3125]] * 2)


def test_head_and_model_check_their_parts():
    config = FeatureConfig(n_hashed=8)
    ensemble = _constant_ensemble(config.n_features, 3, [0, 0, 0])
    with pytest.raises(ValueError, match="class names"):
        Head("single", [ensemble], [["a", "b"]])
    with pytest.raises(ValueError, match="kind"):
        Head("triple", [ensemble], [["a", "b", "c"]])
    with pytest.raises(ValueError, match="duplicate"):
        Model(config, [Head("single", [ensemble], [["a", "a", "b"]])])
    with pytest.raises(ValueError, match="read"):
        Model(FeatureConfig(n_hashed=16), [Head("single", [ensemble], [["a", "b", "c"]])])
    with pytest.raises(ValueError, match="context"):
        Model(config, [Head("single", [ensemble], [["a", "b", "c"]])] * 2)


def test_chunked_prediction_of_a_long_page_equals_one_chunk(tiny_model, monkeypatch):
    from boilerkit import model as model_module

    html = "<html><body>" + "".join(
        f"<nav><a href='/{i}'>Menu {i}</a></nav><p>Paragraph {i} with some text in it.</p>"
        for i in range(60)) + "</body></html>"
    blocks = build_blocks(parse_html(html))
    whole = tiny_model.model_.predict_page(blocks)
    monkeypatch.setattr(model_module, "CHUNK_ROWS", 7)
    np.testing.assert_array_equal(tiny_model.model_.predict_page(blocks), whole)


@pytest.mark.parametrize("group_context", [False, True])
def test_stacked_chunked_prediction_equals_one_chunk(labelled_pages, monkeypatch, group_context):
    from boilerkit import model as model_module
    from boilerkit.estimator import BlockClassifier

    pages = [page.blocks for page in labelled_pages]
    model = BlockClassifier(max_iter=10, min_samples_leaf=5, stacking=True, stacking_folds=2,
                            group_context=group_context, repetition_features=group_context)
    model.fit(pages, [page.labels for page in labelled_pages],
              groups=[page.site for page in labelled_pages]).to_model()
    whole = model.model_.predict_page(pages[0])
    monkeypatch.setattr(model_module, "CHUNK_ROWS", 5)
    np.testing.assert_array_equal(model.model_.predict_page(pages[0]), whole)


def test_predicting_from_rows_equals_predicting_the_page(labelled_pages):
    from boilerkit.estimator import BlockClassifier
    from boilerkit.features import PageFeatures

    pages = [page.blocks for page in labelled_pages]
    fitted = BlockClassifier(max_iter=10, min_samples_leaf=5, stacking=True, stacking_folds=2)
    model = fitted.fit(pages, [page.labels for page in labelled_pages],
                       groups=[page.site for page in labelled_pages]).to_model()
    assert model.spare_columns == model.context.n_features
    features = PageFeatures(pages[0], model.feature_config, model._token_cache)
    rows = features.rows(0, len(pages[0]), model.spare_columns)
    np.testing.assert_array_equal(model.predict_rows(features, rows),
                                  model.predict_page(pages[0]))
    with pytest.raises(ValueError, match="shape"):
        model.predict_rows(features, features.matrix())  # no room for the context


def test_an_averaged_model_gives_the_mean_of_its_members(stacked_pair, labelled_pages,
                                                         monkeypatch):
    from boilerkit import model as model_module
    from boilerkit.model import average_models

    averaged = average_models(stacked_pair)
    assert averaged.n_members == 2 and stacked_pair[0].n_members == 1
    for page in labelled_pages[:3]:
        each = [member.predict_page(page.blocks) for member in stacked_pair]
        assert not np.allclose(each[0], each[1])  # the members differ, so the test can fail
        np.testing.assert_allclose(averaged.predict_page(page.blocks), np.mean(each, axis=0),
                                   rtol=0, atol=1e-12)
    whole = averaged.predict_page(labelled_pages[0].blocks)
    monkeypatch.setattr(model_module, "CHUNK_ROWS", 5)  # the chunked path averages too
    np.testing.assert_allclose(averaged.predict_page(labelled_pages[0].blocks), whole,
                               rtol=0, atol=1e-12)
    # Averaging an average gives its members, not a nested model.
    assert average_models([averaged, stacked_pair[0]]).n_members == 3


def test_models_of_other_features_or_levels_are_not_averaged(stacked_pair, tiny_model):
    from boilerkit.model import average_models

    with pytest.raises(ValueError, match="same features"):
        average_models([stacked_pair[0], tiny_model.model_])  # one level against two
    with pytest.raises(ValueError, match="no models"):
        average_models([])


def test_empty_page_gives_no_rows(tiny_model):
    assert tiny_model.model_.predict_page([]).shape == (0, len(tiny_model.classes_))
    assert tiny_model.model_.predict([[]])[0].shape == (0,)


def test_context_spec_round_trips():
    for spec in (ContextSpec(("article", "navigation")),
                 ContextSpec(("article", "navigation"), groups=True)):
        assert ContextSpec.from_dict(spec.to_dict()) == spec
        assert len(spec.feature_names()) == spec.n_features
    # A manifest written before the group columns existed has no "groups" key.
    assert "groups" not in ContextSpec(("article",)).to_dict()
    assert ContextSpec.from_dict({"labels": ["article"], "n_features": 11}).groups is False


# -- choosing labels: the article's lead ------------------------------------------

_LEAD_PAGE = """<html><head><title>Rain returns to the valley - Daily</title></head><body>
<ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li></ul>
<h1>Rain returns to the valley</h1>
<p>By <a href="/staff/ann">Ann Lee</a>, March 3, 2024</p>
<ul><li><a href="/share">Share</a></li></ul>
<figure><img src="x.jpg"><figcaption>Clouds over the valley on Monday.</figcaption></figure>
<p>After months of drought, rain came back to the valley this week, and farmers who had
waited since the autumn for it went out to watch the fields take it in.</p>
</body></html>"""


def _lead_labels(probabilities: np.ndarray) -> list[str]:
    from boilerkit.model import claim_the_lead, keep_an_article

    blocks = build_blocks(parse_html(_LEAD_PAGE))
    best = np.argmax(probabilities, axis=1)
    keep_an_article(blocks, probabilities, best, 0)
    claim_the_lead(blocks, probabilities, best, 0)
    return [("article", "navigation")[index] + ":" + block.text[:12]
            for index, block in zip(best, blocks)]


def test_the_headline_byline_and_caption_before_the_body_join_the_article():
    blocks = build_blocks(parse_html(_LEAD_PAGE))
    assert [block.tag for block in blocks] == ["li", "li", "h1", "p", "li", "figcaption", "p"]
    # The model is sure only of the body; the lead has a little article probability.
    article = np.array([0.01, 0.01, 0.3, 0.1, 0.2, 0.2, 0.95])
    labels = _lead_labels(np.column_stack([article, 1 - article]))
    assert labels == ["navigation:Home", "navigation:News", "article:Rain returns",
                      "article:By Ann Lee, ", "navigation:Share", "article:Clouds over ",
                      "article:After months"]


def test_no_body_paragraph_means_no_lead_is_claimed():
    article = np.array([0.01, 0.01, 0.3, 0.1, 0.2, 0.2, 0.02])
    labels = _lead_labels(np.column_stack([article, 1 - article]))
    # Under 250 characters of text: no article is forced, so there is no body to lead to.
    assert not [label for label in labels if label.startswith("article:")]


# -- choosing labels: the article ends with its region ----------------------------

_REGION_PAGE = """<html><body>
<h1>Rain returns to the valley</h1>
<div class="story">
<p>After months of drought, rain came back to the valley this week, and farmers who had
waited since the autumn for it went out to watch the fields take it in.</p>
<p>The river rose by a metre overnight, the first rise since the spring floods of last
year, and the ferry that had stopped in August ran again on Tuesday morning.</p>
<p>Farmers say one week of rain will not undo a dry year, and the reservoirs above the
town are still a third below their usual level for the end of the autumn.</p>
<p>The weather service expects more showers on Thursday and Friday, then a dry and
bright weekend, with the first night frosts of the year in the higher villages.</p>
</div>
<div class="newsletter"><p>Sign up for our morning newsletter and never miss a story.</p></div>
<div class="more"><p>Read the whole series on the valley's long drought and its farmers.</p></div>
</body></html>"""


def _region_labels(article: list[float]) -> list[str]:
    from boilerkit.model import end_with_the_main_region

    blocks = build_blocks(parse_html(_REGION_PAGE))
    probabilities = np.column_stack([article, 1 - np.asarray(article)])
    best = np.argmax(probabilities, axis=1)
    end_with_the_main_region(blocks, probabilities, best, 0)
    return [("article", "navigation")[index] + ":" + block.text[:8]
            for index, block in zip(best, blocks)]


def test_unsure_blocks_after_the_article_region_lose_the_article_label():
    # The story's div holds most of the article's text: what follows it stays article
    # only when the model is sure; the headline before it is left alone.
    labels = _region_labels([0.6, 0.97, 0.95, 0.9, 0.8, 0.7, 0.93])
    assert labels == ["article:Rain ret", "article:After mo", "article:The rive",
                      "article:Farmers ", "article:The weat", "navigation:Sign up ",
                      "article:Read the"]


def test_region_rule_leaves_a_page_without_an_element_tree_or_article_alone():
    from boilerkit.model import end_with_the_main_region, main_region

    blocks = build_blocks(parse_html(_REGION_PAGE))
    chars = np.array([len(block.text) for block in blocks], dtype=np.float64)
    assert main_region(blocks, chars, np.zeros(len(blocks), dtype=bool)) is None
    assert main_region(list(blocks), chars, np.ones(len(blocks), dtype=bool)) is None
    # Article blocks without characters, or blocks the tree was not walked for: no region.
    assert main_region(blocks, np.zeros(len(blocks)), np.ones(len(blocks), dtype=bool)) is None
    assert main_region(blocks, chars[:-1], np.ones(len(blocks) - 1, dtype=bool)) is None
    text = ["Rain ret", "After mo", "The rive", "Farmers ", "The weat", "Sign up ", "Read the"]
    # Only two of the story's paragraphs article: no element but the body holds 80% of
    # the article, and nothing follows the body.
    labels = _region_labels([0.6, 0.97, 0.2, 0.2, 0.2, 0.7, 0.6])
    assert labels == ["article:Rain ret", "article:After mo"] + [
        "navigation:" + t for t in text[2:5]] + ["article:Sign up ", "article:Read the"]
    best = np.zeros(len(blocks), dtype=np.int64)
    end_with_the_main_region(list(blocks), np.full((len(blocks), 2), 0.5), best, 0)
    assert not best.any()


# -- choosing labels: short gaps inside the article's region close ----------------

_GAP_PAGE = """<html><body>
<ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li></ul>
<div class="story">
<p>After months of drought, rain came back to the valley this week, and farmers who had
waited since the autumn for it went out to watch the fields take it in.</p>
<figure><img src="river.jpg"><figcaption>The river at the ferry landing.</figcaption></figure>
<h2>The ferry runs again</h2>
<p>The river rose by a metre overnight, the first rise since the spring floods of last
year, and the ferry that had stopped in August ran again on Tuesday morning.</p>
<div class="signup"><p>Get the morning newsletter.</p><p>Your email address</p>
<p>We never share it.</p><p>Sign up</p></div>
<p>Farmers say one week of rain will not undo a dry year, and the reservoirs above the
town are still a third below their usual level for the end of the autumn.</p>
<p><a href="/a">Read more</a> <a href="/b">about the drought</a></p>
<p>The weather service expects more showers on Thursday and Friday, then a dry and
bright weekend, with the first night frosts of the year in the higher villages.</p>
</div>
<p>Copyright The Valley Times</p>
</body></html>"""


def _gap_labels(article: list[float]) -> list[str]:
    from boilerkit.model import close_the_region_gaps

    blocks = build_blocks(parse_html(_GAP_PAGE))
    probabilities = np.column_stack([article, 1 - np.asarray(article)])
    best = np.argmax(probabilities, axis=1)
    close_the_region_gaps(blocks, probabilities, best, 0)
    return [("article", "navigation")[index] + ":" + block.text[:8]
            for index, block in zip(best, blocks)]


def test_short_gaps_inside_the_article_region_become_article():
    blocks = build_blocks(parse_html(_GAP_PAGE))
    assert [block.tag for block in blocks] == [
        "li", "li", "p", "figcaption", "h2", "p", "p", "p", "p", "p", "p", "p", "p", "p"]
    # The caption and subheading are a gap of two fitting blocks; the four-block signup
    # box is too long; the link line is mostly links; the menu and the footer are
    # outside the gaps, and the 0.1 footer would not fit anyway.
    article = [0.05, 0.05, 0.95, 0.3, 0.25, 0.9, 0.3, 0.3, 0.3, 0.3, 0.9, 0.4, 0.9, 0.1]
    assert _gap_labels(article) == [
        "navigation:Home", "navigation:News", "article:After mo", "article:The rive",
        "article:The ferr", "article:The rive", "navigation:Get the ",
        "navigation:Your ema", "navigation:We never", "navigation:Sign up",
        "article:Farmers ", "navigation:Read mor", "article:The weat",
        "navigation:Copyrigh"]


def test_a_gap_block_below_the_threshold_keeps_the_whole_gap_out():
    article = [0.05, 0.05, 0.95, 0.3, 0.1, 0.9, 0.3, 0.3, 0.3, 0.3, 0.9, 0.4, 0.9, 0.1]
    labels = _gap_labels(article)
    assert labels[3:5] == ["navigation:The rive", "navigation:The ferr"]
    # One article block, or none: nothing to close.
    one = [0.05, 0.05, 0.95] + [0.3] * 11
    assert [label.split(":")[0] for label in _gap_labels(one)].count("article") == 1
