"""``python -m boilerkit.datasets build``: rebuild the labelled corpus from the shared data."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .corpus import build, counts_table, corpus_dir
from .sources import SOURCES


def _replace_between(text: str, name: str, body: str) -> str:
    start, end = f"<!-- {name}:start -->\n", f"\n<!-- {name}:end -->"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    return head + start + body + end + tail


def update_card() -> Path:
    """Regenerate the dataset card's counts and agreement tables from the committed files."""
    from .review import agreement

    path = corpus_dir() / "README.md"
    result = agreement()
    kappa = result["kappa"]
    rows = ["| class | kappa |", "|---|---|"] + [
        f"| {label} | {kappa[label]:.3f} |" for label in ("article", "navigation", "teaser", "comment")]
    rows.append(f"| all four (multi-class) | {kappa['all']:.3f} |")
    rows.append(f"\n{result['pages']} pages, {result['blocks']:,} blocks.")
    text = _replace_between(path.read_text(), "counts", counts_table())
    path.write_text(_replace_between(text, "kappa", "\n".join(rows)))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m boilerkit.datasets",
                                     description="Rebuild datasets/annotations/ from BOILERKIT_DATA.")
    commands = parser.add_subparsers(dest="command", required=True)
    build_cmd = commands.add_parser("build", help="label every page of the staged datasets")
    build_cmd.add_argument("--sources", default=",".join(SOURCES),
                           help="comma-separated source names (default: all)")
    build_cmd.add_argument("--workers", type=int, default=2)
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
    started = time.monotonic()

    def progress(source: str, pages: int) -> None:
        if pages % 50 == 0:
            print(f"\r{source}: {pages} pages, {time.monotonic() - started:.0f}s",
                  end="", file=sys.stderr, flush=True)

    summary = build(args.sources.split(","), workers=args.workers, progress=progress)
    print(file=sys.stderr)
    json.dump(summary, sys.stdout, indent=1, sort_keys=True)
    print(f"\nbuilt in {time.monotonic() - started:.0f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
