"""Loaders for the annotated web-page datasets staged under ``BOILERKIT_DATA``.

Every loader is a generator of :class:`SourcePage` records, one per annotated page, in a
stable (sorted) order.  Files are read only when the page is yielded, so iterating is cheap
in memory and a consumer can stop early.

Where the data lives
--------------------
* ``BOILERKIT_DATA``: the folder holding the staged datasets (one subfolder per source,
  each with its own ``README.md``).  Default: ``../shared/datasets`` relative to the current
  working directory.  :func:`data_root` resolves it and raises :class:`DatasetNotFound` when
  it is missing.  The originals are only ever read, never modified.
* ``BOILERKIT_CACHE``: where compressed members (``*.tar.xz``, ``*.tar.gz``) are unpacked,
  once.  Default: ``~/.cache/boilerkit/datasets``.  Each archive is unpacked into
  ``<cache>/<source>/<archive stem>/`` through a temporary folder that is renamed into place
  only after a complete extraction (with ``tarfile``'s ``filter="data"``); a marker file
  recording the archive's name, size and mtime makes later calls a no-op, and a stale or
  incomplete folder is replaced.

Sources (``SOURCES`` keys) and their ``gold``
---------------------------------------------
``l3s-gn1``           ``{"annotated_html": bytes}`` (``annotated/<uuid>.html``); html is
                      ``original/<uuid>.html``; URL from ``url-mapping.txt``.
``kreuzer``           ``{"blocks_html": bytes}`` (the rendered, annotated ``*.blocks.html``);
                      html is the sibling ``*.html.orig``.  Pages without an ``.orig`` are
                      skipped, and ``.orig`` files without a ``*.blocks.html`` sibling
                      (iframes, ad frames) are ignored.  URL from ``mapping.txt``.
``dragnet``           ``{"article": str, "comments": str, "official_split": "train"|"test"}``:
                      the gold text split at the hand-typed ``!@#$%^&*()  COMMENTS``
                      separator line (regex from the README); ``comments`` is ``""`` when
                      there is no separator.
``cleaneval``         ``{"article": str, "segments": [(kind, text), ...]}`` (dev and final sets,
                      only pages with a gold file); kind is ``"p"``, ``"h"`` or ``"l"``.
``cleanportaleval``   same shape as ``cleaneval``.
``canola``            ``{"annotated_html": bytes}`` (the raw merged KrdWrd file).  ``html`` is
                      a *cleaned* copy, see :func:`strip_krdwrd_annotation`.
``big9-chaos``        ``{"article": str, "set": "big5-05"|"big5-09"|"big5-13"|"big5-17"|"chaos-all"}``.
``readability``       ``{"expected_html": bytes, "metadata": dict}``; html is ``source.html``.
``trafilatura-eval``  ``{"with": [...], "without": [...], "comments": [...]}`` from
                      ``evaldata.json`` (missing keys give ``[]``); entries whose HTML file
                      is missing are skipped and counted in :data:`SKIPPED`.

Gold text (``article``/``comments``/``segments``) is decoded as UTF-8 and, for files that
are not valid UTF-8 (many are Windows-1252: curly quotes, dashes), as cp1252; a leading BOM
is dropped and line ends are normalised to ``\\n``.

New sources (pages crawled 2018 or later): ``fundus-eval``, ``fundus-tests``,
``postlight-fixtures``, ``wcxb``; see :mod:`.modern` for their ``gold``.

URLs and sites
--------------
``url`` is the URL the dataset gives (mapping files, CleanEval ``<text id=...>``, evaldata
keys).  For sources without one (dragnet, readability, big9-chaos, and the trafilatura
entries keyed ``hard::...``) it is taken from the HTML: ``og:url`` first, then
``<link rel=canonical>``, then the Wayback Machine toolbar's ``wmtbURL`` field; relative
values are ignored and ``web.archive.org/web/<ts>/`` wrappers are removed.  ``og:url`` is
preferred because syndicated copies (msn.com, abc2news.com ...) keep a canonical link to
the original publisher while ``og:url`` names the site whose template the page has.
``site`` is the page's publisher, by the rules of :mod:`.sites` (never ``unknown:``).

Modules: :mod:`.store` (paths, unpack cache, the record), :mod:`.sites`, :mod:`.classic`
and :mod:`.modern` (the loaders), :mod:`.licences` (what each source allows).
"""

from __future__ import annotations

import itertools
from typing import Callable, Iterable, Iterator

from . import classic, modern
from .classic import (_DRAGNET_SEP, parse_cleaneval_gold, split_dragnet_gold,  # noqa: F401
                      strip_krdwrd_annotation)
from .sites import registered_domain, url_from_html as _url_from_html  # noqa: F401
from .store import (_MARKER, CACHE_ENV, DATA_ENV, DEFAULT_DATA, SKIPPED,  # noqa: F401
                    DatasetNotFound, SourcePage, _unpacked, cache_root, data_root)

__all__ = [
    "DatasetNotFound", "SOURCES", "SKIPPED", "SourcePage", "cache_root", "data_root",
    "iter_pages", "load_pages", "load_source", "registered_domain", "strip_krdwrd_annotation",
    "parse_cleaneval_gold", "split_dragnet_gold",
]

#: Every source's loader, by name (the order of ``build`` and ``stats``).
SOURCES: dict[str, Callable[[], Iterator[SourcePage]]] = {**classic.LOADERS, **modern.LOADERS}


def load_source(name: str) -> Iterator[SourcePage]:
    """Generator of the pages of one source (a key of :data:`SOURCES`)."""
    try:
        loader = SOURCES[name]
    except KeyError:
        raise KeyError(f"unknown dataset source {name!r}; known: {', '.join(SOURCES)}") from None
    return loader()


def load_pages(page_ids: Iterable[str]) -> Iterator[SourcePage]:
    """The pages with these ids, in source order; loaders that can (:mod:`.modern`) skip
    the other pages without reading them."""
    wanted = set(page_ids)
    for name in dict.fromkeys(pid.split("/", 1)[0] for pid in sorted(wanted)):
        loader = SOURCES.get(name)
        if loader is None:
            raise KeyError(f"unknown dataset source {name!r}; known: {', '.join(SOURCES)}")
        pages = modern.LOADERS[name](wanted) if name in modern.LOADERS else loader()
        for page in pages:
            if page.page_id in wanted:
                yield page


def iter_pages(sources: str | Iterable[str] | None = None) -> Iterator[SourcePage]:
    """Chain the pages of all sources (default) or of the named ones, in the given order."""
    if sources is None:
        names = list(SOURCES)
    elif isinstance(sources, str):
        names = [sources]
    else:
        names = list(sources)
    for name in names:                                 # validate before yielding anything
        if name not in SOURCES:
            raise KeyError(f"unknown dataset source {name!r}; known: {', '.join(SOURCES)}")
    return itertools.chain.from_iterable(load_source(n) for n in names)
