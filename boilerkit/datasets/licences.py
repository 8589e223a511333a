"""The licence of every dataset, in one place, and what it allows.

``default_model_allowed`` says whether the default model shipped in the MIT package may be
trained on the source (and whether its labels may pre-fill a review).  Sources that are not
allowed stay usable for evaluation and for a separately named research model.  Allowed
sources are trained on in their ``train`` split only.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SourceLicence", "LICENCES", "licence", "default_model_sources", "credits"]


@dataclass(frozen=True)
class SourceLicence:
    """Licence record of one source."""

    name: str                      # the dataset's own name
    licence: str                   # SPDX identifier where there is one
    default_model_allowed: bool    # may the default (MIT) model train on it
    credit: str                    # the attribution line to print where it is used
    note: str = ""                 # why, when it is not plain


LICENCES: dict[str, SourceLicence] = {
    "kreuzer": SourceLicence(
        "Kreuzer web page segmentation sets", "LicenseRef-PublicDomain", True,
        "R. Kreuzer, web page segmentation data sets (github.com/rkrzr, public domain; "
        "attribution encouraged)"),
    "readability": SourceLicence(
        "Mozilla Readability test pages", "Apache-2.0", True,
        "Mozilla Readability test pages (github.com/mozilla/readability, Apache-2.0)",
        "repository licence; the pages are third-party content"),
    "trafilatura-eval": SourceLicence(
        "trafilatura evaluation set", "Apache-2.0", True,
        "trafilatura evaluation data by Adrien Barbaresi (github.com/adbar/trafilatura, "
        "Apache-2.0)", "repository licence; the pages are third-party content"),
    "postlight-fixtures": SourceLicence(
        "Postlight Parser fixtures", "Apache-2.0 OR MIT", True,
        "Postlight Parser test fixtures (github.com/postlight/parser, Apache-2.0 / MIT)",
        "repository licence; the pages are third-party content"),
    "fundus-eval": SourceLicence(
        "Fundus evaluation set", "MIT", True,
        "Fundus evaluation set, (c) 2024 Conrad Dobberstein (github.com/dobbersc/"
        "fundus-evaluation, MIT)", "the pages are third-party content"),
    "fundus-tests": SourceLicence(
        "Fundus parser test data", "MIT", True,
        "Fundus parser test data (github.com/flairNLP/fundus, MIT)",
        "the pages are third-party content"),
    "wcxb": SourceLicence(
        "WCXB: Web Content Extraction Benchmark v1.0", "CC-BY-4.0", True,
        "WCXB v1.0 by Murrough Foley, CC BY 4.0 (github.com/Murrough-Foley/"
        "web-content-extraction-benchmark); labels derived from it",
        "attribution required wherever the model or the labels are distributed"),
    "l3s-gn1": SourceLicence(
        "L3S-GN1 (Google News 2008)", "LicenseRef-research-only", False,
        "L3S-GN1 by Kohlschütter, Fankhauser, Nejdl (WSDM 2010; research use only)"),
    "big9-chaos": SourceLicence(
        "Big9 and Chaos extraction sets", "LicenseRef-research-only", False,
        "Big9/Chaos extraction sets by Utomo & Leu (research use only)"),
    "dragnet": SourceLicence(
        "Dragnet data", "AGPL-3.0-only", False,
        "Dragnet data (seomoz/dragnet_data, AGPLv3)",
        "copyleft: a model trained on it would carry AGPL obligations"),
    "canola": SourceLicence(
        "KrdWrd CANOLA", "CC-BY-SA-4.0", False,
        "KrdWrd CANOLA corpus (CC BY-SA 4.0)", "share-alike conflicts with an MIT model"),
    "cleaneval": SourceLicence(
        "CleanEval 2007", "LicenseRef-none-stated", False,
        "CleanEval 2007 shared task data (no licence stated)"),
    "cleanportaleval": SourceLicence(
        "CleanPortalEval (GoldMiner 2013)", "LicenseRef-none-stated", False,
        "CleanPortalEval data (no licence stated)"),
    "htmltotext-benchmark": SourceLicence(
        "htmltotext benchmark", "LicenseRef-none-stated", False,
        "htmltotext benchmark (no licence stated)", "staged, no loader"),
}


def licence(source: str) -> SourceLicence:
    """The licence record of a source (``KeyError`` for an unknown one)."""
    try:
        return LICENCES[source]
    except KeyError:
        raise KeyError(f"no licence record for source {source!r}") from None


def default_model_sources() -> tuple[str, ...]:
    """Sources the default model may be trained on (their ``train`` split)."""
    return tuple(name for name, rec in LICENCES.items() if rec.default_model_allowed)


def credits(sources=None) -> list[str]:
    """Credit lines of the given sources (default: every allowed one)."""
    names = default_model_sources() if sources is None else sources
    return [LICENCES[name].credit for name in names]
