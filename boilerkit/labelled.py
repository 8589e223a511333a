"""Labelled pages: the ``data-label`` HTML format and reading labelled data from disk.

Labelled data comes in two formats, told apart by file name.

1. **HTML pages annotated with ``data-label`` attributes** (``*.html``,
   ``*.htm``; a file named explicitly is read as HTML unless it is
   ``*.jsonl``/``*.jsonl.gz``; ``-`` is one page from stdin). This is the
   format to label your own pages in: save the page, open it in an editor and
   add ``data-label`` to the elements around each region::

       <body>
         <nav data-label="navigation">...</nav>
         <article data-label="article">
           <h1>Headline</h1>
           <p>Body text ...</p>
           <div class="share" data-label="navigation">Share: ...</div>
         </article>
         <aside data-label="teaser">...</aside>
         <section id="comments" data-label="comment">...</section>
         <div class="debug" data-label="">not labelled</div>
       </body>

   - A block takes the label of the nearest element, itself or an ancestor,
     with a ``data-label``; the innermost wins, so the share bar inside the
     article above is navigation.
   - A block with no such element, or whose nearest one says
     ``data-label=""``, is unlabelled: training ignores it and evaluation
     skips it.
   - Put labels on block-level elements (:data:`~boilerkit.blocks.BLOCK_TAGS`).
     A block is the text of its block-level element, so a label on an inline
     element (``span``, ``a``) that holds no block-level element labels
     nothing; reading warns about it.
   - Labels are lower-cased. Any name works; ``article``, ``navigation``,
     ``teaser`` and ``comment`` are the standard ones, and
     ``datasets/GUIDELINE.md`` says which one a block gets.
   - The page's *site* is the host of its ``<link rel="canonical">`` or
     ``og:url`` without ``www.``, else the name of the folder it is in.
     Optional ``<meta name="boilerkit:source" content="...">`` (default
     ``html``) and ``<meta name="boilerkit:split" content="test">`` set its
     source and split.
   - ``data-label`` is not a feature (only ``class``/``id``/``role``/
     ``itemprop``/``itemtype`` are), so annotated pages train as they are.
   - Files without any labelled block are skipped with a warning.

2. **Corpus annotation files** ``*.jsonl`` / ``*.jsonl.gz``: public datasets
   converted by :mod:`boilerkit.datasets`, read by
   ``boilerkit.datasets.corpus.read_annotations``.

Directories are searched recursively for both formats, in sorted order;
names starting with ``.`` are skipped.
"""

from __future__ import annotations

import itertools
import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .blocks import BLOCK_TAGS, Block, build_blocks
from .errors import BoilerkitError
from .parse import parse_html
from .progress import Progress

log = logging.getLogger(__name__)

HTML_SUFFIXES = (".html", ".htm")
CORPUS_SUFFIXES = (".jsonl", ".jsonl.gz")
DEFAULT_SOURCE = "html"

PathLike = str | Path


@dataclass
class LabelledPage:
    """One page's blocks and their labels (``None``: unlabelled).

    ``source`` names the dataset (``html`` for annotated HTML files),
    ``site`` the web site (used to hold out whole sites), ``split`` the
    dataset split if it has one. ``provenance`` says, per block, where the
    label came from (for HTML files, ``data-label@`` and the XPath of the
    labelling element).
    """

    page_id: str
    source: str
    site: str
    split: str | None
    blocks: list[Block]
    labels: list[str | None]
    provenance: list[str | None]

    @property
    def n_labelled(self) -> int:
        return sum(label is not None for label in self.labels)


#: Reads one corpus annotation file into labelled pages.
CorpusReader = Callable[[Path], Iterable[LabelledPage]]


# -- reading ------------------------------------------------------------------


def _is_corpus_file(path: Path) -> bool:
    return path.name.lower().endswith(CORPUS_SUFFIXES)


def expand_paths(paths: PathLike | Iterable[PathLike],
                 suffixes: tuple[str, ...] = HTML_SUFFIXES + CORPUS_SUFFIXES,
                 stdin: bool = True) -> list[Path]:
    """Files to read: named files as they are, directories searched recursively for
    names ending in one of ``suffixes`` (sorted, hidden folders skipped); ``-`` is
    kept for stdin when ``stdin``.

    Raises :class:`FileNotFoundError` for a path that does not exist.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files: list[Path] = []
    for given in paths:
        path = Path(given)
        if stdin and str(given) == "-":
            files.append(path)
        elif path.is_dir():
            found = sorted(
                candidate for candidate in path.rglob("*")
                if candidate.is_file() and candidate.name.lower().endswith(suffixes)
                and not any(part.startswith(".") for part in candidate.relative_to(path).parts))
            if not found:
                log.warning("%s: no %s files in this directory", path,
                            ", ".join("*" + suffix for suffix in suffixes))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(2, "No such file or directory", str(given))
    return files


def _site_from_url(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def _page_url(root) -> str | None:
    """The page's own URL: ``<link rel=canonical>`` first, then ``og:url``."""
    for link in root.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            return link.get("href")
    for meta in root.iter("meta"):
        if (meta.get("property") or meta.get("name") or "").lower() == "og:url":
            return meta.get("content")
    return None


