"""The library's front door: ``classify`` and ``extract``."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeAlias, Union

import lxml.etree

from ._gc import collection_paused
from .blocks import build_blocks
from .errors import LabelError, ModelError
from .model import Model
from .page import Page, check_format, check_probability, labelled_blocks, render
from .parse import DEFAULT_MAX_BYTES, HtmlInput, parse_html
from .persistence import default_model, load_model

if TYPE_CHECKING:
    from .estimator import BlockClassifier

__all__ = ["HtmlInput", "ModelInput", "classify", "extract", "resolve_model"]

#: A model, a fitted :class:`~boilerkit.estimator.BlockClassifier`, or the path of a saved
#: model (``None``: the shipped model).
ModelInput: TypeAlias = Union[Model, "BlockClassifier", str, "os.PathLike[str]", None]


def resolve_model(model: ModelInput = None) -> Model:
    """The model to use: the shipped one for ``None``, loaded for a path, else ``model`` itself.

    A path is loaded on every call: load it once with :func:`boilerkit.load_model`
    and pass the model when classifying many pages. Raises
    :class:`~boilerkit.errors.ModelError` (or a subclass) for a path without a
    usable model or an object that is no model.
    """
    if model is None:
        return default_model()
    if isinstance(model, (str, os.PathLike)):
        path = os.fspath(model)
        return load_model(os.fsdecode(path) if isinstance(path, bytes) else path)
    if isinstance(model, Model):
        return model
    to_model = getattr(model, "to_model", None)
    if to_model is not None:
        return to_model()
    raise ModelError(f"model must be a boilerkit Model, a fitted BlockClassifier or the path "
                     f"of a saved model, not {type(model).__name__}")


def _title(root: lxml.etree._Element | None) -> str | None:
    if root is None:
        return None
    found = root.find("head/title")
    if found is None or not found.text:
        return None
    return " ".join(found.text.split()) or None


def classify(html: HtmlInput, url: str | None = None, *, model: ModelInput = None,
             content_type: str | None = None,
             max_bytes: int | None = DEFAULT_MAX_BYTES) -> Page:
    """Label every block of ``html`` and return a :class:`~boilerkit.page.Page`.

    ``html`` is a ``str``, ``bytes`` (its encoding is detected, helped by an
    HTTP ``content_type`` header value) or a parsed lxml tree, which is left
    unchanged. ``model`` is a model, the path of a saved one, or ``None`` for
    the pre-trained model shipped with boilerkit. Empty input gives an empty
    page; input that is not HTML raises :class:`~boilerkit.errors.InputError`,
    a page above ``max_bytes`` (``None``: no limit)
    :class:`~boilerkit.errors.PageTooLargeError`.
    """
    root = parse_html(html, content_type=content_type, max_bytes=max_bytes)
    with collection_paused():
        blocks = build_blocks(root)
        page = Page(url=url, title=_title(root), root=root)
        if not blocks:
            return page
        fitted = resolve_model(model)
        probabilities = fitted.predict_page(blocks)
        best = fitted.choose_labels(blocks, probabilities)
        page.blocks = labelled_blocks(blocks, best, probabilities, fitted.labels)
    return page


def extract(html: HtmlInput, url: str | None = None, *, format: str = "text",
            label: str | Iterable[str] = "article", min_probability: float = 0.0,
            model: ModelInput = None, content_type: str | None = None,
            max_bytes: int | None = DEFAULT_MAX_BYTES, figures: bool = False) -> str:
    """Return the blocks labelled ``label`` (the article by default) as one document.

    ``format`` is ``"text"``, ``"markdown"``, ``"json"`` or ``"html"``.
    Ask for ``label="comment"`` to get the comments, ``label="teaser"`` for
    teasers, or several labels at once, e.g. ``label=("article", "comment")``;
    a label the model does not have raises :class:`~boilerkit.errors.LabelError`.
    ``min_probability`` keeps only blocks whose label has at least that
    probability. The text of figures (captions, photo credits: blocks inside
    ``<figure>``) is left out unless ``figures=True``, as the output has no images;
    :func:`classify` still labels it. Empty input gives ``""``.
    """
    check_format(format)
    check_probability(min_probability)
    fitted = resolve_model(model)
    known = [str(name) for name in fitted.classes_]
    wanted = [label] if isinstance(label, str) else list(label)
    unknown = [name for name in wanted if name not in known]
    if unknown or not wanted:
        problem = f"no label {', '.join(map(repr, unknown))}" if unknown else "no label asked for"
        raise LabelError(f"{problem}: the model's labels are {', '.join(known)}")
    page = classify(html, url, model=fitted, content_type=content_type, max_bytes=max_bytes)
    return render(page.blocks_with(wanted, min_probability, figures=figures), format, page=page)
