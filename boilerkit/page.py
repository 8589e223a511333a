"""Step 5: the labelled page and its output formats (text, markdown, json, html)."""

from __future__ import annotations

import html as html_escape
import json
import numbers
import re
import string
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import lxml.etree
import numpy as np

from .blocks import BLOCK_TAGS, SKIPPED_TAGS, Block
from .errors import ArgumentError

try:
    from . import _speedups
except ImportError:  # pragma: no cover - built with the package where a compiler exists
    _speedups = None  # type: ignore[assignment]  # optional module: mypy/issues/1297

FORMATS = ("text", "markdown", "json", "html")
_HEADING_LEVELS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_LIST_ITEM_TAGS = frozenset({"li", "dd", "dt"})
_CELL_TAGS = frozenset({"td", "th"})


class LabelledBlock:
    """A block with the label the model gave it and the probability of every label.

    ``probabilities`` is a dict of every label's probability. ``classify``
    passes instead the page's whole probability array and this block's row in
    it (``scores``, ``row``, ``labels``), so that a page of a million blocks
    makes no million dicts; the dict is then made when first asked for.
    """

    __slots__ = ("block", "label", "_probabilities", "_scores", "_row", "_labels")

    def __init__(self, block: Block, label: str, probabilities: dict[str, float] | None = None,
                 *, scores: Any = None, row: int = 0, labels: Sequence[str] = ()) -> None:
        if probabilities is None and scores is None:
            raise ArgumentError("a labelled block needs its probabilities or scores")
        self.block = block
        self.label = label
        self._probabilities = probabilities
        self._scores = scores
        self._row = row
        self._labels = labels

    @property
    def probabilities(self) -> dict[str, float]:
        """Every label's probability."""
        if self._probabilities is None:
            self._probabilities = dict(zip(self._labels, map(float, self._scores[self._row])))
        return self._probabilities

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LabelledBlock):
            return NotImplemented
        return (self.block is other.block and self.label == other.label
                and self.probabilities == other.probabilities)

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it replaces

    def __repr__(self) -> str:
        return f"LabelledBlock({self.block!r}, {self.label!r}, {self.probability:.3f})"

    @property
    def text(self) -> str:
        return self.block.text

    @property
    def xpath(self) -> str:
        return self.block.xpath

    @property
    def tag(self) -> str:
        return self.block.tag

    @property
    def element(self) -> lxml.etree._Element | None:
        """The block's element in the parsed tree (:attr:`Page.root`'s tree)."""
        return self.block.element

    @property
    def probability(self) -> float:
        """The probability of the chosen label."""
        if self._probabilities is None:
            return float(self._scores[self._row, list(self._labels).index(self.label)])
        return self._probabilities[self.label]

    def to_dict(self) -> dict[str, Any]:
        return {"position": self.block.position, "label": self.label,
                "probability": round(self.probability, 4),
                "probabilities": {k: round(v, 4) for k, v in self.probabilities.items()},
                "tag": self.tag, "xpath": self.xpath, "text": self.text}


# In the order labelled_blocks's C path sets them (LabelledBlock.__init__ only stores them).
_LABELLED_SLOTS = tuple(LabelledBlock.__dict__[name] for name in
                        ("block", "label", "_probabilities", "_scores", "_row", "_labels"))


def labelled_blocks(blocks: Sequence[Block], best: np.ndarray, scores: np.ndarray,
                    labels: Sequence[str]) -> list[LabelledBlock]:
    """Each block with the label ``labels[best[i]]`` and its row of ``scores``."""
    labels = tuple(labels)
    if _speedups is not None and isinstance(blocks, list):
        return _speedups.labelled_blocks(LabelledBlock, _LABELLED_SLOTS, blocks, labels,
                                         np.ascontiguousarray(best, dtype=np.int64), scores)
    return [LabelledBlock(block, labels[label], scores=scores, row=row, labels=labels)
            for row, (block, label) in enumerate(zip(blocks, best.tolist()))]


