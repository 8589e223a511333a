"""The shipped model's probabilities, against the tree-by-tree walk, on every test-split block.

    BOILERKIT_DATA=../shared/datasets python benchmarks/predictor_identity.py [--split test]

The accelerated predictor (leaf masks, one pass per model level) must give the same sums as
the C walk of every tree, which ``boilerkit train --verify-split`` compares with
scikit-learn's ``predict_proba``. Prints the pages, the blocks and the largest difference;
exits 1 unless every probability is bitwise identical. Run from the repository root.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from boilerkit.datasets.corpus import read_labelled
from boilerkit.persistence import default_model_path, load_model

#: The annotation files of the default model's sources (models/README.md).
ANNOTATIONS = [f"datasets/annotations/{name}.jsonl.gz" for name in (
    "kreuzer", "readability", "trafilatura-eval", "postlight-fixtures", "fundus-eval",
    "fundus-tests", "wcxb")]


def walking(model):
    """``model`` changed to walk every tree, one ensemble at a time (the checked predictor)."""
    for head in (head for member in (model, *model.members) for head in member.levels):
        head._ensemble_probabilities = (
            lambda head: lambda X, speedups: [e.predict_proba(X, speedups)
                                              for e in head.ensembles])(head)
        for ensemble in head.ensembles:
            ensemble._masks = ()
    return model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", default="test")
    args = parser.parse_args()
    pages = [page for page in read_labelled(ANNOTATIONS) if page.split == args.split]
    fast = load_model(default_model_path())
    walked = walking(load_model(default_model_path()))
    blocks = identical = 0
    worst = 0.0
    for page in pages:
        ours, reference = fast.predict_page(page.blocks), walked.predict_page(page.blocks)
        blocks += len(ours)
        identical += int(np.array_equal(ours, reference))
        if len(ours):
            worst = max(worst, float(np.abs(ours - reference).max()))
    print(f"{len(pages)} {args.split} pages, {blocks:,} blocks: {identical} pages bitwise "
          f"identical, largest difference {worst:.1e}")
    return 0 if identical == len(pages) else 1


if __name__ == "__main__":
    sys.exit(main())
