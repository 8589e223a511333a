"""See the labels: the page as it looks, every block tinted in its label's colour.

:func:`build_view` turns a classified page into one self-contained HTML file:

- every block's element gets ``data-bk`` (the block's number) and
  ``data-bk-label``; the stylesheet outlines and tints it in its label's
  colour. When a container's own text runs sit between child blocks (so
  several blocks share one element), each run is wrapped in a ``<span>``
  that carries the marks instead, so no marked box holds another;
- a fixed legend counts the blocks per label and has a switch per label
  (hide it, or show only it: "article only" is what ``extract`` keeps);
- hovering a block shows its label, probability and the runner-up;
- the page itself is made safe first (:mod:`boilerkit.sanitize`) and the view
  carries a strict Content-Security-Policy that lets only its own inline
  script run. It loads nothing: its CSS and JavaScript are inline.

The same view, in other modes, is the labelling editor
(:mod:`boilerkit.labelling_server`) and the gold-versus-predicted page of the
evaluation report (:mod:`boilerkit.report`).
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import lxml.etree

from .blocks import BLOCK_TAGS, SKIPPED_TAGS
from .labels import PARTIAL_LABEL, PRIMARY_LABEL, label_order
from .page import Page
from .parse import parse_html
from .sanitize import content_security_policy, make_safe

#: Colours of the standard labels (colour-blind safe, from ColorBrewer's Dark2/Set1 families).
LABEL_COLOURS = {
    "article": (27, 158, 119),     # green
    "navigation": (51, 102, 204),  # blue
    "teaser": (230, 149, 0),       # amber
    "comment": (197, 27, 138),     # magenta
}
_EXTRA_COLOURS = ((117, 112, 179), (166, 118, 29), (102, 166, 30), (231, 41, 138),
                  (0, 150, 200), (160, 60, 60), (90, 90, 90), (200, 120, 160))
#: Opacity of a block's tint over the page.
TINT_ALPHA = 0.3
UNLABELLED = None
MODES = ("show", "edit", "compare")

_UI_PLACEHOLDER = "boilerkit-ui"
_RUN_TAG = "span"


def label_colours(labels: Sequence[str]) -> dict[str, tuple[int, int, int]]:
    """A colour per label: the fixed ones for the standard labels, a palette for others."""
    colours: dict[str, tuple[int, int, int]] = {}
    extra = iter(_EXTRA_COLOURS * (len(labels) // len(_EXTRA_COLOURS) + 1))
    for label in labels:
        colours[label] = LABEL_COLOURS.get(label) or next(extra)
    return colours


# -- assets -----------------------------------------------------------------------


@functools.cache
def _asset(name: str) -> str:
    # One joinpath step at a time: Python 3.10's Traversable takes a single name.
    return resources.files("boilerkit").joinpath("assets").joinpath(name).read_text(
        encoding="utf-8")


def script_hash(script: str) -> str:
    """The CSP hash source (base64 sha256) of an inline script's text."""
    return base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")


def view_script() -> str:
    """The view's JavaScript (one inline script; the CSP allows it by hash)."""
    return _asset("view.js")


# -- marking blocks -----------------------------------------------------------------


def _skips(element) -> bool:
    return not isinstance(element.tag, str) or element.tag in SKIPPED_TAGS


def _is_boundary(element, owner) -> bool:
    """A block-level element below ``owner`` ends one of ``owner``'s text runs."""
    return element is not owner and isinstance(element.tag, str) and element.tag in BLOCK_TAGS


def _carriers(owner) -> set | None:
    """Inline elements under ``owner`` that hold a block-level element (they split runs).

    None if ``owner`` holds no block-level element at all: its text is one block.
    """
    stack: list = []
    carriers: set = set()
    found = False
    walker = lxml.etree.iterwalk(owner, events=("start", "end"))
    for event, element in walker:
        if event == "end":
            stack.pop()
            continue
        stack.append(element)
        if element is owner:
            continue
        if _skips(element):
            walker.skip_subtree()
        elif element.tag in BLOCK_TAGS:
            found = True
            carriers.update(stack[1:-1])  # the inline elements between owner and it
            walker.skip_subtree()
    return carriers if found else None


