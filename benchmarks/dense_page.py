"""Cost of a dense page: N sibling ``<p>x</p>`` (default 1,000,000: 8 MB), classified once.

    python benchmarks/dense_page.py [--siblings 1000000] [--model PATH]

Runs ``boilerkit.classify`` on the page in a fresh subprocess and prints the wall time of
each stage and the peak resident memory of the process (``VmHWM``), so the figure
includes the parsed tree, the blocks, the features and the labelled page.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

_CHILD = r"""
import json, resource, sys, time
import boilerkit
from boilerkit.blocks import build_blocks
from boilerkit.parse import parse_html
from boilerkit.persistence import default_model, load_model

siblings, model_path = int(sys.argv[1]), sys.argv[2] or None
model = load_model(model_path) if model_path else default_model()
html = b"<html><body>" + b"<p>x</p>" * siblings + b"</body></html>"
times = {}
started = time.perf_counter()
root = parse_html(html, max_bytes=None)
times["parse"] = time.perf_counter() - started
step = time.perf_counter()
blocks = build_blocks(root)
times["blocks"] = time.perf_counter() - step
step = time.perf_counter()
probabilities = model.predict_page(blocks)
times["features + model"] = time.perf_counter() - step
del root, blocks, probabilities
step = time.perf_counter()
page = boilerkit.classify(html, model=model, max_bytes=None)
times["classify, end to end"] = time.perf_counter() - step
try:  # this process's own high-water mark: ru_maxrss can hold the parent's, see measure()
    with open("/proc/self/status") as status:
        peak_mb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
except (OSError, StopIteration):
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"bytes": len(html), "blocks": len(page.blocks), "seconds": times,
                  "peak_rss_mb": peak_mb}))
"""


#: Targets for the default 1,000,000 siblings: classify end to end, and peak RSS.
TARGET_SECONDS = 15.0
TARGET_PEAK_MB = 1536.0


def measure(siblings: int = 1_000_000, model: str = "", timeout: float | None = 900) -> dict:
    """Classify the dense page in a fresh Python process; returns ``{"bytes", "blocks",
    "seconds": {stage: s}, "peak_rss_mb"}``: that process's peak resident memory, from
    ``VmHWM`` in ``/proc/self/status`` where there is one. Not ``ru_maxrss``: on Linux a
    process started by ``subprocess`` (vfork, then exec) keeps its parent's peak there, so
    from a parent that holds 2 GB (``run.py`` with its test pages and results) every child
    reports at least 2 GB."""
    result = subprocess.run([sys.executable, "-c", _CHILD, str(siblings), model or ""],
                            capture_output=True, text=True, check=True, timeout=timeout)
    return json.loads(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--siblings", type=int, default=1_000_000)
    parser.add_argument("--model", default="", help="model directory (default: the shipped one)")
    args = parser.parse_args()
    figures = measure(args.siblings, args.model, timeout=None)
    print(f"{figures['blocks']:,} blocks from {figures['bytes'] / 1e6:.1f} MB; "
          f"peak RSS {figures['peak_rss_mb']:,.0f} MB")
    for stage, seconds in figures["seconds"].items():
        print(f"  {stage:24s} {seconds:6.1f} s")


if __name__ == "__main__":
    main()
