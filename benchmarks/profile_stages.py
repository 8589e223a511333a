"""Where boilerkit's time per page goes: parse, blocks, features, model.

    python benchmarks/profile_stages.py [--pages 300] [--sources trafilatura-eval,readability]
                                        [--model PATH] [--pure]

Times each stage of ``boilerkit.classify`` separately on the same in-memory
pages (after a warm-up pass), next to ``lxml.html.fromstring`` alone (the
parse floor), and prints the median and mean milliseconds per page of each.
``--pure`` runs the pure-Python/numpy paths instead of the compiled
accelerator. For a call graph, run ``classify`` under py-spy or pyinstrument.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time

import lxml.html

import boilerkit
from boilerkit import blocks as blocks_module
from boilerkit import features as features_module
from boilerkit.blocks import build_blocks
from boilerkit.datasets.sources import load_source
from boilerkit.features import CHUNK_ROWS, PageFeatures
from boilerkit.parse import parse_html
from boilerkit.persistence import default_model, load_model
from boilerkit.predictor import has_speedups


def _times(function, items) -> tuple[list[float], list]:
    results, times = [], []
    for item in items:
        started = time.perf_counter()
        results.append(function(item))
        times.append((time.perf_counter() - started) * 1000)
    return times, results


#: Stage names of :func:`stage_times`, in print order.
STAGES = ("lxml.html.fromstring (floor)", "parse_html", "build_blocks", "features", "model",
          "blocks + features", "classify, end to end")


def stage_times(pages: list[bytes], model, use_speedups: bool = True) -> dict[str, list[float]]:
    """Milliseconds per page of each stage (keys: :data:`STAGES`), from a timed pass over
    ``pages`` after an identical warm-up pass (caches, lazy imports).

    The features stage makes the page's feature rows (:class:`PageFeatures` and
    ``rows``) as ``Model.predict_page`` does; the model stage is ``Model.predict_rows``
    on those rows, timed right after them on the same page. A page of more than one
    chunk is predicted by chunks, so there the model stage is the whole prediction
    minus the features stage.
    """

    def features_and_model(blocks) -> tuple[float, float]:
        started = time.perf_counter()
        features = PageFeatures(blocks, model.feature_config, model._token_cache,
                                use_speedups=use_speedups)
        rows = features.rows(0, len(blocks), model.spare_columns)
        made = time.perf_counter()
        if len(blocks) <= CHUNK_ROWS:
            model.predict_rows(features, rows, use_speedups)
        else:
            model.predict_page(blocks, use_speedups)
        done = time.perf_counter()
        features_ms, model_ms = (made - started) * 1000, (done - made) * 1000
        if len(blocks) > CHUNK_ROWS:
            model_ms = max(model_ms - features_ms, 0.0)
        return features_ms, model_ms

    def run() -> dict[str, list[float]]:
        floor, _ = _times(lxml.html.fromstring, pages)
        parse, roots = _times(lambda html: parse_html(html, max_bytes=None), pages)
        blocks_ms, blocks = _times(build_blocks, roots)
        features_ms, model_ms = map(list, zip(*map(features_and_model, blocks)))
        total, _ = _times(lambda html: boilerkit.classify(html, model=model, max_bytes=None),
                          pages)
        return dict(zip(STAGES, (floor, parse, blocks_ms, features_ms, model_ms,
                                 [b + f for b, f in zip(blocks_ms, features_ms)], total)))

    run()
    return run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=300, help="pages per source at most")
    parser.add_argument("--sources", default="trafilatura-eval,readability")
    parser.add_argument("--model", help="model directory (default: the shipped model)")
    parser.add_argument("--pure", action="store_true", help="no compiled accelerator")
    args = parser.parse_args()
    if args.pure:
        blocks_module._speedups = features_module._speedups = None
    pages = [page.html for source in args.sources.split(",")
             for page in itertools.islice(load_source(source), args.pages)]
    model = load_model(args.model) if args.model else default_model()
    stages = stage_times(pages, model, use_speedups=not args.pure)
    blocks = [build_blocks(parse_html(html, max_bytes=None)) for html in pages]
    print(f"{len(pages)} pages of {args.sources}, "
          f"{statistics.mean(len(b) for b in blocks):.0f} blocks/page, "
          f"accelerator {'off' if args.pure else 'on' if has_speedups() else 'not built'}")
    print(f"{'stage':30s} {'median':>8s} {'mean':>8s}  ms/page")
    for name, values in stages.items():
        print(f"{name:30s} {statistics.median(values):8.2f} {statistics.mean(values):8.2f}")
    print(f"pages/s end to end: {len(pages) / (sum(stages['classify, end to end']) / 1000):.1f}")


if __name__ == "__main__":
    main()
