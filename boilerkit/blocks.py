"""Step 2: cut a parsed page into blocks, in one pass over the tree.

A *block* is the text of a block-level element (see :data:`BLOCK_TAGS`) that
no other block-level element interrupts. Inline tags (``a``, ``span``, ``em``,
``strong``, ``br``, ...) stay inside the block. When a block-level child
interrupts an element's text, the text before and after the child become two
blocks that share the same element (and XPath). Text inside ``head``,
``script``, ``style``, ``noscript``, ``template`` and the other
:data:`SKIPPED_TAGS` is never part of a block, and whitespace-only blocks are
dropped.

The walk records, per block, what the features need (text, link text, the
length of its links' targets, tag, context flags, class/id tokens, depth)
and, per page, the subtree statistics of every block's nearest ancestors as
one numpy array. XPaths are only
computed when asked for, since classifying a page does not need them.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from typing import cast

import lxml.etree
import numpy as np

from ._gc import collection_paused

BLOCK_TAGS = frozenset(
    """address article aside blockquote body caption center dd details dialog dir div dl dt
    fieldset figcaption figure footer form frameset h1 h2 h3 h4 h5 h6 header hgroup hr html
    legend li main menu nav ol optgroup option p pre section select summary table tbody td
    tfoot th thead tr ul""".split()
)
# Raw-text elements whose content is no page text a reader sees (noframes, noembed, xmp)
# or a form value (textarea) are skipped too: libxml2 keeps their markup as literal text.
# Not <embed>: it is void, but libxml2 nests the rest of its parent inside it.
SKIPPED_TAGS = frozenset(
    """head script style noscript template title meta link iframe object svg math canvas
    noframes noembed xmp textarea""".split()
)

#: Context flags: the tag or ARIA role of the block's element or of an ancestor.
CONTEXT_NAMES = (
    "nav", "header", "footer", "aside", "form", "li", "table", "article", "main",
    "section", "figure", "blockquote", "link", "heading", "hidden",
    "role_navigation", "role_banner", "role_contentinfo", "role_complementary",
    "role_main", "role_article", "role_search", "role_form", "role_menu", "role_dialog",
    "comments", "related",
)
_FLAG = {name: 1 << bit for bit, name in enumerate(CONTEXT_NAMES)}
_TAG_FLAGS = {
    "nav": _FLAG["nav"], "header": _FLAG["header"], "footer": _FLAG["footer"],
    "aside": _FLAG["aside"], "form": _FLAG["form"], "li": _FLAG["li"], "dd": _FLAG["li"],
    "dt": _FLAG["li"], "table": _FLAG["table"], "td": _FLAG["table"], "th": _FLAG["table"],
    "article": _FLAG["article"], "main": _FLAG["main"], "section": _FLAG["section"],
    "figure": _FLAG["figure"], "figcaption": _FLAG["figure"], "blockquote": _FLAG["blockquote"],
    "a": _FLAG["link"], "h1": _FLAG["heading"], "h2": _FLAG["heading"], "h3": _FLAG["heading"],
    "h4": _FLAG["heading"], "h5": _FLAG["heading"], "h6": _FLAG["heading"],
}
_ROLE_FLAGS = {
    "navigation": _FLAG["role_navigation"], "banner": _FLAG["role_banner"],
    "contentinfo": _FLAG["role_contentinfo"], "complementary": _FLAG["role_complementary"],
    "main": _FLAG["role_main"], "article": _FLAG["role_article"], "search": _FLAG["role_search"],
    "form": _FLAG["role_form"], "menu": _FLAG["role_menu"], "menubar": _FLAG["role_menu"],
    "dialog": _FLAG["role_dialog"], "alertdialog": _FLAG["role_dialog"],
}
HIDDEN = _FLAG["hidden"]
# Class/id tokens that mean the same as an HTML5 element or ARIA role, so that a
# 2008 `<div id="sidebar">` and a 2024 `<aside>` set the same flag.
_TOKEN_FLAGS = {
    **dict.fromkeys(("nav", "navigation", "navbar", "menu", "menubar", "breadcrumb",
                     "breadcrumbs", "pagination", "pager"), _FLAG["nav"]),
    **dict.fromkeys(("header", "masthead", "topbar"), _FLAG["header"]),
    **dict.fromkeys(("footer", "colophon"), _FLAG["footer"]),
    **dict.fromkeys(("sidebar", "aside", "rail", "sidebar-widget"), _FLAG["aside"]),
    **dict.fromkeys(("entry-content", "post-content", "article-body", "story-body",
                     "articlebody", "post-body", "entry-body"), _FLAG["article"]),
    **dict.fromkeys(("comment", "comments", "respond", "reply", "discussion", "disqus",
                     "commentlist", "comment-list", "comment-respond"), _FLAG["comments"]),
    **dict.fromkeys(("related", "recommended", "popular", "most-read", "mostread",
                     "trending", "teaser", "promo", "more-stories"), _FLAG["related"]),
}

# Bounds that keep memory linear on pathological pages.
MAX_ANCESTOR_TOKENS = 32
MAX_OWN_TOKENS = 24
MAX_INNER_TOKENS = 16
#: How many of the innermost tags (the block's own last) a block's tag path keeps.
MAX_TAG_PATH = 4
#: How many ancestors' subtree statistics a block carries.
ANCESTOR_LEVELS = 4

try:  # the compiled walk is optional: the Python walk gives the same blocks
    from . import _speedups
except ImportError:  # pragma: no cover - depends on the build
    _speedups = None  # type: ignore[assignment]  # optional module: mypy/issues/1297

_CAMEL = re.compile(r"([a-z])([A-Z])")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_TOKEN_ATTRIBUTES = ("class", "id", "role", "itemprop", "itemtype")
_COMMON_TOKEN_ATTRIBUTES = _TOKEN_ATTRIBUTES[:2]
_RARE_ATTRIBUTES = lxml.etree.XPath(
    "descendant-or-self::*[@role or @itemprop or @itemtype or @style or @hidden or @aria-hidden]")
_NAMED = lxml.etree.XPath("descendant-or-self::*[@class or @id]")
_PLAIN_TAG = re.compile(r"^[a-z][a-z0-9]*$")


class Block:
    """One block of a page, with what the features need to know about it.

    ``element`` is the block-level element whose text run this is (blocks of
    one element share it); ``element_id`` numbers that element in document
    order, ``parent_id`` its parent. ``xpath`` finds the element again in the
    parsed tree; it is computed on first use.
    """

    # In __init__'s order: the C walk sets these slots directly, so __init__ only stores.
    __slots__ = ("text", "tag", "element", "position", "depth", "context", "element_id",
                 "parent_id", "own_tokens", "ancestor_tokens", "inner_tokens", "tag_path",
                 "link_text_length", "link_count", "image_count", "input_count",
                 "link_target_length", "link_slug_words", "link_rels", "_xpath", "_locator")

    def __init__(self, text: str, tag: str, element: lxml.etree._Element | None = None,
                 position: int = 0, depth: int = 0, context: int = 0, element_id: int = 0,
                 parent_id: int = -1, own_tokens: tuple[str, ...] = (),
                 ancestor_tokens: tuple[str, ...] = (), inner_tokens: tuple[str, ...] = (),
                 tag_path: tuple[str, ...] = (), link_text_length: int = 0, link_count: int = 0,
                 image_count: int = 0, input_count: int = 0, link_target_length: int = 0,
                 link_slug_words: int = 0, link_rels: int = 0, xpath: str | None = None,
                 locator: _XPathLocator | None = None) -> None:
        self.text = text
        self.tag = tag
        self.element = element
        self.position = position
        self.depth = depth
        self.context = context
        self.element_id = element_id
        self.parent_id = parent_id
        self.own_tokens = own_tokens
        self.ancestor_tokens = ancestor_tokens
        self.inner_tokens = inner_tokens
        self.tag_path = tag_path
        #: Characters of link text, whitespace not counted.
        self.link_text_length = link_text_length
        self.link_count = link_count
        self.image_count = image_count
        self.input_count = input_count
        #: Bytes of the links' targets after their host (:func:`link_target_length`), summed.
        self.link_target_length = link_target_length
        #: Words in the last path segment of the links' targets (:func:`link_slug_words`),
        #: summed: a story's link ends in its headline's words, a menu's in one word.
        self.link_slug_words = link_slug_words
        #: The :data:`LINK_REL_FLAGS` of the rel words of the block's links, or-ed.
        self.link_rels = link_rels
        self._xpath = xpath
        self._locator = locator

    @property
    def xpath(self) -> str:
        """An XPath that finds the block's element in the parsed tree."""
        if self._xpath is None:
            if self.element is None or self._locator is None:
                return ""
            self._xpath = self._locator.xpath(self.element)
        return self._xpath

    def in_context(self, name: str) -> bool:
        """Whether the block sits in the context ``name`` (see :data:`CONTEXT_NAMES`)."""
        return bool(self.context & _FLAG[name])

    def release_element(self) -> None:
        """Drop the reference to the parsed tree (keeping the XPath), to save memory."""
        self.xpath  # noqa: B018 - computed while the element is still there
        self.element = None
        self._locator = None

    def __repr__(self) -> str:
        text = self.text if len(self.text) <= 40 else self.text[:39] + "…"
        return f"Block({self.position}, {self.tag!r}, {text!r})"