def _has_text(items: list) -> bool:
    """Whether a run's pieces hold any text a block would count (see ``boilerkit.blocks``)."""
    for item in items:
        if isinstance(item, str):
            if item.strip():
                return True
            continue
        walker = lxml.etree.iterwalk(item, events=("start",))
        for _, element in walker:
            if element is not item and element.tail and element.tail.strip():
                return True
            if _skips(element):
                walker.skip_subtree()
                continue
            if element.text and element.text.strip():
                return True
            if (element.tag == "input" and (element.get("type") or "").lower() in ("submit", "button")
                    and (element.get("value") or "").strip()):
                return True
    return False


def _append(node, item) -> None:
    if isinstance(item, str):
        last = node[-1] if len(node) else None
        if last is None:
            node.text = (node.text or "") + item
        else:
            last.tail = (last.tail or "") + item
    else:
        node.append(item)


def _regroup(node, owner, carriers: set, made: set) -> None:
    """Wrap each run of ``node``'s own content between boundaries in a new span."""
    items: list = []
    if node.text:
        items.append(node.text)
    node.text = None
    for child in list(node):
        tail, child.tail = child.tail, None
        node.remove(child)
        items.append(child)
        if tail:
            items.append(tail)
    group: list = []

    def flush() -> None:
        if group and _has_text(group):
            span = lxml.etree.SubElement(node, _RUN_TAG)
            for piece in group:
                _append(span, piece)
            made.add(span)
        else:
            for piece in group:
                _append(node, piece)
        group.clear()

    for item in items:
        if isinstance(item, str) or not (_is_boundary(item, owner) or item in carriers):
            group.append(item)
        else:
            flush()
            _append(node, item)
    flush()


def _wrap_runs(owner, carriers: set) -> list[list]:
    """Wrap ``owner``'s text runs in spans; return the spans of each non-empty run in order."""
    made: set = set()
    for node in [owner, *carriers]:
        _regroup(node, owner, carriers, made)
    runs: dict[int, list] = {}
    run = 0
    walker = lxml.etree.iterwalk(owner, events=("start",))
    for _, element in walker:
        if element is owner:
            continue
        if element in made:
            runs.setdefault(run, []).append(element)
            walker.skip_subtree()
        elif _is_boundary(element, owner):
            run += 1
            walker.skip_subtree()
        elif _skips(element):
            walker.skip_subtree()
    return [runs[key] for key in sorted(runs)]


def mark_blocks(elements: Sequence, attributes: Sequence[dict[str, str]],
                sizes: Sequence[int] | None = None) -> list[list]:
    """Put ``attributes[i]`` on the nodes that show block ``i``, whose element is ``elements[i]``.

    A block whose element holds no other block gets them on the element. The
    text runs of a container with child blocks are wrapped in spans that get
    them instead. Should those runs ever disagree with the blocks, all runs
    show the largest block by ``sizes`` (text lengths). Returns the marked
    nodes of every block.
    """
    owned: dict = {}
    for index, element in enumerate(elements):
        if element is not None:
            owned.setdefault(element, []).append(index)
    nodes: list[list] = [[] for _ in elements]
    for element, indices in owned.items():
        carriers = _carriers(element)
        if carriers is None:
            targets = [[element]] * len(indices)  # one run; several blocks only if blocks.py changes
        else:
            runs = _wrap_runs(element, carriers)
            if len(runs) == len(indices):
                targets = runs
            else:  # our runs disagree with the block cutter: show every run as the longest block
                longest = max(indices, key=lambda i: sizes[i] if sizes else 0)
                targets = [[]] * len(indices)
                targets[indices.index(longest)] = [span for spans in runs for span in spans]
        for index, targets_of_block in zip(indices, targets):
            for node in targets_of_block:
                for name, value in attributes[index].items():
                    node.set(name, value)
            nodes[index] = list(targets_of_block)
    return nodes