def _meta(root, name: str) -> str | None:
    for meta in root.iter("meta"):
        if (meta.get("name") or "").lower() == name:
            value = (meta.get("content") or "").strip()
            return value or None
    return None


def _nearest_label(element):
    """``(label, labelling element)`` of the nearest ancestor-or-self with ``data-label``."""
    for candidate in itertools.chain((element,), element.iterancestors()):
        value = candidate.get("data-label")
        if value is not None:
            return value.strip().lower() or None, candidate
    return None, None


def _warn_inline_labels(root, page_id: str) -> None:
    for element in root.iterfind(".//*[@data-label]"):
        if element.tag in BLOCK_TAGS:
            continue
        if any(child.tag in BLOCK_TAGS for child in element.iterdescendants()):
            continue  # it wraps blocks, so it does label them
        log.warning("%s:%s: data-label=%r on inline <%s> labels nothing; "
                    "put it on a block-level element", page_id, element.sourceline,
                    element.get("data-label"), element.tag)


def page_from_html(data: bytes | str, page_id: str, *, site: str | None = None,
                   keep_elements: bool = False) -> LabelledPage:
    """A :class:`LabelledPage` from HTML annotated with ``data-label`` attributes.

    ``site`` is the fallback when the page names no URL of its own. The
    blocks' lxml elements are dropped unless ``keep_elements`` is true, so
    that a large training set does not keep every parsed tree in memory.
    """
    root = parse_html(data)
    if root is None:
        return LabelledPage(page_id, DEFAULT_SOURCE, site or page_id, None, [], [], [])
    _warn_inline_labels(root, page_id)
    blocks = build_blocks(root)
    tree = root.getroottree()
    labels: list[str | None] = []
    provenance: list[str | None] = []
    for block in blocks:
        label, labelled_by = _nearest_label(block.element)
        labels.append(label)
        provenance.append(f"data-label@{tree.getpath(labelled_by)}" if label else None)
        if not keep_elements:
            block.release_element()
    return LabelledPage(
        page_id=page_id,
        source=_meta(root, "boilerkit:source") or DEFAULT_SOURCE,
        site=_site_from_url(_page_url(root)) or site or page_id,
        split=_meta(root, "boilerkit:split"),
        blocks=blocks, labels=labels, provenance=provenance,
    )


def _read_html_file(path: Path, keep_elements: bool) -> LabelledPage:
    if str(path) == "-":
        return page_from_html(sys.stdin.buffer.read(), "<stdin>", site="stdin",
                              keep_elements=keep_elements)
    data = path.read_bytes()
    try:
        return page_from_html(data, str(path), site=path.resolve().parent.name,
                              keep_elements=keep_elements)
    except BoilerkitError as error:
        raise type(error)(f"{path}: {error}") from error


def iter_labelled(paths: PathLike | Iterable[PathLike], *, progress: bool = False,
                  keep_elements: bool = False,
                  corpus_reader: CorpusReader | None = None) -> Iterator[LabelledPage]:
    """Yield the labelled pages in ``paths`` (files or directories, see the module docs).

    HTML files without a labelled block are skipped with a warning. With
    ``progress``, a bar on stderr counts the files read. Corpus annotation
    files (``*.jsonl[.gz]``) need a ``corpus_reader``;
    :func:`boilerkit.datasets.corpus.read_labelled` passes its own.
    """
    files = expand_paths(paths)
    skipped: list[str] = []
    with Progress(len(files), "reading pages", unit="files", disable=not progress) as bar:
        for path in files:
            if _is_corpus_file(path):
                if corpus_reader is None:
                    raise BoilerkitError(
                        f"{path}: corpus annotation files are read with "
                        "boilerkit.datasets.corpus.read_labelled")
                yield from corpus_reader(path)
            else:
                page = _read_html_file(path, keep_elements)
                if page.n_labelled:
                    yield page
                else:
                    skipped.append(str(path))
            bar.update()
    if skipped:
        log.warning("skipped %d HTML file(s) without any labelled block (no data-label "
                    "attribute around text), e.g. %s", len(skipped), skipped[0])


def read_labelled(paths: PathLike | Iterable[PathLike], *, progress: bool = False,
                  keep_elements: bool = False,
                  corpus_reader: CorpusReader | None = None) -> list[LabelledPage]:
    """All labelled pages in ``paths`` as a list; see :func:`iter_labelled`."""
    return list(iter_labelled(paths, progress=progress, keep_elements=keep_elements,
                              corpus_reader=corpus_reader))
