"""Write block labels into a page as ``data-label`` attributes, as few as will do.

The inverse of :func:`boilerkit.labelled.page_from_html`: a block takes the
label of its nearest ancestor-or-self with a ``data-label`` (``""`` for
unlabelled), so one attribute on a container labels all of its blocks and
only the exceptions inside it need their own. :func:`minimal_labels` finds the
fewest attributes, on block-level elements only, that give every block its
label (a small dynamic programme over the tree: per element and label in
force from above, the cheapest way to label its subtree).

Blocks that share one element (a container's text runs around child blocks)
can only have one label between them, since the attribute is per element;
:func:`group_labels` settles such a group on the label of most of its text.
"""

from __future__ import annotations

from collections.abc import Sequence

import lxml.etree

from .blocks import BLOCK_TAGS, Block, build_blocks
from .errors import BoilerkitError
from .labelled import page_from_html
from .parse import parse_html

ATTRIBUTE = "data-label"
_UNSET = object()  # "no attribute here"; None is a real choice (data-label="")


class LabelWriteError(BoilerkitError):
    """The labels cannot be written so that the training reader reads them back."""


def group_labels(blocks: Sequence[Block], labels: Sequence[str | None]) -> list[str | None]:
    """``labels`` with every group of blocks sharing an element set to one label.

    A group takes the label that covers most of its characters (unlabelled
    counts as a label; ties go to the earlier block).
    """
    if len(blocks) != len(labels):
        raise ValueError(f"{len(labels)} labels for {len(blocks)} blocks")
    groups: dict = {}
    for index, block in enumerate(blocks):
        groups.setdefault(block.element if block.element is not None else index, []).append(index)
    result = list(labels)
    for members in groups.values():
        if len({labels[i] for i in members}) < 2:
            continue
        weight: dict = {}
        for i in members:
            weight[labels[i]] = weight.get(labels[i], 0) + len(blocks[i].text)
        best = max(weight, key=lambda label: (weight[label],
                                              -min(i for i in members if labels[i] == label)))
        for i in members:
            result[i] = best
    return result


def minimal_labels(root: lxml.etree._Element, blocks: Sequence[Block],
                   labels: Sequence[str | None]) -> dict:
    """The fewest ``{element: label}`` (``None``: ``data-label=""``) that label every block.

    ``blocks`` are the blocks of the tree under ``root`` with their elements;
    blocks sharing an element must have one label (see :func:`group_labels`).
    Attributes go on block-level elements only. When several placements cost
    the same, the outermost element wins, so a region is labelled where it
    starts.
    """
    wanted: dict = {}
    for block, label in zip(blocks, labels, strict=True):
        if block.element is None:
            raise ValueError("blocks need their elements (keep_elements=True)")
        if wanted.get(block.element, label) != label:
            raise ValueError(f"blocks of one element {block.xpath} have different labels")
        wanted[block.element] = label
    choices = [None] + sorted({label for label in labels if label is not None})

    # Elements on a path from the root to a block's element, children before parents.
    relevant: dict = {}
    for element in wanted:
        node = element
        while node is not None and node not in relevant:
            relevant[node] = []
            node = node.getparent()
    order = []
    for node in relevant:
        parent = node.getparent()
        if parent is not None and parent in relevant:
            relevant[parent].append(node)
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in relevant.get(node, ()))

    cost: dict = {}    # node -> {label in force from above: cheapest count}
    choice: dict = {}  # node -> {label in force from above: label set here or _UNSET}
    for node in order:
        children = relevant.get(node, ())
        below = {effective: sum(cost[child][effective] for child in children)
                 for effective in choices}
        own = wanted.get(node, _UNSET)
        labellable = isinstance(node.tag, str) and node.tag in BLOCK_TAGS
        node_cost, node_choice = {}, {}
        for inherited in choices:
            options: list[tuple[float, int, int, object]] = []  # object: a label or _UNSET
            # Ties: an attribute here (outermost) before none, then by label order.
            if labellable:
                for rank, label in enumerate(choices):
                    if label != inherited and (own is _UNSET or own == label):
                        options.append((1 + below[label], 0, rank, label))
            if own is _UNSET or own == inherited:
                options.append((below[inherited], 1, 0, _UNSET))
            if not options:
                node_cost[inherited], node_choice[inherited] = float("inf"), _UNSET
                continue
            best = min(options, key=lambda option: option[:3])
            node_cost[inherited], node_choice[inherited] = best[0], best[3]
        cost[node], choice[node] = node_cost, node_choice
    if root not in cost or cost[root][None] == float("inf"):
        raise LabelWriteError("no placement of data-label attributes gives these labels")

    placed: dict = {}
    pending: list[tuple[lxml.etree._Element, str | None]] = [(root, None)]
    while pending:
        node, inherited = pending.pop()
        label = choice[node][inherited]
        effective = inherited
        if label is not _UNSET:
            placed[node] = label
            effective = label
        pending.extend((child, effective) for child in relevant.get(node, ()))
    return placed


def _set_charset_utf8(root) -> None:
    for meta in root.iter("meta"):
        if meta.get("charset") is not None:
            meta.set("charset", "utf-8")
        elif (meta.get("http-equiv") or "").lower() == "content-type":
            meta.set("content", "text/html; charset=utf-8")


def write_labels(html: bytes | str, labels: Sequence[str | None]) -> tuple[bytes, int]:
    """The page ``html`` with ``labels`` (one per block, ``None``: unlabelled) as ``data-label``.

    Existing ``data-label`` attributes are replaced. The result is UTF-8 and
    is checked by reading it back with the training reader: the same blocks
    with these labels, or :class:`LabelWriteError`. Returns ``(html bytes,
    number of attributes written)``. The page is re-serialised by lxml, so
    comments are dropped and markup is normalised; the text is not changed.
    """
    root = parse_html(html)
    if root is None:
        raise LabelWriteError("the page is empty")
    blocks = build_blocks(root)
    if len(blocks) != len(labels):
        raise LabelWriteError(f"{len(labels)} labels for a page of {len(blocks)} blocks")
    labels = group_labels(blocks, [label.strip().lower() if label else None for label in labels])
    for element in root.iter():
        if isinstance(element.tag, str) and ATTRIBUTE in element.attrib:
            del element.attrib[ATTRIBUTE]
    placed = minimal_labels(root, blocks, labels)
    for element, label in placed.items():
        element.set(ATTRIBUTE, label or "")
    _set_charset_utf8(root)
    data = lxml.etree.tostring(root.getroottree(), method="html", encoding="utf-8")
    check = page_from_html(data, "<written>")
    if [block.text for block in check.blocks] != [block.text for block in blocks]:
        raise LabelWriteError("the page's blocks change when it is written out again; "
                              "its labels cannot be saved in the data-label format")
    if check.labels != labels:
        wrong = next(i for i, (a, b) in enumerate(zip(check.labels, labels)) if a != b)
        raise LabelWriteError(f"block {wrong} ({blocks[wrong].text[:40]!r}) would read back as "
                              f"{check.labels[wrong]!r}, not {labels[wrong]!r}")
    return data, len(placed)