@dataclass
class Page:
    """A classified page: its labelled blocks in document order.

    An empty page (no blocks) is the honest result for empty input. ``root``
    is the root element of the parsed tree (``None`` for empty input): every
    block's ``xpath`` finds its element there, e.g.
    ``page.root.getroottree().xpath(block.xpath)``.
    """

    blocks: list[LabelledBlock] = field(default_factory=list)
    url: str | None = None
    title: str | None = None
    root: lxml.etree._Element | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.blocks)

    def __iter__(self) -> Iterator[LabelledBlock]:
        return iter(self.blocks)

    @property
    def labels(self) -> list[str]:
        return [block.label for block in self.blocks]

    @property
    def confidence(self) -> float:
        """How sure the model is of the whole page, from 0 to 1.

        The mean probability of the chosen labels, each block weighted by its
        characters, so a long article paragraph counts more than a menu item.
        0.0 for a page without blocks.
        """
        total = sum(len(block.text) for block in self.blocks)
        if not total:
            return 0.0
        return sum(len(block.text) * block.probability for block in self.blocks) / total

    def blocks_with(self, label: str | Iterable[str] | None = "article",
                    min_probability: float = 0.0, *, figures: bool = True) -> list[LabelledBlock]:
        """The blocks whose label is ``label`` (or one of several; ``None``: any label).

        With ``min_probability``, only blocks whose label has at least that probability.
        With ``figures=False``, not the text of figures (see :func:`without_figures`).
        """
        wanted = None if label is None else {label} if isinstance(label, str) else set(label)
        threshold = float(min_probability)  # a numpy float32 would compare in float32
        chosen = [block for block in self.blocks
                  if (wanted is None or block.label in wanted) and block.probability >= threshold]
        return chosen if figures else without_figures(chosen)

    def text(self, label: str | Iterable[str] | None = "article", *,
             figures: bool = False) -> str:
        """Plain text of the blocks with ``label``, paragraphs separated by blank lines.

        As :func:`boilerkit.extract`, without the text of figures unless ``figures``.
        """
        return render(self.blocks_with(label, figures=figures), "text", page=self)

    def render(self, format: str = "text", labels: str | Iterable[str] | None = "article",
               min_probability: float = 0.0, *, figures: bool = False) -> str:
        """The blocks with ``labels`` (``None``: all) as ``text``, ``markdown``, ``json`` or ``html``.

        This is what :func:`boilerkit.extract` returns for the same arguments.
        """
        check_format(format)
        check_probability(min_probability)
        return render(self.blocks_with(labels, min_probability, figures=figures), format,
                      page=self)

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "title": self.title,
                "blocks": [block.to_dict() for block in self.blocks]}


def in_figure(block: LabelledBlock) -> bool:
    """Whether the block is text of a figure: inside ``<figure>`` or ``<figcaption>``, and
    not in a table (a figure that holds a table is the table)."""
    return block.block.in_context("figure") and not block.block.in_context("table")


def without_figures(blocks: list[LabelledBlock]) -> list[LabelledBlock]:
    """``blocks`` without the text of figures (:func:`in_figure`), unless that is all of them.

    The text formats render no images, so a caption or photo credit would stand alone in
    the running text; trafilatura leaves figures out of its text by default too. A page
    whose chosen blocks are all figures (a gallery) keeps them rather than coming out empty.
    """
    kept = [block for block in blocks if not in_figure(block)]
    return kept if kept else blocks


def check_format(format: str) -> None:
    """Raise :class:`~boilerkit.errors.ArgumentError` unless ``format`` is one of :data:`FORMATS`."""
    if format not in FORMATS:
        raise ArgumentError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")


