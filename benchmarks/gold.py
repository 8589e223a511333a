"""Gold texts of the test sets, derived from ``SourcePage.gold``, and an HTML-to-text helper.

* ``l3s-gn1``: article = text under ``x-nc-sel1/2/3`` spans of ``gold["annotated_html"]``
  (headline, full text, supplemental), comments = text under ``x-nc-sel5``. A text node
  belongs to its innermost labelled span.
* ``canola``: article = text under ``krdwrd-tag-3`` ("good") elements of
  ``gold["annotated_html"]`` (innermost tagged element wins).
* ``dragnet``: ``gold["article"]`` / ``gold["comments"]``.
* ``cleaneval``, ``cleanportaleval``, ``big9-chaos``: ``gold["article"]``.
* ``readability``: the text of ``gold["expected_html"]``.

Modern sets (several acceptable references per page; a page scores its best, see
:func:`article_references`):

* ``fundus-eval``: the ``body`` paragraphs; each optional ``[...]`` paragraph may be there
  (brackets removed) or not, as in the set's own scorer (every subset when a page has at
  most 4 optional paragraphs, else all or none).
* ``fundus-tests``: summary, then each section's headline and paragraphs.
* ``postlight-fixtures``: the text of the container(s) the per-site content selectors pick,
  minus the ``clean`` elements (``boilerkit.datasets.transfer.postlight_article_text``).
* ``wcxb``: ``main_content`` (silver gold).

None of the four golds holds the headline, which the labelling guideline counts as article:
on these sets every reference is accepted with or without the page's ``title`` in front,
so that an extractor is neither rewarded nor penalised for the headline.
"""

from __future__ import annotations

import itertools
import re

import lxml.etree
import lxml.html

#: Elements whose boundaries separate words when HTML is turned into text.
BLOCK_TAGS = frozenset("""
address article aside blockquote body br caption center dd details dialog dir div dl dt
fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html li main menu
nav ol option p pre section summary table tbody td tfoot th thead title tr ul
""".split())
#: Elements whose text is never visible.
SKIP_TAGS = frozenset("script style noscript template head".split())

_L3S_ARTICLE = {"x-nc-sel1", "x-nc-sel2", "x-nc-sel3"}
_L3S_COMMENT = {"x-nc-sel5"}
_CANOLA_ARTICLE = {"krdwrd-tag-3"}


_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9._:\-]+)", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")


def decode_html(data: bytes | str) -> str:
    """Bytes to str for extractors that want ``str``, done once by the harness:
    a byte-order mark, else strict UTF-8, else the ``<meta>`` charset of the first
    4 KiB, else Windows-1252 (undecodable bytes replaced)."""
    if isinstance(data, str):
        return data
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(enc, "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    m = _META_CHARSET.search(data[:4096])
    if m:
        try:
            return data.decode(m.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            pass
    return data.decode("cp1252", "replace")


def _root(html: bytes | str):
    text = _XML_DECL.sub("", decode_html(html), count=1)
    if not text.strip():
        return None
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True)
    try:
        return lxml.html.document_fromstring(text, parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return None


def _tag(el) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def _walk_text(root, owner_label, prefix: str = ""):
    """Yield (label, text) pieces of visible text in document order, with "\\n" at block
    boundaries. ``owner_label(el, inherited)`` gives the label of text owned by ``el``
    (``el.text`` and its descendants' text unless they set their own)."""
    out: list[tuple[object, str]] = []

    def visit(el, inherited):
        tag = _tag(el)
        if tag in SKIP_TAGS or not isinstance(el.tag, str):
            if el.tail:
                out.append((inherited, el.tail))
            return
        label = owner_label(el, inherited)
        block = tag in BLOCK_TAGS
        if block:
            out.append((None, "\n"))
        if el.text:
            out.append((label, el.text))
        for child in el:
            visit(child, label)
        if block:
            out.append((None, "\n"))
        if el.tail:
            out.append((inherited, el.tail))

    import sys
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))
    try:
        visit(root, None)
    finally:
        sys.setrecursionlimit(limit)
    return out


def _join(pieces) -> str:
    text = "".join(pieces)
    text = re.sub(r"[ \t\r\f\v\u00a0]+", " ", text)
    text = re.sub(r" ?\n[\s]*", "\n", text)
    return text.strip()


