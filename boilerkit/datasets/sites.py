"""Which site (publisher) a page belongs to: the unit of the train/dev/test splits.

A page's site is found in this order, the first that gives one wins:

1. a decision recorded for the page in ``datasets/sites.json`` (``pages``: made by
   ``python -m boilerkit.datasets.site_groups`` from shared page templates, or by hand,
   each with its reason);
2. the URL the dataset gives, else ``og:url`` / ``<link rel=canonical>`` / the Wayback
   toolbar URL in the HTML (:func:`url_from_html`): its :func:`registered_domain`;
3. a loader's own hint (a Big5 page's site from its archived links, a Postlight fixture's
   file name, WCXB's ``domain``);
4. the dominant host of the page's own absolute links (:func:`link_host`), leaving out
   hosts that appear on many sites (social networks, feed, ad and blog-platform hosts);
5. the site name in the ``<title>`` ("Post - Site Name", "Site Name: Post"):
   ``title:<name>``.

A page with none of these would be ``unknown:<page_id>``; a test checks that no page is.
Finally ``aliases`` in ``datasets/sites.json`` merge domains of one publisher that share a
template (``bbc.com`` -> ``bbc.co.uk``, ``vulture.com`` -> ``nymag.com``).
"""

from __future__ import annotations

import html as _html
import json
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from .store import SourcePage, _sha, corpus_dir

__all__ = ["registered_domain", "url_from_html", "link_host", "title_site", "resolve_site",
           "site_table", "SITES_FILE"]

SITES_FILE = "sites.json"

# --------------------------------------------------------------------------- domains

_GENERIC_SLD = frozenset(
    "co com ac gov org net edu ne or go gob nic ltd plc sch nhs police mil".split())
# hosting platforms where every subdomain is its own site
_BLOG_PLATFORMS = frozenset("blogspot wordpress typepad tumblr livejournal".split())
_HOSTED_SUFFIXES = ("github.io", "gitlab.io", "vercel.app", "netlify.app", "pages.dev",
                    "herokuapp.com", "readthedocs.io")
_IP_RE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


def registered_domain(url_or_host: str) -> str:
    """The registered domain ("site") of a URL or host name, by a small heuristic.

    The host is lower-cased, stripped of user info, port, trailing dot and one leading
    ``www.``.  Then the last two labels are kept (``news.nytimes.com`` -> ``nytimes.com``),
    or the last three when the top-level label is a two-letter country code and the
    second-level label is a common generic one (co, com, ac, gov, org, net, edu, ne, or, go,
    gob, nic, ltd, plc, sch, nhs, police, mil): ``news.bbc.co.uk`` -> ``bbc.co.uk``,
    ``www.smh.com.au`` -> ``smh.com.au``, ``www.asahi.co.jp`` -> ``asahi.co.jp``.  Hosted
    blog platforms (blogspot, wordpress, typepad, tumblr, livejournal) and hosting platforms
    (github.io, gitlab.io, vercel.app, netlify.app, pages.dev, herokuapp.com,
    readthedocs.io) keep one more label, so every blog is its own site:
    ``foo.blogspot.com``, ``bar.wordpress.com``, ``proj.github.io``.  IP
    addresses are returned as they are.  This is not the Public Suffix List: private
    registries not listed above (``k12.mn.us``, ``go.com`` hosts ...) fall back to the last
    two (or three) labels.  Returns ``""`` for an empty input.
    """
    text = (url_or_host or "").strip()
    if not text:
        return ""
    if "://" in text or text.startswith("//"):
        host = urlsplit(text if "://" in text else "http:" + text).netloc
    else:
        host = re.split(r"[/?#]", text, maxsplit=1)[0]
    host = host.rpartition("@")[2].lower()
    if host.startswith("["):                           # IPv6 literal
        return host.split("]")[0] + "]"
    host = host.split(":")[0].strip().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    if not host or _IP_RE.match(host):
        return host
    labels = [lab for lab in host.split(".") if lab]
    keep = 2
    if (len(labels) >= 3 and len(labels[-1]) == 2 and labels[-1].isalpha()
            and labels[-2] in _GENERIC_SLD):
        keep = 3
    if len(labels) > keep and (labels[-keep] in _BLOG_PLATFORMS
                               or ".".join(labels[-2:]) in _HOSTED_SUFFIXES):
        keep += 1
    return ".".join(labels[-keep:])


