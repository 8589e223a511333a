"""The article text that the per-site content rules of Postlight Parser's fixtures select.

The rules are CSS selectors (``selectors`` pick the content container, ``clean`` ones are
removed from it); :func:`postlight_article_text` applies them as the parser does, without
its JavaScript transforms and generic cleaner.  Needs the ``cssselect`` package.
"""

from __future__ import annotations

import re
from typing import Sequence, cast

import lxml.etree

from ..sanitize import remove_element
from .transfer_common import parse_gold_html

__all__ = ["postlight_containers", "postlight_article_text"]

_SKIP_TEXT = ("script", "style", "noscript", "template")


# A selector ending in ``:not(<complex selector>)``, which cssselect cannot read.
_TRAILING_NOT = re.compile(r"^(?P<kept>.*[^\s>+~])\s*:not\((?P<dropped>[^()]*[\s>+~][^()]*)\)$")


def _css(root, selector: str) -> list:
    from lxml.cssselect import CSSSelector         # needs the cssselect package
    from cssselect import SelectorError

    try:
        return cast(list, CSSSelector(selector, translator="html")(root))  # elements only
    except (SelectorError, ValueError, AssertionError):
        pass
    # "A:not(B C)" (CSS Selectors 4) is A's matches less B C's: the engadget fixture's rule.
    trailing = _TRAILING_NOT.match(selector.strip())
    if trailing:
        # lxml reuses an element's proxy only while it is alive: hold them for id().
        dropped_elements = _css(root, trailing["dropped"])
        dropped = {id(e) for e in dropped_elements}
        return [e for e in _css(root, trailing["kept"]) if id(e) not in dropped]
    return []                                       # selectors cssselect cannot read


def _has_text(element) -> bool:
    return bool("".join(element.itertext()).strip())


def postlight_containers(root: lxml.etree._Element,
                         selectors: Sequence[str | list[str]]) -> list[lxml.etree._Element]:
    """The article container(s) that Postlight's content rules pick in ``root``.

    As the parser does: the first selector that matches exactly one element with text
    wins; a nested list is a multi-match selector, used when each of its parts matches
    something: then every element any part matches is taken, in document order (an
    element inside another taken one only once, through its ancestor).
    """
    for selector in selectors:
        if isinstance(selector, list):
            parts = [_css(root, s) for s in selector if isinstance(s, str)]
            if parts and all(parts):
                chosen = {id(e): e for part in parts for e in part}
                found = [e for e in root.iter() if id(e) in chosen]
                picked = set()
                out = []
                for element in found:            # document order
                    if not any(id(a) in picked for a in element.iterancestors()):
                        picked.add(id(element))
                        out.append(element)
                if any(_has_text(e) for e in out):
                    return out
        elif isinstance(selector, str):
            found = _css(root, selector)
            if len(found) == 1 and _has_text(found[0]):
                return found
    return []


def _readable_text(element) -> str:
    """Text of a subtree, without comments and script/style/noscript/template content."""
    out: list[str] = []
    skip = 0
    for event, el in lxml.etree.iterwalk(element, events=("start", "end")):
        is_element = isinstance(el.tag, str)
        if event == "start":
            if is_element and el.tag in _SKIP_TEXT:
                skip += 1
            elif is_element and not skip and el.text:
                out.append(el.text)
        else:
            if is_element and el.tag in _SKIP_TEXT:
                skip -= 1
            if el is not element and not skip and el.tail:
                out.append(el.tail)
    return " ".join(" ".join(out).split())


def postlight_article_text(html: bytes, selectors: Sequence[str | list[str]],
                           clean: Sequence[str]) -> str:
    """The article text Postlight's rules give: the container(s) minus the ``clean``
    elements inside them, without script/style/noscript/template text."""
    root = parse_gold_html(html)
    if root is None:
        return ""
    texts = []
    for container in postlight_containers(root, selectors):
        for element in [e for sel in clean if isinstance(sel, str) for e in _css(container, sel)]:
            if element is not container:
                remove_element(element)
        texts.append(_readable_text(container))
    return "\n".join(texts)
