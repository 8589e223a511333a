"""Step 2: cut a parsed page into blocks, in one pass over the tree.

A *block* is the text of a block-level element (see :data:`BLOCK_TAGS`) that
no other block-level element interrupts. Inline tags (``a``, ``span``, ``em``,
``strong``, ``br``, ...) stay inside the block. When a block-level child
interrupts an element's text, the text before and after the child become two
blocks that share the same element (and XPath). Text inside ``head``,
``script``, ``style``, ``noscript`` and ``template`` is never part of a block,
and whitespace-only blocks are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import lxml.etree

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
MAX_TAG_PATH = 16
#: How many ancestors' subtree statistics a block carries.
ANCESTOR_LEVELS = 4

_CAMEL = re.compile(r"([a-z])([A-Z])")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_TOKEN_ATTRIBUTES = ("class", "id", "role", "itemprop", "itemtype")


@dataclass(slots=True, eq=False)
class Block:
    """One block of a page, with what the features need to know about it."""

    text: str
    xpath: str
    tag: str
    tag_path: tuple[str, ...]
    own_tokens: tuple[str, ...]
    ancestor_tokens: tuple[str, ...]
    inner_tokens: tuple[str, ...]
    link_text_length: int  # characters of link text, whitespace not counted
    link_count: int
    position: int
    depth: int
    context: int
    parent_id: int
    image_count: int = 0
    input_count: int = 0
    #: For the 1st to 4th ancestor of the element: characters (whitespace not counted),
    #: link characters and blocks in that ancestor's whole subtree; zeros above the root.
    ancestor_stats: tuple[tuple[int, int, int], ...] = ()
    element: lxml.etree._Element | None = field(default=None, repr=False)

    def in_context(self, name: str) -> bool:
        """Whether the block sits in the context ``name`` (see :data:`CONTEXT_NAMES`)."""
        return bool(self.context & _FLAG[name])


def _tokenize(value: str) -> tuple[str, ...]:
    """``"post-navigation clearfix"`` -> ``("post-navigation", "post", "navigation", "clearfix")``.

    Digits-only parts are dropped so ``post-1234`` and ``post-99`` look alike.
    """
    tokens: list[str] = []
    value = _CAMEL.sub(r"\1 \2", value).lower()
    if value.startswith("http"):  # itemtype URLs: keep the type name
        value = value.rstrip("/").rsplit("/", 1)[-1]
    for word in value.split():
        parts = [part for part in _NON_ALNUM.split(word) if part and not part.isdigit()]
        if len(parts) > 1:
            tokens.append("-".join(parts))
        tokens.extend(parts)
    return tuple(tokens)


class _OpenBlock:
    """An open block-level element and the text collected for its current run."""

    __slots__ = ("element", "element_id", "ancestor_ids", "depth", "context", "tokens",
                 "ancestor_tokens", "tag_path", "parent_id", "xpath", "parts",
                 "link_parts", "link_count", "inner_tokens", "image_count", "input_count")

    def __init__(self, element, element_id, ancestor_ids, xpath, depth, context, tokens,
                 ancestor_tokens, tag_path, parent_id):
        self.element = element
        self.element_id = element_id
        self.ancestor_ids = ancestor_ids
        self.xpath = xpath
        self.depth = depth
        self.context = context
        self.tokens = tokens
        self.ancestor_tokens = ancestor_tokens
        self.tag_path = tag_path
        self.parent_id = parent_id
        self._reset()

    def _reset(self) -> None:
        self.parts: list[str] = []
        self.link_parts: list[str] = []
        self.link_count = 0
        self.inner_tokens: list[str] = []
        self.image_count = 0
        self.input_count = 0


_PLAIN_TAG = re.compile(r"^[a-z][a-z0-9]*$")


def build_blocks(root: lxml.etree._Element | None) -> list[Block]:
    """Return the blocks of the tree under ``root`` in document order.

    The walk is iterative (``lxml.etree.iterwalk``), so deep trees cannot hit
    Python's recursion limit; XPaths are built during the walk, so time stays
    linear in the size of the tree. The tree is not modified.
    """
    if root is None:
        return []
    blocks: list[Block] = []
    token_cache: dict[str, tuple[tuple[str, ...], int]] = {}

    def tokens_of(element) -> tuple[tuple[str, ...], int]:
        """The element's class/id/role/itemprop tokens and the context flags they imply."""
        found: tuple[str, ...] = ()
        flags = 0
        for name in _TOKEN_ATTRIBUTES:
            value = element.get(name)
            if value:
                cached = token_cache.get(value)
                if cached is None:
                    tokens = _tokenize(value)
                    implied = 0
                    for token in tokens:
                        implied |= _TOKEN_FLAGS.get(token, 0)
                    cached = token_cache[value] = (tokens, implied)
                found += cached[0]
                flags |= cached[1]
        return found, flags

    def flush(open_block: _OpenBlock) -> None:
        if open_block.parts:
            text = " ".join("".join(open_block.parts).split())
            if text:
                # Whitespace-free, so that a block made only of links has density 1.
                link_chars = len("".join("".join(open_block.link_parts).split()))
                owner = open_block.element_id
                subtree_chars[owner] += len(text) - text.count(" ")
                subtree_links[owner] += link_chars
                subtree_blocks[owner] += 1
                block_ancestors.append(open_block.ancestor_ids)
                blocks.append(Block(
                    text=text, xpath=open_block.xpath, tag=open_block.element.tag,
                    tag_path=open_block.tag_path, own_tokens=open_block.tokens[:MAX_OWN_TOKENS],
                    ancestor_tokens=open_block.ancestor_tokens,
                    inner_tokens=tuple(open_block.inner_tokens[:MAX_INNER_TOKENS]),
                    link_text_length=link_chars, link_count=open_block.link_count,
                    position=len(blocks), depth=open_block.depth, context=open_block.context,
                    parent_id=open_block.parent_id,
                    image_count=open_block.image_count, input_count=open_block.input_count,
                    element=open_block.element,
                ))
        open_block._reset()

    def add_text(text: str) -> None:
        current = open_blocks[-1]
        current.parts.append(text)
        if link_depth:
            current.link_parts.append(text)

    # Parallel stacks, one entry per open element (a sentinel at the bottom).
    context_stack = [0]
    tokens_stack: list[tuple[str, ...]] = [()]
    path_stack: list[tuple[str, ...]] = [()]
    id_stack = [-1] * (ANCESTOR_LEVELS + 1)
    # Per element id: characters, link characters and blocks in its subtree, summed up
    # from the children as each element ends.
    subtree_chars = [0]
    subtree_links = [0]
    subtree_blocks = [0]
    block_ancestors: list[tuple[int, ...]] = []
    # XPath steps of the open elements, and per open element its children counted by tag.
    root_path = root.getroottree().getpath(root)
    step_stack: list[str] = [root_path.rsplit("/", 1)[0]]
    child_counts: list[dict[str, int]] = [{}]
    open_blocks: list[_OpenBlock] = []
    link_depth = 0
    element_id = 0
    walker = lxml.etree.iterwalk(root, events=("start", "end", "comment", "pi"))
    for event, element in walker:
        if event == "comment" or event == "pi":
            if element.tail and open_blocks:
                add_text(element.tail)
            continue
        tag = element.tag
        if event == "start":
            counts = child_counts[-1]
            if not isinstance(tag, str) or not _PLAIN_TAG.match(tag):
                # Namespaced or odd tags: address them by position among all elements.
                counts["*"] = position = counts.get("*", 0) + 1
                step = f"*[{position}]"
            else:
                counts["*"] = counts.get("*", 0) + 1
                counts[tag] = position = counts.get(tag, 0) + 1
                step = f"{tag}[{position}]"
            if element is root:
                step = root_path.rsplit("/", 1)[1]
            if tag in SKIPPED_TAGS or not isinstance(tag, str):
                walker.skip_subtree()
                context_stack.append(context_stack[-1])
                tokens_stack.append(tokens_stack[-1])
                path_stack.append(path_stack[-1])
                id_stack.append(-1)
                step_stack.append(step)
                child_counts.append({})
                continue
            element_id += 1
            subtree_chars.append(0)
            subtree_links.append(0)
            subtree_blocks.append(0)
            context = context_stack[-1] | _TAG_FLAGS.get(tag, 0)
            own_tokens: tuple[str, ...] = ()
            if element.attrib:
                own_tokens, implied = tokens_of(element)
                context |= implied
                role = element.get("role")
                if role:
                    context |= _ROLE_FLAGS.get(role.strip().lower(), 0)
                style = (element.get("style") or "").replace(" ", "").lower()
                if (element.get("hidden") is not None
                        or element.get("aria-hidden") == "true"
                        or "display:none" in style or "visibility:hidden" in style):
                    context |= HIDDEN
            ancestor_tokens = tokens_stack[-1]
            tag_path = (path_stack[-1] + (tag,))[-MAX_TAG_PATH:]
            step_stack.append(step)
            child_counts.append({})
            if tag == "a":
                link_depth += 1  # also outside blocks, to match the decrement at its end
            if tag in BLOCK_TAGS:
                if open_blocks:
                    flush(open_blocks[-1])
                open_blocks.append(_OpenBlock(
                    element, element_id, tuple(id_stack[-1:-ANCESTOR_LEVELS - 1:-1]),
                    "/".join(step_stack), len(id_stack) - ANCESTOR_LEVELS - 1, context,
                    own_tokens, ancestor_tokens, tag_path, id_stack[-1],
                ))
            elif open_blocks:
                current = open_blocks[-1]
                if tag == "a":
                    current.link_count += 1
                elif tag == "img":
                    current.image_count += 1
                elif tag == "input" or tag == "button":
                    current.input_count += 1
                    if tag == "input" and element.get("type", "").lower() in ("submit", "button"):
                        current.parts.append(" " + (element.get("value") or "") + " ")
                elif tag == "br":
                    current.parts.append("\n")
                if own_tokens:
                    current.inner_tokens.extend(own_tokens)
            context_stack.append(context)
            tokens_stack.append((ancestor_tokens + own_tokens)[-MAX_ANCESTOR_TOKENS:])
            path_stack.append(tag_path)
            id_stack.append(element_id)
            if element.text and open_blocks:
                add_text(element.text)
        else:
            if tag in BLOCK_TAGS:
                flush(open_blocks.pop())  # before the subtree totals move up to the parent
            elif tag == "a":
                link_depth -= 1
            context_stack.pop()
            tokens_stack.pop()
            path_stack.pop()
            ended = id_stack.pop()
            parent = id_stack[-1]
            if ended > 0 and parent > 0:
                subtree_chars[parent] += subtree_chars[ended]
                subtree_links[parent] += subtree_links[ended]
                subtree_blocks[parent] += subtree_blocks[ended]
            step_stack.pop()
            child_counts.pop()
            if element.tail and open_blocks:
                add_text(element.tail)
    for block, ancestors in zip(blocks, block_ancestors):
        block.ancestor_stats = tuple(
            (subtree_chars[i], subtree_links[i], subtree_blocks[i]) if i > 0 else (0, 0, 0)
            for i in ancestors)
    return blocks