# --------------------------------------------------------------------------- URLs in HTML

_LINK_RE = re.compile(rb"<link\b[^>]*>", re.I)
_META_RE = re.compile(rb"<meta\b[^>]*>", re.I)
_WMTB_RE = re.compile(rb"""id=["']?wmtbURL["']?\s+value=["']([^"']*)["']""", re.I)
_WAYBACK_RE = re.compile(r"^(?:https?:)?//(?:web|web-beta|wayback)\.archive\.org/web/"
                         r"\d+[a-z_]*/(.+)$", re.I)


def _attr(tag: bytes, name: bytes) -> bytes | None:
    m = re.search(rb"\s" + name + rb"""\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", tag, re.I)
    if not m:
        return None
    return next(g for g in m.groups() if g is not None)


def _clean_url(raw: bytes | None) -> str | None:
    """Decode, unescape and unwrap a URL; ``None`` unless it is absolute http(s)."""
    if not raw:
        return None
    url = _html.unescape(raw.decode("utf-8", "replace")).strip()
    for _ in range(3):
        m = _WAYBACK_RE.match(url)
        if not m:
            break
        url = m.group(1)
        if not re.match(r"^[a-z][a-z0-9+.-]*:", url, re.I):
            url = "http://" + url.lstrip("/")
    if url.startswith("//"):
        url = "http:" + url
    if not re.match(r"^https?://[^/\s]*\.[^/\s]", url, re.I):
        return None
    return url


def url_from_html(raw: bytes) -> str | None:
    """``og:url``, else ``<link rel=canonical>``, else the Wayback toolbar's URL."""
    og = canonical = None
    for tag in _META_RE.findall(raw):
        prop = _attr(tag, b"property") or _attr(tag, b"name")
        if prop and prop.strip().lower() == b"og:url":
            og = _clean_url(_attr(tag, b"content"))
            if og:
                break
    if og:
        return og
    for tag in _LINK_RE.findall(raw):
        rel = _attr(tag, b"rel")
        if rel and b"canonical" in rel.lower().split():
            canonical = _clean_url(_attr(tag, b"href"))
            if canonical:
                return canonical
    m = _WMTB_RE.search(raw)
    return _clean_url(m.group(1)) if m else None


# --------------------------------------------------------------------------- links and title

_A_HREF_RE = re.compile(rb"""<a\b[^>]*?\shref\s*=\s*["']?((?:https?:)?//[^"'\s>]+)""", re.I)
_TITLE_RE = re.compile(rb"<title[^>]*>(.*?)</title", re.I | re.S)
#: Hosts linked from pages of many unrelated sites: never a page's own site by link count.
THIRD_PARTY = frozenset("""
    twitter.com x.com facebook.com fb.com instagram.com linkedin.com pinterest.com
    youtube.com youtu.be vimeo.com flickr.com tumblr.com reddit.com digg.com
    stumbleupon.com delicious.com del.icio.us technorati.com myspace.com google.com
    googleapis.com feedburner.com feedsportal.com addthis.com addtoany.com sharethis.com
    typekey.com typepad.com profile.typepad.com blogger.com blogspot.com wordpress.org
    wordpress.com squarespace.com wix.com disqus.com doubleclick.net bit.ly t.co goo.gl
    ow.ly tinyurl.com amazon.com amzn.to apple.com itunes.apple.com creativecommons.org
    w3.org adobe.com macromedia.com mozilla.org github.com wikipedia.org wikimedia.org
    archive.org statcounter.com sitemeter.com quantcast.com icio.us blogs.com
    mcafeesecure.com clickbank.net whatsapp.com telegram.me t.me
""".split())
_TITLE_SEP = re.compile(r"\s+(?:\||-|–|—|::|«|»|·)\s+")


def _host_counts(raw: bytes) -> Counter:
    counts: Counter = Counter()
    for m in _A_HREF_RE.finditer(raw):
        href = m.group(1).decode("latin-1")
        site = registered_domain(href if "://" in href else "http:" + href)
        if site and "." in site:
            counts[site] += 1
    return counts


def _compact(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


def _title(raw: bytes) -> str:
    m = _TITLE_RE.search(raw)
    if not m:
        return ""
    text = m.group(1).decode("utf-8", "replace")
    return " ".join(_html.unescape(_html.unescape(text)).split())


def _title_name(raw: bytes) -> str | None:
    """The site-name part of the ``<title>``: the last part after a separator ("Post -
    Site Name", at most six words), else the part before ": " ("Site Name: Post", at most
    four words)."""
    title = _title(raw)
    parts = [p for p in _TITLE_SEP.split(title) if p.strip()]
    if len(parts) > 1 and 0 < len(parts[-1].split()) <= 6:
        return parts[-1]
    head = title.split(": ", 1)[0] if ": " in title else ""
    if head and len(head.split()) <= 4:
        return head
    return None


def link_host(raw: bytes, min_links: int = 3) -> str | None:
    """The registered domain the page's absolute links point to most.

    A linked host whose name appears in the site-name part of the ``<title>`` wins
    (``nbcsports.com`` over ``msnbc.com`` on "… - NBC Sports"), unless it is a passing
    mention (fewer than ``min_links`` links and a quarter of the top count) or a
    :data:`THIRD_PARTY` host that is not the whole name (``wikipedia.org`` on
    "… - Wikipedia" but not ``github.com`` on "… at GitHub").  Else the most linked host that is not in
    :data:`THIRD_PARTY`, with at least ``min_links`` links, or with any number when it is
    the only such host.
    """
    counts = _host_counts(raw)
    if not counts:
        return None
    own = [(site, n) for site, n in counts.most_common() if site not in THIRD_PARTY]
    top = own[0][1] if own else 0
    name = _compact(_title_name(raw) or "")
    if len(name) >= 3:
        for site, n in counts.most_common():
            label = _compact(site.split(".")[0])       # the distinctive label
            if site in THIRD_PARTY and label != name:  # "… - Wikipedia", not "… at GitHub"
                continue
            if n * 4 < top and n < min_links:          # a passing mention, not the site
                continue
            if len(label) >= 3 and (label in name or (len(name) >= 5 and name in label)):
                return site
    if own and (own[0][1] >= min_links or len(own) == 1):
        return own[0][0]
    return None


def title_site(raw: bytes) -> str | None:
    """``title:<name>`` from the site-name part of the ``<title>`` (see :func:`link_host`)."""
    slug = re.sub(r"[^0-9a-z]+", "-", (_title_name(raw) or "").lower()).strip("-")
    return f"title:{slug}" if slug else None


# --------------------------------------------------------------------------- the table


@lru_cache(maxsize=4)
def _read_table(path: str, mtime_ns: int) -> dict:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {"aliases": {k: v["site"] for k, v in data.get("aliases", {}).items()},
            "pages": {k: v["site"] for k, v in data.get("pages", {}).items()}}


def site_table() -> dict:
    """``{"aliases": {domain: group}, "pages": {page_id: site}}`` from ``datasets/sites.json``
    (empty when the file is missing)."""
    path = corpus_dir() / SITES_FILE
    if not path.is_file():
        return {"aliases": {}, "pages": {}}
    return _read_table(str(path), path.stat().st_mtime_ns)


def canonical_site(site: str) -> str:
    """``site`` after the alias table (publishers with one template across domains)."""
    return site_table()["aliases"].get(site, site)


def resolve_site(page_id: str, url: str | None, raw: bytes, hint: str | None = None) -> str:
    """The site of a page, by the rules of this module."""
    table = site_table()
    site = table["pages"].get(page_id)
    if not site and url:
        site = registered_domain(url)
    site = site or hint or link_host(raw) or title_site(raw) or f"unknown:{page_id}"
    return table["aliases"].get(site, site)


def make_page(source: str, local_id: str, url: str | None, html: bytes, gold: dict,
              site: str | None = None) -> SourcePage:
    """The record of one page; ``site`` is a loader's hint, used when there is no URL
    (see :func:`resolve_site`)."""
    page_id = f"{source}/{local_id}"
    return SourcePage(page_id=page_id, source=source, url=url,
                      site=resolve_site(page_id, url, html, hint=site), html=html,
                      sha256=_sha(html), gold=gold)
