"""Tests of boilerkit.blocks: what a block is and what it knows about itself."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import lxml.etree
import lxml.html
import pytest
from conftest import compiled_or_python

from boilerkit import InputError, build_blocks, parse_html
from boilerkit import blocks as blocks_module
from boilerkit.blocks import CONTEXT_NAMES, NUMBER_FIELDS

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True, params=["compiled", "python"])
def walk(request, monkeypatch):
    """Run every test on the compiled walk and on the pure-Python one."""
    return compiled_or_python(request, monkeypatch, blocks_module)


def _blocks(body: str, head: str = ""):
    return build_blocks(parse_html(f"<html><head>{head}</head><body>{body}</body></html>"))


def _texts(body: str) -> list[str]:
    return [block.text for block in _blocks(body)]


# --------------------------------------------------------------------------- block definition

def test_none_root_gives_no_blocks():
    assert build_blocks(None) == []


def test_inline_tags_stay_inside_the_block():
    blocks = _blocks('<p>Some <b>bold</b>, <i>italic</i>, <a href="#">linked <em>em</em></a> '
                     "and <span>spanned <code>code</code></span> text.</p>")
    assert [b.text for b in blocks] == ["Some bold, italic, linked em and spanned code text."]
    assert blocks[0].tag == "p"


def test_block_level_child_splits_text_into_two_blocks_with_one_xpath():
    blocks = _blocks("<div>Before the child <p>The child paragraph</p> after the child</div>")
    assert [b.text for b in blocks] == ["Before the child", "The child paragraph", "after the child"]
    before, child, after = blocks
    assert before.xpath == after.xpath == "/html/body[1]/div[1]"
    assert before.element is after.element
    assert child.xpath == "/html/body[1]/div[1]/p[1]"
    assert [b.position for b in blocks] == [0, 1, 2]


def test_whitespace_only_blocks_are_dropped():
    assert _texts("<p>   </p><div>\n\t </div><p>&nbsp;</p><p>real</p><div><span> </span></div>") == ["real"]


def test_script_style_noscript_template_and_comments_are_ignored():
    blocks = _blocks(
        "<p>keep<script>var bad = 1;</script> this<style>p{}</style> text</p>"
        "<noscript><p>enable js</p></noscript><template><p>template text</p></template>"
        "<p>a<!-- a comment -->b</p>",
        head="<title>Title text</title><style>body{}</style>")
    assert [b.text for b in blocks] == ["keep this text", "ab"]


def test_comment_tail_in_caller_lxml_tree_is_kept():
    root = lxml.html.document_fromstring("<html><body><p>a<!-- c -->b</p></body></html>")
    assert [b.text for b in build_blocks(root)] == ["ab"]


def test_br_does_not_split():
    blocks = _blocks("<p>line one<br>line two<br/>line three</p>")
    assert [b.text for b in blocks] == ["line one line two line three"]


def test_xpath_finds_the_element_again():
    blocks = _blocks(
        "<header><nav><ul><li><a href='/'>Home</a></li><li><a href='/x'>X</a></li></ul></nav></header>"
        "<main><article><h1>Title</h1><p>One</p><p>Two<span>three</span></p>"
        "<div>Lead<p>child</p>tail</div></article></main>"
        "<table><tr><td>c1</td><td>c2</td></tr><tr><td>c3</td></tr></table><footer>Foot</footer>")
    assert [b.text for b in blocks] == ["Home", "X", "Title", "One", "Twothree", "Lead", "child",
                                        "tail", "c1", "c2", "c3", "Foot"]
    root = blocks[0].element.getroottree()
    for block in blocks:
        found = root.xpath(block.xpath)
        assert len(found) == 1
        assert found[0] is block.element


def test_link_text_length_and_link_count():
    (block,) = _blocks('<p>See <a href="/docs">the docs</a> and <a href="/faq">FAQ</a> now.</p>')
    assert block.text == "See the docs and FAQ now."
    assert block.link_count == 2
    assert block.link_text_length == len("thedocs") + len("FAQ")  # whitespace not counted
    (plain,) = _blocks("<p>No links here.</p>")
    assert plain.link_count == 0 and plain.link_text_length == 0
    (nested,) = _blocks('<p><a href="#">go <b>there</b></a> later</p>')
    assert nested.link_count == 1 and nested.link_text_length == len("gothere")


@pytest.mark.parametrize("href, length", [
    ("/news/", 6),
    ("https://example.com/2024/05/rain-returns?page=2#comments", len("/2024/05/rain-returns?page=2")),
    ("//example.com/story", len("/story")),
    ("HTTP://example.com", 0),
    ("https://example.com?q=1", len("?q=1")),
    ("  relative/story-é.html \n", len("relative/story-é.html".encode())),
    ("#top", 0), ("mailto:a@example.com", 0), ("javascript:void(0)", 0), ("tel:+1555", 0),
    ("", 0), (None, 0), ("/" + "x" * 300, blocks_module.MAX_LINK_TARGET),
    ("a:b/c", 0), ("no-scheme:/x", 0), ("1:2//x", 0), ("./a:b", len("./a:b")),
])
def test_link_target_length(href, length):
    assert blocks_module.link_target_length(href) == length


def test_link_targets_of_a_block_and_of_the_blocks_inside_a_link():
    blocks = _blocks(
        '<ul><li><a href="/news/">News</a> <a href="https://x.org/sport#top">Sport</a></li></ul>'
        '<div class="card"><a href="/2024/05/rain-returns"><h3>Rain returns</h3>'
        '<p>The valley <a href="#more">more</a></p></a></div>'
        '<p>Mail <a href="mailto:a@b.c">us</a>, read <a href=" story-é.html ">this</a>.</p>')
    targets = {block.text: block.link_target_length for block in blocks}
    assert targets["News Sport"] == len("/news/") + len("/sport")
    # The card's link wraps block elements: they carry its target (and their own links').
    assert targets["Rain returns"] == len("/2024/05/rain-returns")
    assert targets["The valley more"] == len("/2024/05/rain-returns") + 0
    assert targets["Mail us, read this."] == len("story-é.html".encode())
    column = NUMBER_FIELDS.index("link_target_length")
    assert list(blocks.numbers[:, column]) == [block.link_target_length for block in blocks]


@pytest.mark.parametrize("href, words", [
    ("/2024/05/rain-returns-to-the-valley", 5), ("/news/", 1), ("/news", 1),
    ("https://example.com/a/rain_returns+today.html?page=2#c", 3), ("https://example.com", 0),
    ("https://example.com/?p=12-34", 0), ("/2024/05/", 1), ("x.tar.gz", 2), (".html", 0),
    ("/html", 1), ("/a.bcdefg", 2), ("/--a--b--/", 2), ("#top-of-page", 0),
    ("mailto:a-b@c.d", 0), ("", 0), (None, 0), ("/" + "-w" * 40, blocks_module.MAX_SLUG_WORDS),
])
def test_link_slug_words(href, words):
    assert blocks_module.link_slug_words(href) == words


def test_link_slug_words_of_a_block_and_of_the_blocks_inside_a_link():
    blocks = _blocks(
        '<ul><li><a href="/news/">News</a> <a href="/sport/local-teams">Local</a></li></ul>'
        '<div class="card"><a href="/2024/05/rain-returns"><h3>Rain returns</h3>'
        '<p>The valley <a href="/more-on-rain/">more</a></p></a></div><p>No links.</p>')
    slugs = {block.text: block.link_slug_words for block in blocks}
    assert slugs == {"News Local": 1 + 2, "Rain returns": 2, "The valley more": 2 + 3,
                     "No links.": 0}
    column = NUMBER_FIELDS.index("link_slug_words")
    assert list(blocks.numbers[:, column]) == [block.link_slug_words for block in blocks]


@pytest.mark.parametrize("rel, flags", [
    ("next", 1), ("PREV", 1), ("bookmark", 2), ("category tag", 4), ("author", 8),
    ("external nofollow ugc", 16 | 64), ("home", 32), ("privacy-policy", 32),
    ("noopener noreferrer", 0), (" \tbookmark\n", 2), ("nofollow,", 0), ("", 0), (None, 0),
    ("nextpage", 0), ("ＮＥＸＴ", 0),
])
def test_link_rel_flags(rel, flags):
    assert blocks_module.link_rel_flags(rel) == flags


def test_link_rels_of_a_block_and_of_the_blocks_inside_a_link():
    blocks = _blocks(
        '<p>By <a rel="author" href="/a">Ann</a>, in <a rel="category tag" href="/t">Rain</a></p>'
        '<a rel="bookmark" href="/2024/05/rain-returns"><h3>Rain returns</h3>'
        '<p>The valley <a rel="nofollow" href="/x">more</a></p></a>'
        '<div class="nav"><a rel="prev" href="/1">Older</a> <a href="/3">Newer</a></div>'
        '<p>No links.</p>')
    flags = blocks_module.LINK_REL_FLAGS
    rels = {block.text: block.link_rels for block in blocks}
    assert rels == {"By Ann, in Rain": flags["author"] | flags["tag"],
                    "Rain returns": flags["bookmark"],
                    "The valley more": flags["bookmark"] | flags["nofollow"],
                    "Older Newer": flags["pagination"], "No links.": 0}
    column = NUMBER_FIELDS.index("link_rels")
    assert list(blocks.numbers[:, column]) == [block.link_rels for block in blocks]


def test_image_and_input_counts():
    (block,) = _blocks('<form><p>Name <input name="n"> <img src="a.png"><img src="b.png"> '
                       '<button>Go</button></p></form>')
    assert block.image_count == 2
    assert block.input_count == 2


# --------------------------------------------------------------------------- context flags

@pytest.mark.parametrize("html, flag", [
    ("<nav><p>x</p></nav>", "nav"),
    ("<header><p>x</p></header>", "header"),
    ("<footer><p>x</p></footer>", "footer"),
    ("<aside><p>x</p></aside>", "aside"),
    ("<form><p>x</p></form>", "form"),
    ("<ul><li>x</li></ul>", "li"),
    ("<table><tr><td>x</td></tr></table>", "table"),
    ("<article><p>x</p></article>", "article"),
    ('<div role="navigation"><p>x</p></div>', "role_navigation"),
    ('<div role="Navigation "><p>x</p></div>', "role_navigation"),
    ("<h2>x</h2>", "heading"),
    ("<div hidden><p>x</p></div>", "hidden"),
    ('<div aria-hidden="true"><p>x</p></div>', "hidden"),
    ('<div style="color: red; display: none"><p>x</p></div>', "hidden"),
    ('<p style="visibility:hidden">x</p>', "hidden"),
])
def test_context_flags(html, flag):
    (block,) = _blocks(html)
    assert block.in_context(flag)
    # role="navigation" also reads as the class token "navigation", which sets "nav".
    expected_others = ["nav"] if flag == "role_navigation" else []
    others = [name for name in CONTEXT_NAMES if name != flag and block.in_context(name)]
    assert others == expected_others


@pytest.mark.parametrize("html, flag", [
    ('<div id="sidebar"><p>x</p></div>', "aside"),
    ('<div class="site-footer"><p>x</p></div>', "footer"),
    ('<ul class="main-menu"><li>x</li></ul>', "nav"),
    ('<div id="comments"><p>x</p></div>', "comments"),
    ('<div class="related-posts"><p>x</p></div>', "related"),
    ('<div class="entry-content"><p>x</p></div>', "article"),
])
def test_class_tokens_set_the_same_flags_as_html5_elements(html, flag):
    (block,) = _blocks(html)
    assert block.in_context(flag)


def test_plain_paragraph_has_no_context():
    (block,) = _blocks("<div><p>x</p></div>")
    assert block.context == 0
    assert not any(block.in_context(name) for name in CONTEXT_NAMES)


def test_visible_style_and_aria_false_are_not_hidden():
    blocks = _blocks('<p style="display: block">a</p><p aria-hidden="false">b</p>')
    assert [b.in_context("hidden") for b in blocks] == [False, False]


def test_context_is_inherited_by_descendants():
    (block,) = _blocks("<nav><div><ul><li><span>deep</span></li></ul></div></nav>")
    assert block.in_context("nav") and block.in_context("li")


# --------------------------------------------------------------------------- tokens

def test_class_tokens_split_hyphens_and_keep_the_compound():
    (block,) = _blocks('<div class="post-navigation">x</div>')
    assert block.own_tokens == ("post-navigation", "post", "navigation")


def test_camel_case_id_is_split():
    (block,) = _blocks('<div id="mainContent">x</div>')
    assert block.own_tokens == ("main", "content")


def test_digit_only_parts_are_dropped():
    (block,) = _blocks('<div class="post-1234 2024 col_3">x</div>')
    assert block.own_tokens == ("post", "col")


def test_ancestor_and_inner_tokens():
    (block,) = _blocks('<section class="comments"><p class="reply">Hi <span class="author">Ann</span></p></section>')
    assert block.own_tokens == ("reply",)
    assert block.ancestor_tokens == ("comments",)
    assert block.inner_tokens == ("author",)
    assert block.tag_path == ("html", "body", "section", "p")


# --------------------------------------------------------------------------- depth, position, text

def test_depth_and_position():
    blocks = _blocks("<p>a</p><div><p>b</p><div><p>c</p></div></div><p>d</p>")
    assert [b.text for b in blocks] == ["a", "b", "c", "d"]
    # html is depth 0, body 1
    assert [b.depth for b in blocks] == [2, 3, 4, 2]
    assert [b.position for b in blocks] == [0, 1, 2, 3]


def test_cjk_text_is_kept():
    text = "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3067\u3059\u3002\u4e2d\u6587\u3002\ud55c\uad6d\uc5b4"
    assert _texts(f"<p>{text}</p>") == [text]


# --------------------------------------------------------------------------- deep and wide pages

def _nested(depth: int) -> str:
    return "<html><body>" + "<div>" * depth + "deep text" + "</div>" * depth + "</body></html>"


def test_10000_deep_nesting_raises_input_error_not_recursion_error():
    with pytest.raises(InputError) as info:
        build_blocks(parse_html(_nested(10_000)))
    assert not isinstance(info.value, RecursionError)
    assert "depth" in str(info.value).lower()


def test_1500_deep_nesting_works():
    blocks = build_blocks(parse_html(_nested(1_500)))
    assert [b.text for b in blocks] == ["deep text"]
    assert blocks[0].depth == 1 + 1_500


def test_walk_is_iterative_on_a_10000_deep_tree_built_without_the_parser():
    root = lxml.etree.Element("html")
    element = lxml.etree.SubElement(root, "body")
    for _ in range(10_000):
        element = lxml.etree.SubElement(element, "div")
    element.text = "bottom"
    blocks = build_blocks(root)
    assert [b.text for b in blocks] == ["bottom"]
    assert blocks[0].depth == 1 + 10_000
    assert blocks[0].element is element
    # (libxml2's XPath evaluator itself refuses a 10,000-step path, so no round trip here)
    assert blocks[0].xpath == "/html/body[1]" + "/div[1]" * 10_000


# The 200,000-sibling page runs in a child process with a generous timeout: a linear
# walk takes a few seconds, a quadratic one minutes. The timeout only keeps the test
# suite within its budget; the assertion is on the block count.
_WIDE_SCRIPT = textwrap.dedent("""
    import time
    from boilerkit import build_blocks, parse_html
    html = "<html><body>" + "<p>x</p>" * 200_000 + "</body></html>"
    start = time.perf_counter()
    blocks = build_blocks(parse_html(html, max_bytes=None))
    print(len(blocks), round(time.perf_counter() - start, 2))
