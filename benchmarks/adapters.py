"""Extractor adapters: ``name -> callable(html: str | bytes) -> str``.

Each factory imports its library lazily and returns the extraction callable, or raises
(``ImportError`` or anything else) when the extractor is unavailable; the harness then
reports it as unavailable and goes on. ``INPUT`` says which form of the page the harness
hands to each extractor: ``"bytes"`` for those that detect the encoding themselves,
``"str"`` (decoded once by :func:`gold.decode_html`, outside every timed region) for those
whose API takes text. Every callable still accepts either.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gold import decode_html, element_text, html_to_text  # noqa: E402

Extractor = Callable[[str | bytes], str]

#: How each extractor is called (shown in RESULTS.md).
DESCRIPTIONS = {
    "boilerkit": 'boilerkit.extract(html)  (label="article", text format, shipped model)',
    "boilerkit-research": 'boilerkit.extract(html, model=load_model(RESEARCH_MODEL))  '
                          '(label="article", text format; given by --research-model)',
    "trafilatura": "trafilatura.extract(html, include_comments=False), other options default",
    "readability": "readability.Document(html).summary(html_partial=True), then HTML to text",
    "justext": "justext.justext(html, frozenset(), stopwords_low=0, stopwords_high=0): "
               "language-independent mode (no stoplist); non-boilerplate paragraphs",
    "boilerpy3": "boilerpy3.extractors.ArticleExtractor(raise_on_failure=False).get_content(html)",
    "goose3": "goose3.Goose({'enable_image_fetching': False}).extract(raw_html=html).cleaned_text",
    "newspaper4k": "newspaper.Article(url, fetch_images=False); .download(input_html=html); "
                   ".parse(); .text",
    "resiliparse": "resiliparse.extract.html2text.extract_plain_text(html, main_content=True)",
    "inscriptis": "inscriptis.get_text(html)  (keep-everything floor)",
    "html-text": "html_text.extract_text(html)  (keep-everything floor)",
    "ref-nothing": "reference: returns the empty string",
    "ref-alltext": "reference: all visible text (lxml, script/style/noscript/template/head dropped)",
}

#: Distribution whose version is reported for each extractor.
DISTRIBUTIONS = {
    "boilerkit": None, "boilerkit-research": None, "trafilatura": "trafilatura", "readability": "readability-lxml",
    "justext": "jusText", "boilerpy3": "boilerpy3", "goose3": "goose3",
    "newspaper4k": "newspaper4k", "resiliparse": "Resiliparse", "inscriptis": "inscriptis",
    "html-text": "html-text", "ref-nothing": None, "ref-alltext": "lxml",
}

INPUT = {
    "boilerkit": "bytes", "boilerkit-research": "bytes", "trafilatura": "bytes", "readability": "str", "justext": "str",
    "boilerpy3": "str", "goose3": "str", "newspaper4k": "str", "resiliparse": "str",
    "inscriptis": "str", "html-text": "str", "ref-nothing": "str", "ref-alltext": "bytes",
}

#: boilerkit's rows: the default model and, when given, the research model.
BOILERKIT_ROWS = ("boilerkit", "boilerkit-research")
#: Order of the tables.
ORDER = list(DESCRIPTIONS)
#: Extractors run when none are named: the research row only with ``--research-model``.
DEFAULT_ORDER = [n for n in ORDER if n != "boilerkit-research"]
PEERS = [n for n in ORDER if n not in BOILERKIT_ROWS + ("ref-nothing", "ref-alltext")]


def _s(html: str | bytes) -> str:
    return decode_html(html)


#: Benchmark another boilerkit model than the shipped one (``run.py --model PATH``).
MODEL_ENV = "BOILERKIT_BENCH_MODEL"
#: The research model's folder (``run.py --research-model PATH``).
RESEARCH_MODEL_ENV = "BOILERKIT_BENCH_RESEARCH_MODEL"


@functools.lru_cache(maxsize=2)
def boilerkit_model(row: str = "boilerkit"):
    """The model of a boilerkit row: for ``"boilerkit"``, ``$BOILERKIT_BENCH_MODEL`` if set,
    else the shipped default; for ``"boilerkit-research"``, ``$BOILERKIT_BENCH_RESEARCH_MODEL``
    (``LookupError`` when unset)."""
    from boilerkit.persistence import default_model, load_model

    if row == "boilerkit-research":
        path = os.environ.get(RESEARCH_MODEL_ENV)
        if not path:
            raise LookupError("no research model given (--research-model PATH)")
        return load_model(path)
    path = os.environ.get(MODEL_ENV)
    return load_model(path) if path else default_model()


def model_path(row: str = "boilerkit") -> str:
    """The folder of a row's model (for the report and for subprocesses)."""
    if row == "boilerkit-research":
        return os.environ.get(RESEARCH_MODEL_ENV, "")
    if os.environ.get(MODEL_ENV):
        return os.environ[MODEL_ENV]
    from boilerkit.persistence import default_model_path
    return str(default_model_path())


def _boilerkit_factory(row: str, label: str = "article"):
    def factory() -> Extractor:
        import boilerkit

        model = boilerkit_model(row)

        def run(html):
            return boilerkit.extract(html, label=label, model=model)
        return run
    factory.__name__ = f"make_{row.replace('-', '_')}_{label}"
    return factory


