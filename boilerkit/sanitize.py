"""Make a parsed page safe to open in a browser: nothing runs, nothing is fetched.

Used by the ``show`` view, the labelling editor and the evaluation report's
page views. The policy, applied to an lxml tree in place:

- **Removed with their content:** ``script``, ``noscript``, ``template``,
  ``iframe``, ``frame``, ``object``, ``embed``, ``applet``, ``param``,
  ``portal``, ``fencedframe``, ``base``, ``noembed``, ``noframes``,
  every ``<link>`` (stylesheets, preload, prefetch, icons, manifests; with
  ``allow_remote`` http(s) stylesheets stay), every ``<meta http-equiv>``
  (refresh, set-cookie, the page's own CSP) and ``<meta charset>`` (the view
  is written as UTF-8 and says so itself), and SVG animation elements
  (``animate``, ``set``, ...), which can rewrite an ``href`` to ``javascript:``.
  None of these ever holds a block (see :data:`boilerkit.blocks.SKIPPED_TAGS`).
  Void elements that libxml2 wrongly lets hold the content after them
  (``<embed>``) go, but that content stays. ``<xmp>`` and ``<plaintext>``
  become ``<pre>``.
- **Attributes:** every ``on*`` event handler, ``srcdoc``, ``ping``,
  ``srcset``/``imagesrcset``, form ``action``/``formaction`` and any
  attribute whose value is a ``javascript:`` or ``vbscript:`` URL are
  dropped. Links (``a``/``area`` ``href``) keep http(s), mailto, tel, relative
  and ``#`` targets and get ``rel="noopener noreferrer"``. Other ``href``s
  (SVG ``use``, ``image``) keep only ``#fragment`` references.
- **Images and media:** ``src``, ``poster``, ``background`` and friends keep
  ``data:image/...`` URLs only; anything else is replaced by a transparent
  pixel (``img``) or dropped, so layout keeps its boxes. With
  ``allow_remote``, http(s) images and stylesheets stay (relative ones are
  resolved against ``base_url`` when given): they are fetched when the view
  opens, and that can tell their server that you looked.
- **Styles:** inline ``<style>`` elements and ``style`` attributes stay,
  with CSS escapes and comments resolved first, then every ``url(...)``,
  ``image-set(...)``, ``@import`` and ``expression(...)`` neutralised and
  every ``<`` dropped (so no style text can end its element early, which is
  how markup inside ``<svg><style>`` would otherwise run in a browser).

A strict Content-Security-Policy in the view (:func:`content_security_policy`)
is the second line: even something this pass missed could neither run nor
load.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

import lxml.etree

#: Elements removed with everything inside them.
REMOVED_TAGS = frozenset(
    """script noscript template iframe frame object embed applet param portal fencedframe base
    noembed noframes link animate animatemotion animatetransform animatecolor set discard
    bgsound""".split()
)
#: Attributes that load something when the page opens; kept only for data: images.
_RESOURCE_ATTRIBUTES = frozenset(
    "src poster background lowsrc dynsrc data codebase archive manifest classid longdesc "
    "profile icon".split()
)
# Void in HTML, so whatever libxml2 nests in them (it does not know that <embed> is void) is
# the page's following content: when they go, their children stay.
_VOID_TAGS = frozenset(
    "area base basefont bgsound br col embed frame hr img input isindex keygen link meta param "
    "source track wbr".split()
)
_ALWAYS_DROPPED = frozenset("srcdoc ping srcset imagesrcset action formaction".split())
_LINK_TAGS = frozenset({"a", "area"})
_LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_REMOTE_SCHEMES = frozenset({"http", "https"})
#: A 1x1 transparent GIF: keeps an image's box without loading anything.
BLANK_IMAGE = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"

# Browsers drop ASCII whitespace and control characters inside a URL's scheme.
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_DANGEROUS_VALUE = re.compile(r"^(javascript|vbscript|livescript):")


def _scheme(url: str) -> str | None:
    """The lower-cased scheme of ``url`` as a browser would read it, else None (relative)."""
    match = _SCHEME.match(_URL_NOISE.sub("", url).lower())
    return match.group(1) if match else None


def _is_data_image(url: str) -> bool:
    return _URL_NOISE.sub("", url).lower().startswith("data:image/")


# -- CSS ------------------------------------------------------------------------

_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|$)", re.S)
_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})[ \t\n\r\f]?|(.))", re.S)
_CSS_URL = re.compile(r"url\s*\(\s*(?:\"[^\"]*\"|'[^']*'|[^)]*)\s*\)?", re.I)
_CSS_IMPORT = re.compile(r"@import\b[^;{}]*;?", re.I)
_CSS_IMAGE_SET = re.compile(r"(?:-webkit-)?image-set\s*\([^()]*\)", re.I)
# Functions and properties that take a URL or run code without url(): break their names.
_CSS_LOADERS = re.compile(r"(?:-webkit-)?image-set\s*\(|expression\s*\(|-moz-binding|behavior\s*:|"
                          r"url\s*\(", re.I)


def _unescape_css(match: re.Match) -> str:
    hex_digits, char = match.groups()
    if hex_digits is not None:
        code = int(hex_digits, 16)
        return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
    return "" if char in "\r\n\f" else char


def sanitize_css(css: str) -> str:
    """CSS that loads nothing and cannot break out of its ``<style>`` element.

    Escapes and comments are resolved first, so ``u\\72l(`` is caught as
    ``url(``; then any backslash left is dropped, so that no new escape is made.
    """
    css = _CSS_COMMENT.sub(" ", css)
    css = _CSS_ESCAPE.sub(_unescape_css, css).replace("\\", "")
    css = css.replace("<", "").replace("\x00", "")
    css = _CSS_IMPORT.sub("", css)
    css = _CSS_URL.sub("none", css)
    css = _CSS_IMAGE_SET.sub("none", css)
    return _CSS_LOADERS.sub("blocked(", css)


# -- the tree -------------------------------------------------------------------


def remove_element(element: lxml.etree._Element) -> None:
    """Remove ``element`` and its subtree but keep its tail text in place."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def unwrap_element(element: lxml.etree._Element) -> None:
    """Replace ``element`` by its children and text (keeps what it wrongly holds)."""
    parent = element.getparent()
    if parent is None:
        return
    position = parent.index(element)
    text, tail = element.text or "", element.tail or ""
    children = list(element)
    if position:
        previous = parent[position - 1]
        previous.tail = (previous.tail or "") + text
    else:
        parent.text = (parent.text or "") + text
    for offset, child in enumerate(children):
        parent.insert(position + offset, child)  # moves it, with its tail
    last = children[-1] if children else None
    if last is not None:
        last.tail = (last.tail or "") + tail
    elif position:
        parent[position - 1].tail = (parent[position - 1].tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(element)


def _local_name(name: str) -> str:
    return name.rsplit(":", 1)[-1].rsplit("}", 1)[-1].lower()


def _remote_url(url: str, base_url: str | None) -> str | None:
    """``url`` made absolute if it is (or resolves to) http(s), else None."""
    if _scheme(url) is None and base_url:
        url = urljoin(base_url, url.strip())
    return url.strip() if _scheme(url) in _REMOTE_SCHEMES else None


def _keep_stylesheet(element, base_url: str | None) -> bool:
    rel = (element.get("rel") or "").lower().split()
    if "stylesheet" not in rel or "alternate" in rel:
        return False
    url = _remote_url(element.get("href") or "", base_url)
    if url is None:
        return False
    for name in list(element.attrib):
        if name not in ("rel", "href", "media", "type"):
            del element.attrib[name]
    element.set("href", url)
    element.set("referrerpolicy", "no-referrer")
    return True


def _clean_attributes(element, tag: str, allow_remote: bool, base_url: str | None) -> None:
    for name in list(element.attrib):
        value = element.get(name) or ""
        local = _local_name(name)
        if local.startswith("on") or local in _ALWAYS_DROPPED:
            del element.attrib[name]
        elif _DANGEROUS_VALUE.match(_URL_NOISE.sub("", value).lower()):
            del element.attrib[name]
        elif local == "href":
            scheme = _scheme(value)
            if tag in _LINK_TAGS:
                if scheme is not None and scheme not in _LINK_SCHEMES:
                    del element.attrib[name]
            elif value.strip().startswith("#") or (tag == "image" and _is_data_image(value)):
                continue
            elif tag == "image" and allow_remote and _remote_url(value, base_url):
                element.set(name, _remote_url(value, base_url))
            else:
                del element.attrib[name]
        elif local in _RESOURCE_ATTRIBUTES:
            if _is_data_image(value):
                continue
            remote = _remote_url(value, base_url) if allow_remote else None
            if remote and ((local == "src" and tag in ("img", "input")) or local == "background"
                           or (local == "poster" and tag == "video")):
                element.set(name, remote)
            elif tag == "img" and local == "src":
                element.set(name, BLANK_IMAGE)
            else:
                del element.attrib[name]
        elif local == "style":
            element.set(name, sanitize_css(value))
    if tag in _LINK_TAGS and element.get("href") is not None:
        element.set("rel", "noopener noreferrer")
    if tag == "img" and allow_remote:
        element.set("referrerpolicy", "no-referrer")


def make_safe(root: lxml.etree._Element, *, allow_remote: bool = False,
              base_url: str | None = None) -> lxml.etree._Element:
    """Strip everything from the tree under ``root`` that could run or load; return ``root``.

    See the module documentation for the policy. With ``allow_remote``,
    http(s) images and stylesheets are kept (the browser will fetch them);
    relative ones are resolved against ``base_url`` if given, else dropped.
    """
    for element in list(root.iter()):
        tag = element.tag
        if not isinstance(tag, str):  # comments and processing instructions
            remove_element(element)
            continue
        tag = _local_name(tag)
        if tag == "link" and allow_remote and _keep_stylesheet(element, base_url):
            continue
        if tag in REMOVED_TAGS or (tag == "meta" and (element.get("http-equiv") is not None
                                                      or element.get("charset") is not None)):
            if tag in _VOID_TAGS:
                unwrap_element(element)
            else:
                remove_element(element)
            continue
        if tag in ("plaintext", "xmp"):
            # Raw text in browsers: libxml2 keeps it as text, written escaped inside a <pre>
            # it shows the same, and a <plaintext> can no longer swallow the rest, ours included.
            element.tag = "pre"
        if element.attrib:
            _clean_attributes(element, tag, allow_remote, base_url)
        if tag == "style" and element.text:
            element.text = sanitize_css(element.text)
            for child in list(element):  # libxml2 keeps style text flat; be sure
                remove_element(child)
    return root


def content_security_policy(*, allow_remote: bool = False, script_hashes: tuple[str, ...] = (),
                            connect_self: bool = False) -> str:
    """The view's policy: only its own scripts run; only data: images (and, with
    ``allow_remote``, http(s) images and stylesheets) load; forms go nowhere."""
    remote = " http: https:" if allow_remote else ""
    scripts = " ".join(f"'sha256-{digest}'" for digest in script_hashes) or "'none'"
    return "; ".join([
        "default-src 'none'",
        f"script-src {scripts}",
        f"style-src 'unsafe-inline'{remote}",
        f"img-src data:{remote}",
        f"font-src data:{remote}",
        "media-src 'none'",
        "connect-src " + ("'self'" if connect_self else "'none'"),
        "frame-src 'none'",
        "child-src 'none'",
        "object-src 'none'",
        "worker-src 'none'",
        "manifest-src 'none'",
        "form-action 'none'",
        "base-uri 'none'",
    ])