# -- the view -----------------------------------------------------------------------


def _copy_with_map(root):
    """A deep copy of ``root``'s document and a map from its elements to their copies."""
    tree = copy.deepcopy(root.getroottree())
    copied = tree.getroot()
    original_root = root.getroottree().getroot()
    mapping = {}
    for original, duplicate in zip(original_root.iter(), copied.iter()):
        mapping[original] = duplicate
    return copied, mapping


def _runner_up(probabilities: dict[str, float], label: str) -> list | None:
    best: tuple[str, float] | None = None
    for other, p in probabilities.items():  # the first of equals wins: the model's order
        if other != label and (best is None or p > best[1]):
            best = (other, p)
    return [best[0], round(best[1], 4)] if best else None


def _css(labels: Sequence[str], colours: dict[str, tuple[int, int, int]]) -> str:
    rules = [_asset("view.css")]
    for index, label in enumerate(labels):
        r, g, b = colours[label]
        rules.append(f'html:not(#boilerkit-view) [data-bk-c="{index}"]{{--bk-c:rgb({r},{g},{b});'
                     f'--bk-t:rgba({r},{g},{b},{TINT_ALPHA})}}')
        rules.append(f'html.bk-hide-{index}:not(#boilerkit-view) [data-bk-c="{index}"]'
                     '{display:none!important}')
    rules.append('html.bk-hide-u:not(#boilerkit-view) [data-bk-c="u"]{display:none!important}')
    return "\n".join(rules)


def _json_for_html(data) -> str:
    # No "<" at all, so the JSON can never close its <script> element.
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def _ensure_head_body(root):
    head = root.find("head")
    if head is None:
        head = lxml.etree.Element("head")
        root.insert(0, head)
    body = root.find("body")
    if body is None:
        body = lxml.etree.SubElement(root, "body")
    return head, body


