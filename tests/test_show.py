"""The show view without a browser: marking blocks, the sanitizer, the CLI command.

What the view looks like and that nothing in it runs is checked in Chromium
by ``test_browser.py``.
"""

from __future__ import annotations

import json
import re

import lxml.etree
import pytest

from boilerkit.blocks import build_blocks
from boilerkit.cli import main
from boilerkit.parse import parse_html
from boilerkit.sanitize import make_safe, sanitize_css
from boilerkit.show import build_view, mark_blocks

from viewing import EXAMPLE, HOSTILE_HTML, example_root, rule_page


def _view_tree(view: str):
    return lxml.etree.fromstring(view.encode("utf-8"), lxml.etree.HTMLParser())


def _marked(tree) -> dict[int, list]:
    nodes: dict[int, list] = {}
    for element in tree.iterfind(".//*[@data-bk]"):
        nodes.setdefault(int(element.get("data-bk")), []).append(element)
    return nodes


def _text(nodes) -> str:
    texts = [t for node in nodes for t in node.xpath(".//text()[not(ancestor::script)]")]
    return " ".join("".join(texts).split())


@pytest.mark.parametrize("html", [
    "<div>Posted in <p>news</p> by Ann</div>",
    "<div><a href='#'><span>Previous</span><h3>Older story</h3></a></div>",
    "<li>Menu <em>one</em><ul><li>sub</li></ul> tail <b>bold</b></li>",
    "<div>before <span>in <a>link <p>para</p> after link</a> more</span> end<p>x</p></div>",
    "<div>a<script>ignored()</script><p>b</p>c<input type='submit' value='Go'></div>",
])
def test_every_block_is_marked_once_with_its_own_text(html):
    root = parse_html(f"<html><body>{html}</body></html>")
    blocks = build_blocks(root)
    nodes = mark_blocks([block.element for block in blocks],
                        [{"data-bk": str(i)} for i in range(len(blocks))])
    for i, block in enumerate(blocks):
        assert nodes[i], f"block {i} {block.text!r} is not marked"
        shown = _text(nodes[i]) + "".join(f" {n.get('value')}" for node in nodes[i]
                                          for n in node.iter("input"))
        assert " ".join(shown.split()) == block.text
    # No marked node holds another, so no tint is painted over another.
    for marked in nodes:
        for node in marked:
            assert not [d for d in node.iterdescendants() if d.get("data-bk") is not None]


def test_text_runs_between_child_blocks_are_wrapped_in_spans():
    root = parse_html("<html><body><div id='c'>Posted in <p>news</p> by Ann</div></body></html>")
    blocks = build_blocks(root)
    assert [b.text for b in blocks] == ["Posted in", "news", "by Ann"]
    nodes = mark_blocks([b.element for b in blocks], [{"data-bk": str(i)} for i in range(3)])
    assert [node.tag for node in nodes[0]] == ["span"] and nodes[0][0].getparent().get("id") == "c"
    assert nodes[1][0].tag == "p"
    assert [node.tag for node in nodes[2]] == ["span"]


def test_view_marks_every_block_of_the_example_and_leaves_the_input_alone():
    root = example_root()
    before = lxml.etree.tostring(root)
    page = rule_page(root)
    view = build_view(root, page)
    assert lxml.etree.tostring(root) == before
    tree = _view_tree(view)
    marked = _marked(tree)
    assert sorted(marked) == list(range(len(page.blocks)))
    for i, block in enumerate(page.blocks):
        assert {node.get("data-bk-label") for node in marked[i]} == {block.label}
        assert _text(marked[i]) == block.text
    data = json.loads(tree.find(".//script[@id='boilerkit-data']").text)
    assert data["labels"] == ["article", "navigation", "teaser", "comment"]
    assert [b["l"] for b in data["blocks"]] == page.labels
    assert data["blocks"][0]["r"] == ["article", 0.05]  # the runner-up


def test_view_has_a_strict_policy_and_loads_nothing_of_its_own():
    view = build_view(example_root(), rule_page(example_root()))
    tree = _view_tree(view)
    head = tree.find("head")
    assert head[0].get("charset") == "utf-8"
    policy = head[1].get("content")
    assert head[1].get("http-equiv") == "Content-Security-Policy"
    assert "default-src 'none'" in policy and "script-src 'sha256-" in policy
    assert "connect-src 'none'" in policy and "form-action 'none'" in policy
    scripts = tree.findall(".//script")
    assert [s.get("type") for s in scripts] == ["application/json", None]
    assert not tree.findall(".//link") and not tree.findall(".//iframe")
    assert not re.search(r"""(src|href)=["']?https?:""", view.split("<body", 1)[1].split(
        "boilerkit-data", 1)[1])


