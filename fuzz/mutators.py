"""Hostile inputs for ``boilerkit.classify``, made from real pages.

Shared by the property-based test (``tests/test_fuzz.py``, which draws the
``random.Random`` from hypothesis so failures shrink and replay) and the long
campaign (``fuzz/run.py``, which seeds one ``Random`` per input index so any
input can be made again from its index). Everything here is deterministic
given the ``Random``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

#: Inputs are cut to this size, so that one case stays fast.
MAX_SIZE = 1_000_000

# Small pages with the structures the block builder and the renderers care about.
SMALL_PAGES = (
    "<p>Hello world</p>",
    "<html><head><title>T</title></head><body><h1>Title</h1><p>One two three.</p>"
    "<ul><li>apple</li><li>pear</li></ul><ol start=3><li>c</li><li>d</li></ol></body></html>",
    "<table><tr><th>Name</th><th>Age</th></tr><tr><td>Ann</td><td>31</td></tr>"
    "<tr><td colspan=2>a|b *c* <i>d</i></td></tr></table><pre>x = 1\n```\n  y</pre>",
    "<!DOCTYPE html><html lang=fr><head><meta charset=utf-8><title>Caf\u00e9</title></head>"
    "<body><nav role=navigation><a href=/>Accueil</a> <a href=/a>Actualit\u00e9s</a></nav>"
    "<article><h2># Pas un titre</h2><p>L\u2019\u00e9t\u00e9 \u00e0 Paris &amp; ailleurs "
    "&lt;b&gt;</p><blockquote>- cit\u00e9</blockquote></article>"
    "<section id=comments><div class=comment><p>Super !</p></div><form><textarea>"
    "<p>raw</p></textarea><input name=n></form></section><footer>\u00a9 2025</footer></body></html>",
    "<html><body><div class=card><a href=/s/1><h4>\u65e5\u672c\u8a9e\u306e\u898b\u51fa\u3057</h4>"
    "</a><p class=excerpt>\u30c6\u30ad\u30b9\u30c8\u3067\u3059\u3002</p></div><div hidden>x</div>"
    "<div style='display:none'>y</div><aside aria-hidden=true>z</aside><noscript><p>no</p>"
    "</noscript><template><p>t</p></template><xmp><p>xmp</p></xmp></body></html>",
    "<title>An unclosed title <p>that swallows everything " + "word " * 500,
    "<?xml version='1.0' encoding='iso-8859-1'?><html xmlns='http://www.w3.org/1999/xhtml'>"
    "<body><p>XHTML</p><svg><text>svg text</text></svg><math><mi>x</mi></math></body></html>",
)


def seed_pages(extra: Sequence[Path] = ()) -> list[bytes]:
    """The example news page, :data:`SMALL_PAGES` and the files ``extra``, as bytes."""
    pages = [(REPO / "examples" / "news-page.html").read_bytes()]
    pages += [page.encode("utf-8") for page in SMALL_PAGES]
    for path in extra:
        files = sorted(path.rglob("*.htm*")) if path.is_dir() else [path]
        pages += [file.read_bytes()[:MAX_SIZE] for file in files]
    return pages


ENCODINGS = (
    "utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be", "latin-1",
    "cp1252", "shift_jis", "euc-jp", "iso-2022-jp", "gb18030", "big5", "euc-kr", "koi8-r",
    "cp1251", "iso-8859-7", "mac-roman", "utf-7", "cp037", "utf-8-sig",
)

CHARSET_LABELS = (
    # real ones, in several spellings
    "utf-8", "UTF8", " utf-8 ", "utf-16", "utf-16le", "UTF-16BE", "utf-32", "iso-8859-1",
    "latin1", "latin-1", "windows-1252", "shift_jis", "x-sjis", "euc-jp", "iso-2022-jp", "gbk",
    "gb18030", "big5", "euc-kr", "koi8-r", "windows-1251", "x-mac-cyrillic", "tis-620",
    # WHATWG "replacement" and x-user-defined, which map to no codec here
    "x-user-defined", "replacement", "iso-2022-kr", "hz-gb-2312",
    # Python codecs that are no text encodings, and other things a page may say
    "punycode", "idna", "rot13", "rot_13", "zlib", "zlib_codec", "base64", "base_64", "uu", "hex",
    "bz2", "quopri", "utf-7", "utf_7", "undefined", "unicode_escape", "raw_unicode_escape",
    "mbcs", "oem", "cp65001", "utf-8-sig", "charmap", "cp037", "ptcp154", "koi8_t", "kz1048",
    "", " ", "\"utf-8\"", "'latin1'", "utf-8;", "x" * 300, "\u00fctf-8", "utf-8\x00",
    "../../etc/passwd", "encodings.utf_8", "string_escape", "utf-8, latin1",
)

TAGS = (
    "div", "p", "span", "a", "b", "i", "li", "ul", "ol", "table", "tr", "td", "th", "pre",
    "blockquote", "h1", "h2", "h6", "section", "article", "nav", "header", "footer", "aside",
    "form", "textarea", "script", "style", "noscript", "template", "title", "head", "body",
    "html", "svg", "math", "select", "option", "iframe", "noframes", "noembed", "xmp",
    "plaintext", "frameset", "frame", "br", "img", "input", "button", "label", "font", "center",
    "marquee", "dl", "dt", "dd", "figure", "figcaption", "main", "caption", "tbody", "meta",
    "base", "link", "object", "embed", "listing", "image", "foo-bar", "x:y", "\u00f8\u00e6",
)

ATTRIBUTES = (
    "class=comment", "class='nav menu related-posts'", "id=comments", "role=navigation",
    "role=main", "style=display:none", "hidden", "aria-hidden=true", "data-label=article",
    "start=999999999999999999999", "start=-5", "start=x", "start=" + "9" * 4300,
    "start=\u0663", "start=' 12th'", "href=javascript:alert(1)",
    "lang=ja", "itemprop=articleBody", "onerror=alert(1)", "class=\u65e5\u672c",
    "id=" + "a" * 5000, "class=" + "x " * 2000,
)

TOKENS = (
    b"<", b">", b"&", b"\x00", b"</", b"<!--", b"-->", b"<!", b"<?", b"?>", b"]]>", b"<![CDATA[",
    b"&#0;", b"&#x110000;", b"&#xD800;", b"&amp", b"&nbsp;", b"\r", b"\r\n", b"\x0c", b"\x1b",
    b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b'"', b"'", b"=", b"\x80", b"\xc3", b"\xff",
    b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"<?xml version='1.0' encoding='utf-16'?>",
    b"<!DOCTYPE html>", b"</html>", b"</body>", b"<body>", b"<head>", b"\xe2\x80\xae",
    b"\xe2\x80\x8b", b"*", b"#", b"`", b"|", b"[", b"]", b"_", b"\\", b"\n# ", b"\n- ", b"\n1. ",
)


@dataclass
class Case:
    """One input: what to pass to ``classify`` and how it was made."""

    html: str | bytes | bytearray | memoryview
    content_type: str | None = None
    steps: list[str] = field(default_factory=list)

    def data(self) -> bytes:
        """The input as bytes, for a reproducer file (``str`` input as UTF-8, surrogates kept)."""
        if isinstance(self.html, str):
            return self.html.encode("utf-8", "surrogatepass")
        return bytes(self.html)


def random_tag(rng: random.Random) -> bytes:
    tag = rng.choice(TAGS)
    kind = rng.random()
    if kind < 0.3:
        return f"</{tag}>".encode()
    attributes = " ".join(rng.choice(ATTRIBUTES) for _ in range(rng.randint(0, 3)))
    text = f"<{tag}{' ' + attributes if attributes else ''}{' /' if kind > 0.9 else ''}>"
    return text.encode("utf-8")


def _position(rng: random.Random, data: bytes) -> int:
    return rng.randint(0, len(data))


def flip_bytes(rng: random.Random, data: bytes) -> bytes:
    if not data:
        return data
    out = bytearray(data)
    for _ in range(rng.randint(1, 16)):
        out[rng.randrange(len(out))] ^= rng.randint(1, 255)
    return bytes(out)


def insert_tokens(rng: random.Random, data: bytes) -> bytes:
    for _ in range(rng.randint(1, 12)):
        at = _position(rng, data)
        data = data[:at] + rng.choice(TOKENS) + data[at:]
    return data


def insert_tags(rng: random.Random, data: bytes) -> bytes:
    for _ in range(rng.randint(1, 12)):
        at = _position(rng, data)
        data = data[:at] + random_tag(rng) + data[at:]
    return data


def nest_deeply(rng: random.Random, data: bytes) -> bytes:
    """Up to and beyond libxml2's 2,048 levels (and 10,000), closed or not."""
    depth = rng.choice((50, 255, 256, 257, 1000, 2046, 2047, 2048, 2049, 2100, 5000, 10_000,
                        20_000))
    tags = [rng.choice(("div", "span", "b", "li", "ul", "table", "td", "p", "a", "font",
                        "blockquote", "section", "x"))]
    if rng.random() < 0.3:
        tags = [rng.choice(TAGS) for _ in range(8)]
    opening = b"".join(f"<{tags[i % len(tags)]}>".encode() for i in range(depth))
    closing = b"".join(f"</{tags[i % len(tags)]}>".encode() for i in reversed(range(depth)))
    inner = b"deep text " if rng.random() < 0.5 else data[: rng.randint(0, 2000)]
    if rng.random() < 0.4:
        closing = b""
    at = _position(rng, data)
    return data[:at] + opening + inner + closing + data[at:]


def truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: _position(rng, data)]


def delete_range(rng: random.Random, data: bytes) -> bytes:
    start = _position(rng, data)
    return data[:start] + data[start + rng.randint(1, 500):]


def duplicate_range(rng: random.Random, data: bytes) -> bytes:
    start = _position(rng, data)
    chunk = data[start:start + rng.randint(1, 2000)]
    at = _position(rng, data)
    return data[:at] + chunk * rng.randint(1, 50) + data[at:]


def random_bytes(rng: random.Random, data: bytes) -> bytes:
    at = _position(rng, data)
    return data[:at] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 300))) + data[at:]


def long_run(rng: random.Random, data: bytes) -> bytes:
    """A long stretch of one thing: no spaces, many entities, many tags, many attributes."""
    unit = rng.choice((b"a", b"\xe6\x97\xa5", b"&amp;", b"<b>", b"<p>", b"<br>", b" ", b"\n",
                       b"<a href=x>y</a>", b"-", b"#", b"*", b"\x00", b"<td>", b"<li>",
                       b"<div class=a id=b role=c>"))
    at = _position(rng, data)
    # Mostly short: a long run costs seconds in the block builder, and the campaign is long.
    count = rng.choices((100, 1000, 10_000, 100_000), weights=(50, 30, 17, 3))[0]
    return data[:at] + unit * count + data[at:]


