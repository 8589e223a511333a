"""A real Scrapy crawl of a small site on 127.0.0.1, through boilerkit's item pipeline.

Needs Scrapy (``pip install '.[scrapy]'``, part of ``.[test]``) and the shipped model; skips
without them. The crawl runs in a subprocess so that it gets a fresh Twisted reactor.
What CI must install for these tests: see the top of tests/test_spark.py.
"""

from __future__ import annotations

import functools
import http.server
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from boilerkit.persistence import default_model_path

pytest.importorskip("scrapy", reason="needs Scrapy: pip install '.[scrapy]' (in '.[test]')")
pytestmark = pytest.mark.skipif(not (default_model_path() / "manifest.json").is_file(),
                                reason="the shipped model is not in models/")

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "news-page.html"

_STORY = """<!DOCTYPE html><html><head><title>{title}</title></head><body>
<header><nav><ul><li><a href="/index.html">Home</a></li><li><a href="/news.html">News</a></li>
<li><a href="/cafe.html">Food</a></li><li><a href="/about.html">About</a></li></ul></nav></header>
<main><article><h1>{title}</h1>{paragraphs}</article>
<aside class="related"><h3>Related stories</h3><ul>
<li><a href="/news.html">Pakistan and Russia reaffirm commitment to boost trade</a></li>
<li><a href="/about.html">About this small test site and the people behind it</a></li></ul></aside>
</main>
<footer><p>&copy; 2026 Test Site. All rights reserved.</p><a href="/about.html">About</a></footer>
</body></html>"""

CAFE_PARAGRAPHS = (
    "The café on the corner opened its doors again this week after a long renovation, "
    "and the owners say the new kitchen will let them bake their own bread every morning.",
    "Regulars described the menu as naïve in the best sense: a short list of dishes, each "
    "one prepared with care, and prices that have not changed since the crêpe stand closed.",
    "The city council granted the permit in March, after a debate about noise, deliveries "
    "and the terrace that neighbours had followed closely for more than a year.",
)

SPIDER = """
import json, sys
import scrapy
from scrapy.crawler import CrawlerProcess
from boilerkit.integrations.scrapy import page_item

start, out = sys.argv[1], sys.argv[2]

class Site(scrapy.Spider):
    name = "site"
    start_urls = [start]

    def parse(self, response):
        yield page_item(response, status=response.status)
        yield from response.follow_all(css="a", callback=self.parse)

process = CrawlerProcess(settings={
    "ITEM_PIPELINES": {"boilerkit.integrations.scrapy.BoilerkitPipeline": 300},
    "BOILERKIT_FIELDS": ["article", "article_markdown", "comments", "blocks", "title"],
    "FEEDS": {out: {"format": "jsonlines", "encoding": "utf8"}},
    "LOG_LEVEL": "WARNING", "ROBOTSTXT_OBEY": False, "TELNETCONSOLE_ENABLED": False,
})
process.crawl(Site)
process.start()
"""


class _Handler(http.server.SimpleHTTPRequestHandler):
    def guess_type(self, path):
        if str(path).endswith("cafe.html"):  # no <meta charset>: only the header tells
            return "text/html; charset=windows-1252"
        return super().guess_type(path)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    (root / "news.html").write_bytes(EXAMPLE.read_bytes())
    (root / "cafe.html").write_bytes(_STORY.format(
        title="The corner café reopens", paragraphs="".join(
            f"<p>{p}</p>" for p in CAFE_PARAGRAPHS)).encode("windows-1252"))
    (root / "about.html").write_text(_STORY.format(title="About us", paragraphs=(
        "<p>This site is a small test site for a crawler. It has a news page, a story about "
        "a café and this page, which all link to each other.</p>")), encoding="utf-8")
    (root / "index.html").write_text(
        '<html><body><a href="/news.html">News</a> <a href="/cafe.html">Food</a> '
        '<a href="/about.html">About</a></body></html>', encoding="utf-8")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_scrapy_crawl_gets_the_article_and_comments_of_each_page(site, tmp_path):
    script, out = tmp_path / "crawl.py", tmp_path / "items.jsonl"
    script.write_text(SPIDER)
    result = subprocess.run([sys.executable, str(script), f"{site}/index.html", str(out)],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    items = {item["url"].removeprefix(site): item
             for item in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert set(items) == {"/index.html", "/news.html", "/cafe.html", "/about.html"}
    assert all("html" not in item and "boilerkit_error" not in item for item in items.values())

    news = items["/news.html"]
    assert news["title"].startswith("Pakistan and Russia Reaffirm Commitment")
    assert "Pakistan and Russia have reaffirmed their commitment" in news["article"]
    assert "Overchuk also mentioned that Russian Prime Minister" in news["article"]
    assert "Leave a Reply" not in news["article"] and "Privacy Policy" not in news["article"]
    assert "Leave a Reply" in news["comments"]
    assert news["article_markdown"].startswith("# Pakistan and Russia")
    labels = {block["label"] for block in news["blocks"]}
    assert {"article", "navigation", "comment"} <= labels

    cafe = items["/cafe.html"]  # decoded with the charset of the HTTP header
    assert cafe["content_type"] == "text/html; charset=windows-1252"
    for paragraph in CAFE_PARAGRAPHS[:2]:
        assert paragraph in cafe["article"]
    assert "All rights reserved" not in cafe["article"]


def test_the_pipeline_on_its_own(tmp_path):
    from scrapy.http import HtmlResponse

    from boilerkit.integrations.scrapy import BoilerkitPipeline, classify_response, page_item

    body = EXAMPLE.read_bytes()
    response = HtmlResponse("https://madzine.example/pakistan-russia", body=body,
                            headers={"Content-Type": "text/html; charset=utf-8"})
    page = classify_response(response)
    assert page.url == "https://madzine.example/pakistan-russia"
    articles = sorted(b.probability for b in page.blocks if b.label == "article")
    threshold = articles[len(articles) // 2]  # keeps about half of the article blocks
    pipeline = BoilerkitPipeline(fields=["article", "labels"], min_probability=threshold,
                                 keep_html=True)
    item = pipeline.process_item(page_item(response))
    assert item["labels"] == page.labels and item["html"] == body
    sure = [b.text for b in page.blocks if b.label == "article" and b.probability >= threshold]
    unsure = [b.text for b in page.blocks if b.label == "article" and b.probability < threshold]
    assert sure and unsure
    assert all(text in item["article"] for text in sure)
    assert not any(text in item["article"] for text in unsure if len(text) > 40)
    assert pipeline.process_item({"name": "not a page"}) == {"name": "not a page"}
    broken = pipeline.process_item({"url": "x", "html": bytes(range(32)) * 40})
    assert "binary" in broken["boilerkit_error"]
    with pytest.raises(ValueError, match="unknown boilerkit field 'body'"):
        BoilerkitPipeline(fields=["body"])


def test_the_article_fields_leave_the_text_of_figures_out_unless_told():
    from scrapy.http import HtmlResponse

    from boilerkit.integrations.scrapy import BoilerkitPipeline, page_item

    response = HtmlResponse("https://madzine.example/pakistan-russia",
                            body=EXAMPLE.read_bytes(),
                            headers={"Content-Type": "text/html; charset=utf-8"})
    caption = "Deputy Prime Ministers Ishaq Dar and Alexei Overchuk"
    plain = BoilerkitPipeline(fields=["article", "article_markdown"])
    item = plain.process_item(page_item(response))
    assert caption not in item["article"] and caption not in item["article_markdown"]
    told = BoilerkitPipeline(fields=["article"], figures=True)
    assert caption in told.process_item(page_item(response))["article"]
