"""Tests of boilerkit.page: the labelled page, its selections and its output formats.

Pages are built straight from build_blocks output with chosen labels: no model needed.
"""

from __future__ import annotations

import html as html_escape
import json
import time

import lxml.html
import numpy as np
import pytest
from conftest import compiled_or_python
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from boilerkit import ArgumentError, LabelledBlock, Page, build_blocks, parse_html
from boilerkit import page as page_module
from boilerkit.page import FORMATS, render

LABELS = ("article", "navigation", "teaser", "comment")


def _label_of(block) -> str:
    for element in [block.element, *block.element.iterancestors()]:
        if element.get("data-label"):
            return element.get("data-label")
    return "article"


def _page(body: str, url: str | None = None, title: str | None = None) -> Page:
    blocks = build_blocks(parse_html(f"<html><body>{body}</body></html>"))
    labelled = []
    for block in blocks:
        label = _label_of(block)
        probabilities = {name: (0.7 if name == label else 0.1) for name in LABELS}
        labelled.append(LabelledBlock(block, label, probabilities))
    return Page(labelled, url=url, title=title)


_ARTICLE = (
    "<h1>Title here</h1><h2>Sub heading</h2>"
    "<p>First paragraph.</p><p>Second <b>paragraph</b>.</p>"
    "<ul><li>apple</li><li>pear</li></ul>"
    "<p>Between lists.</p>"
    "<ol><li>one</li><li>two</li><li>three</li></ol>"
    "<table><tr><th>Name</th><th>Age</th></tr><tr><td>Ann</td><td>31</td></tr>"
    "<tr><td>Bob</td><td>4</td></tr></table>"
    "<p>The end.</p>"
)

_FULL = (
    '<nav data-label="navigation"><ul><li><a href="/">Home</a></li><li><a href="/w">World</a></li></ul></nav>'
    + _ARTICLE
    + '<aside data-label="teaser"><p><a href="/r">Related story</a></p></aside>'
    '<section data-label="comment"><p>Nice article!</p><p>I disagree.</p></section>'
)


# --------------------------------------------------------------------------- text

_FIGURES = (
    "<h1>Rain returns</h1><p>The valley had its first rain in months.</p>"
    "<figure><img src=a.jpg><figcaption>The valley on Monday. Photo: A. Lens</figcaption>"
    "</figure><figure><table><tr><td>Monday</td><td>12 mm</td></tr></table></figure>"
    "<div class=credit><figure><p>Drawing by B. Pen</p></figure></div><p>Farmers were glad.</p>"
)


def test_text_leaves_the_text_of_figures_out_unless_asked_for():
    page = _page(_FIGURES)
    for format in FORMATS:
        assert "A. Lens" not in page.render(format) and "B. Pen" not in page.render(format)
        assert "A. Lens" in page.render(format, figures=True)
    assert "A. Lens" not in page.text() and "B. Pen" in page.text(figures=True)
    assert "Farmers were glad." in page.text()
    assert "12 mm" in page.text()  # a figure that holds a table is the table
    # Selecting blocks keeps every block unless told otherwise.
    assert len(page.blocks_with("article")) == len(page.blocks)
    assert [block.text for block in page.blocks_with("article", figures=False)] == [
        "Rain returns", "The valley had its first rain in months.", "Monday", "12 mm",
        "Farmers were glad."]


def test_a_page_whose_chosen_blocks_are_all_figures_keeps_them():
    page = _page("<figure><img src=a.jpg><figcaption>A gallery picture.</figcaption></figure>"
                 "<figure><figcaption>Another one.</figcaption></figure>")
    assert page.text() == page.text(figures=True) == "A gallery picture.\n\nAnother one."

def test_text_separates_paragraphs_by_blank_lines():
    page = _page("<p>First paragraph.</p><p>Second <b>paragraph</b>.</p><div>Third.</div>")
    assert render(page.blocks, "text") == "First paragraph.\n\nSecond paragraph.\n\nThird."


