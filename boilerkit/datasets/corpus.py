"""The labelled corpus: block labels for the staged datasets, with splits.

``python -m boilerkit.datasets build`` rebuilds it from the shared data:
every page of every source is parsed, cut into blocks, labelled by the
source's transfer rule (:mod:`boilerkit.datasets.transfer`), overridden by
the human review of that page where one exists (``datasets/reviews/``), and
written to ``datasets/annotations/<source>.jsonl.gz``, one page per line::

    {"page_id": ..., "source": ..., "site": ..., "split": "train|dev|test",
     "sha256": <of the page HTML>, "labelled_by": "mapped|reviewed",
     "blocks": [[xpath, label or null, provenance or null], ...]}

The HTML itself stays in the shared data and is found again by page id and
checked by hash. Splits are by site (registered domain): every site is in
exactly one split, fixed in ``datasets/splits.json``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
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
from .transfer import transfer_labels

CORPUS_ENV = "BOILERKIT_CORPUS"
#: Sources whose pages may be trained on; the others are for evaluation only.
TRAINING_SOURCES = ("l3s-gn1", "kreuzer", "dragnet", "cleaneval", "cleanportaleval", "canola",
                    "big9-chaos")
SPLIT_SHARES = (("train", 70), ("dev", 10), ("test", 20))


class CorpusError(BoilerkitError):
    """The committed annotations do not match the shared data."""


def corpus_dir() -> Path:
    """The repository's ``datasets/`` folder (``BOILERKIT_CORPUS`` overrides it)."""
    if os.environ.get(CORPUS_ENV):
        return Path(os.environ[CORPUS_ENV])
    here = Path("datasets")
    if (here / "GUIDELINE.md").is_file():
        return here.resolve()
    return Path(__file__).resolve().parents[2] / "datasets"


def _splits_path() -> Path:
    return corpus_dir() / "splits.json"


def hashed_split(site: str) -> str:
    """The split a site falls in by the hash rule: 70% train, 10% dev, 20% test."""
    bucket = int(hashlib.sha1(site.encode("utf-8")).hexdigest(), 16) % 100
    for split, share in SPLIT_SHARES:
        if bucket < share:
            return split
        bucket -= share
    return "test"


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


def _record(page: SourcePage, splits: dict[str, str]) -> tuple[dict, dict]:
    try:
        blocks, labels, provenance, stats = label_page(page)
    except BoilerkitError as error:  # unparseable pages are reported, not fatal
        return {}, {"page_id": page.page_id, "error": str(error)}
    record = {
        "page_id": page.page_id, "source": page.source, "site": page.site,
        "split": split_of(page, splits), "sha256": page.sha256,
        "labelled_by": "reviewed" if stats["reviewed"] else "mapped",
        "blocks": [[b.xpath, label, prov] for b, label, prov in zip(blocks, labels, provenance)],
    }
    return record, stats


def _record_worker(args: tuple[SourcePage, dict[str, str]]) -> tuple[dict, dict]:
    return _record(*args)


def annotations_path(source: str) -> Path:
    return corpus_dir() / "annotations" / f"{source}.jsonl.gz"


def build(sources: Iterable[str] | None = None, workers: int = 2, progress=None) -> dict:
    """Rebuild the annotation files of ``sources`` (all by default); return statistics."""
    splits = load_splits()
    summary: dict[str, dict] = {}
    for source in sources or SOURCES:
        out = annotations_path(source)
        out.parent.mkdir(parents=True, exist_ok=True)
        counts: Counter = Counter()
        errors = []
        new_sites: dict[str, str] = {}
        tmp = out.with_suffix(".tmp")
        pages = ((page, splits) for page in load_source(source))
        with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=9) as handle, \
                ProcessPoolExecutor(max_workers=workers) as pool:
            for record, stats in pool.map(_record_worker, pages, chunksize=4):
                if not record:
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
        summary[source] = {**counts, "errors": errors}
    _splits_path().write_text(json.dumps(dict(sorted(splits.items())), indent=0) + "\n")
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
            record = wanted.get(page.page_id)
            if record is not None:
                yield record, page


def read_records(records: Iterable[dict]):
    """Turn annotation records into :class:`~boilerkit.labelled.LabelledPage` objects.

    The page's HTML is loaded from the shared data and checked against the
    recorded sha256 and block XPaths, so a drifted block definition is caught.
    """
    for record, page in _pages_for(list(records)):
        if page.sha256 != record["sha256"]:
            raise CorpusError(f"{page.page_id}: HTML hash differs from the annotation")
        blocks = build_blocks(parse_html(page.html, max_bytes=None))
        if [b.xpath for b in blocks] != [xpath for xpath, _, _ in record["blocks"]]:
            raise CorpusError(f"{page.page_id}: blocks differ from the annotation; rebuild the "
                              "corpus with `python -m boilerkit.datasets build`")
        yield LabelledPage(
            page_id=record["page_id"], source=record["source"], site=record["site"],
            split=record["split"], blocks=blocks,
            labels=[label for _, label, _ in record["blocks"]],
            provenance=[prov for _, _, prov in record["blocks"]],
        )


def read_annotations(path: str | Path, split: str | None = None):
    """LabelledPages of one annotation file (``*.jsonl`` or ``*.jsonl.gz``)."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    if split is not None:
        records = [r for r in records if r["split"] == split]
    yield from read_records(records)


def read_labelled(paths, **options) -> list[LabelledPage]:
    """:func:`boilerkit.labelled.read_labelled` that also reads corpus annotation files."""
    return labelled.read_labelled(paths, corpus_reader=read_annotations, **options)


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
        if source in TRAINING_SOURCES:
            totals.setdefault(split, Counter()).update(counter)
        lines.append("| " + " | ".join([source, split, str(counter["pages"]),
                                          str(counter["reviewed"])]
                                         + [str(counter[label]) for label in COUNT_LABELS]) + " |")
    for split in ("train", "dev", "test"):
        counter = totals.get(split, Counter())
        lines.append("| **training sources** | " + " | ".join([f"**{split}**", str(counter["pages"]),
                                                  str(counter["reviewed"])]
                                                 + [str(counter[label]) for label in COUNT_LABELS])
                     + " |")
    return "\n".join(lines)
