"""The Spark job in local mode (local[2]) over two small WARC files, read back as Parquet.

What .ci/run must install for the integration tests (Spark, datatrove, Scrapy, WARC, Parquet):

    apt-get update && apt-get install -y default-jre-headless libmagic1
    pip install '.[test]'     # pytest, fastwarc, brotli, pyarrow, scrapy, datatrove[io], pyspark

(default-jre-headless: Java 17, which Spark 4 needs; libmagic1: for python-magic in
datatrove's WARC reader.) Skips, saying why, without Java, pyspark, FastWARC, pyarrow or
the shipped model.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from boilerkit.persistence import default_model_path

from _warc import record, response, write_warc

pytest.importorskip("pyspark", reason="needs pyspark: pip install '.[spark]' (in '.[test]')")
pytest.importorskip("fastwarc", reason="needs FastWARC: pip install '.[warc]' (in '.[test]')")
pq = pytest.importorskip("pyarrow.parquet", reason="needs pyarrow: pip install '.[parquet]'")
pytestmark = [
    pytest.mark.skipif(shutil.which("java") is None,
                       reason="Spark needs Java: apt-get install default-jre-headless"),
    pytest.mark.skipif(not (default_model_path() / "manifest.json").is_file(),
                       reason="the shipped model is not in models/"),
]

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "news-page.html"

BRIDGE = ("<html><head><title>Harbour bridge</title></head><body>"
          "<nav><a href='/'>Home</a> <a href='/news'>News</a> <a href='/sport'>Sport</a></nav>"
          "<article><h1>The harbour bridge will close for repairs</h1>"
          "<p>The harbour bridge will close for three weeks in May while engineers replace "
          "the expansion joints, the city's transport office announced on Tuesday.</p>"
          "<p>Ferries will run every ten minutes during the works, and the bus lines that cross "
          "the bridge will take the ring road instead, adding about a quarter of an hour to "
          "most journeys.</p></article>"
          "<footer><p>&copy; 2026 Harbour News. All rights reserved.</p></footer></body></html>")


def test_spark_job_writes_articles_and_comments_as_parquet(tmp_path):
    first = write_warc(tmp_path / "a.warc.gz", [
        response("https://madzine.example/pakistan-russia", EXAMPLE.read_bytes()),
        response("https://madzine.example/logo.png", b"\x89PNG" + bytes(50),
                 content_type="image/png"),
    ])
    second = write_warc(tmp_path / "b.warc", [
        response("https://harbour.example/bridge", BRIDGE.encode("utf-8")),
        response("https://harbour.example/gone", b"<html>gone</html>", status="404 Not Found"),
        record("https://harbour.example/bridge", b"HTTP/1.1 200 OK\r\n\r\n",
               record_type="revisit"),
    ])
    paths = tmp_path / "paths.txt"
    paths.write_text(f"# two WARC files\n{first}\n")
    out = tmp_path / "pages.parquet"
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable,
           "SPARK_LOCAL_IP": "127.0.0.1"}
    result = subprocess.run(
        [sys.executable, "-m", "boilerkit.integrations.spark", "--master", "local[2]",
         "--paths-file", str(paths), str(second), "-o", str(out)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "2 pages, 0 failed, 3 records skipped, from 2 WARC files" in result.stderr

    rows = {row["url"]: row for row in pq.read_table(out).to_pylist()}
    assert set(rows) == {"https://madzine.example/pakistan-russia", "https://harbour.example/bridge"}
    news = rows["https://madzine.example/pakistan-russia"]
    assert news["file"] == str(first) and news["record_id"].startswith("<urn:uuid:")
    assert news["title"].startswith("Pakistan and Russia Reaffirm Commitment")
    assert "Pakistan and Russia have reaffirmed their commitment" in news["article"]
    assert "Leave a Reply" not in news["article"] and "Leave a Reply" in news["comments"]
    assert len(news["labels"]) == news["n_blocks"] > 20
    assert {"article", "navigation", "comment"} <= set(news["labels"])
    assert news["seconds"] > 0 and news["bytes"] == EXAMPLE.stat().st_size
    assert news["error"] is None
    bridge = rows["https://harbour.example/bridge"]
    assert "Ferries will run every ten minutes during the works" in bridge["article"]
    assert "All rights reserved" not in bridge["article"]


def test_the_script_path_for_spark_submit():
    result = subprocess.run([sys.executable, "-m", "boilerkit.integrations.spark", "--path"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).samefile(REPO / "boilerkit" / "integrations" / "spark.py")