#: The descriptors of Block's slots, for the C walk.
_BLOCK_SLOTS = tuple(Block.__dict__[name] for name in Block.__slots__)


class PageBlocks(list):
    """The blocks of one page in document order, plus page-level arrays of the same walk.

    ``ancestor_stats`` is an ``(n, ANCESTOR_LEVELS, 3)`` array: for the 1st to
    4th ancestor of each block's element, the characters (whitespace not
    counted), link characters and blocks in that ancestor's whole subtree;
    zeros above the root. ``ancestor_ids`` holds those ancestors' element ids
    (-1 above the root), and ``subtree_end[e]`` the last element id inside
    element ``e``'s subtree (ids are in document order, so a subtree is an id
    range). ``title`` is the page's ``<title>`` text. ``numbers`` holds the
    blocks' :data:`NUMBER_FIELDS` as one array.
    """

    def __init__(self, blocks: Iterable[Block] = (), ancestor_stats: np.ndarray | None = None,
                 ancestor_ids: np.ndarray | None = None, subtree_end: np.ndarray | None = None,
                 title: str | None = None, numbers: np.ndarray | None = None) -> None:
        super().__init__(blocks)
        #: ``(n, len(NUMBER_FIELDS))`` int64: those attributes of every block, as one array.
        self.numbers = numbers
        self.ancestor_stats = (ancestor_stats if ancestor_stats is not None
                               else np.zeros((len(self), ANCESTOR_LEVELS, 3)))
        self.ancestor_ids = ancestor_ids
        self.subtree_end = subtree_end
        self.title = title

    def release_elements(self) -> None:
        """Drop every block's reference to the parsed tree (see :meth:`Block.release_element`)."""
        for block in self:
            block.release_element()


