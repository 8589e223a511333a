"""Spark: the articles and comments of WARC files, written as Parquet (``boilerkit[spark]``).

Run it with ``spark-submit`` (this file) or ``python -m boilerkit.integrations.spark``::

    python -m boilerkit.integrations.spark --master 'local[2]' -o pages.parquet crawl/*.warc.gz
    spark-submit --master yarn "$(python -m boilerkit.integrations.spark --path)" \\
        --paths-file warc-paths.txt -o hdfs:///out/pages.parquet

Each Spark task reads whole WARC files (one path per task by default),
loads the model once per Python worker (``mapPartitions``), streams the
records and yields one row per HTML page: ``file``, ``record_id``, ``url``,
``title``, ``article``, ``comments``, ``labels`` (every block's label),
``n_blocks``, ``bytes``, ``seconds`` (time to classify), and ``error`` /
``error_type`` for a page that failed. Records that are not HTML pages are
counted, not written. The executors need boilerkit with its ``warc`` extra
(see the README for shipping it to a cluster); paths with a scheme
(``s3://``, ``hdfs://``, ...) are opened with fsspec, so its filesystem
package for that scheme must be installed there too.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import cast

# Absolute imports: spark-submit runs this file as a script.
from boilerkit._extras import require
from boilerkit.api import classify
from boilerkit.batch import cached_model
from boilerkit.errors import BoilerkitError
from boilerkit.inputs import DEFAULT_MAX_BYTES, Document, iter_warc

COLUMNS = ("file", "record_id", "url", "title", "article", "comments", "labels", "n_blocks",
           "bytes", "seconds", "error", "error_type")


def schema():
    """The Spark schema of the output rows (``COLUMNS``)."""
    from pyspark.sql import types as T

    string = T.StringType()
    return T.StructType([
        T.StructField("file", string, False), T.StructField("record_id", string),
        T.StructField("url", string), T.StructField("title", string),
        T.StructField("article", string), T.StructField("comments", string),
        T.StructField("labels", T.ArrayType(string)), T.StructField("n_blocks", T.IntegerType()),
        T.StructField("bytes", T.LongType()), T.StructField("seconds", T.DoubleType()),
        T.StructField("error", string), T.StructField("error_type", string)])


def _open(path: str):
    """A local path as it is; a URL (``s3://...``) as an fsspec file object."""
    if "://" in path and not path.startswith("file://"):
        fsspec = require("fsspec", "spark", "reading WARC files from remote storage")
        return fsspec.open(path, "rb").open()
    return path.removeprefix("file://")


def _row(document: Document, model, max_bytes: int | None) -> tuple:
    fields = (document.source, document.record_id, document.url)
    if document.error is not None:
        return (*fields, None, None, None, None, None, None, None,
                document.error, document.error_type)
    data = cast(bytes, document.data)  # a Document without an error has its bytes
    start = time.perf_counter()
    try:
        page = classify(data, document.url, model=model,
                        content_type=document.content_type, max_bytes=max_bytes)
    except BoilerkitError as error:
        return (*fields, None, None, None, None, None, len(data),
                time.perf_counter() - start, str(error), type(error).__name__)
    article, comments = page.text("article"), page.text("comment")
    return (*fields, page.title, article, comments, page.labels, len(page.blocks),
            len(data), time.perf_counter() - start, None, None)


def extract_partition(paths: Iterable[str], *, model_path: str | None = None,
                      max_bytes: int | None = DEFAULT_MAX_BYTES, counters=None) -> Iterator[tuple]:
    """The rows of the HTML pages of the WARC files ``paths`` (runs on an executor).

    ``counters`` are Spark accumulators ``(pages, failed, skipped)``, or ``None``.
    """
    model = cached_model(model_path)  # once per Python worker, reused by its tasks
    for path in paths:
        stream = None
        try:
            stream = _open(path)
            for item in iter_warc(stream, max_bytes=max_bytes, source=path):
                if not isinstance(item, Document):
                    if counters:
                        counters[2].add(1)
                    continue
                row = _row(item, model, max_bytes)
                if counters:
                    counters[1 if row[-2] is not None else 0].add(1)
                yield row
        except (OSError, BoilerkitError) as error:  # a path that cannot be opened
            if counters:
                counters[1].add(1)
            yield (path, None, None, None, None, None, None, None, None, None, str(error),
                   type(error).__name__)
        finally:
            if stream is not None and not isinstance(stream, str):
                stream.close()


def read_paths(paths: Sequence[str], paths_file: str | None) -> list[str]:
    """WARC paths from the arguments and a file (local or a URL) of one path per line."""
    found = list(paths)
    if paths_file:
        if "://" in paths_file and not paths_file.startswith("file://"):
            fsspec = require("fsspec", "spark", "reading a paths file from remote storage")
            with fsspec.open(paths_file, "rt", encoding="utf-8") as handle:
                lines = handle.read().splitlines()
        else:
            lines = Path(paths_file.removeprefix("file://")).read_text(
                encoding="utf-8").splitlines()
        found += [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return found


def run(spark, paths: Sequence[str], output: str, *, model_path: str | None = None,
        partitions: int | None = None, max_bytes: int | None = DEFAULT_MAX_BYTES,
        mode: str = "error") -> dict:
    """Extract the pages of ``paths`` into Parquet at ``output``; return the counts."""
    context = spark.sparkContext
    counters = (context.accumulator(0), context.accumulator(0), context.accumulator(0))
    rdd = context.parallelize(list(paths), numSlices=max(1, partitions or len(paths)))
    rows = rdd.mapPartitions(functools.partial(
        extract_partition, model_path=model_path, max_bytes=max_bytes, counters=counters))
    start = time.monotonic()
    spark.createDataFrame(rows, schema()).write.mode(mode).parquet(output)
    return {"warc_files": len(paths), "pages": counters[0].value, "failed": counters[1].value,
            "skipped": counters[2].value, "seconds": round(time.monotonic() - start, 3)}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m boilerkit.integrations.spark",
        description="Extract the article and comments of every HTML page of WARC files with "
                    "Spark, and write them as Parquet.")
    parser.add_argument("warcs", nargs="*", metavar="WARC", help="WARC file path or URL")
    parser.add_argument("--paths-file", metavar="FILE",
                        help="a text file of WARC paths, one per line")
    parser.add_argument("-o", "--output", metavar="DIR", help="Parquet output directory")
    parser.add_argument("-m", "--model", metavar="PATH",
                        help="model directory, readable on every executor (default: the "
                             "pre-trained model inside the package)")
    parser.add_argument("--partitions", type=int, metavar="N",
                        help="Spark partitions (default: one per WARC file)")
    parser.add_argument("--master", help="Spark master, e.g. local[2] (default: spark-submit's)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output")
    parser.add_argument("--path", action="store_true",
                        help="print the path of this script (for spark-submit) and exit")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.path:
        print(Path(__file__).resolve())
        return 0
    paths = read_paths(args.warcs, args.paths_file)
    if not paths or not args.output:
        print("boilerkit: error: give WARC paths (or --paths-file) and --output",
              file=sys.stderr)
        return 2
    try:
        require("pyspark", "spark", "the Spark job")
        require("fastwarc", "warc", "reading WARC files")
    except BoilerkitError as error:
        print(f"boilerkit: error: {error}", file=sys.stderr)
        return 1
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("boilerkit")
    if args.master:
        builder = builder.master(args.master)
    spark = builder.getOrCreate()
    try:
        counts = run(spark, paths, args.output, model_path=args.model,
                     partitions=args.partitions, mode="overwrite" if args.overwrite else "error")
    finally:
        spark.stop()
    print(f"boilerkit: {counts['pages']:,} pages, {counts['failed']:,} failed, "
          f"{counts['skipped']:,} records skipped, from {counts['warc_files']:,} WARC files "
          f"in {counts['seconds']:.1f} s -> {args.output}", file=sys.stderr)
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    # Through the module, so that Spark pickles functions by reference, not by value.
    from boilerkit.integrations.spark import main as _main

    sys.exit(_main())
