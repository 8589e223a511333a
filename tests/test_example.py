"""End to end: the shipped model on the example news page (examples/news-page.html)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import boilerkit
from boilerkit.persistence import default_model_path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "news-page.html"
SEED_PARAGRAPH_STARTS = (
    "Pakistan and Russia have reaffirmed their commitment",
    "The understanding was reached during delegation-level talks",
    "Pakistan expressed its intention to deepen political",
    "During the meeting, a memorandum of understanding",
    "At a joint press conference, Overchuk emphasized",
    "Overchuk also mentioned that Russian Prime Minister",
    "Pakistan’s Deputy Prime Minister Dar reiterated",
    "Dar acknowledged the historical ties between Russia",
    "Deputy Prime Minister Overchuk’s visit aligns",
)
NOT_ARTICLE = (
    "Home", "Marketing", "Advertising", "Previous", "Next", "Check Also", "Don’t Miss",
    "Leave a Reply", "Your email address will not be published", "Post Comment",
    "Which country will adopt the $440 billion", "Privacy Policy", "We use cookies",
    "SBP Sees Positive Growth", "Facebook",
)

pytestmark = pytest.mark.skipif(not (default_model_path() / "manifest.json").is_file(),
                                reason="the shipped model is not in models/")


@pytest.fixture(scope="module")
def page() -> boilerkit.Page:
    return boilerkit.classify(EXAMPLE.read_bytes())


def _labels_of(page: boilerkit.Page, pattern: str) -> set[str]:
    found = {block.label for block in page.blocks if re.search(pattern, block.text)}
    assert found, f"no block matches {pattern!r}"
    return found


def test_extract_prints_every_article_paragraph_and_nothing_else():
    text = boilerkit.extract(EXAMPLE.read_bytes())
    for start in SEED_PARAGRAPH_STARTS:
        assert start in text
    lines = text.splitlines()
    for phrase in NOT_ARTICLE:
        assert not any(line.strip().startswith(phrase) for line in lines), phrase


def test_menu_is_navigation(page):
    for item in ("^Home$", "^News$", "^Marketing$", "^Opinion$", "^Contact$"):
        assert _labels_of(page, item) == {"navigation"}, item


def test_related_and_sidebar_cards_are_teasers(page):
    assert _labels_of(page, "^Check Also$") == {"teaser"}
    assert _labels_of(page, "^Don’t Miss$") == {"teaser"}
    for excerpt in ("^Which country will adopt", "^In the fast-paced world of media",
                    "^Tactical media choices", "^Within a week of Walee"):
        assert _labels_of(page, excerpt) == {"teaser"}, excerpt


def test_reply_form_is_comment(page):
    for part in ("^Leave a Reply$", "^Your email address will not be published",
                 "^Name", "^Email", "^Post Comment$"):
        assert _labels_of(page, part) == {"comment"}, part


def test_footer_and_cookie_notice_are_navigation(page):
    for part in ("^© 2025 Madzine", "^We use cookies"):
        assert _labels_of(page, part) == {"navigation"}, part


def test_previous_next_links_are_navigation(page):
    # The guideline (§3) makes previous/next links navigation, although a post headline
    # stands beside each (the model before the repetition features took them for teasers).
    for part in ("^Previous$", "^Next$"):
        assert _labels_of(page, part) == {"navigation"}, part


@pytest.mark.xfail(reason="known miss of the shipped model (more reviewed pages, widget "
                          "heading tokens): the titles are teaser; see the model card",
                   strict=True)
def test_previous_next_post_titles_are_navigation(page):
    # The headlines inside the previous/next links belong to that widget, not to a teaser.
    for title in ("^SBP Sees Positive Growth", "^Pakistan and Russia Partner for New Karachi"):
        assert _labels_of(page, title) == {"navigation"}, title


def test_markdown_keeps_the_subheading_and_the_list():
    markdown = boilerkit.extract(EXAMPLE.read_bytes(), format="markdown")
    assert re.search(r"^#{1,2} Pakistan and Russia", markdown, re.M)
    assert "## Free trade talks with the EEU" in markdown
    assert re.search(r"^- Energy$", markdown, re.M)


def test_cli_extract_on_the_example():
    result = subprocess.run([sys.executable, "-m", "boilerkit", "extract", str(EXAMPLE)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert SEED_PARAGRAPH_STARTS[0] in result.stdout
    assert "Leave a Reply" not in result.stdout


def _extract_length(_: int) -> int:
    return len(boilerkit.extract(EXAMPLE.read_bytes()))


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_extract_works_in_workers_forked_after_the_parent_used_the_model():
    """libgomp hangs in a forked child once the parent ran an OpenMP thread pool."""
    import multiprocessing

    expected = _extract_length(0)
    with multiprocessing.get_context("fork").Pool(2) as pool:
        result = pool.map_async(_extract_length, range(4))
        assert result.get(timeout=120) == [expected] * 4
