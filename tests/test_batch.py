"""``boilerkit extract`` / ``classify`` on many inputs: directories, .gz, WARC, -j, --output.

WARC tests need FastWARC (``pip install '.[warc]'``, part of ``.[test]``) and skip without it;
Parquet tests need pyarrow (``.[parquet]``).
What CI must install for these tests: see the top of tests/test_spark.py.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import boilerkit
from boilerkit import batch
from boilerkit.cli import main
from boilerkit.inputs import Document, Skipped, iter_warc

from _warc import record, response, write_warc

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "news-page.html"

try:
    import fastwarc  # noqa: F401
    HAVE_FASTWARC = True
except ImportError:
    HAVE_FASTWARC = False
needs_warc = pytest.mark.skipif(not HAVE_FASTWARC,
                                reason="needs FastWARC: pip install '.[warc]' (in '.[test]')")


def _jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture(scope="module")
def pages(make_labelled_html) -> list[bytes]:
    return [make_labelled_html(site, i, labels=False).encode("utf-8")
            for site in ("alpha.example", "beta.example") for i in range(3)]


@pytest.fixture
def warc_with_extras(tmp_path, pages) -> tuple[Path, list[bytes]]:
    """A .warc.gz: 3 HTML pages among 7 records that are not pages, plus ignored records."""
    records = [
        record(None, b"software: test\r\n", record_type="warcinfo",
               content_type="application/warc-fields"),
        record("https://alpha.example/0", b"GET / HTTP/1.1\r\n\r\n", record_type="request",
               content_type="application/http; msgtype=request"),
        response("https://alpha.example/0", pages[0]),
        response("https://alpha.example/logo.png", b"\x89PNG\r\n\x1a\n" + bytes(200),
                 content_type="image/png"),
        response("https://alpha.example/style.css", b"body{color:red}", content_type="text/css"),
        response("https://alpha.example/missing", b"<html><body>gone</body></html>",
                 status="404 Not Found"),
        response("https://alpha.example/old", b"", status="301 Moved Permanently",
                 headers=(("Location", "/new"),)),
        response("https://alpha.example/1", pages[1]),
        record("https://alpha.example/1", b"HTTP/1.1 200 OK\r\n\r\n", record_type="revisit"),
        response("https://alpha.example/data.json", b'{"a": 1}', content_type="application/json"),
        response("https://alpha.example/plain", b"just some words, no markup", content_type=None),
        response("https://alpha.example/2", pages[2], content_type=None),  # sniffed as HTML
    ]
    return write_warc(tmp_path / "crawl.warc.gz", records), pages[:3]


# -- directories and gzipped files ---------------------------------------------------


def test_directories_are_walked_sorted_for_html_and_gz(tiny_model_path, pages, tmp_path, capsys):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.htm").write_bytes(pages[1])
    (tmp_path / "a.HTML").write_bytes(pages[0])
    (tmp_path / "b" / "3.html.gz").write_bytes(gzip.compress(pages[2]))
    (tmp_path / "notes.txt").write_text("not a page")
    (tmp_path / "b" / "image.png").write_bytes(b"\x89PNG")
    assert main(["extract", "-m", str(tiny_model_path), "-f", "jsonl", str(tmp_path)]) == 0
    lines = _jsonl(capsys.readouterr().out)
    assert [Path(line["file"]).relative_to(tmp_path).as_posix() for line in lines] == [
        "a.HTML", "b/2.htm", "b/3.html.gz"]
    expected = [boilerkit.extract(page, model=boilerkit.load_model(tiny_model_path))
                for page in pages[:3]]
    assert [line["text"] for line in lines] == expected
    assert all(line["text"] for line in lines)


def test_a_gzipped_file_on_its_own(tiny_model_path, pages, tmp_path, capsys):
    (tmp_path / "page.html.gz").write_bytes(gzip.compress(pages[0]))
    (tmp_path / "page.html").write_bytes(pages[0])
    assert main(["extract", "-m", str(tiny_model_path), str(tmp_path / "page.html.gz")]) == 0
    from_gz = capsys.readouterr().out
    assert main(["extract", "-m", str(tiny_model_path), str(tmp_path / "page.html")]) == 0
    assert from_gz == capsys.readouterr().out and len(from_gz) > 300


def test_a_corrupt_gz_file_fails_alone(tiny_model_path, pages, tmp_path, capsys):
    (tmp_path / "bad.html.gz").write_bytes(gzip.compress(pages[0])[:40])
    (tmp_path / "good.html").write_bytes(pages[1])
    assert main(["extract", "-m", str(tiny_model_path), "-f", "jsonl", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    bad, good = _jsonl(captured.out)
    assert bad["error"] and bad["text"] is None and good["text"]
    assert f"boilerkit: error: {tmp_path / 'bad.html.gz'}: " in captured.err


# -- WARC ------------------------------------------------------------------------------


@needs_warc
def test_warc_pages_have_the_text_of_the_files_and_skips_are_counted(
        tiny_model_path, warc_with_extras, tmp_path, capsys):
    warc, html = warc_with_extras
    summary_path = tmp_path / "summary.json"
    argv = ["extract", "-m", str(tiny_model_path), "-f", "jsonl", "--summary",
            str(summary_path), str(warc)]
    assert main(argv) == 0
    captured = capsys.readouterr()
    lines = _jsonl(captured.out)
    assert [line["url"] for line in lines] == [
        "https://alpha.example/0", "https://alpha.example/1", "https://alpha.example/2"]
    assert all(line["record_id"].startswith("<urn:uuid:") for line in lines)
    assert all(line["file"] == str(warc) and "error" not in line for line in lines)
    model = boilerkit.load_model(tiny_model_path)
    assert [line["text"] for line in lines] == [boilerkit.extract(h, model=model) for h in html]
    summary = json.loads(summary_path.read_text())
    assert summary["pages"] == 3 and summary["failed"] == 0 and summary["skipped"] == 7
    assert 0 < summary["first_page_seconds"] <= summary["seconds"]
    assert summary["pages_per_second"] > 0 and summary["pages_per_second_after_first"] > 0
    assert summary["skipped_by_reason"] == {
        "content type image/png": 1, "content type text/css": 1, "HTTP status 404": 1,
        "HTTP status 301": 1, "revisit record": 1, "content type application/json": 1,
        "not HTML (no Content-Type; sniffed)": 1}
    assert "7 records skipped" in captured.err
    assert "1 HTTP status 404" in captured.err


@needs_warc
def test_classify_a_warc_gives_blocks_with_url(tiny_model_path, warc_with_extras, capsys):
    warc, _ = warc_with_extras
    assert main(["classify", "-m", str(tiny_model_path), "-f", "jsonl", str(warc)]) == 0
    lines = _jsonl(capsys.readouterr().out)
    assert len(lines) == 3
    first = lines[0]
    assert first["url"] == "https://alpha.example/0" and first["title"]
    assert {block["label"] for block in first["blocks"]} <= {
        "article", "navigation", "teaser", "comment"}
    assert any(block["label"] == "article" for block in first["blocks"])


@needs_warc
def test_text_output_names_each_record(tiny_model_path, warc_with_extras, capsys):
    warc, _ = warc_with_extras
    assert main(["extract", "-m", str(tiny_model_path), str(warc)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"==> {warc} https://alpha.example/0 <==\n")
    assert f"\n\n==> {warc} https://alpha.example/2 <==\n" in out


@needs_warc
def test_the_http_charset_decodes_the_page(tiny_model_path, tmp_path, capsys):
    words = "Правительство объявило новый бюджет для школ и больниц региона"
    body = ("<html><head><title>Новости</title></head><body><article>"
            + "".join(f"<p>{words}, абзац {i}.</p>" for i in range(8))
            + "</article></body></html>").encode("cp1251")
    warc = write_warc(tmp_path / "cyrillic.warc", [
        response("https://ru.example/a", body, content_type="text/html; charset=windows-1251"),
        response("https://ru.example/b", body, content_type="text/html; charset=koi8-r"),
    ])
    assert main(["classify", "-m", str(tiny_model_path), "-f", "jsonl", str(warc)]) == 0
    right, wrong = _jsonl(capsys.readouterr().out)
    assert right["title"] == "Новости"
    assert any(words in block["text"] for block in right["blocks"])
    assert not any(words in block["text"] for block in wrong["blocks"])  # the header was used


@needs_warc
@pytest.mark.parametrize("name", ["cut.warc", "cut.warc.gz"])
def test_a_truncated_warc_reports_the_record_and_the_run_goes_on(
        name, tiny_model_path, pages, tmp_path, capsys):
    first = write_warc(tmp_path / ("first" + name[3:]), [
        response("https://alpha.example/0", pages[0])]).read_bytes()
    second = write_warc(tmp_path / ("second" + name[3:]), [
        response("https://alpha.example/1", pages[1])]).read_bytes()
    cut = tmp_path / name
    cut.write_bytes(first + second[:len(second) * 2 // 3])  # ends inside the second body
    after = tmp_path / "after.html"
    after.write_bytes(pages[2])
    assert main(["extract", "-m", str(tiny_model_path), "-f", "jsonl", str(cut),
                 str(after)]) == 1
    captured = capsys.readouterr()
    first, second, third = _jsonl(captured.out)
    assert first["text"] and "error" not in first
    assert second["url"] == "https://alpha.example/1" and second["text"] is None
    assert "truncated" in second["error"]
    assert third["file"] == str(after) and third["text"]
    assert f"{cut} https://alpha.example/1: truncated WARC record" in captured.err


@needs_warc
def test_a_warc_cut_inside_a_record_header(tiny_model_path, pages, tmp_path, capsys):
    first = response("https://alpha.example/0", pages[0])
    second = response("https://alpha.example/1", pages[1])
    cut = write_warc(tmp_path / "cut.warc", [first, second[:second.index(b"Content-Type")]])
    assert main(["extract", "-m", str(tiny_model_path), "-f", "jsonl", str(cut)]) == 1
    ok, bad = _jsonl(capsys.readouterr().out)
    assert ok["text"] and "truncated" in bad["error"]


@needs_warc
def test_bogus_charset_and_a_50_mb_body_are_reported_per_record(
        tiny_model_path, pages, tmp_path, capsys):
    huge = b"<html><body>" + b"<p>words and more words</p>" * (50 * 1024 * 1024 // 27) + b"</body>"
    assert len(huge) > 50 * 1024 * 1024
    warc = write_warc(tmp_path / "odd.warc.gz", [
        response("https://odd.example/bogus", pages[0],
                 content_type="text/html; charset=no-such-charset-x"),
        response("https://odd.example/huge", huge),
        response("https://odd.example/fine", pages[1]),
    ])
    assert main(["extract", "-m", str(tiny_model_path), "-f", "jsonl", str(warc)]) == 1
    captured = capsys.readouterr()
    bogus, big, fine = _jsonl(captured.out)
    # An unknown charset falls back to detection or fails that page alone.
    assert bogus["url"] == "https://odd.example/bogus"
    assert bogus["text"] or bogus["error"]
    assert big["url"] == "https://odd.example/huge" and big["error_type"] == "PageTooLargeError"
    assert "above the limit" in big["error"] and "--max-bytes" in big["error"]
    assert fine["text"] and "error" not in fine
    assert "https://odd.example/huge: page has" in captured.err


_RSS_SCRIPT = """
import resource, sys
from boilerkit.inputs import iter_warc
for item in iter_warc(sys.argv[1]):
    pass
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


