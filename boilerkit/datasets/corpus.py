"""The labelled corpus: block labels for the staged datasets, with splits.

``python -m boilerkit.datasets build`` rebuilds it from the shared data:
every page of every source is parsed, cut into blocks, labelled by the
source's transfer rule (:mod:`boilerkit.datasets.transfer`), overridden by
the review of that page where one exists (``datasets/reviews/``), and
written to ``datasets/annotations/<source>.jsonl.gz``, one page per line::

    {"page_id": ..., "source": ..., "site": ..., "split": "train|dev|test",
     "sha256": <of the page HTML>, "labelled_by": "mapped|reviewed",
     "blocks": [[xpath, label or null, provenance or null], ...]}

The HTML itself stays in the shared data and is found again by page id and
checked by hash. Pages whose gold does not match their HTML are left out and
listed in ``datasets/dropped.json``. Splits are by site (the publisher,
:mod:`.sites`): every site is in exactly one split, fixed in
``datasets/splits.json`` by the rules of :mod:`.splits`.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from ..blocks import Block, build_blocks
from ..errors import BoilerkitError
from .. import labelled
from ..labelled import LabelledPage
from ..parse import parse_html
from .sources import SOURCES, SourcePage, load_source
from .store import CORPUS_ENV, corpus_dir  # noqa: F401  (re-exported)
from .licences import default_model_sources
from .splits import hashed_split, plan_splits  # noqa: F401  (hashed_split re-exported)
from .transfer import transfer_labels

#: Sources the default (MIT) model may be trained on, in their train split (see
#: :mod:`.licences`); every source serves evaluation and the research model.
DEFAULT_MODEL_SOURCES = tuple(name for name in default_model_sources() if name in SOURCES)
#: A page whose gold is found in its HTML below this share (gold tokens in aligned runs;
#: snippets found; annotated characters carried over) has another page's gold, or the
#: HTML lost the content: it is dropped unless a person reviewed it.
MIN_GOLD_COVERAGE = 0.5


class CorpusError(BoilerkitError):
    """The committed annotations do not match the shared data."""


def _splits_path() -> Path:
    return corpus_dir() / "splits.json"


def load_splits() -> dict[str, str]:
    path = _splits_path()
    return json.loads(path.read_text()) if path.is_file() else {}


def split_of(page: SourcePage, splits: dict[str, str] | None = None) -> str:
    """The split of a page: the committed split of its site, else the hash rule."""
    splits = load_splits() if splits is None else splits
    return splits.get(page.site) or hashed_split(page.site)


def text_key(text: str) -> str:
    """A short hash of a block's text, stored with reviews to find the block again."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]


def review_path(page_id: str) -> Path:
    return corpus_dir() / "reviews" / (page_id.replace("/", "__") + ".json")


def load_review(page_id: str) -> dict | None:
    path = review_path(page_id)
    return json.loads(path.read_text()) if path.is_file() else None


def apply_review(blocks: list[Block], labels: list, provenance: list, review: dict) -> int:
    """Override labels with the reviewed ones, matching blocks by XPath and text hash.

    Returns how many reviewed blocks were found again (the rest are lost, e.g.
    after a change of the block definition).
    """
    by_key: dict[tuple[str, str], list[int]] = {}
    for i, block in enumerate(blocks):
        by_key.setdefault((block.xpath, text_key(block.text)), []).append(i)
    found = 0
    for xpath, key, label in review["blocks"]:
        slots = by_key.get((xpath, key))
        if slots:
            i = slots.pop(0)
            labels[i], provenance[i] = label, ("reviewed" if label is not None else None)
            found += 1
    return found


