"""The view, the editor and the report in a real headless Chromium, driven by Playwright.

CI must install, before ``pip install -e '.[test]'`` (which brings Playwright's
Python package):

    apt-get install -y chromium fonts-dejavu-core

Playwright drives Debian's ``/usr/bin/chromium``; never run ``playwright
install``. These tests skip, saying why, when that browser or the Python
package is missing.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from boilerkit.cli import main
from boilerkit.labelled import page_from_html, read_labelled
from boilerkit.labelling_server import LabellingServer, LabellingSession
from boilerkit.parse import parse_html
from boilerkit.persistence import default_model_path
from boilerkit.show import build_view

from viewing import (EXAMPLE, HOSTILE_HTML, dominant_colour, example_root, nearest_label,
                     rule_page, write_report_fixture)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

pytestmark = [
    pytest.mark.skipif(sync_playwright is None,
                       reason="Playwright's Python package is not installed (pip install "
                              "'.[test]')"),
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="/usr/bin/chromium is missing (apt-get install chromium)"),
]

#: Blocks of the example page with a sure label, and the label.
EXAMPLE_TARGETS = {
    "#menu-main-menu > li:nth-child(2)": "navigation",          # the menu
    ".entry-content > p:first-child": "article",                  # a body paragraph
    "#posts-list-widget-3 li:nth-child(2) .post-excerpt": "teaser",  # a related card
    "#commentform .comment-notes": "comment",                     # the comment form
}


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        # launch() gives every run a fresh, temporary user-data directory.
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def serve(tmp_path):
    """Serve a directory on 127.0.0.1; returns the base URL."""
    servers = []

    def start(directory: Path) -> str:
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(directory)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _open(browser, url: str, base: str, viewport=(1280, 900)):
    """A fresh page at ``url`` that records every request and lets only ``base`` through."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))

    def route(route):
        if route.request.url.startswith(base):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", route)
    context.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    page.wait_for_load_state("load")
    return page, requests, errors


def _colour_of(page, selector: str) -> tuple[str, float]:
    """The label whose tint fills the block at ``selector`` in a screenshot, and the distance."""
    locator = page.locator(selector).first
    locator.evaluate("element => element.scrollIntoView({block: 'center'})")
    box = locator.bounding_box()
    assert box and box["width"] > 20 and box["height"] > 10, selector
    clip = {"x": box["x"] + 3, "y": box["y"] + 3, "width": box["width"] - 6,
            "height": min(box["height"] - 6, 200)}
    return nearest_label(dominant_colour(page.screenshot(clip=clip)))


def _write_view(directory: Path, name: str, view: str) -> Path:
    path = directory / name
    path.write_text(view, encoding="utf-8")
    return path


# -- show ------------------------------------------------------------------------------


@pytest.fixture
def example_view(tmp_path, serve, browser):
    root = example_root()
    page = rule_page(root)
    _write_view(tmp_path, "view.html", build_view(root, page, heading="example"))
    base = serve(tmp_path)
    view, requests, errors = _open(browser, base + "view.html", base)
    yield view, page
    assert not errors
    assert requests == [base + "view.html"]
    view.context.close()


def test_the_four_labels_show_in_four_colours(example_view, tmp_path):
    view, _ = example_view
    view.screenshot(path=str(tmp_path / "example.png"), full_page=True)
    for selector, label in EXAMPLE_TARGETS.items():
        seen, distance = _colour_of(view, selector)
        assert (seen, selector) == (label, selector) and distance < 12


def test_the_legend_counts_and_toggles_each_label(example_view):
    view, page = example_view
    for label in ("article", "navigation", "teaser", "comment"):
        count = view.locator(f"boilerkit-ui tr[data-label={label}] td.n").inner_text()
        assert int(count) == page.labels.count(label)
    teaser_card = view.locator("#posts-list-widget-3 li:nth-child(2) .post-excerpt")
    paragraph = view.locator(".entry-content > p:first-child")
    menu = view.locator("#menu-main-menu > li:nth-child(2)")
    form = view.locator("#commentform .comment-notes")
    assert teaser_card.is_visible() and paragraph.is_visible()

    view.locator("boilerkit-ui tr[data-label=teaser] input[type=checkbox]").uncheck()
    assert teaser_card.is_hidden() and paragraph.is_visible() and menu.is_visible()

    view.locator("boilerkit-ui tr[data-label=article] button", has_text="only").click()
    assert paragraph.is_visible()
    assert menu.is_hidden() and form.is_hidden() and teaser_card.is_hidden()
    hidden_text = view.evaluate(
        "() => [...document.querySelectorAll('[data-bk]')].filter(e => e.offsetParent !== null)"
        ".map(e => e.getAttribute('data-bk-label'))")
    assert set(hidden_text) == {"article"}  # what `extract` keeps

    view.locator("boilerkit-ui button", has_text="show all").click()
    assert menu.is_visible() and form.is_visible() and teaser_card.is_visible()


