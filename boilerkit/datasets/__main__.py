"""``python -m boilerkit.datasets build``: rebuild the labelled corpus from the shared data."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .corpus import build, counts_table, corpus_dir, update_splits
from .sources import SOURCES


def _replace_between(text: str, name: str, body: str) -> str:
    """``text`` with what stands between ``<!-- name:start -->`` and ``<!-- name:end -->``
    replaced by ``body`` (``ValueError`` when a marker is missing)."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    i = text.index(start) + len(start)
    j = text.index(end, i)
    return text[:i] + "\n" + body + "\n" + text[j:]


def update_card() -> Path:
    """Regenerate the dataset card's counts and agreement tables from the committed files."""
    from .review import agreement, format_agreement

    path = corpus_dir() / "README.md"
    text = _replace_between(path.read_text(), "counts", counts_table())
    text = _replace_between(text, "dropped", dropped_table())
    path.write_text(_replace_between(text, "kappa", format_agreement(agreement())))
    return path


def dropped_table() -> str:
    """The card's list of pages left out, with the share of their gold found in their HTML
    or, for the pages dropped by hand, why."""
    from .corpus import load_dropped

    rows = ["| page | gold found in the page, or why it was dropped |", "|---|---|"]
    for page_id, info in sorted(load_dropped().items()):
        coverage = info["gold_coverage"]
        rows.append(f"| `{page_id}` | "
                    f"{info['reason'] if coverage is None else format(coverage, '.0%')} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m boilerkit.datasets",
                                     description="Rebuild datasets/annotations/ from BOILERKIT_DATA.")
    commands = parser.add_subparsers(dest="command", required=True)
    build_cmd = commands.add_parser("build", help="label every page of the staged datasets")
    build_cmd.add_argument("--sources", default=",".join(SOURCES),
                           help="comma-separated source names (default: all)")
    build_cmd.add_argument("--workers", type=int, default=2)
    build_cmd.add_argument("--keep-splits", action="store_true",
                           help="do not re-plan splits.json first (the default for a full build)")
    commands.add_parser("splits", help="re-plan datasets/splits.json (see boilerkit.datasets.splits)")
    commands.add_parser("stats", help="print the dataset card's table of label counts")
    commands.add_parser("card", help="write the counts and kappa tables into datasets/README.md")
    args = parser.parse_args(argv)
    if args.command == "stats":
        print(counts_table())
        return 0
    if args.command == "card":
        path = update_card()
        print(f"updated {path}", file=sys.stderr)
        return 0
    if args.command == "splits":
        for note in update_splits():
            print(note)
        return 0
    started = time.monotonic()

    def progress(source: str, pages: int) -> None:
        if pages % 50 == 0:
            print(f"\r{source}: {pages} pages, {time.monotonic() - started:.0f}s",
                  end="", file=sys.stderr, flush=True)

    names = args.sources.split(",")
    if set(names) == set(SOURCES) and not args.keep_splits:
        for note in update_splits():
            print(note, file=sys.stderr)
    summary = build(names, workers=args.workers, progress=progress)
    print(file=sys.stderr)
    for source, info in summary.items():
        print(f"{source}: {info.get('pages', 0)} pages, blocks without gold "
              f"{info.get('blocks_without_gold_share', 0):.1%}, gold lost "
              f"{info.get('gold_lost_share', 0):.1%}, dropped {len(info['dropped'])}, "
              f"errors {len(info['errors'])}", file=sys.stderr)
    json.dump(summary, sys.stdout, indent=1, sort_keys=True)
    print(f"\nbuilt in {time.monotonic() - started:.0f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