@needs_warc
def test_a_50_mb_record_is_never_read_into_memory(pages, tmp_path):
    huge = b"<html><body>" + b"<p>x</p>" * (50 * 1024 * 1024 // 8)
    small = write_warc(tmp_path / "small.warc.gz", [response("https://a.example/", pages[0])])
    big = write_warc(tmp_path / "big.warc.gz", [response("https://a.example/", huge)])

    def peak_kib(path: Path) -> int:
        result = subprocess.run([sys.executable, "-c", _RSS_SCRIPT, str(path)],
                                capture_output=True, text=True, timeout=120, cwd=REPO)
        assert result.returncode == 0, result.stderr
        return int(result.stdout)

    assert peak_kib(big) - peak_kib(small) < 20 * 1024  # far less than the 50 MB body


@needs_warc
def test_warc_record_kinds_and_http_encodings(tmp_path, pages):
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part)
                       for part in (pages[0][:1000], pages[0][1000:])) + b"0\r\n\r\n"
    warc = write_warc(tmp_path / "kinds.warc", [
        response("https://a.example/gzip", gzip.compress(pages[0]),
                 headers=(("Content-Encoding", "gzip"),)),
        response("https://a.example/chunked", chunked,
                 headers=(("Transfer-Encoding", "chunked"),)),
        response("https://a.example/stored-decoded", pages[0],
                 headers=(("Content-Encoding", "gzip"),)),
        record("https://a.example/resource", pages[0], record_type="resource",
               content_type="text/html"),
        record("https://a.example/pdf", b"%PDF-1.4", record_type="resource",
               content_type="application/pdf"),
        record("dns:a.example", b"a.example. 300 IN A 127.0.0.1", record_type="response",
               content_type="text/dns"),
        response("https://a.example/xhtml", pages[0],
                 content_type="application/xhtml+xml; charset=utf-8"),
    ])
    items = list(iter_warc(warc))
    documents = [item for item in items if isinstance(item, Document)]
    assert [d.url for d in documents] == [
        "https://a.example/gzip", "https://a.example/chunked", "https://a.example/stored-decoded",
        "https://a.example/resource", "https://a.example/xhtml"]
    assert all(d.data == pages[0] and d.error is None for d in documents)
    assert documents[0].content_type == "text/html; charset=utf-8"
    skipped = [item for item in items if isinstance(item, Skipped)]
    assert [(s.url, s.reason) for s in skipped] == [
        ("https://a.example/pdf", "content type application/pdf"),
        ("dns:a.example", "response record without HTTP")]