def test_text_list_items_are_dash_lines_and_ordered_items_numbered():
    page = _page("<p>Intro.</p><ul><li>apple</li><li>pear</li></ul><p>Middle.</p>"
                 "<ol><li>one</li><li>two</li><li>three</li></ol>")
    assert render(page.blocks, "text") == (
        "Intro.\n\n- apple\n- pear\n\nMiddle.\n\n1. one\n2. two\n3. three")


def test_text_tables_are_rows():
    page = _page("<table><tr><th>Name</th><th>Age</th></tr><tr><td>Ann</td><td>31</td></tr></table>"
                 "<p>After.</p>")
    assert render(page.blocks, "text") == "Name\tAge\nAnn\t31\n\nAfter."


def test_text_table_cell_with_pipe_is_not_escaped():
    page = _page("<table><tr><td>a|b</td><td>c</td></tr></table>")
    assert render(page.blocks, "text") == "a|b\tc"


def test_page_text_selects_the_label():
    page = _page(_FULL)
    assert page.text("comment") == "Nice article!\n\nI disagree."
    assert page.text("navigation") == "- Home\n- World"
    article = page.text()
    assert article.startswith("Title here\n\nSub heading\n\nFirst paragraph.")
    assert article.endswith("The end.")
    assert "Home" not in article and "Related story" not in article and "Nice article" not in article
    both = page.text(("article", "comment"))
    assert both == article + "\n\nNice article!\n\nI disagree."
    assert page.text("no-such-label") == ""


# --------------------------------------------------------------------------- markdown

def test_markdown_keeps_headings_lists_and_a_pipe_table():
    page = _page(_ARTICLE)
    assert render(page.blocks, "markdown") == (
        "# Title here\n\n"
        "## Sub heading\n\n"
        "First paragraph.\n\n"
        "Second paragraph.\n\n"
        "- apple\n- pear\n\n"
        "Between lists.\n\n"
        "1. one\n2. two\n3. three\n\n"
        "| Name | Age |\n| --- | --- |\n| Ann | 31 |\n| Bob | 4 |\n\n"
        "The end."
    )


def test_markdown_escapes_pipes_in_cells_and_pads_short_rows():
    page = _page("<table><tr><td>a|b</td><td>c</td></tr><tr><td>d</td></tr></table>")
    assert render(page.blocks, "markdown") == "| a\\|b | c |\n| --- | --- |\n| d |  |"


def test_markdown_pre_and_blockquote():
    page = _page("<pre>def f():\n    return 1</pre><blockquote>Quoted words.</blockquote>")
    assert render(page.blocks, "markdown") == "```\ndef f():\n    return 1\n```\n\n> Quoted words."


def test_pre_code_keeps_its_lines_but_not_scripts_and_not_the_text_of_nested_blocks():
    page = _page("<pre>  a\n  b<script>evil()</script> <b>c</b>\n</pre>"
                 "<pre>x<div>inner</div>y</pre>")
    assert render(page.blocks, "markdown") == (
        "```\n  a\n  b c\n```\n\n```\nx\n```\n\ninner\n\n```\ny\n```")
    html = render(page.blocks, "html")
    assert "evil" not in html and html.count("inner") == 1
    assert "<pre>  a\n  b c</pre>" in html


def test_nested_pre_elements_render_in_linear_time():
    # Regression (fuzz/run.py): every pre took the text of its whole subtree, so nested
    # pre elements cost quadratic time (and repeated the text of the inner ones).
    n = 1_500
    page = _page("<pre>" + ("line of code " * 80 + "\n<pre>") * n + "end" + "</pre>" * (n + 1))
    assert len(page) == n + 1
    started = time.perf_counter()
    for format in ("markdown", "html"):
        out = render(page.blocks, format)
        assert out.count("line of code") == 80 * n
    assert time.perf_counter() - started < 10


def test_a_pre_split_into_many_blocks_is_read_once():
    # Each of its blocks used to walk the inline elements before the first div again.
    n = 3_000
    page = _page("<pre>" + "<b>code</b> " * 20_000 + "<div>a</div>b" * n + "</pre>")
    assert len(page) == 2 * n + 1
    started = time.perf_counter()
    out = render(page.blocks, "markdown")
    assert time.perf_counter() - started < 10
    assert out.count("```\nb\n```") == n


