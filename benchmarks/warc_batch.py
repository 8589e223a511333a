"""WARC batch check and speed: `boilerkit extract` on a WARC of shared-corpus pages.

Builds, in a temporary folder, a WARC of 200 pages of the shared corpus
(readability, then trafilatura-eval, with their URLs) and 20 records that are
not HTML pages (images, CSS, scripts, JSON, a PDF, redirects, 404s, a 500...),
plus the same 200 pages as files. Then:

1. checks that `boilerkit extract -j 2 -f jsonl WARC` gives 200 lines with the
   same article text as `boilerkit extract -f jsonl DIR` on the 200 files (the
   text of `boilerkit extract FILE` on each), and counts 20 skipped records;
2. times `boilerkit extract -f jsonl WARC` with `-j 1` and `-j 2` (best of
   `--runs`), as whole commands and as the pages/s of their `--summary`, and
   gives the median of the `-j 2` over `-j 1` ratios of each pair of runs
   (made one after the other, so less at the mercy of a shared machine);
3. times boilerkit and trafilatura driven the same way, in-process through
   `boilerkit.batch.run` over the same WARC records, in 1 and 2 processes:
   pages/s from the start (worker start-up included) and once the first page
   is out (steady state).

Run from the repository root (needs `pip install -e '.[warc]' trafilatura`):

    python benchmarks/warc_batch.py            # prints the figures; exit 1 if a check fails

Options: ``--pages N`` (200), ``--runs N`` (2), ``--keep DIR`` (keep the WARC and outputs),
``--model PATH``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from boilerkit import batch
from boilerkit.inputs import iter_warc

NON_HTML = [  # (path, status, content type, body): 20 records that are not pages
    ("logo.png", "200 OK", "image/png", b"\x89PNG\r\n\x1a\n" + bytes(300)),
    ("photo.jpg", "200 OK", "image/jpeg", b"\xff\xd8\xff\xe0" + bytes(500)),
    ("spacer.gif", "200 OK", "image/gif", b"GIF89a" + bytes(40)),
    ("icon.svg", "200 OK", "image/svg+xml", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
    ("favicon.ico", "200 OK", "image/x-icon", bytes(100)),
    ("style.css", "200 OK", "text/css", b"body { color: #222; }"),
    ("app.js", "200 OK", "application/javascript", b"console.log('hi');"),
    ("data.json", "200 OK", "application/json", b'{"items": []}'),
    ("feed.xml", "200 OK", "application/rss+xml", b"<rss><channel></channel></rss>"),
    ("paper.pdf", "200 OK", "application/pdf", b"%PDF-1.4\n%%EOF"),
    ("font.woff2", "200 OK", "font/woff2", b"wOF2" + bytes(60)),
    ("video.mp4", "200 OK", "video/mp4", bytes(200)),
    ("notes.txt", "200 OK", "text/plain", b"plain text notes"),
    ("archive.zip", "200 OK", "application/zip", b"PK\x03\x04" + bytes(30)),
    ("moved", "301 Moved Permanently", "text/html", b"<html><body>moved</body></html>"),
    ("found", "302 Found", "text/html", b""),
    ("missing", "404 Not Found", "text/html", b"<html><body><h1>Not found</h1></body></html>"),
    ("gone", "410 Gone", "text/html", b"<html><body>gone</body></html>"),
    ("error", "500 Internal Server Error", "text/html", b"<html><body>oops</body></html>"),
    ("robots.txt", "200 OK", "text/plain", b"User-agent: *\nDisallow:"),
]
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w-]+)", re.I)


def corpus_pages(count: int) -> list[tuple[str, bytes]]:
    """``count`` (url, html) pairs: readability first, then trafilatura-eval."""
    from boilerkit.datasets.sources import load_source

    pages: list[tuple[str, bytes]] = []
    for source in ("readability", "trafilatura-eval"):
        for page in load_source(source):
            url = page.url or f"https://{source}.example/{page.page_id}"
            pages.append((url, page.html))
            if len(pages) == count:
                return pages
    raise SystemExit(f"only {len(pages)} pages in the shared corpus; is BOILERKIT_DATA set?")


def content_type(html: bytes) -> str:
    """``text/html``, with ``charset=utf-8`` where that is certainly the page's encoding."""
    meta = _META_CHARSET.search(html[:4096])
    try:
        html.decode("utf-8")
    except UnicodeDecodeError:
        return "text/html"
    if meta is None or meta.group(1).lower() in (b"utf-8", b"utf8"):
        return "text/html; charset=utf-8"
    return "text/html"