def html_to_text(html: bytes | str | None) -> str:
    """Visible text of an HTML document or fragment, one line per block element."""
    if not html:
        return ""
    root = _root(html)
    if root is None:
        return ""
    return _join(t for _, t in _walk_text(root, lambda el, inh: None, ""))


def element_text(el) -> str:
    """Visible text of a parsed element, one line per block element."""
    return _join(t for _, t in _walk_text(el, lambda e, inh: None, ""))


def _classes_label(wanted_prefix: str):
    def owner_label(el, inherited):
        cls = el.get("class")
        if cls and wanted_prefix in cls:
            for c in cls.split():
                if c.startswith(wanted_prefix):
                    return c
        return inherited
    return owner_label


def labelled_text(annotated_html: bytes | str, prefix: str, wanted: set[str]) -> str:
    """Text whose innermost class starting with ``prefix`` is in ``wanted``."""
    root = _root(annotated_html)
    if root is None:
        return ""
    out = []
    for label, text in _walk_text(root, _classes_label(prefix), prefix):
        if label in wanted:
            out.append(text)
        else:                   # block boundary, or text of another class: a separator
            out.append("\n")
    return _join(out)


def article_gold(page) -> str | None:
    """Gold article text of a page, or ``None`` when the source has no article gold."""
    src, gold = page.source, page.gold
    if src == "l3s-gn1":
        return labelled_text(gold["annotated_html"], "x-nc-sel", _L3S_ARTICLE)
    if src == "canola":
        return labelled_text(gold["annotated_html"], "krdwrd-tag-", _CANOLA_ARTICLE)
    if src == "readability":
        return html_to_text(gold["expected_html"])
    if src in ("dragnet", "cleaneval", "cleanportaleval", "big9-chaos"):
        return gold.get("article") or ""
    return None


def comment_gold(page) -> str | None:
    """Gold comment text, or ``None`` when the page has no comment gold."""
    if page.source == "l3s-gn1":
        text = labelled_text(page.gold["annotated_html"], "x-nc-sel", _L3S_COMMENT)
        return text or None
    if page.source == "dragnet":
        return page.gold.get("comments") or None
    return None



#: A fundus-eval page with more optional paragraphs than this is scored with all of them or
#: none (the set's scorer, ``fundus_evaluation.score``, uses 4; 2^4 subsets otherwise).
MAX_OPTIONAL_PARAGRAPHS = 4


def _is_optional(paragraph: str) -> bool:
    text = paragraph.strip()
    return len(text) >= 2 and text[0] == "[" and text[-1] == "]"


def fundus_bodies(body: list[str], max_optional: int = MAX_OPTIONAL_PARAGRAPHS) -> list[str]:
    """The acceptable fundus-eval references: the body without each subset of its optional
    ``[...]`` paragraphs (brackets removed), as the set's own scorer builds them."""
    optional = [i for i, p in enumerate(body) if _is_optional(p)]
    clean = [p.strip()[1:-1] if i in optional else p for i, p in enumerate(body)]
    if len(optional) > max_optional:
        removals = [(), tuple(optional)]
    else:
        removals = [c for n in range(len(optional) + 1) for c in itertools.combinations(optional, n)]
    return ["\n".join(p for i, p in enumerate(clean) if i not in set(drop)) for drop in removals]


def _with_title(title: str, references: list[str]) -> list[str]:
    title = (title or "").strip()
    if not title:
        return references
    return references + [f"{title}\n{ref}" for ref in references]


def article_references(page) -> list[str] | None:
    """The acceptable gold article texts of a page (the page scores the best of them), or
    ``None`` when the source has no article text gold (trafilatura-eval: snippets only).
    An empty list means the gold could not be derived (Postlight rules that match no
    container): the page is left out of the token metrics."""
    src, gold = page.source, page.gold
    if src == "fundus-eval":
        return _with_title(gold.get("title") or "", fundus_bodies(list(gold.get("body") or [])))
    if src == "fundus-tests":
        return _with_title(gold.get("title") or "", ["\n".join(gold.get("body") or [])])
    if src == "postlight-fixtures":
        from boilerkit.datasets.transfer import postlight_article_text   # needs cssselect
        text = postlight_article_text(page.html, gold.get("selectors") or [],
                                      gold.get("clean") or [])
        return _with_title(gold.get("title") or "", [text]) if text.strip() else []
    if src == "wcxb":
        return _with_title(gold.get("title") or "", [gold.get("main_content") or ""])
    text = article_gold(page)
    return None if text is None else [text]