#: Integer attributes of a block that :attr:`PageBlocks.numbers` holds, in column order.
NUMBER_FIELDS = ("depth", "context", "element_id", "parent_id", "link_text_length",
                 "link_count", "image_count", "input_count", "link_target_length",
                 "link_slug_words", "link_rels")


def numbers_of(blocks: list[Block]) -> np.ndarray:
    """The blocks' :data:`NUMBER_FIELDS` as an ``(n, 11)`` int64 array."""
    numbers = getattr(blocks, "numbers", None)
    if numbers is not None and len(numbers) == len(blocks):
        return numbers
    return np.asarray([[getattr(block, name) for name in NUMBER_FIELDS] for block in blocks],
                      dtype=np.int64).reshape(len(blocks), len(NUMBER_FIELDS))


def ancestor_stats_of(blocks: list[Block]) -> np.ndarray:
    """The ``ancestor_stats`` of ``blocks``: zeros unless they are :class:`PageBlocks`."""
    stats = getattr(blocks, "ancestor_stats", None)
    if stats is None or len(stats) != len(blocks):
        return np.zeros((len(blocks), ANCESTOR_LEVELS, 3))
    return stats


class _XPathLocator:
    """XPaths of elements under one root, each step indexed among same-tag siblings.

    Positions are found by indexing a parent's children once, so XPaths of
    many siblings cost linear time, not quadratic.
    """

    def __init__(self, root: lxml.etree._Element) -> None:
        self.root = root
        self.prefix = root.getroottree().getpath(root)
        self.steps: dict[lxml.etree._Element, str] = {}

    def _index_children(self, parent: lxml.etree._Element) -> None:
        counts: dict[str, int] = {}
        position = 0
        for child in parent.iterchildren(tag=lxml.etree.Element):
            position += 1
            tag = child.tag
            if isinstance(tag, str) and _PLAIN_TAG.match(tag):
                counts[tag] = counts.get(tag, 0) + 1
                self.steps[child] = f"{tag}[{counts[tag]}]"
            else:  # namespaced or odd tags: address them by position among all elements
                self.steps[child] = f"*[{position}]"

    def xpath(self, element: lxml.etree._Element) -> str:
        steps = []
        node = element
        while node is not self.root:
            parent = node.getparent()
            if parent is None:
                break
            step = self.steps.get(node)
            if step is None:
                self._index_children(parent)
                step = self.steps[node]
            steps.append(step)
            node = parent
        steps.append(self.prefix)
        return "/".join(reversed(steps))