def label_page(page: SourcePage) -> tuple[list[Block], list, list, dict]:
    """Blocks of a page, their labels and provenance, and transfer statistics."""
    blocks = build_blocks(parse_html(page.html, max_bytes=None))
    transfer = transfer_labels(page, blocks)
    labels, provenance = list(transfer.labels), list(transfer.provenance)
    stats = dict(transfer.stats)
    review = load_review(page.page_id)
    stats["reviewed"] = False
    if review is not None and review.get("sha256") == page.sha256 and review["blocks"]:
        stats["reviewed"] = True
        stats["review_blocks_lost"] = len(review["blocks"]) - apply_review(
            blocks, labels, provenance, review)
    return blocks, labels, provenance, stats


def gold_coverage(stats: dict) -> float | None:
    """Share of a page's gold found in its HTML (``None`` when the page has no gold)."""
    if stats.get("gold_coverage") is not None:
        return float(stats["gold_coverage"])
    if stats.get("gold_unit") in ("token_chars", "snippet_chars"):
        return None
    chars = stats.get("gold_chars") or 0
    return 1.0 - stats.get("gold_chars_lost", 0) / chars if chars else None


def drop_reason(stats: dict) -> str | None:
    """Why a page is left out of the corpus (its gold does not match its HTML), or ``None``."""
    if stats.get("reviewed"):
        return None
    coverage = gold_coverage(stats)
    if coverage is not None and coverage < MIN_GOLD_COVERAGE:
        return (f"gold does not match the HTML: {coverage:.0%} of the gold found in the page "
                f"(minimum {MIN_GOLD_COVERAGE:.0%})")
    return None


def _record(page: SourcePage, splits: dict[str, str],
            by_hand: dict[str, str] | None = None) -> tuple[dict, dict]:
    if by_hand and page.page_id in by_hand:
        return {}, {"page_id": page.page_id, "dropped": f"by hand: {by_hand[page.page_id]}",
                    "site": page.site, "gold_coverage": None}
    try:
        blocks, labels, provenance, stats = label_page(page)
    except BoilerkitError as error:  # unparseable pages are reported, not fatal
        return {}, {"page_id": page.page_id, "error": str(error)}
    reason = drop_reason(stats)
    if reason:
        coverage = gold_coverage(stats)
        assert coverage is not None  # drop_reason drops only pages with too little coverage
        return {}, {"page_id": page.page_id, "dropped": reason, "site": page.site,
                    "gold_coverage": round(coverage, 3)}
    record = {
        "page_id": page.page_id, "source": page.source, "site": page.site,
        "split": split_of(page, splits), "sha256": page.sha256,
        "labelled_by": "reviewed" if stats["reviewed"] else "mapped",
        "blocks": [[b.xpath, label, prov] for b, label, prov in zip(blocks, labels, provenance)],
    }
    return record, stats


def _record_worker(args: tuple[SourcePage, dict[str, str], dict[str, str]]
                   ) -> tuple[dict, dict]:
    return _record(*args)


def annotations_path(source: str) -> Path:
    return corpus_dir() / "annotations" / f"{source}.jsonl.gz"


def _dropped_path() -> Path:
    return corpus_dir() / "dropped.json"


def load_dropped() -> dict[str, dict]:
    """``{page_id: {"source", "reason", "gold_coverage"}}`` of the pages left out."""
    path = _dropped_path()
    return json.loads(path.read_text()) if path.is_file() else {}


def load_drops_by_hand() -> dict[str, str]:
    """``{page_id: reason}`` of pages that are not the page their dataset meant (bot checks,
    error pages): no label of theirs can be right, whatever their gold says."""
    path = corpus_dir() / "drop-by-hand.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def update_splits(progress=None) -> list[str]:
    """Re-plan ``splits.json`` over the pages of every source (see :mod:`.splits`).

    Reads every page's site through the loaders and the pages' former splits from the
    committed annotations; writes the new ``splits.json`` (sites no page has any more
    are dropped from it) and returns the notes of merged and moved sites.
    """
    former = {r["page_id"]: r["split"] for r in iter_records()}
    for page_id, info in load_dropped().items():
        if info.get("split"):
            former.setdefault(page_id, info["split"])
    triples = []
    for source in SOURCES:
        for page in load_source(source):
            triples.append((page.page_id, page.source, page.site))
        if progress:
            progress(source, len(triples))
    splits, notes = plan_splits(triples, load_splits(), former)
    _splits_path().write_text(json.dumps(dict(sorted(splits.items())), indent=0) + "\n")
    return notes