""")


def test_walk_is_linear_on_200000_sibling_paragraphs(walk):
    if walk == "python":
        pytest.skip("the subprocess uses the walk the package has")
    result = subprocess.run([sys.executable, "-c", _WIDE_SCRIPT], cwd=REPO, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    count, seconds = result.stdout.split()
    assert int(count) == 200_000


def test_wide_page_blocks_and_xpaths_are_right_at_moderate_size():
    n = 2_000
    blocks = _blocks("<p>x</p>" * n)
    assert len(blocks) == n
    assert blocks[-1].xpath == f"/html/body[1]/p[{n}]"


def test_a_link_outside_any_block_does_not_leak_link_text_into_later_blocks():
    fragment = lxml.html.fragment_fromstring(
        '<span><a href="#">x</a><div>plain text, no link</div></span>')
    (block,) = [b for b in build_blocks(fragment) if b.text.startswith("plain")]
    assert block.link_text_length == 0 and block.link_count == 0


def test_page_arrays_agree_with_the_blocks():
    blocks = _blocks('<div class="a"><p>one <a href="#">link</a></p><ul><li>two</li>'
                     '<li><img src="x"> three</li></ul></div>')
    assert blocks.numbers.shape == (len(blocks), len(NUMBER_FIELDS))
    for block, row in zip(blocks, blocks.numbers):
        assert [getattr(block, name) for name in NUMBER_FIELDS] == list(row)
    # each block's first ancestor is its element's parent
    assert [row[0] for row in blocks.ancestor_ids] == [block.parent_id for block in blocks]
    # subtree of the div: all three blocks; "one" has 3 visible chars plus 4 of link text
    div_stats = blocks.ancestor_stats[0, 1]  # the p's parent is the div
    assert list(div_stats) == [len("onelinktwothree"), len("link"), 3]


def test_title_is_kept():
    blocks = _blocks("<p>x</p>", head="<title>  A   title </title>")
    assert blocks.title == "A title"


def test_release_element_keeps_the_xpath():
    blocks = _blocks("<div><p>a</p><p>b</p></div>")
    xpath = blocks[1].xpath
    blocks.release_elements()
    assert blocks[1].element is None and blocks[1].xpath == xpath