def _tokenize(value: str) -> tuple[str, ...]:
    """``"post-navigation clearfix"`` -> ``("post-navigation", "post", "navigation", "clearfix")``.

    Digits-only parts are dropped so ``post-1234`` and ``post-99`` look alike.
    """
    tokens: list[str] = []
    if value != value.lower():
        value = _CAMEL.sub(r"\1 \2", value).lower()
    if value.startswith("http"):  # itemtype URLs: keep the type name
        value = value.rstrip("/").rsplit("/", 1)[-1]
    for word in value.split():
        if word.isascii() and word.isalpha():  # the common case, one plain word
            tokens.append(word)
            continue
        parts = [part for part in _NON_ALNUM.split(word) if part and not part.isdigit()]
        if len(parts) > 1:
            tokens.append("-".join(parts))
        tokens.extend(parts)
    return tuple(tokens)


class _OpenBlock:
    """An open block-level element and the text collected for its current run."""

    __slots__ = ("element", "element_id", "ancestor_ids", "depth", "context", "tokens",
                 "ancestor_tokens", "tag_path", "parent_id", "parts", "link_parts",
                 "link_count", "inner_tokens", "image_count", "input_count", "link_targets",
                 "enclosing_target", "link_slugs", "enclosing_slugs", "link_rels",
                 "enclosing_rels")

    def __init__(self, element, element_id, ancestor_ids, depth, context, tokens,
                 ancestor_tokens, tag_path, parent_id, enclosing_target=0, enclosing_slugs=0,
                 enclosing_rels=0):
        self.element = element
        self.element_id = element_id
        self.ancestor_ids = ancestor_ids
        self.depth = depth
        self.context = context
        self.tokens = tokens
        self.ancestor_tokens = ancestor_tokens
        self.tag_path = tag_path
        self.parent_id = parent_id
        # A block inside a link (a card whose link wraps its headline) has that link's target.
        self.enclosing_target = enclosing_target
        self.enclosing_slugs = enclosing_slugs
        self.enclosing_rels = enclosing_rels
        self.reset()

    def reset(self) -> None:
        self.parts: list[str] = []
        self.link_parts: list[str] = []
        self.link_count = 0
        self.inner_tokens: list[str] = []
        self.image_count = 0
        self.input_count = 0
        self.link_targets = self.enclosing_target
        self.link_slugs = self.enclosing_slugs
        self.link_rels = self.enclosing_rels