make_boilerkit = _boilerkit_factory("boilerkit")
make_boilerkit_comments = _boilerkit_factory("boilerkit", "comment")


def make_trafilatura() -> Extractor:
    import trafilatura

    def run(html):
        return trafilatura.extract(html, include_comments=False) or ""
    return run


def make_trafilatura_comments() -> Extractor:
    """trafilatura's own comment field: ``bare_extraction(..., include_comments=True).comments``."""
    import trafilatura

    def run(html):
        doc = trafilatura.bare_extraction(html, include_comments=True)
        if doc is None:
            return ""
        comments = doc.get("comments") if isinstance(doc, dict) else getattr(doc, "comments", None)
        return comments or ""
    return run


def make_readability() -> Extractor:
    from readability import Document

    def run(html):
        summary = Document(_s(html)).summary(html_partial=True)
        return html_to_text(summary)
    return run


def make_justext() -> Extractor:
    import justext

    def run(html):
        paragraphs = justext.justext(_s(html), frozenset(), stopwords_low=0, stopwords_high=0)
        return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)
    return run


def make_boilerpy3() -> Extractor:
    from boilerpy3 import extractors

    extractor = extractors.ArticleExtractor(raise_on_failure=False)

    def run(html):
        return extractor.get_content(_s(html)) or ""
    return run


def make_goose3() -> Extractor:
    from goose3 import Goose

    goose = Goose({"enable_image_fetching": False})

    def run(html):
        article = goose.extract(raw_html=_s(html))
        return article.cleaned_text or ""
    return run


def make_newspaper4k() -> Extractor:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import newspaper
        from newspaper import Article

    def run(html):
        article = Article("http://example.com/article.html", fetch_images=False)
        article.download(input_html=_s(html))
        article.parse()
        return article.text or ""
    del newspaper
    return run


def make_resiliparse() -> Extractor:
    from resiliparse.extract.html2text import extract_plain_text

    def run(html):
        return extract_plain_text(_s(html), main_content=True)
    return run


def make_inscriptis() -> Extractor:
    import inscriptis

    def run(html):
        return inscriptis.get_text(_s(html)) or ""
    return run


def make_html_text() -> Extractor:
    import html_text

    def run(html):
        return html_text.extract_text(_s(html))
    return run


def make_nothing() -> Extractor:
    def run(html):
        return ""
    return run


def make_alltext() -> Extractor:
    import lxml.html

    def run(html):
        if isinstance(html, str):
            html = html.encode("utf-8", "surrogatepass")
        if not html.strip():
            return ""
        try:
            root = lxml.html.document_fromstring(html)
        except Exception:
            return ""
        body = root.find("body")
        return element_text(body if body is not None else root)
    return run


def lxml_parse_floor() -> Extractor:
    """Not an extractor: ``lxml.html.fromstring`` alone, the speed floor."""
    import lxml.html

    def run(html):
        lxml.html.fromstring(html)
        return ""
    return run


FACTORIES: dict[str, Callable[[], Extractor]] = {
    "boilerkit": make_boilerkit,
    "boilerkit-research": _boilerkit_factory("boilerkit-research"),
    "trafilatura": make_trafilatura,
    "readability": make_readability,
    "justext": make_justext,
    "boilerpy3": make_boilerpy3,
    "goose3": make_goose3,
    "newspaper4k": make_newspaper4k,
    "resiliparse": make_resiliparse,
    "inscriptis": make_inscriptis,
    "html-text": make_html_text,
    "ref-nothing": make_nothing,
    "ref-alltext": make_alltext,
}

COMMENT_FACTORIES: dict[str, Callable[[], Extractor]] = {
    "boilerkit": make_boilerkit_comments,
    "boilerkit-research": _boilerkit_factory("boilerkit-research", "comment"),
    "trafilatura": make_trafilatura_comments,
}


def version_of(name: str) -> str:
    if name in BOILERKIT_ROWS:
        try:
            import boilerkit
            return boilerkit.__version__
        except Exception:                              # noqa: BLE001
            return "?"
    dist = DISTRIBUTIONS.get(name)
    if not dist:
        return "-"
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


# --------------------------------------------------------------------------- isolation


class CallTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise CallTimeout()


_HAVE_ALARM = hasattr(signal, "setitimer")


def guarded(fn: Extractor, timeout: float | None = 30.0):
    """Wrap an extractor so one page can never kill the run.

    Returns ``call(html) -> (text, failed)``: any exception (or, when ``timeout`` is set
    and we are in the main thread of a Unix process, a call that runs longer than
    ``timeout`` seconds; the SIGALRM timer costs two system calls per page) gives
    ``("", True)``. A non-string result is coerced to ``str``.
    """
    import threading

    use_alarm = bool(timeout) and _HAVE_ALARM and threading.current_thread() is threading.main_thread()
    if use_alarm:
        signal.signal(signal.SIGALRM, _on_alarm)

    def call(html):
        try:
            if use_alarm:
                signal.setitimer(signal.ITIMER_REAL, timeout)
            try:
                out = fn(html)
            finally:
                if use_alarm:
                    signal.setitimer(signal.ITIMER_REAL, 0)
        except (Exception, CallTimeout, RecursionError):      # noqa: BLE001
            return "", True
        if out is None:
            return "", False
        return (out if isinstance(out, str) else str(out)), False
    return call