def test_markdown_code_fence_is_longer_than_backticks_in_the_code():
    page = _page("<pre>a\n```\nb</pre><p>After.</p>")
    out = render(page.blocks, "markdown")
    assert out == "````\na\n```\nb\n````\n\nAfter."
    assert _md.render(out).endswith("<p>After.</p>\n")


# --------------------------------------------------------------------------- markdown escaping

_md = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def _markdown_of(body: str) -> str:
    return render(_page(body).blocks, "markdown")


@pytest.mark.parametrize("body, expected", [
    # a tag in the text must not become raw HTML
    ("<p>a &lt;img src=x onerror=alert(1)&gt;</p>", "a \\<img src=x onerror=alert(1)>"),
    ("<p># b</p>", "\\# b"),
    ("<p>- not a list</p><p>+ nor this</p><p>* nor this</p>",
     "\\- not a list\n\n\\+ nor this\n\n\\* nor this"),
    ("<p>1. not a list</p><p>2024. A year</p>", "1\\. not a list\n\n2024\\. A year"),
    ("<p>&gt; not a quote</p>", "\\> not a quote"),
    ("<p>*not bold* and _not italic_ and `not code`</p>",
     "\\*not bold\\* and \\_not italic\\_ and \\`not code\\`"),
    ("<p>[not a link](http://x) &amp;copy;</p>", "\\[not a link\\](http://x) \\&copy;"),
    ("<p>---</p>", "\\---"),
    ("<h2>Issue #</h2>", "## Issue \\#"),
    ("<ul><li># in an item</li><li>1. nested?</li></ul>", "- \\# in an item\n- 1\\. nested?"),
    ("<blockquote>- item in a quote</blockquote>", "> \\- item in a quote"),
    ("<table><tr><td>a|b *c*</td></tr></table>", "| a\\|b \\*c\\* |\n| --- |"),
])
def test_markdown_escapes_text_that_would_be_markup(body, expected):
    assert _markdown_of(body) == expected


@pytest.mark.parametrize("text", [
    "2 * 3 = 6", "snake_case_name", "a < b and c > d", "C# and F#", "Mr. Smith paid $5 (or 4).",
    "Q&A: rock & roll", "one [ bracket", "~5 minutes", "C:\\Users\\ann", "Caf\u00e9 #1 in town",
])
def test_markdown_leaves_text_alone_that_cannot_be_misread(text):
    assert _markdown_of(f"<p>{html_escape.escape(text)}</p>") == text


_MARKUP_PIECES = list("ab1 #*_-+>`<&[]()|~\\!=.:;/\"'{}$%^@?") + [
    "&amp;", "<a>", "&#1;", "http://", "1.", "1)", "\u00e9", "</", "<!--", "<?", "]:", "![",
    "***", "---", "```", "~~~", "==="]
_block_texts = st.lists(st.sampled_from(_MARKUP_PIECES), min_size=1, max_size=16).map(
    lambda pieces: " ".join("".join(pieces).split())).filter(bool)


def _rendered_text(html: str, tag: str) -> list[str]:
    return [element.text_content() for element in lxml.html.fragment_fromstring(
        html, create_parent="div").iter(tag)]


@settings(max_examples=150, deadline=None)
@given(_block_texts)
def test_markdown_of_any_text_renders_back_to_that_text(text):
    # CommonMark (with GFM tables and strikethrough) reads each block back as plain text.
    escaped = html_escape.escape(text)
    body = (f"<p>{escaped}</p><h3>{escaped}</h3><ul><li>{escaped}</li></ul>"
            f"<blockquote>{escaped}</blockquote><table><tr><td>{escaped}</td></tr></table>")
    html = _md.render(_markdown_of(body))
    assert _rendered_text(html, "p") == [text, text]  # the paragraph and the quote
    assert _rendered_text(html, "li") == [text]
    assert _rendered_text(html, "h3") == [text]
    assert _rendered_text(html, "th") == [text]
    for tag in ("em", "strong", "code", "a", "img", "h1", "h2", "hr", "ol", "s", "del"):
        assert _rendered_text(html, tag) == [], tag