def check_probability(value: float) -> None:
    """Raise :class:`~boilerkit.errors.ArgumentError` unless ``0 <= value <= 1``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
        raise ArgumentError(f"min_probability must be a number from 0 to 1, got {value!r}")


# -- markdown escaping ----------------------------------------------------------
# Text is escaped where markdown would read it as markup, and only there, so that
# ordinary prose ("2 * 3", "snake_case", "a < b", "C#") stays as it is.

_INLINE_SPECIAL = re.compile(r"[\\`*_~<&\[\]|]")
_ASCII_PUNCTUATION = frozenset(string.punctuation)
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{0,31});")
# Line starts that open a block: ATX heading, list item, quote, ordered item.
_BLOCK_START = re.compile(r"^(#{1,6}(?=[ \t]|$)|[-+*](?=[ \t]|$)|>)")
_ORDERED_START = re.compile(r"^(\d{1,9})([.)])(?=[ \t]|$)")
# A thematic break (---, * * *), or a setext underline (a line of = or -) below text
# or after a list marker ("- " + "--" is a break).
_RULE_LINE = re.compile(r"^([-*_])[ \t]*(?:\1[ \t]*){2,}$")
_UNDERLINE = re.compile(r"^(?:=+|-+)[ \t]*$")
_CLOSING_HASHES = re.compile(r"(^|[ \t])(#+)([ \t]*)$")


def _escape_inline(text: str, table: bool = False) -> str:
    """Escape what would become emphasis, code, a tag, an entity or a link (and ``|`` in cells)."""
    brackets = "[" in text and "]" in text  # a lone bracket makes no link
    tildes = text.count("~") > 1  # ~strike~ needs a pair

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        at = match.start()
        before = text[at - 1] if at else " "
        after = text[at + 1] if at + 1 < len(text) else " "
        if char == "\\":  # before punctuation it escapes, before a line break it breaks
            needed = after in _ASCII_PUNCTUATION or after == "\n"
        elif char in "*~":
            needed = (char == "*" or tildes) and not (before.isspace() and after.isspace())
        elif char == "_":  # intraword _ never makes emphasis
            needed = (not (before.isspace() and after.isspace())
                      and not (before.isalnum() and after.isalnum()))
        elif char == "<":  # a tag, a comment or an autolink starts so
            needed = after.isascii() and (after.isalpha() or after in "/!?")
        elif char == "&":
            needed = _ENTITY.match(text, at) is not None
        elif char in "[]":
            needed = brackets
        elif char == "|":
            needed = table
        else:  # backtick
            needed = True
        return "\\" + char if needed else char

    return _INLINE_SPECIAL.sub(escape, text)


def _escape_lines(text: str) -> str:
    """Escape inline markup, and the start of each line where it would open a block."""
    lines = _escape_inline(text).split("\n")
    for i, line in enumerate(lines):
        if _UNDERLINE.match(line) or _RULE_LINE.match(line):
            line = "\\" + line
        elif _BLOCK_START.match(line):
            line = "\\" + line
        else:
            line = _ORDERED_START.sub(r"\1\\\2", line, count=1)
        lines[i] = line
    return "\n".join(lines)


def _escape_heading(text: str) -> str:
    # A heading is one line; trailing #s after a blank would be read as its closing sequence.
    line = _escape_inline(" ".join(text.split()))
    return _CLOSING_HASHES.sub(r"\1\\\2\3", line, count=1)


def _escape_cell(text: str) -> str:
    return _escape_inline(" ".join(text.split()), table=True)


def _preformatted(block: Block, seen: dict[lxml.etree._Element, str | None]) -> str:
    """The text of a ``pre`` block with its line breaks and indentation.

    That is the element's text minus what blocks leave out (scripts, styles,
    comments, ...). A ``pre`` with a block-level element inside is several
    blocks, so each gives its own (whitespace-collapsed) text instead. The
    walk stops at the first block-level element and ``seen`` remembers each
    element's result, so nested or split ``pre`` elements take linear time.
    """
    element = block.element
    if element is None:
        return block.text
    if element not in seen:
        seen[element] = _pre_text(element)
    code = seen[element]
    return block.text if code is None else code


def _pre_text(element: lxml.etree._Element) -> str | None:
    """The text of ``element`` with its whitespace, or ``None`` if a block-level element is inside."""
    parts: list[str] = [element.text or ""]
    walker = lxml.etree.iterwalk(element, events=("start", "end"))
    for event, node in walker:
        if node is element:
            continue
        if event == "end":
            parts.append(node.tail or "")
        elif not isinstance(node.tag, str) or node.tag in SKIPPED_TAGS:
            walker.skip_subtree()
        elif node.tag in BLOCK_TAGS:
            return None
        else:
            parts.append(node.text or "")
    return "".join(parts).strip("\n")


def _code_fence(code: str) -> str:
    """A backtick fence longer than any backtick run in ``code``, so it cannot close early."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    return "`" * max(3, longest + 1)


# An ``ol start`` as browsers read integers ("3rd" -> 3); more than 9 digits is no number
# a list can show (and would overflow Python's int-to-str limit), so it counts as absent.
_OL_START = re.compile(r"\s*([+-]?[0-9]{1,9})(?![0-9])")


class _Numbering:
    """List item prefixes: ``"- "``, or ``"4. "`` in an ``ol``.

    Each ``ol`` is counted once, on its first item, so a long list renders in
    linear time.
    """

    def __init__(self) -> None:
        self._numbers: dict[lxml.etree._Element, dict[lxml.etree._Element, int]] = {}

    @staticmethod
    def ordered_list(block: Block) -> lxml.etree._Element | None:
        parent = block.element.getparent() if block.element is not None else None
        return parent if parent is not None and parent.tag == "ol" else None

    def prefix(self, block: Block) -> str:
        ordered = self.ordered_list(block)
        if ordered is None:
            return "- "
        numbers = self._numbers.get(ordered)
        if numbers is None:
            match = _OL_START.match(ordered.get("start") or "")
            start = int(match.group(1)) if match else 1
            numbers = self._numbers[ordered] = {
                item: start + i for i, item in enumerate(ordered.iterchildren("li"))}
        number = numbers.get(block.element) if block.element is not None else None
        return "- " if number is None else f"{number}. "


def _table_rows(run: Sequence[Block]) -> list[tuple[list[str], bool]]:
    """Group consecutive cell blocks into rows by their ``tr``; flag header rows."""
    rows: list[tuple[list[str], bool]] = []
    current_row = None
    for block in run:
        element = block.element
        row = element.getparent() if element is not None else None
        if row is None or row is not current_row:
            rows.append(([], False))
            current_row = row
        cells, is_header = rows[-1]
        cells.append(block.text)
        rows[-1] = (cells, is_header or block.tag == "th")
    return rows


def _runs(blocks: Sequence[Block]):
    """Split blocks into runs of table cells and single other blocks."""
    run: list[Block] = []
    for block in blocks:
        if block.tag in _CELL_TAGS:
            run.append(block)
            continue
        if run:
            yield "table", run
            run = []
        yield "block", [block]
    if run:
        yield "table", run


def _render_markdown(blocks: Sequence[Block]) -> str:
    parts: list[str] = []
    items: list[str] = []  # consecutive list items: one part
    numbering = _Numbering()
    pre_texts: dict[lxml.etree._Element, str | None] = {}
    for kind, run in _runs(blocks):
        if kind == "block" and run[0].tag in _LIST_ITEM_TAGS:
            items.append(numbering.prefix(run[0])
                         + _escape_lines(run[0].text).replace("\n", "\n    "))
            continue
        if items:
            parts.append("\n".join(items))
            items = []
        if kind == "table":
            rows = _table_rows(run)
            width = max(len(cells) for cells, _ in rows)
            lines = []
            for i, (cells, _) in enumerate(rows):
                cells = [_escape_cell(cell) for cell in cells] + [""] * (width - len(cells))
                lines.append("| " + " | ".join(cells) + " |")
                if i == 0:
                    lines.append("|" + " --- |" * width)
            parts.append("\n".join(lines))
            continue
        block = run[0]
        if block.tag in _HEADING_LEVELS:
            parts.append("#" * _HEADING_LEVELS[block.tag] + " " + _escape_heading(block.text))
        elif block.tag == "pre":
            code = _preformatted(block, pre_texts)
            fence = _code_fence(code)
            parts.append(f"{fence}\n{code}\n{fence}")
        elif block.tag == "blockquote":
            parts.append("> " + _escape_lines(block.text).replace("\n", "\n> "))
        else:
            parts.append(_escape_lines(block.text))
    if items:
        parts.append("\n".join(items))
    return "\n\n".join(parts)


def _render_text(blocks: Sequence[Block]) -> str:
    parts: list[str] = []
    items: list[str] = []  # consecutive list items: one part
    numbering = _Numbering()
    for kind, run in _runs(blocks):
        block = run[0]
        if kind == "block" and block.tag in _LIST_ITEM_TAGS:
            items.append(numbering.prefix(block) + block.text)
            continue
        if items:
            parts.append("\n".join(items))
            items = []
        if kind == "table":
            parts.append("\n".join("\t".join(cells) for cells, _ in _table_rows(run)))
        else:
            parts.append(block.text)
    if items:
        parts.append("\n".join(items))
    return "\n\n".join(parts)


def _render_html(blocks: Sequence[Block]) -> str:
    if not blocks:
        return ""  # nothing to wrap: like the other formats, no output
    out: list[str] = []
    open_list = None
    pre_texts: dict[lxml.etree._Element, str | None] = {}
    for kind, run in _runs(blocks):
        block = run[0]
        list_tag = None
        if kind == "block" and block.tag in _LIST_ITEM_TAGS:
            list_tag = "ol" if _Numbering.ordered_list(block) is not None else "ul"
        if open_list and open_list != list_tag:
            out.append(f"</{open_list}>")
            open_list = None
        if kind == "table":
            rows = _table_rows(run)
            out.append("<table>")
            for cells, is_header in rows:
                cell = "th" if is_header else "td"
                out.append("<tr>" + "".join(f"<{cell}>{html_escape.escape(c)}</{cell}>"
                                            for c in cells) + "</tr>")
            out.append("</table>")
            continue
        text = html_escape.escape(block.text)
        if list_tag:
            if open_list is None:
                out.append(f"<{list_tag}>")
                open_list = list_tag
            out.append(f"<li>{text}</li>")
        elif block.tag in _HEADING_LEVELS:
            out.append(f"<{block.tag}>{text}</{block.tag}>")
        elif block.tag == "pre":
            out.append(f"<pre>{html_escape.escape(_preformatted(block, pre_texts))}</pre>")
        elif block.tag == "blockquote":
            out.append(f"<{block.tag}>{text}</{block.tag}>")
        else:
            out.append(f"<p>{text}</p>")
    if open_list:
        out.append(f"</{open_list}>")
    return "<article>\n" + "\n".join(out) + "\n</article>"


def render(blocks: Sequence[LabelledBlock], format: str = "text", page: Page | None = None) -> str:
    """Render labelled blocks as ``text``, ``markdown``, ``json`` or ``html``.

    Headings, list items and table rows keep their structure in every format,
    and each block stays a paragraph of its own. Text is escaped for the
    format: ``html`` escapes ``<``, ``&`` and quotes; ``markdown`` escapes
    what markdown would read as markup (a leading ``#``, ``>``, list marker or
    ``1.``, emphasis, backticks, tags, entities, links, ``|`` in tables).
    """
    check_format(format)
    raw = [block.block for block in blocks]
    if format == "text":
        return _render_text(raw)
    if format == "markdown":
        return _render_markdown(raw)
    if format == "html":
        return _render_html(raw)
    if format == "json":
        return json.dumps({
            "url": page.url if page else None, "title": page.title if page else None,
            "text": _render_text(raw),
            "blocks": [{"label": b.label, "tag": b.tag, "xpath": b.xpath, "text": b.text}
                       for b in blocks],
        }, ensure_ascii=False, indent=2)
    raise AssertionError(format)  # unreachable: check_format
