"""datatrove: boilerkit as an extractor step (``boilerkit[datatrove]``).

Use it wherever datatrove's ``Trafilatura`` extractor goes::

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import WarcReader
    from datatrove.pipeline.writers import JsonlWriter
    from boilerkit.integrations.datatrove import Boilerkit

    LocalPipelineExecutor(pipeline=[
        WarcReader("crawl/"),
        Boilerkit(),                      # or Boilerkit(label=("article", "comment"))
        JsonlWriter("out/"),
    ], tasks=4, workers=2).run()

Like every datatrove extractor, it runs in a sandbox process with a time
limit per document (``timeout``); the model is loaded once per process, while
the sandbox warms up. Documents with no text of the chosen labels, or that
cannot be read as HTML, are dropped.
"""

from __future__ import annotations

from collections.abc import Iterable

from .._extras import require
from ..api import extract
from ..batch import cached_model
from ..errors import BoilerkitError
from ..inputs import DEFAULT_MAX_BYTES
from ..page import FORMATS

require("datatrove", "datatrove", "the datatrove integration")
from datatrove.pipeline.extractors.base import BaseExtractor  # noqa: E402 (after require)


class Boilerkit(BaseExtractor):
    """Extract the blocks labelled ``label`` (the article by default) as ``format``.

    ``model`` is a model directory (default: the pre-trained model);
    ``timeout`` is seconds per document, as for datatrove's other extractors;
    ``figures=True`` keeps the text of figures (see :func:`boilerkit.extract`).
    """

    name = "🧱 boilerkit"
    _requires_dependencies = ["lxml"]

    def __init__(self, label: str | Iterable[str] = "article", format: str = "text",
                 model: str | None = None, timeout: float = 5.0,
                 max_bytes: int | None = DEFAULT_MAX_BYTES, figures: bool = False) -> None:
        super().__init__(timeout)
        if format not in FORMATS:
            raise ValueError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
        self.label = label if isinstance(label, str) else tuple(label)
        self.format = format
        self.model = str(model) if model is not None else None
        self.max_bytes = max_bytes
        self.figures = figures

    def extract(self, text: str) -> str:
        """The text of the chosen labels of one HTML document ("" if it has none)."""
        model = cached_model(self.model)  # first call: the sandbox's warm-up loads the model
        if not text:
            return ""
        try:
            return extract(text, label=self.label, format=self.format, model=model,
                           max_bytes=self.max_bytes, figures=self.figures)
        except BoilerkitError:
            # Raising would kill the sandbox process; "" drops the document instead.
            return ""


#: The name datatrove users may look for, after ``Trafilatura``.
BoilerkitExtractor = Boilerkit