# --------------------------------------------------------------------------- html

def test_html_output_parses_with_the_structure():
    page = _page(_ARTICLE)
    root = lxml.html.fragment_fromstring(render(page.blocks, "html"))
    assert root.tag == "article"
    assert [child.tag for child in root] == ["h1", "h2", "p", "p", "ul", "p", "ol", "table", "p"]
    assert root.find("h1").text == "Title here"
    assert [li.text for li in root.find("ul")] == ["apple", "pear"]
    assert [li.text for li in root.find("ol")] == ["one", "two", "three"]
    rows = root.findall(".//tr")
    assert [[cell.tag for cell in row] for row in rows] == [["th", "th"], ["td", "td"], ["td", "td"]]
    assert [[cell.text for cell in row] for row in rows] == [["Name", "Age"], ["Ann", "31"], ["Bob", "4"]]


def test_html_output_escapes_text():
    page = _page("<p>1 &lt; 2 &amp; &lt;script&gt;alert(1)&lt;/script&gt;</p>")
    assert page.blocks[0].text == "1 < 2 & <script>alert(1)</script>"
    out = render(page.blocks, "html")
    assert "<script>" not in out
    root = lxml.html.fragment_fromstring(out)
    assert root.find("p").text == "1 < 2 & <script>alert(1)</script>"


# --------------------------------------------------------------------------- json

def test_json_output_parses_with_blocks():
    page = _page(_FULL, url="https://example.org/a", title="A title")
    data = json.loads(render(page.blocks, "json", page=page))
    assert data["url"] == "https://example.org/a" and data["title"] == "A title"
    assert len(data["blocks"]) == len(page)
    assert [b["label"] for b in data["blocks"]] == page.labels
    assert [b["text"] for b in data["blocks"]] == [b.text for b in page]
    assert [b["xpath"] for b in data["blocks"]] == [b.xpath for b in page]
    assert data["text"] == render(page.blocks, "text")


def test_json_keeps_non_ascii():
    page = _page("<p>\u65e5\u672c\u8a9e caf\u00e9</p>")
    out = render(page.blocks, "json", page=page)
    assert "\u65e5\u672c\u8a9e caf\u00e9" in out
    assert json.loads(out)["blocks"][0]["text"] == "\u65e5\u672c\u8a9e caf\u00e9"


def test_every_format_renders_an_empty_selection():
    page = _page(_FULL)
    for fmt in ("text", "markdown", "html"):
        assert render(page.blocks_with("no-such-label"), fmt, page=page) == ""
        assert render([], fmt) == ""
    document = json.loads(render(page.blocks_with("no-such-label"), "json", page=page))
    assert document["blocks"] == [] and document["text"] == "" and document["url"] == page.url
    assert json.loads(render([], "json"))["blocks"] == []


def test_unknown_format_raises_value_error():
    with pytest.raises(ValueError, match="pdf") as info:
        render(_page("<p>x</p>").blocks, "pdf")
    assert isinstance(info.value, ArgumentError)


# --------------------------------------------------------------------------- selections and dicts

def test_blocks_with_one_label_or_several():
    page = _page(_FULL)
    assert [b.text for b in page.blocks_with("teaser")] == ["Related story"]
    assert [b.text for b in page.blocks_with("comment")] == ["Nice article!", "I disagree."]
    several = page.blocks_with(["teaser", "comment"])
    assert [b.text for b in several] == ["Related story", "Nice article!", "I disagree."]
    assert page.blocks_with({"teaser", "comment"}) == several
    assert page.blocks_with(("navigation",)) == page.blocks_with("navigation")
    assert page.blocks_with() == page.blocks_with("article")
    assert sum(len(page.blocks_with(label)) for label in LABELS) == len(page)


def test_page_container_protocol_and_labels():
    page = _page(_FULL)
    assert len(page) == len(page.blocks) == len(list(page))
    assert page.labels == [b.label for b in page]
    assert page.labels[:2] == ["navigation", "navigation"]
    assert len(Page()) == 0 and Page().labels == [] and Page().text() == ""


