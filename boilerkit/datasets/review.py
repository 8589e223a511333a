"""The block-by-block review tool, and the agreement check of blind re-labels.

``python -m boilerkit.datasets.review show PAGE_ID`` prints one line per block: index,
pre-filled label, tag, and the text cut to ``--width`` characters, under a header line
each time the block's context (context flags and the last class/id tokens of its
ancestors) changes.  Pre-filled labels come only from the gold of a source whose licence
allows the default model (:mod:`.licences`); blocks that gold does not decide show ``?``.
The reviewer decides every block and saves the page::

    python -m boilerkit.datasets.review save PAGE_ID --reviewer NAME --reviewer-kind model \\
        --set 0-11=navigation --set 12-30=article --set 31-40=comment

``save`` needs every block to end with one of the four labels and writes
``datasets/reviews/<page>.json`` (reviewer, reviewer kind, pre-fill source, date, and
every block's XPath, text hash and label).

Blind re-labels, done so that they can be trusted:

* ``freeze`` records the sha256 of every first review in ``datasets/reviews/FROZEN.json``
  (an entry is never overwritten);
* ``show --blind`` hides every pre-filled label; ``save --blind`` needs a label for every
  block, refuses a page whose review is not frozen, writes ``datasets/agreement/<page>.json``
  and stores there the frozen hash of the review it will be scored against;
* ``kappa`` scores a blind label file only against a review whose bytes have that hash:
  the current review when it was not edited since, else a frozen copy kept in
  ``datasets/agreement/frozen-reviews/``; it says which reviews were edited afterwards,
  and reports Cohen's kappa per class and per source, with block support and a bootstrap
  95% interval over pages.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from ..blocks import Block, build_blocks
from ..labels import DEFAULT_LABELS
from ..parse import parse_html
from .corpus import apply_review, corpus_dir, load_review, review_path, split_of, text_key
from .licences import LICENCES
from .sources import SourcePage, load_pages
from .transfer import transfer_labels

LABELS = DEFAULT_LABELS
REVIEWER_KINDS = {"model": "model-based reviewer (helper session)", "human": "human"}
FROZEN_NAME = "FROZEN.json"
FROZEN_COPIES = "frozen-reviews"

# context flags, shortest names first met in CONTEXT_NAMES order; ARIA roles fold into them
_FLAG_NAMES = (("nav", "nav"), ("role_navigation", "nav"), ("role_menu", "nav"),
               ("header", "hdr"), ("role_banner", "hdr"), ("footer", "ftr"),
               ("role_contentinfo", "ftr"), ("aside", "aside"), ("role_complementary", "aside"),
               ("main", "main"), ("role_main", "main"), ("article", "art"),
               ("role_article", "art"), ("comments", "cmt"), ("related", "rel"),
               ("form", "form"), ("role_form", "form"), ("role_search", "search"),
               ("role_dialog", "dialog"), ("table", "tbl"), ("li", "li"), ("figure", "fig"),
               ("blockquote", "quote"), ("hidden", "HIDDEN"))


# --------------------------------------------------------------------------- pages


def find_page(page_id: str) -> SourcePage:
    for page in load_pages([page_id]):
        return page
    raise SystemExit(f"no page {page_id!r}")


def agreement_path(page_id: str) -> Path:
    return corpus_dir() / "agreement" / (page_id.replace("/", "__") + ".json")


def prefill_source(source: str) -> str | None:
    """What a page's pre-filled labels come from, or ``None`` when its source's licence
    does not allow them (their labels must not seed labels the project makes)."""
    record = LICENCES.get(source)
    if record is None or not record.default_model_allowed:
        return None
    return f"{source} gold, transferred by boilerkit.datasets.transfer ({record.licence})"


@dataclass
class Prefilled:
    page: SourcePage
    blocks: list[Block]
    labels: list[str | None]       # one of LABELS, or None ("?": the reviewer decides)
    source: str | None             # prefill_source() of the page


def prefilled(page: SourcePage) -> Prefilled:
    """The page's blocks with the labels an allowed source's gold gives (else none)."""
    blocks = build_blocks(parse_html(page.html, max_bytes=None))
    origin = prefill_source(page.source)
    labels: list[str | None] = [None] * len(blocks)
    if origin is not None:
        transferred = transfer_labels(page, blocks).labels
        labels = [label if label in LABELS else None for label in transferred]
    return Prefilled(page, blocks, labels, origin)


# --------------------------------------------------------------------------- show


def _flags(block: Block) -> str:
    seen: list[str] = []
    for name, short in _FLAG_NAMES:
        if short not in seen and block.in_context(name):
            seen.append(short)
    return ",".join(seen)


_MIXED = re.compile(r"^(?=[a-z]*\d)(?=\d*[a-z])[a-z0-9]{5,}$")


def _hash_like(token: str) -> bool:
    """Generated class names (``dcr-1r92euj``, ``css-9x1k2m``, uuids) say nothing to a
    reviewer: a part of five or more characters mixing letters and digits."""
    return any(_MIXED.match(part) for part in re.split(r"[-_]", token))


def _display_tokens(tokens: tuple[str, ...], n: int) -> list[str]:
    """The last ``n`` readable class/id tokens, without generated names and without the
    parts that the tokenizer split off a compound token (``post-navigation`` keeps,
    ``post`` and ``navigation`` go)."""
    kept: list[str] = []
    compound: list[str] = []                   # parts of the last compound token seen
    for token in tokens:
        if token in compound:
            continue
        compound = re.split(r"[-_]", token) if re.search(r"[-_]", token) else []
        if not _hash_like(token):
            kept.append(token)
    return kept[-n:]


def _link_share(block: Block) -> float:
    return block.link_text_length / max(len(block.text) - block.text.count(" "), 1)


def render(pre: Prefilled, blind: bool = False, width: int = 100, tokens: int = 3) -> list[str]:
    """The lines ``show`` prints."""
    page = pre.page
    counts = Counter(label or "?" for label in pre.labels)
    head = (f"# {page.page_id}  site={page.site}  split={split_of(page)}  "
            f"blocks={len(pre.blocks)}  url={page.url}")
    if blind:
        fill = "prefill: none (blind)"
    elif pre.source is None:
        fill = (f"prefill: none ({page.source} is not licensed for the default model; "
                "decide every block)")
    else:
        fill = ("prefill: " + pre.source + "; "
                + " ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    lines = [head, "# " + fill,
             "# idx label      tag        text   (@ = mostly link text; '-- ...' = context "
             "flags and class/id tokens of the blocks below)"]
    context = None
    for i, block in enumerate(pre.blocks):
        here = (_flags(block), " ".join(_display_tokens(block.ancestor_tokens, tokens)))
        if here != context:
            context = here
            lines.append(f"     -- [{here[0]}] {here[1]}".rstrip())
        label = "?" if blind or pre.labels[i] is None else pre.labels[i]
        own = " ".join(_display_tokens(block.own_tokens, 2))
        text = block.text if len(block.text) <= width else block.text[: width - 1] + "…"
        mark = "@" if _link_share(block) >= 0.5 else " "
        lines.append(f"{i:5d} {label:10s}{mark}{block.tag:10s} "
                     + (f"({own}) " if own else "") + text)
    return lines


def with_saved_labels(pre: Prefilled) -> Prefilled:
    """``pre`` with the labels of the page's saved review instead of the pre-filled ones,
    so a reviewer can read back what they saved (matched as the corpus build matches)."""
    page_id = pre.page.page_id
    review = load_review(page_id)
    if review is None:
        raise SystemExit(f"no saved review of {page_id} ({review_path(page_id)})")
    labels: list[str | None] = [None] * len(pre.blocks)
    found = apply_review(pre.blocks, labels, [None] * len(pre.blocks), review)
    if found != len(review["blocks"]):
        raise SystemExit(f"the saved review of {page_id} does not match its blocks")
    return Prefilled(pre.page, pre.blocks, labels, f"saved review {review_path(page_id).name}")


def show(page_id: str, blind: bool = False, width: int = 100, saved: bool = False) -> None:
    pre = prefilled(find_page(page_id))
    if saved:
        pre = with_saved_labels(pre)
    for line in render(pre, blind=blind, width=width):
        print(line)


# --------------------------------------------------------------------------- save


def parse_assignments(assignments: list[str], n: int) -> dict[int, str]:
    """``["0-11=navigation", "12=article"]`` -> ``{0: "navigation", ..., 12: "article"}``."""
    result: dict[int, str] = {}
    for item in assignments:
        span, _, label = item.partition("=")
        label = label.strip()
        if label not in LABELS:
            raise SystemExit(f"unknown label {label!r} in {item!r}; use one of {', '.join(LABELS)}")
        first, _, last = span.strip().partition("-")
        try:
            start, end = int(first), int(last or first)
        except ValueError:
            raise SystemExit(f"bad block range {span!r} in {item!r}") from None
        if not 0 <= start <= end < n:
            raise SystemExit(f"block range {span} outside 0-{n - 1}")
        for i in range(start, end + 1):
            result[i] = label
    return result


def _ranges(indexes: list[int]) -> str:
    out: list[list[int]] = []
    for i in indexes:
        if out and out[-1][1] == i - 1:
            out[-1][1] = i
        else:
            out.append([i, i])
    return ",".join(f"{a}" if a == b else f"{a}-{b}" for a, b in out)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def frozen_path() -> Path:
    return corpus_dir() / "reviews" / FROZEN_NAME


def load_frozen() -> dict[str, dict]:
    path = frozen_path()
    return json.loads(path.read_text())["reviews"] if path.is_file() else {}


def save(page_id: str, reviewer: str, assignments: list[str], blind: bool = False,
         reviewer_kind: str = "model") -> Path:
    """Write the review (or blind re-label) of a page; see the module doc."""
    kind = REVIEWER_KINDS.get(reviewer_kind)
    if kind is None:
        raise SystemExit(f"--reviewer-kind must be one of {', '.join(REVIEWER_KINDS)}")
    pre = prefilled(find_page(page_id))
    n = len(pre.blocks)
    changes = parse_assignments(assignments, n)
    record: dict = {"page_id": pre.page.page_id, "sha256": pre.page.sha256,
                    "reviewer": reviewer, "reviewer_kind": kind,
                    "date": datetime.now(timezone.utc).strftime("%Y-%m-%d")}
    if blind:
        frozen = load_frozen().get(pre.page.page_id)
        if frozen is None:
            raise SystemExit(f"the review of {page_id} is not frozen: run `review freeze` "
                             "before making blind labels")
        start: list[str | None] = [None] * n
        record.update(prefill="none (blind)", frozen_review_sha256=frozen["sha256"])
    else:
        start = list(pre.labels)
        record["prefill"] = pre.source or "none"
    labels = list(start)
    for i, label in changes.items():
        labels[i] = label
    missing = [i for i, label in enumerate(labels) if label not in LABELS]
    if missing:
        raise SystemExit(f"{len(missing)} blocks have no label ({_ranges(missing)}): every "
                         "block needs one of " + ", ".join(LABELS))
    record["set"] = len(changes)
    record["changed"] = sum(1 for a, b in zip(start, labels) if a != b)
    record["blocks"] = [[b.xpath, text_key(b.text), label] for b, label in zip(pre.blocks, labels)]
    path = agreement_path(page_id) if blind else review_path(page_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    counts = {label: labels.count(label) for label in LABELS}
    print(f"saved {path} ({len(changes)} blocks set, {record['changed']} changed) {counts}")
    return path


# --------------------------------------------------------------------------- freeze


def freeze(recovered: dict[str, dict] | None = None) -> dict[str, list[str]]:
    """Record the sha256 of every review file not frozen yet (never overwrite an entry).

    ``recovered`` adds entries made otherwise (hashes of review versions recovered from
    git).  Returns the page ids newly frozen and those whose review changed since.
    """
    path = frozen_path()
    data: dict[str, Any] = json.loads(path.read_text()) if path.is_file() else {
        "about": ("sha256 of each first review when it was frozen; blind labels are "
                  "scored only against reviews with these bytes (boilerkit.datasets.review)"),
        "reviews": {}}
    reviews = data["reviews"]
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    added, changed = [], []
    for page_id, entry in (recovered or {}).items():
        if page_id not in reviews:
            reviews[page_id] = entry
            added.append(page_id)
    for review in sorted((corpus_dir() / "reviews").glob("*__*.json")):
        page_id = json.loads(review.read_text())["page_id"]
        digest = file_sha256(review)
        if page_id not in reviews:
            reviews[page_id] = {"sha256": digest, "frozen": today, "how": "review freeze"}
            added.append(page_id)
        elif reviews[page_id]["sha256"] != digest:
            changed.append(page_id)
    data["reviews"] = dict(sorted(reviews.items()))
    path.write_text(json.dumps(data, indent=1) + "\n")
    return {"frozen": added, "edited_since_frozen": changed}


# --------------------------------------------------------------------------- kappa


_VALUES = list(LABELS) + ["none"]


def _confusion(first: list, blind: list) -> np.ndarray:
    """5x5 counts (four labels and "none") of first-review label x blind label."""
    index = {v: k for k, v in enumerate(_VALUES)}
    matrix = np.zeros((len(_VALUES), len(_VALUES)))
    for a, b in zip(first, blind):
        matrix[index.get(a, 4), index.get(b, 4)] += 1
    return matrix


def _kappas(matrix: np.ndarray) -> np.ndarray:
    """Kappa per class (one against the rest) and multi-class, from confusion matrices
    of shape (..., 5, 5); nan where undefined (e.g. a class neither side used)."""
    n = matrix.sum(axis=(-2, -1))
    rows, cols = matrix.sum(axis=-1), matrix.sum(axis=-2)
    diag = np.diagonal(matrix, axis1=-2, axis2=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = []
        for c in range(len(LABELS)):
            tp, a, b = diag[..., c], rows[..., c], cols[..., c]
            po = (n - a - b + 2 * tp) / n
            pe = (a * b + (n - a) * (n - b)) / n ** 2
            out.append(np.where(pe < 1, (po - pe) / (1 - pe), np.nan))
        po = diag.sum(axis=-1) / n
        pe = (rows * cols).sum(axis=-1) / n ** 2
        out.append(np.where(pe < 1, (po - pe) / (1 - pe), np.nan))
    return np.stack(out, axis=-1)


def kappa_table(pairs: list[tuple[str, list, list]], rounds: int = 1000, seed: int = 0) -> dict:
    """Kappa per class (one against the rest) and over all four, with block support and a
    bootstrap 95% interval that resamples pages; ``pairs`` is ``[(page_id, first, blind)]``."""
    keys = list(LABELS) + ["all"]
    per_page = (np.stack([_confusion(first, blind) for _, first, blind in pairs])
                if pairs else np.zeros((0, len(_VALUES), len(_VALUES))))
    total = per_page.sum(axis=0)
    point = _kappas(total)
    samples = None
    if len(pairs) > 1:
        rng = np.random.default_rng(seed)
        weights = np.stack([np.bincount(rng.integers(0, len(pairs), len(pairs)),
                                        minlength=len(pairs)) for _ in range(rounds)])
        resampled = np.tensordot(weights, per_page, axes=1)   # rounds x 5 x 5
        samples = _kappas(resampled)
    table = {}
    for k, key in enumerate(keys):
        support = int(total.sum()) if key == "all" else int(total[k].sum())
        low = high = None
        if samples is not None:
            values = samples[:, k][~np.isnan(samples[:, k])]
            if len(values):
                low, high = (round(float(x), 3) for x in np.percentile(values, [2.5, 97.5]))
        value = float(point[k])
        table[key] = {"kappa": None if np.isnan(value) else round(value, 3),
                      "ci95": [low, high], "support": support}
    return {"pages": len(pairs), "blocks": int(total.sum()), "classes": table}


def _paired(first: dict, blind: dict) -> tuple[list, list]:
    labels = {(x, k): label for x, k, label in first["blocks"]}
    a, b = [], []
    for xpath, key, label in blind["blocks"]:
        if (xpath, key) in labels:
            a.append(labels[(xpath, key)])
            b.append(label)
    return a, b


def agreement(rounds: int = 1000, pages: set[str] | None = None) -> dict:
    """Scores of the blind re-labels in ``datasets/agreement/`` (see the module doc), of
    every page or only of ``pages``.

    ``frozen``: against the review versions the blind labels were made for (the figure to
    report); ``intact``: only pages whose review was not edited since; ``current``: against
    today's reviews, edited or not (for comparison only).  Each has ``all`` and
    ``by_source`` tables.
    """
    folder = corpus_dir() / "agreement"
    frozen = load_frozen()
    copies: dict[str, Path] = {}
    if (folder / FROZEN_COPIES).is_dir():
        for path in (folder / FROZEN_COPIES).glob("*.json"):
            copies[file_sha256(path)] = path
    sets: dict[str, list] = {"frozen": [], "intact": [], "current": []}
    edited, unscorable = [], []
    for path in sorted(folder.glob("*__*.json")):
        blind = json.loads(path.read_text())
        page_id = blind["page_id"]
        if pages is not None and page_id not in pages:
            continue
        review = corpus_dir() / "reviews" / path.name
        want = blind.get("frozen_review_sha256") or (frozen.get(page_id) or {}).get("sha256")
        current = json.loads(review.read_text()) if review.is_file() else None
        if current is not None:
            sets["current"].append((page_id, *_paired(current, blind)))
        if want is None:
            unscorable.append(f"{page_id}: no frozen review hash")
            continue
        if current is not None and file_sha256(review) == want:  # the review file exists
            pair = (page_id, *_paired(current, blind))
            sets["intact"].append(pair)
            sets["frozen"].append(pair)
        elif want in copies:
            edited.append(page_id)
            sets["frozen"].append((page_id, *_paired(json.loads(copies[want].read_text()), blind)))
        else:
            edited.append(page_id)
            unscorable.append(f"{page_id}: review edited after freezing and no frozen copy")
    result: dict = {"edited_after_blind": edited, "not_scored": unscorable}
    for name, pairs in sets.items():
        by_source: dict[str, list] = defaultdict(list)
        for pair in pairs:
            by_source[pair[0].split("/", 1)[0]].append(pair)
        result[name] = {"all": kappa_table(pairs, rounds),
                        "by_source": {s: kappa_table(p, rounds) for s, p in sorted(by_source.items())}}
    return result


def format_agreement(result: dict) -> str:
    """The agreement figures as Markdown tables (the dataset card's format)."""
    def fmt(table: dict) -> list[str]:
        rows = ["| class | kappa | 95% CI (pages resampled) | blocks (first review) |",
                "|---|---|---|---|"]
        for key in list(LABELS) + ["all"]:
            cell = table["classes"][key]
            lo, hi = cell["ci95"]
            ci = "–" if lo is None else f"{lo:.3f}–{hi:.3f}"
            k = "–" if cell["kappa"] is None else f"{cell['kappa']:.3f}"
            name = "all four (multi-class)" if key == "all" else key
            rows.append(f"| {name} | {k} | {ci} | {cell['support']:,} |")
        return rows

    out: list[str] = []
    titles = {"frozen": "Against the reviews as frozen for the blind labels (the figure to use)",
              "intact": "Only pages whose review was not edited after the blind labels",
              "current": "Against today's reviews, edited or not (for comparison only)"}
    for name in ("frozen", "intact", "current"):
        block = result[name]
        out.append(f"**{titles[name]}**: {block['all']['pages']} pages, "
                   f"{block['all']['blocks']:,} blocks.\n")
        out.extend(fmt(block["all"]))
        for source, table in block["by_source"].items():
            out.append(f"\n{source}: {table['pages']} pages, {table['blocks']:,} blocks\n")
            out.extend(fmt(table))
        out.append("")
    if result["edited_after_blind"]:
        out.append("Reviews edited after the blind labels were made: "
                   + ", ".join(f"`{p}`" for p in result["edited_after_blind"]) + ".")
    if result["not_scored"]:
        out.append("Not scored: " + "; ".join(result["not_scored"]) + ".")
    return "\n".join(out).rstrip()


# --------------------------------------------------------------------------- sample


def _page_types() -> dict[str, str]:
    """Page id -> page type, from the review plans (``review-plan*.json``)."""
    types: dict[str, str] = {}
    for plan in sorted(corpus_dir().glob("review-plan*.json")):
        for page in json.loads(plan.read_text())["pages"]:
            types.setdefault(page["page_id"], page["page_type"])
    return types


def blind_sample(reviewer_prefixes: list[str], fraction: float, seed: int,
                 n_batches: int = 1) -> dict:
    """A random share of the pages that the reviewers named by ``reviewer_prefixes`` saved,
    for blind re-labels: drawn within each (source, page type) stratum in proportion to
    its size (largest remainders), with ``random.Random(seed)``, and split into
    ``n_batches`` batches of balanced block totals. Pages already re-labelled blind are
    left out."""
    import random

    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    done = {json.loads(path.read_text())["page_id"]
            for path in (corpus_dir() / "agreement").glob("*__*.json")}
    types = _page_types()
    strata: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
    for path in sorted((corpus_dir() / "reviews").glob("*__*.json")):
        review = json.loads(path.read_text())
        page_id = review["page_id"]
        if page_id in done or not str(review.get("reviewer", "")).startswith(
                tuple(reviewer_prefixes)):
            continue
        key = (page_id.split("/", 1)[0], types.get(page_id, "article"))
        strata[key].append((page_id, len(review["blocks"])))
    total = sum(map(len, strata.values()))
    target = round(fraction * total)
    exact = {key: fraction * len(pages) for key, pages in strata.items()}
    quota = {key: int(share) for key, share in exact.items()}
    by_remainder = sorted(exact, key=lambda key: (-(exact[key] - quota[key]), key))
    for key in by_remainder[:target - sum(quota.values())]:
        quota[key] += 1
    rng = random.Random(seed)
    picked = [page for key in sorted(strata) for page in rng.sample(strata[key], quota[key])]
    batches: list[dict[str, Any]] = [{"pages": [], "blocks": 0} for _ in range(n_batches)]
    for page_id, n_blocks in sorted(picked, key=lambda page: (-page[1], page[0])):
        lightest = min(batches, key=lambda batch: batch["blocks"])
        lightest["pages"].append(page_id)
        lightest["blocks"] += n_blocks
    return {"about": (f"Pages re-labelled blind for agreement: {fraction:.0%} of the {total} "
                      f"pages reviewed by {', '.join(p + '*' for p in reviewer_prefixes)}, "
                      f"drawn at random (seed {seed}) within each (source, page type) "
                      "stratum in proportion to its size (boilerkit.datasets.review sample)."),
            "pages": sorted(page_id for page_id, _ in picked),
            "strata": {f"{source}/{kind}": [len(strata[source, kind]), quota[source, kind]]
                       for source, kind in sorted(strata)},
            "batches": [sorted(batch["pages"]) for batch in batches]}


# --------------------------------------------------------------------------- changes


def review_changes() -> dict:
    """How the reviews changed the transferred labels: blocks reviewed, changed, old -> new."""
    from .corpus import apply_review, load_review

    changes: Counter = Counter()
    pages = blocks_reviewed = 0
    wanted = sorted(json.loads(p.read_text())["page_id"]
                    for p in (corpus_dir() / "reviews").glob("*__*.json"))
    for page in load_pages(wanted):
        review = load_review(page.page_id)
        if not review or not review["blocks"] or review.get("sha256") != page.sha256:
            continue
        blocks = build_blocks(parse_html(page.html, max_bytes=None))
        transferred = transfer_labels(page, blocks).labels
        reviewed, provenance = list(transferred), [None] * len(blocks)
        apply_review(blocks, reviewed, provenance, review)
        pages += 1
        blocks_reviewed += len(blocks)
        changes.update(f"{old or '-'} -> {new or '-'}"
                       for old, new in zip(transferred, reviewed) if old != new)
    return {"pages": pages, "blocks": blocks_reviewed, "changed": sum(changes.values()),
            "changes": dict(changes.most_common())}


def tally(reviewer_prefix: str) -> dict:
    """What the reviewers whose name starts with ``reviewer_prefix`` saved: pages, sites
    and splits (from the committed annotations), blocks per label, and the pages
    without a comment block (the dataset card's figures for a review round)."""
    from .corpus import iter_records

    reviews = [json.loads(path.read_text())
               for path in sorted((corpus_dir() / "reviews").glob("*__*.json"))]
    reviews = [r for r in reviews if str(r.get("reviewer", "")).startswith(reviewer_prefix)]
    wanted = {r["page_id"] for r in reviews}
    records = {record["page_id"]: record
               for record in iter_records(sorted({pid.split("/")[0] for pid in wanted}))
               if record["page_id"] in wanted}
    labels = Counter(label for r in reviews for _, _, label in r["blocks"])
    return {"pages": len(reviews), "sites": len({rec["site"] for rec in records.values()}),
            "by_split": dict(Counter(rec["split"] for rec in records.values())),
            "blocks": sum(labels.values()), "labels": dict(labels),
            "pages_without_comment": sum(all(label != "comment" for _, _, label in r["blocks"])
                                         for r in reviews)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m boilerkit.datasets.review",
                                     description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    show_cmd = commands.add_parser("show", help="print a page's blocks with pre-filled labels")
    show_cmd.add_argument("page_id")
    show_cmd.add_argument("--blind", action="store_true", help="hide pre-filled labels")
    show_cmd.add_argument("--width", type=int, default=100, help="characters of text per block")
    show_cmd.add_argument("--saved", action="store_true",
                          help="show the labels of the saved review instead of the pre-filled ones")
    save_cmd = commands.add_parser("save", help="save the reviewed labels of a page")
    save_cmd.add_argument("page_id")
    save_cmd.add_argument("--reviewer", required=True, help="your name or helper id")
    save_cmd.add_argument("--reviewer-kind", required=True, choices=sorted(REVIEWER_KINDS),
                          help="model: a model-based reviewer (helper session); human: a person")
    save_cmd.add_argument("--set", dest="assignments", action="append", default=[],
                          metavar="A[-B]=LABEL", help="label blocks A..B (inclusive); repeatable")
    save_cmd.add_argument("--blind", action="store_true", help="a blind re-label for agreement")
    commands.add_parser("freeze", help="record the sha256 of every review not frozen yet")
    kappa_cmd = commands.add_parser("kappa", help="Cohen's kappa of blind re-labels vs frozen reviews")
    kappa_cmd.add_argument("--json", action="store_true")
    kappa_cmd.add_argument("--sample", type=Path, metavar="FILE",
                           help="only the pages of this sample file (e.g. "
                                "datasets/agreement/blind-sample-2.json)")
    commands.add_parser("changes", help="how the reviews changed the transferred labels")
    tally_cmd = commands.add_parser("tally", help="what a round of reviewers saved")
    tally_cmd.add_argument("reviewer_prefix", help="e.g. helper-r4- for helper-r4-1 ... -8")
    sample_cmd = commands.add_parser("sample", help="draw pages for blind re-labels (JSON on stdout)")
    sample_cmd.add_argument("reviewer_prefixes", nargs="+", metavar="REVIEWER_PREFIX",
                            help="sample the pages these reviewers saved, e.g. helper-r4-")
    sample_cmd.add_argument("--fraction", type=float, default=0.1, help="share of the pages")
    sample_cmd.add_argument("--seed", type=int, required=True, help="seed of the draw")
    sample_cmd.add_argument("--batches", type=int, default=1, help="number of batches")
    args = parser.parse_args(argv)
    if args.command == "show":
        if args.saved and args.blind:
            parser.error("--saved and --blind exclude each other")
        show(args.page_id, blind=args.blind, width=args.width, saved=args.saved)
    elif args.command == "save":
        save(args.page_id, args.reviewer, args.assignments, blind=args.blind,
             reviewer_kind=args.reviewer_kind)
    elif args.command == "freeze":
        result = freeze()
        print(f"froze {len(result['frozen'])} reviews; edited since frozen: "
              f"{', '.join(result['edited_since_frozen']) or 'none'}")
    elif args.command == "kappa":
        sampled = set(json.loads(args.sample.read_text())["pages"]) if args.sample else None
        result = agreement(pages=sampled)
        if args.json:
            json.dump(result, sys.stdout, indent=1)
            print()
        else:
            print(format_agreement(result))
    elif args.command == "sample":
        try:
            drawn = blind_sample(args.reviewer_prefixes, args.fraction, args.seed, args.batches)
        except ValueError as error:
            parser.error(str(error))
        json.dump(drawn, sys.stdout, indent=1)
        print()
    elif args.command == "tally":
        json.dump(tally(args.reviewer_prefix), sys.stdout, indent=1)
        print()
    else:
        json.dump(review_changes(), sys.stdout, indent=2)
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