def build(sources: Iterable[str] | None = None, workers: int = 2, progress=None) -> dict:
    """Rebuild the annotation files of ``sources`` (all by default); return statistics.

    Pages whose gold does not match their HTML (:func:`drop_reason`) and the pages of
    ``datasets/drop-by-hand.json`` are left out and listed in ``datasets/dropped.json``
    with the reason.  Sites without a split in
    ``splits.json`` get one by the hash rule; run :func:`update_splits` first to plan
    them by the rules of :mod:`.splits`.
    """
    splits = load_splits()
    dropped = load_dropped()
    by_hand = load_drops_by_hand()
    summary: dict[str, dict] = {}
    for source in sources or SOURCES:
        out = annotations_path(source)
        out.parent.mkdir(parents=True, exist_ok=True)
        counts: Counter = Counter()
        errors = []
        new_sites: dict[str, str] = {}
        dropped = {k: v for k, v in dropped.items() if v["source"] != source}
        tmp = out.with_suffix(".tmp")
        pages = ((page, splits, by_hand) for page in load_source(source))
        with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=9) as handle, \
                ProcessPoolExecutor(max_workers=workers) as pool:
            for record, stats in pool.map(_record_worker, pages, chunksize=4):
                if not record:
                    if "dropped" in stats:
                        site = stats.pop("site", None)
                        dropped[stats["page_id"]] = {
                            "source": source, "site": site, "split": splits.get(site),
                            "reason": stats["dropped"], "gold_coverage": stats["gold_coverage"]}
                    else:
                        errors.append(stats)
                    continue
                if record["site"] not in splits:
                    new_sites[record["site"]] = record["split"]
                handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
                counts["pages"] += 1
                counts[f"pages_{record['labelled_by']}"] += 1
                for key in ("blocks", "blocks_without_gold", "gold_chars", "gold_chars_lost",
                            "review_blocks_lost"):
                    counts[key] += int(stats.get(key, 0) or 0)
                for _, label, _ in record["blocks"]:
                    counts[f"{record['split']}:{label}"] += 1
                if progress:
                    progress(source, counts["pages"])
        tmp.replace(out)
        splits.update(new_sites)
        shares: dict[str, float] = {}
        if counts["blocks"]:
            shares["blocks_without_gold_share"] = round(
                counts["blocks_without_gold"] / counts["blocks"], 4)
        if counts["gold_chars"]:
            shares["gold_lost_share"] = round(counts["gold_chars_lost"] / counts["gold_chars"], 4)
        summary[source] = {**counts, **shares, "errors": errors,
                           "dropped": {k: v["reason"] for k, v in dropped.items()
                                       if v["source"] == source}}
    _splits_path().write_text(json.dumps(dict(sorted(splits.items())), indent=0) + "\n")
    _dropped_path().write_text(json.dumps(dict(sorted(dropped.items())), indent=1,
                                          ensure_ascii=False) + "\n")
    return summary


def iter_records(sources: Iterable[str] | None = None, split: str | None = None) -> Iterator[dict]:
    """The committed annotation records, optionally of one split."""
    for source in sources or SOURCES:
        path = annotations_path(source)
        if not path.is_file():
            continue
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                if split is None or record["split"] == split:
                    yield record


def _pages_for(records: list[dict]) -> Iterator[tuple[dict, SourcePage]]:
    by_source: dict[str, dict[str, dict]] = {}
    for record in records:
        by_source.setdefault(record["source"], {})[record["page_id"]] = record
    for source, wanted in by_source.items():
        for page in load_source(source):
            found = wanted.get(page.page_id)
            if found is not None:
                yield found, page