def test_labelled_block_properties_and_to_dict():
    page = _page(_FULL, url="u", title="t")
    block = page.blocks_with("teaser")[0]
    assert block.text == "Related story" and block.tag == "p"
    assert block.xpath == block.block.xpath
    assert block.probability == pytest.approx(0.7)
    as_dict = block.to_dict()
    assert as_dict["label"] == "teaser" and as_dict["text"] == "Related story"
    assert as_dict["probabilities"]["teaser"] == 0.7
    assert as_dict["position"] == block.block.position
    page_dict = page.to_dict()
    assert page_dict["url"] == "u" and page_dict["title"] == "t"
    assert len(page_dict["blocks"]) == len(page)
    assert json.loads(json.dumps(page_dict)) == page_dict


def test_ordered_lists_honour_start_and_pre_keeps_its_lines_in_html():
    page = _page('<ol start="4"><li>four</li><li>five</li></ol><pre>line one\n  line two</pre>')
    text = page.text()
    assert "4. four\n5. five" in text
    assert "<pre>line one\n  line two</pre>" in render(page.blocks_with("article"), "html")


@pytest.mark.parametrize("start, first", [("3", 3), (" 7th", 7), ("-2", -2), ("+4", 4), ("x", 1),
                                          ("", 1), ("1" * 10, 1), ("9" * 4300, 1)])
def test_ol_start_is_read_as_browsers_do_and_absurd_values_are_ignored(start, first):
    # Regression: start="9"*4300 overflowed Python's int-to-str limit: ValueError on render.
    page = _page(f'<ol start="{start}"><li>a</li><li>b</li></ol><ul><li>c</li></ul>')
    assert page.text() == f"{first}. a\n{first + 1}. b\n- c"
    html = lxml.html.fragment_fromstring(render(page.blocks, "html"))
    assert [child.tag for child in html] == ["ol", "ul"]


def test_long_lists_render_in_linear_time():
    # Regression: each item counted its preceding siblings, and items were appended to
    # one growing string: quadratic, over two minutes for these 20,000 items (now seconds).
    n = 10_000
    page = _page("<ol>" + "<li>x</li>" * n + "</ol><ul>" + "<li>y</li>" * n + "</ul>")
    started = time.perf_counter()
    outputs = {format: render(page.blocks, format, page=page) for format in FORMATS}
    assert time.perf_counter() - started < 30
    assert outputs["text"].startswith("1. x\n2. x\n") and f"\n{n}. x\n- y\n" in outputs["text"]
    assert outputs["markdown"] == outputs["text"]
    assert outputs["html"].count("<li>") == 2 * n


def test_extract_rejects_an_unknown_format_before_classifying():
    import boilerkit

    with pytest.raises(ValueError, match="unknown format"):
        boilerkit.extract("<p>x</p>", format="pdf", model=object())


@pytest.fixture(params=["compiled", "python"])
def page_path(request, monkeypatch) -> str:
    return compiled_or_python(request, monkeypatch, page_module)


def test_labelled_blocks_of_both_paths_are_equal(page_path):
    blocks = build_blocks(parse_html("<html><body><nav><a href='/'>Home</a></nav>"
                                     "<p>A paragraph.</p><p>Another one.</p></body></html>"))
    scores = np.asarray([[0.1, 0.7, 0.1, 0.1], [0.6, 0.2, 0.1, 0.1], [0.3, 0.1, 0.1, 0.5]])
    made = page_module.labelled_blocks(blocks, np.asarray([1, 0, 3]), scores, list(LABELS))
    assert [(b.block, b.label) for b in made] == list(zip(blocks, ["navigation", "article",
                                                                   "comment"]))
    assert made[2].probabilities == dict(zip(LABELS, scores[2].tolist()))
    assert made[2].probability == 0.5 and type(made[0]) is LabelledBlock
    with pytest.raises((ValueError, IndexError)):  # a label index the model does not have
        page_module.labelled_blocks(blocks, np.asarray([0, 1, 4]), scores, LABELS)