def test_hovering_a_block_tells_its_label_probability_and_runner_up(example_view):
    view, _ = example_view
    view.locator("#commentform .comment-notes").hover()
    tip = view.locator("boilerkit-ui #tip")
    assert tip.is_visible()
    text = tip.inner_text()
    assert "comment 0.85" in text and "runner-up: article 0.05" in text and "<p>" in text


def test_the_pages_own_important_rules_do_not_hide_the_marks(tmp_path, serve, browser):
    html = ("<html><head><style>p.x{box-shadow:none!important;outline:none!important;"
            "display:block!important;background:#fff!important;padding:20px}</style></head>"
            "<body><p class='x' id='p'>A paragraph styled to fight the view's marks.</p>"
            "<xmp id='raw'><b>shown as text</b></xmp></body></html>")
    root = parse_html(html)
    _write_view(tmp_path, "view.html", build_view(root, rule_page(root, lambda e: "comment")))
    base = serve(tmp_path)
    view, _, errors = _open(browser, base + "view.html", base)
    assert _colour_of(view, "#p")[0] == "comment"
    assert view.locator("#raw").inner_text() == "<b>shown as text</b>"
    view.locator("boilerkit-ui tr[data-label=comment] input[type=checkbox]").uncheck()
    assert view.locator("#p").is_hidden()
    assert not errors
    view.context.close()


@pytest.mark.skipif(not (default_model_path() / "manifest.json").is_file(),
                    reason="the shipped model is not in models/")
def test_cli_show_with_the_shipped_model(tmp_path, serve, browser):
    out = tmp_path / "view.html"
    assert main(["show", str(EXAMPLE), "-o", str(out)]) == 0
    base = serve(tmp_path)
    view, requests, errors = _open(browser, base + "view.html", base)
    for selector, label in EXAMPLE_TARGETS.items():
        seen, distance = _colour_of(view, selector)
        assert (seen, selector) == (label, selector) and distance < 12
    assert not errors and requests == [base + "view.html"]
    view.context.close()


# -- safety -----------------------------------------------------------------------------


@pytest.mark.parametrize("csp", [True, False], ids=["with-csp", "sanitizer-alone"])
def test_a_hostile_page_runs_nothing_and_loads_nothing(csp, tmp_path, serve, browser):
    root = parse_html(HOSTILE_HTML)
    page = rule_page(root, label_of=lambda element: "article")
    _write_view(tmp_path, "view.html", build_view(root, page, csp=csp))
    (tmp_path / "tracker.gif").write_bytes(b"GIF89a")  # a relative load would find this
    base = serve(tmp_path)
    view, requests, errors = _open(browser, base + "view.html", base)
    assert view.locator("#outro").is_visible()
    for selector in ("#jslink", "#jslink2", "#datalink", "#svglink", "#submit", "#formaction",
                     "#pinglink"):
        view.locator(selector).first.click(timeout=2000)
    view.locator("input[value=focus]").focus()
    view.wait_for_timeout(1500)  # the page's meta refresh would have fired by now
    ran = view.evaluate("() => Object.keys(window).filter(key => key.startsWith('__pwned'))")
    assert ran == []
    assert view.title() == "hostile"
    assert view.url.split("#")[0] == base + "view.html"
    assert requests == [base + "view.html"], requests
    # Not even the policy had to stop anything: the sanitizer removed it all first.
    assert view.evaluate("() => window.__violations") == []
    assert not errors
    view.context.close()


# -- the editor -----------------------------------------------------------------------------


@pytest.fixture
def editor(tmp_path, tiny_model, browser):
    second = tmp_path / "pages" / "second.html"
    second.parent.mkdir()
    shutil.copy(EXAMPLE, tmp_path / "pages" / "first.html")
    second.write_text("<html><body><h1>Second page</h1><p>Some text on the second page, "
                      "long enough to be a paragraph of its own.</p></body></html>")
    session = LabellingSession([tmp_path / "pages" / "first.html", second], tmp_path / "out",
                               model=tiny_model)
    server = LabellingServer(session)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = server.url
    view, requests, errors = _open(browser, base, base)
    yield view, session, tmp_path / "out"
    assert not errors
    assert all(url.startswith(base) for url in requests), requests
    view.context.close()
    server.shutdown()
    server.server_close()


def _current_labels(view) -> list:
    return view.evaluate(
        "() => JSON.parse(document.getElementById('boilerkit-data').textContent).blocks"
        ".map(b => b.l)")


def _card_blocks(view, selector: str) -> list[int]:
    return view.evaluate(
        f"() => [...document.querySelectorAll('{selector} [data-bk]')]"
        ".map(e => +e.getAttribute('data-bk'))")