def meta_charset(rng: random.Random, data: bytes) -> bytes:
    label = rng.choice(CHARSET_LABELS).encode("utf-8", "replace")
    meta = rng.choice((b'<meta charset="%s">', b"<meta charset=%s>",
                       b'<meta http-equiv="Content-Type" content="text/html; charset=%s">'))
    at = 0 if rng.random() < 0.5 else rng.randint(0, min(len(data), 5000))
    return data[:at] + meta.replace(b"%s", label) + data[at:]


def prefix(rng: random.Random, data: bytes) -> bytes:
    return rng.choice((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00",
                       b"\x00\x00\xfe\xff", b"<?xml version='1.0'?>", b"<!DOCTYPE html>",
                       b"   \n", b"\x00", b"<plaintext>", b"<title>")) + data


def reencode(rng: random.Random, data: bytes) -> bytes:
    """The page's text in another encoding (characters it lacks become ``?``)."""
    text = data.decode("utf-8", "replace")
    encoding = rng.choice(ENCODINGS)
    try:
        return text.encode(encoding, "replace")
    except (UnicodeError, LookupError):
        return data


def splice(rng: random.Random, data: bytes, seeds: Sequence[bytes]) -> bytes:
    other = rng.choice(seeds)
    return data[: _position(rng, data)] + other[_position(rng, other):]


Mutation = Callable[[random.Random, bytes], bytes]

MUTATIONS: tuple[Mutation, ...] = (
    flip_bytes, insert_tokens, insert_tags, nest_deeply, truncate, delete_range,
    duplicate_range, random_bytes, long_run, meta_charset, prefix, reencode,
)


def make_case(rng: random.Random, seeds: Sequence[bytes],
              mutations: Sequence[Mutation] = MUTATIONS, max_steps: int = 4) -> Case:
    """A seed page, changed by 1 to ``max_steps`` random mutations, with a random input type
    and a random Content-Type charset."""
    data = rng.choice(seeds)
    steps = []
    for _ in range(rng.randint(1, max_steps)):
        if rng.random() < 0.05 and len(seeds) > 1:
            data, name = splice(rng, data, seeds), "splice"
        else:
            mutation = rng.choice(mutations)
            data, name = mutation(rng, data), mutation.__name__
        steps.append(name)
        data = data[:MAX_SIZE]
    content_type = None
    if rng.random() < 0.4:
        label = rng.choice(CHARSET_LABELS)
        content_type = rng.choice((f"text/html; charset={label}", f"text/html;charset=\"{label}\"",
                                   f"charset={label}", label))
        steps.append(f"content_type={content_type[:60]!r}")
    kind = rng.random()
    html: str | bytes | bytearray | memoryview = data
    if kind < 0.15:
        html = data.decode("utf-8", rng.choice(("replace", "surrogateescape", "ignore")))
        steps.append("as str")
    elif kind < 0.18:
        html = bytearray(data)
        steps.append("as bytearray")
    elif kind < 0.20:
        html = memoryview(data)
        steps.append("as memoryview")
    return Case(html, content_type, steps)
