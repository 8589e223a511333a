"""boilerkit as a datatrove extractor: WARC reader -> boilerkit -> JSONL writer.

Needs datatrove with its io extra (``pip install '.[datatrove]'``, part of ``.[test]``; its
WARC reader needs warcio, faust-cchardet and python-magic, which needs Debian's libmagic1)
and the shipped model; skips without them. The pipeline runs in a subprocess: datatrove
forks a sandbox process per extractor, and a fork of the test process is not wanted.
What CI must install for these tests: see the top of tests/test_spark.py.
"""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from boilerkit.persistence import default_model_path

pytest.importorskip("datatrove", reason="needs datatrove: pip install '.[datatrove]' (in '.[test]')")
warcio = pytest.importorskip("warcio", reason="needs warcio: pip install '.[datatrove]'")
pytest.importorskip("magic", reason="datatrove's WARC reader needs python-magic and libmagic1")
pytestmark = pytest.mark.skipif(not (default_model_path() / "manifest.json").is_file(),
                                reason="the shipped model is not in models/")

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "news-page.html"

PIPELINE = """
import sys
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import WarcReader
from datatrove.pipeline.writers import JsonlWriter
from boilerkit.integrations.datatrove import Boilerkit

warcs, out, logs = sys.argv[1:4]
LocalPipelineExecutor(pipeline=[
    WarcReader(warcs),
    Boilerkit(),
    JsonlWriter(out),
], tasks=1, workers=1, logging_dir=logs).run()
"""

SHORT_STORY = ("<html><head><meta charset='utf-8'><title>Harbour bridge</title></head><body>"
               "<nav><a href='/'>Home</a> <a href='/news'>News</a> <a href='/sport'>Sport</a>"
               "</nav><article><h1>The harbour bridge will close for repairs</h1>"
               "<p>The harbour bridge will close for three weeks in May while engineers replace "
               "the expansion joints, the city's transport office announced on Tuesday.</p>"
               "<p>Ferries will run every ten minutes during the works, and the bus lines that "
               "cross the bridge will take the ring road instead, adding about a quarter of an "
               "hour to most journeys.</p></article>"
               "<footer><p>&copy; 2026 Harbour News. All rights reserved.</p></footer>"
               "</body></html>")


def _write_warc(path: Path) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for url, body, content_type in [
                ("https://madzine.example/pakistan-russia", EXAMPLE.read_bytes(),
                 "text/html; charset=utf-8"),
                ("https://harbour.example/bridge", SHORT_STORY.encode("utf-8"), "text/html"),
                ("https://harbour.example/logo.png", b"\x89PNG\r\n\x1a\n" + bytes(64),
                 "image/png")]:
            headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)],
                                       protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=headers))


def test_warc_reader_to_boilerkit_to_jsonl(tmp_path):
    warcs = tmp_path / "warcs"
    warcs.mkdir()
    _write_warc(warcs / "crawl.warc.gz")
    script = tmp_path / "pipeline.py"
    script.write_text(PIPELINE)
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, str(script), str(warcs), str(out),
                             str(tmp_path / "logs")],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    documents = {}
    for part in sorted(out.glob("*.jsonl.gz")):
        for line in gzip.decompress(part.read_bytes()).decode("utf-8").splitlines():
            document = json.loads(line)
            documents[document["metadata"]["url"]] = document["text"]
    assert set(documents) == {"https://madzine.example/pakistan-russia",
                              "https://harbour.example/bridge"}
    news = documents["https://madzine.example/pakistan-russia"]
    assert news.startswith("Pakistan and Russia Reaffirm Commitment")
    assert "Pakistan and Russia have reaffirmed their commitment" in news
    assert "Deputy Prime Minister Overchuk’s visit aligns" in news
    assert "Leave a Reply" not in news and "Privacy Policy" not in news
    bridge = documents["https://harbour.example/bridge"]
    assert "Ferries will run every ten minutes during the works" in bridge
    assert "All rights reserved" not in bridge and "Sport" not in bridge


def test_the_extractor_alone():
    from datatrove.pipeline.extractors.base import BaseExtractor

    from boilerkit.integrations.datatrove import Boilerkit

    extractor = Boilerkit(label=("article", "comment"))
    assert isinstance(extractor, BaseExtractor)  # the base class of datatrove's Trafilatura
    text = extractor.extract(EXAMPLE.read_text(encoding="utf-8"))
    assert "Pakistan and Russia have reaffirmed their commitment" in text
    assert "Leave a Reply" in text  # the comment form, asked for with label "comment"
    assert extractor.extract("") == ""
    assert extractor.extract("\x00\x01\x02" * 100) == ""  # not HTML: dropped, not raised
    with pytest.raises(ValueError, match="unknown format"):
        Boilerkit(format="pdf")


def test_the_extractor_keeps_the_text_of_figures_when_told():
    from boilerkit.integrations.datatrove import Boilerkit

    html = EXAMPLE.read_text(encoding="utf-8")
    caption = "Deputy Prime Ministers Ishaq Dar and Alexei Overchuk"
    assert caption not in Boilerkit().extract(html)
    assert caption in Boilerkit(figures=True).extract(html)