def build_view(root: lxml.etree._Element, page: Page, *,
               labels: Sequence[str | None] | None = None,
               gold: Sequence[str | None] | None = None,
               differs: Sequence[bool] | None = None,
               colour_by: str = "predicted", mode: str = "show",
               edit: dict | None = None, allow_remote: bool = False,
               base_url: str | None = None, csp: bool = True,
               heading: str | None = None, legend: Sequence[str] | None = None) -> str:
    """The view of ``page`` (classified from the tree under ``root``) as an HTML document.

    ``page.blocks`` must be the blocks of ``root``'s tree (their elements are
    marked in a copy; ``root`` is not changed). ``labels`` overrides the label
    shown per block (the editor's current labels; ``None`` = unlabelled);
    ``gold`` adds the true labels, shown in the tooltip, with every block
    whose gold and predicted labels differ marked (``differs`` overrides
    which; by default a ``boilerplate`` block differs only if predicted
    ``article``, as in :mod:`boilerkit.evaluation`); ``colour_by="gold"``
    colours by them instead. ``mode`` is ``"show"``, ``"edit"`` (``edit``
    then holds the editor's settings) or ``"compare"`` (a pane of the
    report's side-by-side page). ``legend`` fixes the labels listed (default:
    the model's and those shown). ``csp=False`` leaves out the policy, for
    testing that the sanitizer alone suffices.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    n = len(page.blocks)
    predicted = [block.label for block in page.blocks]
    if labels is not None and len(labels) != n:
        raise ValueError(f"{len(labels)} labels for {n} blocks")
    if gold is not None and len(gold) != n:
        raise ValueError(f"{len(gold)} gold labels for {n} blocks")
    if gold is not None and differs is None:
        differs = [g is not None and g != p and not (g == PARTIAL_LABEL and p != PRIMARY_LABEL)
                   for g, p in zip(gold, predicted)]
    shown = list(labels) if labels is not None else (
        list(gold) if colour_by == "gold" and gold is not None else predicted)

    model_labels = [label for block in page.blocks[:1] for label in block.probabilities]
    seen = set(model_labels) | set(predicted) | set(shown) | set(gold or ())
    legend = list(legend or ()) + label_order(seen - set(legend or ()) - {None})
    index_of = {label: i for i, label in enumerate(legend)}
    colours = label_colours(legend)

    copied, mapping = _copy_with_map(root)
    for element in copied.iter():  # marks of the page's own would pass for ours
        for name in [name for name in element.attrib if name.startswith("data-bk")]:
            del element.attrib[name]
    elements = [mapping.get(block.block.element) if block.block.element is not None else None
                for block in page.blocks]
    groups: dict = {}
    group_of = [groups.setdefault(element, i) if element is not None else i
                for i, element in enumerate(elements)]
    attributes = []
    for i, label in enumerate(shown):
        marks = {"data-bk": str(i), "data-bk-label": label or "",
                 "data-bk-c": str(index_of[label]) if label is not None else "u"}
        if differs is not None and differs[i]:
            marks["data-bk-diff"] = ""
        attributes.append(marks)
    mark_blocks(elements, attributes, [len(block.text) for block in page.blocks])
    make_safe(copied, allow_remote=allow_remote, base_url=base_url)

    blocks_data = []
    for i, block in enumerate(page.blocks):
        entry = {"l": shown[i], "p": predicted[i],
                 "pp": round(block.probabilities.get(predicted[i], 0.0), 4),
                 "r": _runner_up(block.probabilities, predicted[i]), "t": block.tag,
                 "g": group_of[i]}
        if gold is not None and differs is not None:  # differs is set whenever gold is
            entry["gold"] = gold[i]
            entry["d"] = int(bool(differs[i]))
        blocks_data.append(entry)
    data = {"mode": mode, "colourBy": "gold" if colour_by == "gold" and gold is not None
            else "predicted", "labels": legend,
            "colours": {label: "rgb({},{},{})".format(*colours[label]) for label in legend},
            "blocks": blocks_data, "heading": heading, "edit": edit}

    head, body = _ensure_head_body(copied)
    script = view_script()
    metas = [lxml.etree.Element("meta", charset="utf-8")]
    if csp:
        metas.append(lxml.etree.Element("meta", {
            "http-equiv": "Content-Security-Policy",
            "content": content_security_policy(allow_remote=allow_remote,
                                               script_hashes=(script_hash(script),),
                                               connect_self=mode == "edit")}))
    metas.append(lxml.etree.Element("meta", name="referrer", content="no-referrer"))
    for position, meta in enumerate(metas):
        head.insert(position, meta)
    style = lxml.etree.SubElement(head, "style", id="boilerkit-style")
    style.text = _css(legend, colours)
    body.append(lxml.etree.Comment(_UI_PLACEHOLDER))
    document = lxml.etree.tostring(copied.getroottree(), method="html", encoding="unicode")
    ui = (f'<script type="application/json" id="boilerkit-data">{_json_for_html(data)}</script>'
          f"<script>{script}</script>")
    cut = document.rfind(f"<!--{_UI_PLACEHOLDER}-->")
    return document[:cut] + ui + document[cut + len(_UI_PLACEHOLDER) + 7:]


def show(html: str | bytes | Path, *, model=None, url: str | None = None,
         allow_remote: bool = False, content_type: str | None = None) -> str:
    """Classify a page and return its coloured view (see :func:`build_view`).

    ``html`` is the page's HTML or a path to it; ``url`` is the page's
    address, used to resolve relative image URLs with ``allow_remote``.
    """
    from .api import classify

    if isinstance(html, Path):
        html = html.read_bytes()
    root = parse_html(html, content_type=content_type)
    if root is None:
        root = parse_html("<html><body></body></html>")
        assert root is not None  # a document with a body always parses to a tree
    page = classify(root, url, model=model)
    return build_view(root, page, allow_remote=allow_remote, base_url=url or _page_url(root),
                      heading=page.title)


def _page_url(root) -> str | None:
    for link in root.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            return link.get("href")
    return None