#: A link target longer than this counts as this long (see :func:`link_target_length`).
MAX_LINK_TARGET = 100
_SCHEME_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.")


def link_target_length(href: str | None) -> int:
    """UTF-8 bytes of a link's target after its scheme and host, without the fragment.

    A link to one story (``/2024/05/rain-returns-to-the-valley``) has a long target, a
    menu's link to a section (``/news/``) a short one; links that go nowhere on the web
    (``#top``, ``javascript:``, ``mailto:``) count 0. At most :data:`MAX_LINK_TARGET`.
    The compiled walk computes the same.
    """
    path = _target_path(href)
    return min(len(path), MAX_LINK_TARGET) if path else 0


def _target_path(href: str | None) -> bytes | None:
    """The UTF-8 bytes of ``href`` after its scheme and host, without the fragment; None
    for links that go nowhere on the web."""
    if not href:
        return None
    data = href.encode("utf-8", "surrogatepass").strip(b" \t\n\r\f")
    data = data.split(b"#", 1)[0]
    start = 0
    if data.startswith(b"//"):
        start = 2
    else:
        colon = data.find(b":")
        if colon > 0 and all(byte in _SCHEME_CHARS for byte in data[:colon]):
            if data[colon + 1:colon + 3] != b"//":
                return None  # mailto:, javascript:, tel:, data:
            start = colon + 3
    if start:
        ends = [i for i in (data.find(b"/", start), data.find(b"?", start)) if i >= 0]
        start = min(ends) if ends else len(data)
    return data[start:]


#: A link target's last path segment with more words than this counts as this many.
MAX_SLUG_WORDS = 15
_SLUG_SEPARATORS = re.compile(rb"[-_+.]+")
_EXTENSION = re.compile(rb"\.[A-Za-z0-9]{2,5}\Z")


def link_slug_words(href: str | None) -> int:
    """Words in the last path segment of a link's target, split at ``-``, ``_``, ``+``, ``.``.

    A link to a story usually ends in its headline (``/2024/05/rain-returns-to-the-valley``:
    5), a menu's link in a section name (``/news/``: 1). A file extension (``.html``) is not
    a word; links that go nowhere on the web, and targets with no path, count 0. At most
    :data:`MAX_SLUG_WORDS`. The compiled walk computes the same.
    """
    path = _target_path(href)
    if not path:
        return 0
    path = path.split(b"?", 1)[0].rstrip(b"/")
    segment = _EXTENSION.sub(b"", path.rsplit(b"/", 1)[-1])
    words = sum(1 for word in _SLUG_SEPARATORS.split(segment) if word)
    return min(words, MAX_SLUG_WORDS)


#: Link ``rel`` words that say what a link is, by flag: pagination, a post's permalink
#: (WordPress puts it on headlines), a tag or category, the author, a user's link
#: (commenters), the site's own pages, and links the site does not vouch for.
LINK_REL_FLAGS = {"pagination": 1, "bookmark": 2, "tag": 4, "author": 8, "ugc": 16,
                  "site": 32, "nofollow": 64}
#: The rel words each flag stands for (handed to the compiled walk too).
LINK_REL_WORDS = {
    "prev": 1, "previous": 1, "next": 1, "first": 1, "last": 1, "bookmark": 2, "tag": 4,
    "category": 4, "author": 8, "ugc": 16, "home": 32, "privacy-policy": 32, "license": 32,
    "terms-of-service": 32, "nofollow": 64, "sponsored": 64, "external": 64,
}
_HREF_SPACE = re.compile(r"[ \t\n\r\f]+")
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def link_rel_flags(rel: str | None) -> int:
    """The :data:`LINK_REL_FLAGS` of a link's ``rel`` attribute (ASCII case ignored)."""
    if not rel:
        return 0
    flags = 0
    for word in _HREF_SPACE.split(rel):
        flags |= LINK_REL_WORDS.get(word.translate(_ASCII_LOWER), 0)
    return flags