def test_sanitizer_removes_everything_that_runs_or_loads():
    root = parse_html(HOSTILE_HTML)
    make_safe(root)
    html = lxml.etree.tostring(root, method="html", encoding="unicode")
    for tag in ("script", "iframe", "object", "embed", "noscript", "noembed", "base", "link",
                "animate"):
        assert not root.findall(f".//{tag}"), tag
    assert not root.xpath("//meta[@http-equiv]")
    for element in root.iter():
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (element.tag, name)
            assert "javascript" not in value.replace("\t", "").lower(), (element.tag, name)
            assert name not in ("srcset", "ping", "action", "formaction", "srcdoc", "poster")
            assert "evil.test" not in value or element.tag == "a", (element.tag, name, value)
    assert "evil.test" not in "".join(s.text or "" for s in root.iter("style"))
    assert "<img" not in "".join(s.text or "" for s in root.iter("style"))
    # Images keep their boxes; data: images stay; the form still shows its fields.
    assert root.find(".//img[@alt='tracker']").get("src").startswith("data:image/gif")
    assert root.find(".//form/input[@name='q']") is not None
    assert "A hostile page" in html


def test_allow_remote_keeps_http_images_and_stylesheets_only():
    root = parse_html(HOSTILE_HTML)
    make_safe(root, allow_remote=True, base_url="https://site.example/a/")
    assert root.find(".//img[@alt='tracker']").get("src") == "http://evil.test/tracker.gif"
    assert root.find(".//img[@alt='relative tracker']").get("src") == \
        "https://site.example/a/tracker.gif"
    assert [link.get("href") for link in root.iter("link")] == [
        "http://evil.test/style.css", "https://site.example/a/relative.css"]
    assert not root.findall(".//script") and not root.xpath("//@onerror")
    assert root.find(".//video").get("src") is None  # media is never kept


@pytest.mark.parametrize("css, gone", [
    ("a{background:url(http://x.test/a.png)}", "x.test"),
    ("a{background:URL( 'http://x.test/a.png' )}", "x.test"),
    ("a{background:u\\72l(http://x.test/a.png)}", "x.test"),
    ("a{background:u\\rl(http://x.test/a.png)}", "x.test"),
    ("@import 'http://x.test/i.css'; a{color:red}", "x.test"),
    ("@im/**/port url(http://x.test/i.css);", "x.test"),
    ("a{background-image:image-set('http://x.test/s.png' 1x)}", "image-set("),
    ("a{content:'\\3c/style\\3e'}", "<"),
    ("a{x:'\\\\75rl(http://x.test/b.png)'}", "url("),
])
def test_css_is_neutralised(css, gone):
    cleaned = sanitize_css(css)
    assert gone not in cleaned.lower().replace("none", "")
    assert "\\" not in cleaned


def test_css_keeps_harmless_rules():
    assert sanitize_css("p{color:red;margin:0 auto}") == "p{color:red;margin:0 auto}"


def test_cli_show_writes_a_view(tiny_model_path, tmp_path, capsys):
    out = tmp_path / "view.html"
    assert main(["show", "--model", str(tiny_model_path), str(EXAMPLE), "-o", str(out)]) == 0
    tree = _view_tree(out.read_text(encoding="utf-8"))
    labels = {node.get("data-bk-label") for node in tree.iterfind(".//*[@data-bk]")}
    assert labels and labels <= {"article", "navigation", "teaser", "comment"}
    assert not tree.findall(".//script[@src]")


def test_cli_show_to_stdout_from_stdin(tiny_model_path, monkeypatch, capsys):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(
        b"<html><body><p>Hello there, a paragraph of text.</p></body></html>")))
    assert main(["show", "--model", str(tiny_model_path), "-"]) == 0
    out = capsys.readouterr().out
    assert 'data-bk="0"' in out and "Hello there" in out


@pytest.mark.parametrize("command", [["show"], ["label"]])
def test_new_commands_have_help(command, capsys):
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: boilerkit {command[0]}")


@pytest.mark.parametrize("argv", [["show"], ["label"], ["label", "--port", "x", "p.html"]])
def test_new_commands_usage_errors_exit_2(argv, capsys):
    assert main(argv) == 2
    assert "usage: boilerkit" in capsys.readouterr().err