def test_relabel_a_teaser_card_and_save_for_training(editor):
    view, session, out = editor
    initial = _current_labels(view)
    assert initial == session.start(0)[0]  # starts from the model's predictions
    card = "#posts-list-widget-3 li:nth-child(3)"
    blocks = sorted(set(_card_blocks(view, card)))
    assert len(blocks) == 4

    view.locator(f"{card} h3").click()
    view.keyboard.press("p")
    view.keyboard.press("p")
    assert view.locator("boilerkit-ui #selection").inner_text().startswith("4 blocks selected")
    view.keyboard.press("n")
    assert {view.locator(f'[data-bk="{i}"]').first.get_attribute("data-bk-label")
            for i in blocks} == {"navigation"}
    view.keyboard.press("s")
    view.wait_for_selector("html[data-bk-saved='1']")

    saved = out / "first.html"
    labelled = page_from_html(saved.read_bytes(), str(saved))
    expected = list(initial)
    for i in blocks:
        expected[i] = "navigation"
    assert labelled.labels == expected
    assert read_labelled(out)[0].labels == expected  # what `boilerkit train out/` reads
    assert "saved" in view.locator("boilerkit-ui #status").inner_text()

    # Undo, save again: the file has the model's labels back.
    view.keyboard.press("u")
    view.keyboard.press("Control+s")
    view.wait_for_selector("html[data-bk-saved='2']")
    assert page_from_html(saved.read_bytes(), "x").labels == initial


def test_container_click_labels_a_whole_region_and_next_moves_on(editor):
    view, session, out = editor
    # Shift-click in the comment form's notes takes the smallest container around more.
    view.locator("#commentform .comment-notes").click(modifiers=["Shift"])
    selected = view.locator("boilerkit-ui #selection").inner_text()
    assert "blocks selected" in selected and "in <form>" in selected
    view.keyboard.press("2")  # the second label of the legend: navigation
    form_blocks = _card_blocks(view, "#commentform")
    labels = _current_labels(view)  # the JSON keeps the start; the DOM has the edit
    assert all(view.locator(f'[data-bk="{i}"]').first.get_attribute("data-bk-label")
               == "navigation" for i in form_blocks)
    assert labels == session.start(0)[0]
    # "]" saves and moves to the next page.
    view.keyboard.press("]")
    view.wait_for_url("**/page/1")
    saved = page_from_html((out / "first.html").read_bytes(), "x").labels
    assert {saved[i] for i in form_blocks} == {"navigation"}
    assert view.locator("h1").inner_text() == "Second page"
    # Back on the first page, the editor starts from what was saved.
    view.keyboard.press("[")
    view.wait_for_url("**/page/0")
    assert _current_labels(view) == saved
    assert "saved in" in view.locator("boilerkit-ui #status").inner_text()


def test_the_editor_never_follows_links(editor):
    view, _, _ = editor
    url = view.url
    view.locator("#menu-main-menu > li:nth-child(2) a").click()
    view.wait_for_timeout(300)
    assert view.url == url


# -- the report --------------------------------------------------------------------------------


@pytest.fixture
def report(tmp_path, tiny_model_path, labelled_dir):
    return write_report_fixture(tmp_path, tiny_model_path, labelled_dir)



def test_report_screenshot_shows_the_confusion_matrix(report, serve, browser, tmp_path):
    path, files = report
    base = serve(path.parent)
    view, requests, errors = _open(browser, base + path.name, base, viewport=(1280, 1000))
    assert requests == [base + path.name] and not errors
    matrix = view.locator("svg.confusion").first
    matrix.scroll_into_view_if_needed()
    assert matrix.is_visible()
    png = matrix.screenshot(path=str(tmp_path / "confusion.png"))
    assert len(png) > 1000
    # The diagonal cell of "article" is painted in its shade.
    cell = view.locator("svg.confusion").first.locator("rect.cell[data-row=article][data-col=article]")
    box = cell.bounding_box()
    shot = view.screenshot(clip={"x": box["x"] + 4, "y": box["y"] + 4, "width": 12, "height": 10})
    fill = cell.get_attribute("fill")
    expected = tuple(int(v) for v in fill[4:-1].split(","))
    assert dominant_colour(shot) == expected

    # A worst page opens side by side: gold on the left, predictions on the right.
    view.locator("table.worst a").first.click()
    view.wait_for_load_state("load")
    frames = [frame for frame in view.frames if frame != view.main_frame]
    assert len(frames) == 2
    for frame in frames:
        frame.wait_for_selector("[data-bk-diff]", state="attached")
    gold, predicted = frames
    assert "gold" in gold.locator("boilerkit-ui #colour-by").inner_text()
    assert "predicted" in predicted.locator("boilerkit-ui #colour-by").inner_text()
    assert gold.locator("[data-bk-diff]").count() == predicted.locator("[data-bk-diff]").count() > 0
    view.context.close()
