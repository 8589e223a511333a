"""The label set: the one place that names boilerkit's classes."""

from __future__ import annotations

from collections.abc import Iterable

#: The four classes of ``datasets/GUIDELINE.md``, in the order used for reports.
DEFAULT_LABELS: tuple[str, ...] = ("article", "navigation", "teaser", "comment")

#: Label of blocks known not to be ``article`` whose exact class the source does not give.
PARTIAL_LABEL = "boilerplate"

#: The label ``extract`` returns by default and the first stage of a two-stage model learns.
PRIMARY_LABEL = DEFAULT_LABELS[0]


def label_order(labels: Iterable[str | None]) -> list[str]:
    """The report order: :data:`DEFAULT_LABELS` first, then the others sorted."""
    present = {str(label) for label in labels if label is not None}
    return [label for label in DEFAULT_LABELS if label in present] + sorted(
        present.difference(DEFAULT_LABELS))
