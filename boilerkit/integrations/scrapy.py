"""Scrapy: the article, comments and block labels of crawled pages (``boilerkit[scrapy]``).

In the spider, yield the page with :func:`page_item`; the pipeline classifies
it and adds the fields::

    # settings.py
    ITEM_PIPELINES = {"boilerkit.integrations.scrapy.BoilerkitPipeline": 300}

    # the spider
    from boilerkit.integrations.scrapy import page_item

    def parse(self, response):
        yield page_item(response)           # url, html and the HTTP Content-Type

Settings (all optional):

=============================  =====================================================
``BOILERKIT_MODEL``            model directory (default: the pre-trained model)
``BOILERKIT_FIELDS``           fields to add, from ``article``, ``article_markdown``,
                               ``comments``, ``blocks`` (label, probability, tag and
                               text of every block), ``labels`` (the block labels
                               alone), ``title``; default: the first four
``BOILERKIT_MIN_PROBABILITY``  leave blocks labelled less surely than this out of
                               ``article``, ``article_markdown`` and ``comments``
                               (default 0)
``BOILERKIT_FIGURES``          keep the text of figures (captions, photo credits) in
                               ``article`` and ``article_markdown`` (default ``False``,
                               as :func:`boilerkit.extract`)
``BOILERKIT_HTML_FIELD``       the item field holding the page (default ``html``)
``BOILERKIT_KEEP_HTML``        keep that field in the item (default ``False``)
``BOILERKIT_MAX_BYTES``        larger pages fail (default: ``classify``'s limit)
=============================  =====================================================

A page that cannot be classified keeps its item, with the message in
``boilerkit_error``. Without a Scrapy pipeline, :func:`classify_response`
classifies a response directly.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from .._extras import require
from ..api import classify
from ..errors import BoilerkitError
from ..inputs import DEFAULT_MAX_BYTES
from ..model import Model
from ..page import Page, render
from ..persistence import default_model, load_model

require("scrapy", "scrapy", "the Scrapy integration")
from itemadapter import ItemAdapter  # noqa: E402 (a Scrapy dependency, after require)

log = logging.getLogger(__name__)

FIELDS = ("article", "article_markdown", "comments", "blocks", "labels", "title")
DEFAULT_FIELDS = ("article", "article_markdown", "comments", "blocks")


def response_content_type(response) -> str | None:
    """The response's ``Content-Type`` header as text, for its charset."""
    value = response.headers.get(b"Content-Type")
    return value.decode("latin-1") if value else None


def classify_response(response, *, model=None, max_bytes: int | None = DEFAULT_MAX_BYTES) -> Page:
    """Classify a Scrapy response: its body, with its URL and the charset of its header."""
    return classify(response.body, response.url, model=model,
                    content_type=response_content_type(response), max_bytes=max_bytes)


def page_item(response, **fields) -> dict:
    """An item with the page for :class:`BoilerkitPipeline`: url, html and content type."""
    return {"url": response.url, "html": response.body,
            "content_type": response_content_type(response), **fields}


def page_fields(page: Page, fields: Iterable[str] = DEFAULT_FIELDS,
                min_probability: float = 0.0, figures: bool = False) -> dict:
    """The requested ``fields`` of a classified page (see the module doc)."""

    def of(label: str) -> list:
        return page.blocks_with(label, min_probability, figures=figures)

    out: dict = {}
    for name in fields:
        if name == "article":
            out[name] = render(of("article"), "text", page=page)
        elif name == "article_markdown":
            out[name] = render(of("article"), "markdown", page=page)
        elif name == "comments":
            out[name] = render(of("comment"), "text", page=page)
        elif name == "blocks":
            out[name] = [{"label": block.label, "probability": round(block.probability, 4),
                          "tag": block.tag, "text": block.text} for block in page.blocks]
        elif name == "labels":
            out[name] = page.labels
        elif name == "title":
            out[name] = page.title
        else:
            raise ValueError(f"unknown boilerkit field {name!r}; choose from {', '.join(FIELDS)}")
    return out


class BoilerkitPipeline:
    """An item pipeline that adds boilerkit's fields to items carrying a page."""

    def __init__(self, model_path: str | None = None, fields: Iterable[str] = DEFAULT_FIELDS,
                 min_probability: float = 0.0, html_field: str = "html", keep_html: bool = False,
                 max_bytes: int | None = DEFAULT_MAX_BYTES, stats=None,
                 figures: bool = False) -> None:
        self.fields = tuple(fields)
        page_fields(Page(), self.fields)  # fail now on an unknown field, not on the first item
        self.model_path = model_path
        self.min_probability = min_probability
        self.figures = figures
        self.html_field = html_field
        self.keep_html = keep_html
        self.max_bytes = max_bytes
        self.stats = stats
        self.model: Model | None = None

    @classmethod
    def from_crawler(cls, crawler) -> BoilerkitPipeline:
        settings = crawler.settings
        max_bytes = settings.get("BOILERKIT_MAX_BYTES", DEFAULT_MAX_BYTES)
        return cls(model_path=settings.get("BOILERKIT_MODEL") or None,
                   fields=settings.getlist("BOILERKIT_FIELDS", list(DEFAULT_FIELDS)),
                   min_probability=settings.getfloat("BOILERKIT_MIN_PROBABILITY", 0.0),
                   html_field=settings.get("BOILERKIT_HTML_FIELD", "html"),
                   keep_html=settings.getbool("BOILERKIT_KEEP_HTML", False),
                   max_bytes=int(max_bytes) if max_bytes is not None else None,
                   stats=crawler.stats,
                   figures=settings.getbool("BOILERKIT_FIGURES", False))

    def open_spider(self, spider=None) -> None:
        # Loaded once per crawl, before the first item.
        self.model = load_model(self.model_path) if self.model_path else default_model()

    def process_item(self, item, spider=None):
        adapter = ItemAdapter(item)
        html = adapter.get(self.html_field)
        if html is None:
            return item  # not a page item: leave it alone
        if self.model is None:
            self.open_spider()
        try:
            page = classify(html, adapter.get("url"), model=self.model,
                            content_type=adapter.get("content_type"), max_bytes=self.max_bytes)
        except BoilerkitError as error:
            log.warning("boilerkit: %s: %s", adapter.get("url"), error)
            adapter["boilerkit_error"] = str(error)
            self._count("boilerkit/errors")
        else:
            for name, value in page_fields(page, self.fields, self.min_probability,
                                           self.figures).items():
                adapter[name] = value
            self._count("boilerkit/pages")
        if not self.keep_html:
            del adapter[self.html_field]
        return item

    def _count(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)