@needs_warc
def test_brotli_and_unknown_content_encodings(tmp_path, pages):
    brotli = pytest.importorskip("brotli", reason="needs brotli: pip install '.[warc]'")
    warc = write_warc(tmp_path / "br.warc", [
        response("https://a.example/br", brotli.compress(pages[0]),
                 headers=(("Content-Encoding", "br"),)),
        response("https://a.example/lzma", b"\xfd7zXZ\x00", headers=(("Content-Encoding", "xz"),)),
    ])
    decoded, unknown = iter_warc(warc)
    assert decoded.data == pages[0] and decoded.error is None
    assert unknown.error == "unsupported Content-Encoding 'xz'" and unknown.data is None


@needs_warc
def test_a_missing_warc_file_is_one_failure(tiny_model_path, pages, tmp_path, capsys):
    page = tmp_path / "page.html"
    page.write_bytes(pages[0])
    argv = ["extract", "-m", str(tiny_model_path), str(tmp_path / "gone.warc.gz"), str(page)]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert "gone.warc.gz: No such file or directory" in captured.err
    assert f"==> {page} <==" in captured.out


def test_a_progress_bar_with_pages_per_second_on_a_terminal(tiny_model_path, pages, tmp_path,
                                                             capsys, monkeypatch):
    for i, page in enumerate(pages[:3]):
        (tmp_path / f"{i}.html").write_bytes(page)
    monkeypatch.setattr(batch, "_isatty", lambda stream: True)
    assert main(["extract", "-m", str(tiny_model_path), "-f", "jsonl", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "\rextracting: 3pages" in err and "pages/s]" in err
    assert main(["extract", "-q", "-m", str(tiny_model_path), "-f", "jsonl", str(tmp_path)]) == 0
    assert capsys.readouterr().err == ""


# -- several processes --------------------------------------------------------------


@needs_warc
def test_two_jobs_give_the_same_output_in_the_same_order(
        tiny_model_path, warc_with_extras, pages, tmp_path, capsys):
    warc, _ = warc_with_extras
    folder = tmp_path / "pages"
    folder.mkdir()
    for i, page in enumerate(pages):
        (folder / f"{i:02d}.html").write_bytes(page)
    (folder / "05-binary.html").write_bytes(bytes(range(32)) * 50)
    argv = ["extract", "-m", str(tiny_model_path), "-f", "jsonl", str(folder), str(warc),
            str(folder / "00.html")]
    assert main(argv) == 1
    one = capsys.readouterr().out
    assert main([*argv[:1], "-j", "2", *argv[1:]]) == 1
    two = capsys.readouterr().out
    assert one == two
    lines = _jsonl(two)
    assert len(lines) == len(pages) + 1 + 3 + 1
    assert [line["file"] for line in lines][:len(pages) + 1] == sorted(
        str(p) for p in folder.iterdir())
    assert sum("error" in line for line in lines) == 1


def _crash_on_marker(payload: tuple) -> dict:
    data, url, _ = payload
    if b"CRASH" in data:
        os._exit(3)  # as a segfault or the OOM killer would
    return {"title": None, "n_blocks": 0, "output": url}


def test_a_page_that_kills_its_worker_fails_alone():
    documents = [Document("in", b"fine", url=f"u{i}") for i in range(6)]
    documents.insert(3, Document("in", b"CRASH", url="bad"))
    results = list(batch.run(batch.Job(), documents, jobs=2, work=_crash_on_marker,
                             initializer=None))
    assert [r.document.url for r in results] == [d.url for d in documents]
    assert [r.error_type for r in results] == [None] * 3 + ["WorkerDied"] + [None] * 3
    assert [r.value["output"] for r in results if r.ok] == [f"u{i}" for i in range(6)]


def _url_or_fail(payload: tuple) -> dict:
    data, url, _ = payload
    if data == b"FAIL":
        raise RuntimeError("this page fails")
    return {"title": None, "n_blocks": 0, "output": url}


def _mixed_documents(count: int) -> list[Document | Skipped]:
    """Pages, with a skipped record after every 4th and an unreadable page after every 7th."""
    documents: list[Document | Skipped] = []
    for i in range(count):
        documents.append(Document("in", b"fine", url=f"u{i}"))
        if i % 4 == 3:
            documents.append(Skipped("in", "content type image/png", url=f"s{i}"))
        if i % 7 == 6:
            documents.append(Document("in", url=f"e{i}", error="unreadable",
                                      error_type="InputError"))
    return documents


@pytest.mark.parametrize("chunk, window", [(1, None), (3, 2), (8, None)])
def test_chunks_keep_the_input_order(chunk, window):
    documents = _mixed_documents(40)
    results = list(batch.run(batch.Job(), documents, jobs=2, chunk=chunk, window=window,
                             work=_url_or_fail, initializer=None))
    assert [r.document for r in results] == documents
    assert [r.value["output"] for r in results if r.ok] == [f"u{i}" for i in range(40)]
    assert sum(r.skipped for r in results) == 10
    assert [r.error_type for r in results if r.error] == ["InputError"] * 5


def test_a_failing_page_in_a_chunk_is_an_error_alone():
    documents = [Document("in", b"fine", url=f"u{i}") for i in range(12)]
    documents[5] = Document("in", b"FAIL", url="bad")  # inside a chunk of 4 (after 1, 1, 2, 2)
    results = list(batch.run(batch.Job(), documents, jobs=2, chunk=4, work=_url_or_fail,
                             initializer=None))
    assert [r.document.url for r in results] == [d.url for d in documents]
    assert [r.error for r in results] == [None] * 5 + [
        "internal error: RuntimeError: this page fails"] + [None] * 6


@pytest.mark.parametrize("chunk", [1, 3, 8])
def test_a_page_that_kills_its_worker_fails_alone_whatever_the_chunk(chunk):
    documents = [Document("in", b"fine", url=f"u{i}") for i in range(20)]
    documents.insert(9, Document("in", b"CRASH", url="bad"))
    results = list(batch.run(batch.Job(), documents, jobs=2, chunk=chunk, work=_crash_on_marker,
                             initializer=None))
    assert [r.document.url for r in results] == [d.url for d in documents]
    assert [r.error_type for r in results] == [None] * 9 + ["WorkerDied"] + [None] * 11


def test_the_pages_read_ahead_are_bounded_by_the_window():
    read = 0

    def documents():
        nonlocal read
        for i in range(60):
            read += 1
            yield Document("in", b"fine", url=f"u{i}")

    ahead = []
    for handed_out, _ in enumerate(batch.run(batch.Job(), documents(), jobs=2, chunk=3, window=2,
                                             work=_url_or_fail, initializer=None), 1):
        ahead.append(read - handed_out)
    # Two chunks in flight, and the one being filled.
    assert max(ahead) <= 3 * 3


_NO_OPENMP = "7f00-7f01 r-xp 0 08:01 1 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
_FORK_PLATFORM = sys.platform.startswith("linux") and sys.version_info >= (3, 11)


@pytest.mark.skipif(not _FORK_PLATFORM, reason="fork start method")
def test_workers_do_not_fork_a_process_with_other_threads(monkeypatch):
    # (This test process has loaded scikit-learn's libgomp: pretend it has not.)
    monkeypatch.setattr(batch, "_loaded_libraries", lambda: _NO_OPENMP)
    assert batch.fork_is_safe()
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not batch.fork_is_safe()
        assert batch._start_method() in ("forkserver", "spawn")
    finally:
        stop.set()
        thread.join()
    assert batch._start_method() == "fork"


@pytest.mark.skipif(not _FORK_PLATFORM, reason="fork start method")
def test_workers_do_not_fork_a_process_with_an_openmp_runtime(monkeypatch):
    monkeypatch.setattr(batch, "_loaded_libraries", lambda: _NO_OPENMP)
    assert batch.fork_is_safe()
    monkeypatch.setattr(batch, "_loaded_libraries",
                        lambda: "7f00-7f01 r-xp 0 08:01 1 /usr/lib/x86_64-linux-gnu/libgomp.so.1\n")
    assert not batch.fork_is_safe()
    assert batch._start_method() in ("forkserver", "spawn")


@pytest.mark.skipif(not _FORK_PLATFORM, reason="fork start method")
def test_a_page_that_kills_a_forked_worker_fails_alone(monkeypatch, caplog):
    # The pool forks from this process. The restarted pool and the quarantine fork too,
    # or start from the fork server while the broken pool's threads live on (by timing).
    monkeypatch.setattr(batch, "_loaded_libraries", lambda: _NO_OPENMP)
    documents = [Document("in", b"fine", url=f"u{i}") for i in range(6)]
    documents.insert(3, Document("in", b"CRASH", url="bad"))
    with caplog.at_level("DEBUG", logger="boilerkit.batch"):
        results = list(batch.run(batch.Job(), documents, jobs=2, work=_crash_on_marker,
                                 initializer=None))
    assert caplog.messages[0] == "starting worker processes by fork"
    assert [r.error_type for r in results] == [None] * 3 + ["WorkerDied"] + [None] * 3
    assert [r.value["output"] for r in results if r.ok] == [f"u{i}" for i in range(6)]


# The CLI as a user runs it: a fresh process, one thread, no OpenMP runtime loaded. It
# also prints how many models the parent holds for its workers to inherit, and how
# many times it loaded one from a file.
_CLI_SCRIPT = """
import sys
from boilerkit import batch, cli, persistence
loads = []
def counted_load(*args, **kwargs):
    loads.append(args)
    return persistence.load_model(*args, **kwargs)
batch.load_model = counted_load
code = cli.main(sys.argv[1:])
print(batch.cached_model.cache_info().currsize, len(loads), file=sys.stderr)
sys.exit(code)
"""


@pytest.mark.skipif(not _FORK_PLATFORM, reason="fork start method")
def test_cli_workers_fork_from_the_parent_and_give_the_same_output(
        tiny_model_path, warc_with_extras, capsys):
    warc, html_pages = warc_with_extras
    argv = ["extract", "-m", str(tiny_model_path), "-f", "jsonl", str(warc)]
    assert main(argv) == 0
    one = capsys.readouterr().out
    result = subprocess.run([sys.executable, "-c", _CLI_SCRIPT, *argv[:1], "-j", "2", "-v",
                             *argv[1:]], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    log = result.stderr.splitlines()
    # One pool, forked; the parent loaded the model once, and the workers inherit it.
    assert [line for line in log if "starting worker processes" in line] == [
        "boilerkit: starting worker processes by fork"]
    assert log[-1] == "1 1"
    assert result.stdout == one
    assert len(_jsonl(one)) == len(html_pages)


# -- output files ----------------------------------------------------------------------


@pytest.mark.parametrize("command", batch.COMMANDS)
def test_json_lines_encoded_in_the_worker_are_the_same(command, tiny_model_path, pages, tmp_path):
    # In the title, which both commands' records carry whatever the labels, and in a
    # paragraph, which every block of classify's records carries.
    probe = "Grüße, «ünïcode» \u2028 \"quoted\""
    page = pages[0].replace(b"<title>", f"<title>{probe} ".encode(), 1).replace(
        b"</body>", f"<p>{probe}</p></body>".encode())
    documents = [Document("a.warc.gz", page, url="https://a.example/é", record_id="<urn:1>"),
                 Document("b.html", b"\0" * 40, error="binary", error_type="InputError")]
    lines, records = {}, {}
    for record_json in (False, True):
        job = batch.Job(command, labels=("article", "comment"), model_path=str(tiny_model_path),
                        record_json=record_json)
        out = tmp_path / f"{record_json}.jsonl"
        with batch.JsonlSink(out, job) as sink:
            for result in batch.run(job, documents):
                assert result.error or ("record_json" in result.value) == record_json
                sink.write(result)
                records.setdefault(record_json, []).append(batch.record(result, job))
        lines[record_json] = out.read_text(encoding="utf-8")
    assert lines[True] == lines[False]
    assert records[True] == records[False]  # record() decodes what the worker encoded
    first, second = _jsonl(lines[True])
    assert first["url"] == "https://a.example/é"
    assert "Grüße, «ünïcode»" in first["title"]  # whitespace (\u2028 too) is normalised
    if command == "classify":
        assert any("Grüße, «ünïcode»" in block["text"] for block in first["blocks"])
    assert second["error_type"] == "InputError"


def test_output_jsonl_gz(tiny_model_path, pages, tmp_path, capsys):
    (tmp_path / "in").mkdir()
    for i, page in enumerate(pages[:2]):
        (tmp_path / "in" / f"{i}.html").write_bytes(page)
    out = tmp_path / "out.jsonl.gz"
    assert main(["extract", "-m", str(tiny_model_path), "-o", str(out), "-l", "article,comment",
                 str(tmp_path / "in")]) == 0
    assert capsys.readouterr().out == ""
    lines = _jsonl(gzip.decompress(out.read_bytes()).decode("utf-8"))
    assert len(lines) == 2 and lines[0]["labels"] == ["article", "comment"]
    model = boilerkit.load_model(tiny_model_path)
    assert lines[1]["text"] == boilerkit.extract(pages[1], model=model,
                                                 label=("article", "comment"))


def test_parquet_output(tiny_model_path, pages, tmp_path, capsys):
    pq = pytest.importorskip("pyarrow.parquet",
                             reason="needs pyarrow: pip install '.[parquet]' (in '.[test]')")
    (tmp_path / "in").mkdir()
    for i, page in enumerate(pages[:2]):
        (tmp_path / "in" / f"{i}.html").write_bytes(page)
    (tmp_path / "in" / "2.html").write_bytes(bytes(range(32)) * 50)
    extracted, classified = tmp_path / "extract.parquet", tmp_path / "classify.parquet"
    assert main(["extract", "-m", str(tiny_model_path), "-o", str(extracted),
                 str(tmp_path / "in")]) == 1
    assert main(["classify", "-m", str(tiny_model_path), "-o", str(classified),
                 str(tmp_path / "in" / "0.html")]) == 0
    rows = pq.read_table(extracted).to_pylist()
    model = boilerkit.load_model(tiny_model_path)
    assert [row["text"] for row in rows[:2]] == [boilerkit.extract(p, model=model)
                                                 for p in pages[:2]]
    assert rows[2]["error_type"] == "InputError" and rows[2]["text"] is None
    (row,) = pq.read_table(classified).to_pylist()
    page = boilerkit.classify(pages[0], model=model)
    assert [block["label"] for block in row["blocks"]] == page.labels
    assert dict(row["blocks"][0]["probabilities"]).keys() == set(page.blocks[0].probabilities)


@pytest.mark.parametrize("argv, message", [
    (["-o", "out.txt"], "--output must end in .jsonl, .jsonl.gz, .parquet"),
    (["-o", "out.jsonl", "-f", "markdown"], "use it with --format jsonl"),
])
def test_output_usage_errors(argv, message, tiny_model_path, tmp_path, capsys):
    assert main(["extract", "-m", str(tiny_model_path), *argv, str(EXAMPLE)]) == 2
    assert message in capsys.readouterr().err


# -- missing extras ----------------------------------------------------------------------


def test_a_missing_warc_extra_names_it(tiny_model_path, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "fastwarc", None)
    monkeypatch.setitem(sys.modules, "fastwarc.warc", None)
    (tmp_path / "crawl.warc.gz").write_bytes(b"")
    assert main(["extract", "-m", str(tiny_model_path), str(tmp_path / "crawl.warc.gz")]) == 1
    err = capsys.readouterr().err
    assert "reading WARC files needs fastwarc" in err
    assert "pip install 'boilerkit[warc]'" in err


def test_a_missing_parquet_extra_names_it(tiny_model_path, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    assert main(["extract", "-m", str(tiny_model_path), "-o", str(tmp_path / "x.parquet"),
                 str(EXAMPLE)]) == 1
    assert "pip install 'boilerkit[parquet]'" in capsys.readouterr().err
    assert not (tmp_path / "x.parquet").exists()


def test_the_fork_server_preload_builds_the_default_models_tables():
    import importlib

    from boilerkit import _forkserver_preload
    from boilerkit.persistence import default_model

    importlib.reload(_forkserver_preload)  # what the fork server runs, once
    for head in default_model().levels:  # workers fork with these, instead of each building them
        assert head._together is not None and head._together._masks is not None