def write_warc(path: Path, pages: list[tuple[str, bytes]]) -> None:
    """Pages with their non-page records spread among them, written with FastWARC."""
    from fastwarc.stream_io import GzipWriter
    from fastwarc.warc import WarcRecord, WarcRecordType

    extras = [(f"https://static.example/{name}", *rest) for name, *rest in NON_HTML]
    spacing = max(1, len(pages) // len(extras))
    records = []
    for i, (url, html) in enumerate(pages):
        records.append((url, "200 OK", content_type(html), html))
        if i % spacing == spacing - 1 and extras:
            records.append(extras.pop(0))
    records += extras  # any left, with fewer pages than non-HTML records
    with GzipWriter(str(path)) as out:
        for target, status, ctype, body in records:
            record = WarcRecord()
            record.init_headers(WarcRecordType.response)
            record.headers["WARC-Target-URI"] = target
            record.headers["Content-Type"] = "application/http; msgtype=response"
            head = f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\n"
            head += f"Content-Length: {len(body)}\r\n\r\n"
            record.set_bytes_content(head.encode("latin-1") + body)
            record.write(out)


def boilerkit_cli(args: list[str], stdout: Path) -> float:
    """Run ``boilerkit ARGS > stdout``; return the wall time."""
    start = time.perf_counter()
    with open(stdout, "wb") as out:
        result = subprocess.run([sys.executable, "-m", "boilerkit", *args], stdout=out,
                                stderr=subprocess.PIPE, timeout=3600)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        raise SystemExit(f"boilerkit {' '.join(args)} failed:\n{result.stderr.decode()}")
    return elapsed


def _trafilatura(payload: tuple) -> dict:
    import trafilatura

    data, url, _ = payload
    text = trafilatura.extract(data, url=url, include_comments=False) or ""
    return {"title": None, "n_blocks": 0, "output": text}


def runner_speed(warc: Path, jobs: int, extractor: str, model: str | None) -> dict:
    """pages/s of ``batch.run`` over the WARC: overall, and after the first page."""
    kwargs = {} if extractor == "boilerkit" else {"work": _trafilatura, "initializer": None}
    start = time.perf_counter()
    first = None
    pages = 0
    for result in batch.run(batch.Job(model_path=model), iter_warc(warc), jobs=jobs, **kwargs):
        if result.skipped:
            continue
        pages += 1
        if first is None:
            first = time.perf_counter()
    end = time.perf_counter()
    return {"pages": pages, "seconds": round(end - start, 2),
            "pages_per_second": round(pages / (end - start), 2),
            "steady_pages_per_second": round((pages - 1) / (end - first), 2)
            if pages > 1 and end > first else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--runs", type=int, default=2, help="timed runs each; the best counts")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it")
    parser.add_argument("--model", metavar="PATH", help="boilerkit model (default: shipped)")
    args = parser.parse_args(argv)

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="warc-batch-"))
    work.mkdir(parents=True, exist_ok=True)
    model_args = ["-m", args.model] if args.model else []
    failures: list[str] = []
    try:
        pages = corpus_pages(args.pages)
        warc = work / "corpus.warc.gz"
        write_warc(warc, pages)
        folder = work / "pages"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        for i, (_, html) in enumerate(pages):
            (folder / f"{i:04d}.html").write_bytes(html)
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
        print(f"WARC: {len(pages)} pages + {len(NON_HTML)} non-HTML records, "
              f"{warc.stat().st_size / 1e6:.1f} MB gzipped")

        # 1. The same text as on the files, 200 lines, 20 skips.
        boilerkit_cli(["extract", *model_args, "-f", "jsonl", str(folder)], work / "files.jsonl")
        boilerkit_cli(["extract", *model_args, "-j", "2", "-f", "jsonl", "--summary",
                       str(work / "check-summary.json"), str(warc)], work / "warc.jsonl")
        from_files = [json.loads(line) for line in (work / "files.jsonl").open()]
        from_warc = [json.loads(line) for line in (work / "warc.jsonl").open()]
        summary = json.loads((work / "check-summary.json").read_text())
        same = sum(a.get("text") == b.get("text") for a, b in zip(from_files, from_warc))
        urls = [line["url"] for line in from_warc] == [url for url, _ in pages]
        print(f"check: {len(from_warc)} JSON lines, {same}/{len(pages)} with the same text as "
              f"the file, URLs in order: {urls}, {summary['skipped']} skipped "
              f"({summary['skipped_by_reason']}), {summary['failed']} failed")
        if len(from_warc) != len(pages) or same != len(pages) or not urls:
            failures.append("WARC output differs from the files")
        if summary["skipped"] != len(NON_HTML):
            failures.append(f"{summary['skipped']} skips counted, not {len(NON_HTML)}")

        # 2. The command, -j 1 and -j 2, alternating so that a change of load hits both.
        cli: dict[int, dict] = {}
        every: dict[int, list[dict]] = {1: [], 2: []}
        for run in range(args.runs):
            for jobs in (1, 2):
                summary_path = work / f"speed-j{jobs}-{run}.json"
                wall = boilerkit_cli(["extract", *model_args, "-j", str(jobs), "-f", "jsonl",
                                      "--summary", str(summary_path), str(warc)],
                                     work / f"speed-j{jobs}.jsonl")
                figures = {**json.loads(summary_path.read_text()), "wall": wall}
                every[jobs].append(figures)
                if jobs not in cli or figures["wall"] < cli[jobs]["wall"]:
                    cli[jobs] = figures
        for jobs in (1, 2):
            f = cli[jobs]
            print(f"boilerkit extract -j {jobs} -f jsonl: {f['wall']:.1f} s wall, "
                  f"{f['pages_per_second']:.1f} pages/s in the run, "
                  f"{f['pages_per_second_after_first']:.1f} pages/s after the first page "
                  f"(first page after {f['first_page_seconds']:.1f} s)")
        steady = cli[2]["pages_per_second_after_first"] / cli[1]["pages_per_second_after_first"]
        whole = cli[2]["pages_per_second"] / cli[1]["pages_per_second"]
        print(f"-j 2 over -j 1: {steady:.2f}x pages/s after the first page, {whole:.2f}x "
              f"pages/s in the run, {cli[1]['wall'] / cli[2]['wall']:.2f}x wall")
        # The best runs of -j 1 and -j 2 may come from moments when the machine ran at
        # different speeds: the ratio within each pair of runs made one after the other
        # says more on a shared machine.
        pairs = {key: sorted(two[key] / one[key] for one, two in zip(every[1], every[2]))
                 for key in ("pages_per_second_after_first", "pages_per_second")}
        shown = {key: f"{statistics.median(ratios):.2f}x ("
                      + ", ".join(f"{ratio:.2f}" for ratio in ratios) + ")"
                 for key, ratios in pairs.items()}
        print(f"-j 2 over -j 1 in each of the {args.runs} pairs of runs, median: "
              f"{shown['pages_per_second_after_first']} pages/s after the first page, "
              f"{shown['pages_per_second']} pages/s in the run")

        # 3. boilerkit beside trafilatura, driven the same way.
        for extractor in ("boilerkit", "trafilatura"):
            for jobs in (1, 2):
                best = max((runner_speed(warc, jobs, extractor, args.model)
                            for _ in range(args.runs)), key=lambda r: r["pages_per_second"])
                print(f"{extractor:11s} {jobs} process(es), batch.run over the WARC: "
                      f"{best['pages_per_second']:.1f} pages/s from the start, "
                      f"{best['steady_pages_per_second']:.1f} pages/s after the first page "
                      f"({best['pages']} pages in {best['seconds']:.1f} s)")
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
