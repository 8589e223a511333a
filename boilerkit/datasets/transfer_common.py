"""What the label transfer rules of every source family share: the result type, the label
vote and the parsing of a gold page (see :mod:`boilerkit.datasets.transfer`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import BoilerkitError
from ..labels import DEFAULT_LABELS, PARTIAL_LABEL
from ..parse import parse_html

__all__ = ["LABELS", "TEXT_MATCH_THRESHOLD", "Transfer", "vote", "parse_gold_html"]

#: Every label a transfer can produce (besides ``None``).
LABELS = DEFAULT_LABELS + (PARTIAL_LABEL,)

#: Share of a block's tokens that must be aligned to the gold text for the block to take
#: the gold's label (text-level sources).
TEXT_MATCH_THRESHOLD = 0.5

# Ties in a majority vote go to the earlier entry; ``None`` loses every tie.
_PRIORITY = {"article": 0, "comment": 1, "teaser": 2, "navigation": 3, "boilerplate": 4,
             None: 9}


@dataclass
class Transfer:
    """The labels transferred onto the blocks of one page."""

    labels: list[str | None]
    provenance: list[str | None]
    stats: dict = field(default_factory=dict)


def vote(label_chars: dict) -> str | None:
    """Label with the most characters; ties go by ``_PRIORITY`` (``None`` last)."""
    if not label_chars:
        return None
    return min(label_chars, key=lambda lab: (-label_chars[lab], _PRIORITY[lab]))


def parse_gold_html(data: bytes | str):
    """Parse an annotated/gold page; ``None`` when it cannot be parsed."""
    try:
        return parse_html(data, max_bytes=None)
    except BoilerkitError:
        return None
