"""Article F1 on the ``dev`` split, for comparing models (and peers) before a test run.

    python benchmarks/dev_article.py MODEL [MODEL ...] [--peers trafilatura,readability]
                                     [--min-probability 0.55 ...] [--figures] [--per-page]

Scores boilerkit's article text with each model, and optionally peers, on the ``dev`` pages
of the modern article sources, with the scorers of ``run.py``: snippet F1 on
trafilatura-eval, token F1 on the others (WCXB too). Only dev pages are scored: tune on
dev, score test once with ``run.py``; training pages are never scored either.
``--figures`` adds a column per model with the text of figures kept (``extract(...,
figures=True)``; by default extract leaves it out). ``--per-page`` also prints each page's
F1 (token-scored sources) or snippet counts (trafilatura-eval) per extractor, to find the
pages where one extractor loses.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import metrics as M  # noqa: E402
from adapters import INPUT  # noqa: E402
from data import SNIPPET_SOURCES, TOKEN_SOURCES, split_function  # noqa: E402
from gold import article_references, decode_html  # noqa: E402

SOURCES = ("readability", "fundus-eval", "trafilatura-eval", "fundus-tests",
           "postlight-fixtures", "wcxb")


def _extractors(models: list[str], peers: list[str], thresholds: list[float],
                figures: bool = False) -> dict:
    import adapters
    import boilerkit
    from boilerkit.persistence import load_model

    extractors = {}
    for path in models:
        model = load_model(path)
        for threshold in thresholds:
            for keep in (False, True) if figures else (False,):
                name = (Path(path).name + (f" (p >= {threshold:g})" if threshold else "")
                        + (" (figures)" if keep else ""))
                extractors[name] = (lambda m, t, k: lambda html: boilerkit.extract(
                    html, model=m, min_probability=t, figures=k))(model, threshold, keep)
    for name in peers:
        extractors[name] = getattr(adapters, f"make_{name}")()
    return extractors


def _score(source: str, out: str, references, with_, without):
    if source in TOKEN_SOURCES:
        return M.bag_of_tokens_best(out, references).f1
    return np.array(M.snippet_counts(out, with_, without))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", help="model folders")
    parser.add_argument("--peers", default="", help="comma-separated adapters, e.g. trafilatura")
    parser.add_argument("--min-probability", type=float, nargs="+", default=[0.0],
                        metavar="P", help="extract's min_probability, one column per value")
    parser.add_argument("--sources", default=",".join(SOURCES))
    parser.add_argument("--figures", action="store_true",
                        help="also score each model with the text of figures kept")
    parser.add_argument("--per-page", action="store_true",
                        help="print every page's F1 or snippet counts too")
    args = parser.parse_args(argv)
    from boilerkit.datasets.corpus import load_dropped
    from boilerkit.datasets.sources import load_source

    extractors = _extractors(args.models, [p for p in args.peers.split(",") if p],
                             args.min_probability, args.figures)
    split_of, splits, _ = split_function()
    dropped = load_dropped()
    print("source | pages | " + " | ".join(extractors))
    for source in args.sources.split(","):
        scores: dict[str, list] = {name: [] for name in extractors}
        for page in load_source(source):
            if split_of(page, splits) != "dev" or page.page_id in dropped:
                continue
            references = article_references(page) if source in TOKEN_SOURCES else None
            if source in TOKEN_SOURCES and not references:
                continue
            if source not in TOKEN_SOURCES and source not in SNIPPET_SOURCES:
                continue
            with_ = list(page.gold.get("with") or [])
            without = list(page.gold.get("without") or [])
            text = decode_html(page.html)
            for name, extract in extractors.items():
                html = page.html if INPUT.get(name, "bytes") == "bytes" else text
                try:
                    out = extract(html)
                except Exception:  # noqa: BLE001 - a failure scores as an empty output
                    out = ""
                scores[name].append(_score(source, out, references, with_, without))
            if args.per_page and source in TOKEN_SOURCES:
                print(f"  {page.page_id} | " + " | ".join(
                    f"{values[-1]:.3f}" for values in scores.values()), flush=True)
            elif args.per_page:  # snippet counts: true positives, false positives, misses
                print(f"  {page.page_id} | " + " | ".join(
                    "tp {} fp {} fn {}".format(*values[-1][[0, 1, 3]])
                    for values in scores.values()), flush=True)
        figures = []
        for name, values in scores.items():
            if source in TOKEN_SOURCES:
                figures.append(f"{np.mean(values):.3f}" if values else "-")
            else:
                tp, fp, _, fn = np.sum(values, axis=0) if values else (0, 0, 0, 0)
                figures.append(f"{2 * tp / (2 * tp + fp + fn):.3f}" if tp else "-")
        pages = len(next(iter(scores.values())))
        print(f"{source} | {pages} | " + " | ".join(figures), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