# What an open element is, for its "end" event.
_INLINE, _BLOCK, _LINK, _SKIPPED = range(4)
# Inline elements the open block counts.
_COUNTED = {"a": 1, "img": 2, "input": 3, "button": 4, "br": 5}


class _Walk:
    """The state of one walk over a tree (see :func:`build_blocks`)."""

    def __init__(self, root: lxml.etree._Element) -> None:
        self.locator = _XPathLocator(root)
        self.blocks: list[Block] = []
        self.token_cache: dict[str, tuple[tuple[str, ...], int]] = {}
        # Per block: ids of its element's nearest ancestors (-1 above the root).
        self.block_ancestors: list[tuple[int, ...]] = []
        # Per element id (1-based, document order): the last id inside its subtree.
        self.subtree_end: list[int] = [0]

    def tokens_of(self, element, names: tuple[str, ...]) -> tuple[tuple[str, ...], int]:
        """The element's class/id/role/itemprop tokens and the context flags they imply."""
        found: tuple[str, ...] = ()
        flags = 0
        cache = self.token_cache
        for name in names:
            value = element.get(name)
            if value:
                cached = cache.get(value)
                if cached is None:
                    tokens = _tokenize(value)
                    implied = 0
                    for token in tokens:
                        implied |= _TOKEN_FLAGS.get(token, 0)
                    cached = cache[value] = (tokens, implied)
                found += cached[0]
                flags |= cached[1]
        return found, flags

    def flush(self, open_block: _OpenBlock) -> None:
        """Turn the open block's current text run into a block, if it has text."""
        if open_block.parts:
            text = " ".join("".join(open_block.parts).split())
            if text:
                # Whitespace-free, so that a block made only of links has density 1.
                link_chars = (len("".join("".join(open_block.link_parts).split()))
                              if open_block.link_parts else 0)
                self.block_ancestors.append(open_block.ancestor_ids)
                self.blocks.append(Block(
                    text, open_block.element.tag, open_block.element, len(self.blocks),
                    open_block.depth, open_block.context, open_block.element_id,
                    open_block.parent_id, open_block.tokens[:MAX_OWN_TOKENS],
                    open_block.ancestor_tokens, tuple(open_block.inner_tokens[:MAX_INNER_TOKENS]),
                    open_block.tag_path, link_chars, open_block.link_count,
                    open_block.image_count, open_block.input_count, open_block.link_targets,
                    open_block.link_slugs, open_block.link_rels, None, self.locator,
                ))
        open_block.reset()

    def page_blocks(self, title: str | None, numbers: np.ndarray | None = None,
                    ancestor_ids: np.ndarray | None = None,
                    subtree_end: np.ndarray | None = None,
                    visible: np.ndarray | None = None) -> PageBlocks:
        """The page's blocks; the compiled walk passes its arrays, the Python walk's lists
        (:attr:`block_ancestors`, :attr:`subtree_end`) are used otherwise."""
        if ancestor_ids is None:
            ancestor_ids = np.asarray(self.block_ancestors, dtype=np.int64).reshape(
                -1, ANCESTOR_LEVELS)
        if subtree_end is None:
            subtree_end = np.asarray(self.subtree_end, dtype=np.int64)
        if numbers is None:
            numbers = numbers_of(self.blocks)
        stats = self.ancestor_stats(ancestor_ids, subtree_end, numbers, visible)
        return PageBlocks(self.blocks, stats, ancestor_ids, subtree_end, title, numbers)

    def ancestor_stats(self, ancestors: np.ndarray, subtree_end: np.ndarray,
                       numbers: np.ndarray, visible: np.ndarray | None = None) -> np.ndarray:
        """Subtree characters, link characters and blocks of each block's nearest ancestors.

        ``visible`` is each block's characters that are not spaces, if the walk counted them.
        """
        n = len(self.blocks)
        if n == 0:
            return np.zeros((0, ANCESTOR_LEVELS, 3))
        owners = numbers[:, NUMBER_FIELDS.index("element_id")]
        if visible is None:
            visible = np.fromiter((len(t) - t.count(" ") for t in (b.text for b in self.blocks)),
                                  dtype=np.float64, count=n)
        links = numbers[:, NUMBER_FIELDS.index("link_text_length")].astype(np.float64)
        n_elements = len(subtree_end)
        # Element ids are in document order, so a subtree is the id range [i, end(i)]:
        # its totals are differences of prefix sums over the elements' own blocks.
        prefix = np.zeros((n_elements + 1, 3))
        for column, weights in enumerate((visible, links, np.ones(n))):
            prefix[1:, column] = np.cumsum(np.bincount(owners, weights, minlength=n_elements))
        valid = ancestors > 0
        first = np.where(valid, ancestors, 0)
        last = subtree_end[first]
        stats = prefix[last + 1] - prefix[first]
        stats[~valid] = 0.0
        return stats


