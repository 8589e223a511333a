"""Step 5: the labelled page and its output formats (text, markdown, json, html)."""

from __future__ import annotations

import html as html_escape
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .blocks import Block

FORMATS = ("text", "markdown", "json", "html")
_HEADING_LEVELS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_LIST_ITEM_TAGS = frozenset({"li", "dd", "dt"})
_CELL_TAGS = frozenset({"td", "th"})


@dataclass(slots=True)
class LabelledBlock:
    """A block with the label the model gave it and the probability of every label."""

    block: Block
    label: str
    probabilities: dict[str, float]

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
    def probability(self) -> float:
        """The probability of the chosen label."""
        return self.probabilities[self.label]

    def to_dict(self) -> dict:
        return {"position": self.block.position, "label": self.label,
                "probability": round(self.probability, 4),
                "probabilities": {k: round(v, 4) for k, v in self.probabilities.items()},
                "tag": self.tag, "xpath": self.xpath, "text": self.text}


@dataclass
class Page:
    """A classified page: its labelled blocks in document order.

    An empty page (no blocks) is the honest result for empty input.
    """

    blocks: list[LabelledBlock] = field(default_factory=list)
    url: str | None = None
    title: str | None = None

    def __len__(self) -> int:
        return len(self.blocks)

    def __iter__(self):
        return iter(self.blocks)

    @property
    def labels(self) -> list[str]:
        return [block.label for block in self.blocks]

    def blocks_with(self, label: str | Iterable[str] = "article") -> list[LabelledBlock]:
        """The blocks whose label is ``label`` (or one of several labels)."""
        wanted = {label} if isinstance(label, str) else set(label)
        return [block for block in self.blocks if block.label in wanted]

    def text(self, label: str | Iterable[str] = "article") -> str:
        """Plain text of the blocks with ``label``, paragraphs separated by blank lines."""
        return render(self.blocks_with(label), "text", page=self)

    def to_dict(self) -> dict:
        return {"url": self.url, "title": self.title,
                "blocks": [block.to_dict() for block in self.blocks]}


def _list_prefix(block: Block) -> str:
    parent = block.element.getparent() if block.element is not None else None
    if parent is not None and parent.tag == "ol":
        try:
            start = int(parent.get("start", "1"))
        except ValueError:
            start = 1
        earlier = sum(1 for _ in block.element.itersiblings("li", preceding=True))
        return f"{start + earlier}. "
    return "- "


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
    previous_was_item = False
    for kind, run in _runs(blocks):
        is_item = kind == "block" and run[0].tag in _LIST_ITEM_TAGS
        if is_item:
            item = _list_prefix(run[0]) + run[0].text
            if previous_was_item:
                parts[-1] += "\n" + item
            else:
                parts.append(item)
            previous_was_item = True
            continue
        previous_was_item = False
        if kind == "table":
            rows = _table_rows(run)
            width = max(len(cells) for cells, _ in rows)
            lines = []
            for i, (cells, _) in enumerate(rows):
                cells = [cell.replace("|", "\\|") for cell in cells] + [""] * (width - len(cells))
                lines.append("| " + " | ".join(cells) + " |")
                if i == 0:
                    lines.append("|" + " --- |" * width)
            parts.append("\n".join(lines))
            continue
        block = run[0]
        if block.tag in _HEADING_LEVELS:
            parts.append("#" * _HEADING_LEVELS[block.tag] + " " + block.text)
        elif block.tag == "pre":
            parts.append("```\n" + "".join(block.element.itertext()).strip("\n") + "\n```"
                         if block.element is not None else block.text)
        elif block.tag == "blockquote":
            parts.append("> " + block.text)
        else:
            parts.append(block.text)
    return "\n\n".join(parts)


def _render_text(blocks: Sequence[Block]) -> str:
    parts: list[str] = []
    previous_was_item = False
    for kind, run in _runs(blocks):
        if kind == "table":
            parts.append("\n".join("\t".join(cells) for cells, _ in _table_rows(run)))
            previous_was_item = False
            continue
        block = run[0]
        if block.tag in _LIST_ITEM_TAGS:
            item = _list_prefix(block) + block.text
            if previous_was_item:
                parts[-1] += "\n" + item
            else:
                parts.append(item)
            previous_was_item = True
        else:
            parts.append(block.text)
            previous_was_item = False
    return "\n\n".join(parts)


def _render_html(blocks: Sequence[Block]) -> str:
    out: list[str] = []
    open_list = None
    for kind, run in _runs(blocks):
        block = run[0]
        list_tag = None
        if kind == "block" and block.tag in _LIST_ITEM_TAGS:
            list_tag = "ol" if _list_prefix(block)[0].isdigit() else "ul"
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
        elif block.tag == "pre" and block.element is not None:
            code = "".join(block.element.itertext()).strip("\n")
            out.append(f"<pre>{html_escape.escape(code)}</pre>")
        elif block.tag in ("pre", "blockquote"):
            out.append(f"<{block.tag}>{text}</{block.tag}>")
        else:
            out.append(f"<p>{text}</p>")
    if open_list:
        out.append(f"</{open_list}>")
    return "<article>\n" + "\n".join(out) + "\n</article>"


def render(blocks: Sequence[LabelledBlock], format: str = "text", page: Page | None = None) -> str:
    """Render labelled blocks as ``text``, ``markdown``, ``json`` or ``html``.

    Headings, list items and table rows keep their structure in every format,
    and each block stays a paragraph of its own.
    """
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
    raise ValueError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
