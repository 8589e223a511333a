"""The library's front door: ``classify`` and ``extract``."""

from __future__ import annotations

from collections.abc import Iterable

import lxml.etree

from .blocks import build_blocks
from .page import FORMATS, LabelledBlock, Page, render
from .parse import DEFAULT_MAX_BYTES, parse_html
from .persistence import model_from

HtmlInput = str | bytes | lxml.etree._Element | lxml.etree._ElementTree


def _title(root) -> str | None:
    if root is None:
        return None
    found = root.find("head/title")
    if found is None or not found.text:
        return None
    return " ".join(found.text.split()) or None


def classify(html: HtmlInput, url: str | None = None, *, model=None,
             content_type: str | None = None, max_bytes: int | None = DEFAULT_MAX_BYTES) -> Page:
    """Label every block of ``html`` and return a :class:`~boilerkit.page.Page`.

    ``html`` is a ``str``, ``bytes`` (its encoding is detected, helped by an
    HTTP ``content_type`` header value) or a parsed lxml tree, which is left
    unchanged. ``model`` defaults to the pre-trained model shipped with
    boilerkit. Empty input gives an empty page; input that is not HTML raises
    :class:`~boilerkit.errors.InputError`.
    """
    root = parse_html(html, content_type=content_type, max_bytes=max_bytes)
    blocks = build_blocks(root)
    page = Page(url=url, title=_title(root))
    if not blocks:
        return page
    model = model_from(model)
    probabilities = model.predict_page(blocks)
    classes = list(model.labels)
    best = model.choose_labels(blocks, probabilities)
    page.blocks = [
        LabelledBlock(block, classes[best[i]], dict(zip(classes, map(float, probabilities[i]))))
        for i, block in enumerate(blocks)
    ]
    return page


def extract(html: HtmlInput, url: str | None = None, *, format: str = "text",
            label: str | Iterable[str] = "article", model=None,
            content_type: str | None = None, max_bytes: int | None = DEFAULT_MAX_BYTES) -> str:
    """Return the blocks labelled ``label`` (the article by default) as one document.

    ``format`` is ``"text"``, ``"markdown"``, ``"json"`` or ``"html"``.
    Ask for ``label="comment"`` to get the comments, ``label="teaser"`` for
    teasers, or several labels at once, e.g. ``label=("article", "comment")``.
    """
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    page = classify(html, url, model=model, content_type=content_type, max_bytes=max_bytes)
    return render(page.blocks_with(label), format, page=page)