def build_blocks(root: lxml.etree._Element | None, use_speedups: bool = True) -> PageBlocks:
    """Return the blocks of the tree under ``root`` in document order.

    The walk is iterative, so deep trees cannot hit Python's recursion limit,
    and time and memory stay linear in the size of the tree. The tree is not
    modified. It runs in C when the optional ``boilerkit._speedups`` extension
    is built (``use_speedups=False`` forces the pure-Python walk, which gives
    the same blocks).
    """
    if root is None:
        return PageBlocks()
    with collection_paused():
        if use_speedups and _speedups is not None and isinstance(root, lxml.etree._Element):
            return _build_blocks_compiled(root)
        return _build_blocks_python(root)


def _build_blocks_compiled(root: lxml.etree._Element) -> PageBlocks:
    walk = _Walk(root)
    walk.blocks, ancestors, subtree_end, numbers, visible = _speedups.walk(
        root, Block, _BLOCK_SLOTS, walk.locator)
    return walk.page_blocks(
        _title_of(root),
        np.frombuffer(numbers, dtype=np.int64).reshape(-1, len(NUMBER_FIELDS)),
        np.frombuffer(ancestors, dtype=np.int64).reshape(-1, ANCESTOR_LEVELS),
        np.frombuffer(subtree_end, dtype=np.int64),
        np.frombuffer(visible, dtype=np.int64).astype(np.float64))


def _title_of(root: lxml.etree._Element) -> str | None:
    title = root.find("head/title")
    return " ".join(title.text.split()) if title is not None and title.text else None