def read_records(records: Iterable[dict], keep_elements: bool = False):
    """Turn annotation records into :class:`~boilerkit.labelled.LabelledPage` objects.

    The page's HTML is loaded from the shared data and checked against the
    recorded sha256 and block XPaths, so a drifted block definition is caught.
    The blocks' lxml elements are dropped unless ``keep_elements`` is true, so
    that a large training set does not keep every parsed tree in memory.
    """
    for record, page in _pages_for(list(records)):
        if page.sha256 != record["sha256"]:
            raise CorpusError(f"{page.page_id}: HTML hash differs from the annotation")
        blocks = build_blocks(parse_html(page.html, max_bytes=None))
        if [b.xpath for b in blocks] != [xpath for xpath, _, _ in record["blocks"]]:
            raise CorpusError(f"{page.page_id}: blocks differ from the annotation; rebuild the "
                              "corpus with `python -m boilerkit.datasets build`")
        if not keep_elements:
            blocks.release_elements()
        yield LabelledPage(
            page_id=record["page_id"], source=record["source"], site=record["site"],
            split=record["split"], blocks=blocks,
            labels=[label for _, label, _ in record["blocks"]],
            provenance=[prov for _, _, prov in record["blocks"]],
        )


def read_annotations(path: str | Path, split: str | None = None, keep_elements: bool = False):
    """LabelledPages of one annotation file (``*.jsonl`` or ``*.jsonl.gz``)."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    if split is not None:
        records = [r for r in records if r["split"] == split]
    yield from read_records(records, keep_elements)


def read_labelled(paths, **options) -> list[LabelledPage]:
    """:func:`boilerkit.labelled.read_labelled` that also reads corpus annotation files."""
    keep = options.get("keep_elements", False)
    return labelled.read_labelled(
        paths, corpus_reader=lambda path: read_annotations(path, keep_elements=keep), **options)


def load_corpus(split: str | None = None, sources: Iterable[str] | None = None):
    """LabelledPages of the committed corpus, optionally one split of some sources."""
    yield from read_records(iter_records(sources, split))


COUNT_LABELS = ("article", "navigation", "teaser", "comment", "boilerplate", None)


def count_labels(sources: Iterable[str] | None = None) -> dict[tuple[str, str], Counter]:
    """Blocks per label, pages and reviewed pages, for every ``(source, split)``."""
    counts: dict[tuple[str, str], Counter] = {}
    for record in iter_records(sources):
        counter = counts.setdefault((record["source"], record["split"]), Counter())
        counter["pages"] += 1
        counter["reviewed"] += record["labelled_by"] == "reviewed"
        counter.update(label for _, label, _ in record["blocks"])
    return counts


def counts_table(counts: dict[tuple[str, str], Counter] | None = None) -> str:
    """The dataset card's table of blocks per label, per source and split (Markdown)."""
    counts = count_labels() if counts is None else counts
    header = ["source", "split", "pages", "reviewed", "article", "navigation", "teaser",
              "comment", "boilerplate", "unlabelled"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    totals: dict[str, Counter] = {}
    for (source, split), counter in sorted(counts.items()):
        if source in DEFAULT_MODEL_SOURCES:
            totals.setdefault(split, Counter()).update(counter)
        lines.append("| " + " | ".join([source, split, str(counter["pages"]),
                                          str(counter["reviewed"])]
                                         + [str(counter[label]) for label in COUNT_LABELS]) + " |")
    for split in ("train", "dev", "test"):
        counter = totals.get(split, Counter())
        lines.append("| **default-model sources** | " + " | ".join(
            [f"**{split}**", str(counter["pages"]), str(counter["reviewed"])]
            + [str(counter[label]) for label in COUNT_LABELS]) + " |")
    return "\n".join(lines)
