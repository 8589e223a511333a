"""Access to the staged, annotated web-page datasets (see :mod:`.sources`)."""

from .sources import (
    SKIPPED, SOURCES, DatasetNotFound, SourcePage, cache_root, data_root, iter_pages,
    load_source, parse_cleaneval_gold, registered_domain, split_dragnet_gold,
    strip_krdwrd_annotation,
)

__all__ = [
    "DatasetNotFound", "SKIPPED", "SOURCES", "SourcePage", "cache_root", "data_root",
    "iter_pages", "load_source", "parse_cleaneval_gold", "registered_domain",
    "split_dragnet_gold", "strip_krdwrd_annotation",
]