def _build_blocks_python(root: lxml.etree._Element) -> PageBlocks:
    walk = _Walk(root)
    flush = walk.flush
    subtree_end = walk.subtree_end
    open_blocks: list[_OpenBlock] = []
    # One frame per open element: (element id, context flags, tokens for descendants,
    # tag, kind). Sentinel frames at the bottom stand for ancestors above the root.
    sentinel = (-1, 0, (), None, _INLINE)
    frames: list[tuple] = [sentinel] * ANCESTOR_LEVELS
    link_depth = 0
    # (target length, slug words, rel flags) of each open link, innermost last.
    open_links: list[tuple[int, int, int]] = []
    element_id = 0
    # Two C-level queries find the few elements with attributes the walk reads, so
    # that the walk asks the others for nothing (each attribute lookup costs).
    rare = set(cast("list[lxml.etree._Element]", _RARE_ATTRIBUTES(root)))
    named = set(cast("list[lxml.etree._Element]", _NAMED(root)))
    walker = lxml.etree.iterwalk(root, events=("start", "end", "comment", "pi"))
    for event, element in walker:
        if event == "start":
            tag = element.tag
            if tag in SKIPPED_TAGS or type(tag) is not str:
                walker.skip_subtree()
                frames.append((-1, 0, (), tag, _SKIPPED))
                continue
            element_id += 1
            subtree_end.append(element_id)
            parent = frames[-1]
            context = parent[1] | _TAG_FLAGS.get(tag, 0)
            ancestor_tokens = parent[2]
            tokens = ancestor_tokens
            own_tokens: tuple[str, ...] = ()
            if element in rare:
                own_tokens, implied = walk.tokens_of(element, _TOKEN_ATTRIBUTES)
                context |= implied
                role = element.get("role")
                if role:
                    context |= _ROLE_FLAGS.get(role.strip().lower(), 0)
                style = element.get("style")
                if (element.get("hidden") is not None or element.get("aria-hidden") == "true"
                        or (style and ("display:none" in (style := style.replace(" ", "").lower())
                                       or "visibility:hidden" in style))):
                    context |= HIDDEN
            elif element in named:
                own_tokens, implied = walk.tokens_of(element, _COMMON_TOKEN_ATTRIBUTES)
                context |= implied
            if own_tokens:
                tokens = (ancestor_tokens + own_tokens)[-MAX_ANCESTOR_TOKENS:]
            if tag in BLOCK_TAGS:
                if open_blocks:
                    flush(open_blocks[-1])
                tag_path = tuple(frame[3] for frame in frames[1 - MAX_TAG_PATH:]
                                 if frame[3] is not None) + (tag,)
                open_blocks.append(_OpenBlock(
                    element, element_id,
                    (parent[0], frames[-2][0], frames[-3][0], frames[-4][0])[:ANCESTOR_LEVELS],
                    len(frames) - ANCESTOR_LEVELS, context, own_tokens, ancestor_tokens, tag_path,
                    parent[0], *(open_links[-1] if open_links else (0, 0, 0)),
                ))
                kind = _BLOCK
            else:
                kind = _INLINE
                counted = _COUNTED.get(tag)
                if counted == 1:
                    link_depth += 1  # also outside blocks, to match the decrement at its end
                    href = element.get("href")
                    open_links.append((link_target_length(href), link_slug_words(href),
                                       link_rel_flags(element.get("rel"))))
                    kind = _LINK
                if open_blocks:
                    current = open_blocks[-1]
                    if counted:
                        if counted == 1:
                            current.link_count += 1
                            current.link_targets += open_links[-1][0]
                            current.link_slugs += open_links[-1][1]
                            current.link_rels |= open_links[-1][2]
                        elif counted == 2:
                            current.image_count += 1
                        elif counted == 5:
                            current.parts.append("\n")
                        else:
                            current.input_count += 1
                            if counted == 3 and element.get("type", "").lower() in ("submit",
                                                                                    "button"):
                                current.parts.append(" " + (element.get("value") or "") + " ")
                    if own_tokens:
                        current.inner_tokens.extend(own_tokens)
            frames.append((element_id, context, tokens, tag, kind))
            text = element.text
            if text and open_blocks:
                current = open_blocks[-1]
                current.parts.append(text)
                if link_depth:
                    current.link_parts.append(text)
            continue
        if event == "end":
            frame = frames.pop()
            kind = frame[4]
            if kind != _SKIPPED:
                subtree_end[frame[0]] = element_id
                if kind == _BLOCK:
                    flush(open_blocks.pop())
                elif kind == _LINK:
                    link_depth -= 1
                    open_links.pop()
        tail = element.tail  # "end", "comment" and "pi" events: the text after the node
        if tail and open_blocks:
            current = open_blocks[-1]
            current.parts.append(tail)
            if link_depth:
                current.link_parts.append(tail)
    return walk.page_blocks(_title_of(root))



def _configure_speedups() -> None:
    """Hand the compiled walk the same tables the Python walk uses."""
    names = BLOCK_TAGS | SKIPPED_TAGS | set(_TAG_FLAGS) | set(_COUNTED)
    tags = {name: (name in BLOCK_TAGS, name in SKIPPED_TAGS, _COUNTED.get(name, 0),
                   _TAG_FLAGS.get(name, 0)) for name in names}
    _speedups.configure(tags, dict(_ROLE_FLAGS), dict(_TOKEN_FLAGS), _tokenize,
                        (MAX_OWN_TOKENS, MAX_ANCESTOR_TOKENS, MAX_INNER_TOKENS, MAX_TAG_PATH,
                         ANCESTOR_LEVELS), HIDDEN, LINK_REL_WORDS)


if _speedups is not None:
    _configure_speedups()
