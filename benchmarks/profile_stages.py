"""Where boilerkit's time per page goes: parse, blocks, features, model.

    python benchmarks/profile_stages.py [--pages 150] [--source l3s-gn1]

Times each stage of ``boilerkit.extract`` separately on the same in-memory
pages (after one warm-up page) and prints milliseconds per page, next to
``lxml.html.fromstring`` alone. For a call graph, run ``extract`` under
py-spy or pyinstrument instead.
"""

from __future__ import annotations

import argparse
import itertools
import time

import lxml.html
import numpy as np

import boilerkit
from boilerkit import build_blocks, parse_html
from boilerkit.datasets.sources import load_source
from boilerkit.persistence import default_model


def _ms_per_page(function, items) -> tuple[float, list]:
    started = time.perf_counter()
    results = [function(item) for item in items]
    return (time.perf_counter() - started) / len(items) * 1000, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=150)
    parser.add_argument("--source", default="l3s-gn1")
    args = parser.parse_args()
    pages = [page.html for page in itertools.islice(load_source(args.source), args.pages)]
    model = default_model()
    boilerkit.extract(pages[0])
    features = model.pipeline_.named_steps["features"]
    classifier = model.pipeline_.named_steps["classifier"]

    floor, _ = _ms_per_page(lxml.html.fromstring, pages)
    parse, roots = _ms_per_page(parse_html, pages)
    blocks_ms, blocks = _ms_per_page(build_blocks, roots)
    features_ms, matrices = _ms_per_page(lambda b: features.transform([b]), blocks)
    with model._thread_controller().limit(limits=1, user_api="openmp"):
        predict_ms, _ = _ms_per_page(classifier.predict_proba, matrices)
    total, _ = _ms_per_page(boilerkit.extract, pages)
    print(f"{len(pages)} {args.source} pages, {np.mean([len(b) for b in blocks]):.0f} blocks/page")
    for name, value in (("lxml.html.fromstring (floor)", floor), ("parse_html", parse),
                        ("build_blocks", blocks_ms), ("features", features_ms),
                        ("model", predict_ms), ("extract, end to end", total)):
        print(f"{name:30s} {value:6.2f} ms/page")


if __name__ == "__main__":
    main()
