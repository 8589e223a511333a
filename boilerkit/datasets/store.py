"""Where the staged datasets live, the unpack cache, and the page record.

* ``BOILERKIT_DATA``: the folder holding the staged datasets (one subfolder per source,
  each with its own ``README.md``).  Default: ``../shared/datasets`` relative to the current
  working directory.  The originals are only ever read, never modified.
* ``BOILERKIT_CACHE``: where compressed members (``*.tar.xz``, ``*.tar.gz``) are unpacked,
  once.  Default: ``~/.cache/boilerkit/datasets``.
* ``BOILERKIT_CORPUS``: the repository's ``datasets/`` folder (annotations, splits, reviews,
  site table); default: ``./datasets`` when it holds ``GUIDELINE.md``, else the one next to
  the package.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import re
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BoilerkitError

log = logging.getLogger("boilerkit.datasets.sources")

DATA_ENV = "BOILERKIT_DATA"
CACHE_ENV = "BOILERKIT_CACHE"
DEFAULT_DATA = Path("..") / "shared" / "datasets"
_MARKER = ".boilerkit-unpacked"
CORPUS_ENV = "BOILERKIT_CORPUS"


class DatasetNotFound(BoilerkitError, FileNotFoundError):
    """The staged dataset folder (``BOILERKIT_DATA``) or a file in it is missing."""


@dataclass(frozen=True)
class SourcePage:
    """One annotated page of a staged dataset."""

    page_id: str                       # "<source>/<id>", stable and unique
    source: str                        # dataset name, a key of SOURCES
    url: str | None                    # page URL when known
    site: str                          # publisher identity (see boilerkit.datasets.sites)
    html: bytes = field(repr=False, hash=False)   # raw page bytes to classify
    sha256: str                        # hex sha256 of html
    gold: dict = field(repr=False, hash=False)    # source-specific gold (see module doc)


#: Per-source counts of skipped items from the latest *complete* pass of each loader,
#: e.g. ``SKIPPED["kreuzer"] == {"no_orig": 8, "orig_without_blocks": 5}``.
SKIPPED: dict[str, dict[str, int]] = {}


# --------------------------------------------------------------------------- paths


def data_root() -> Path:
    """Absolute path of the staged datasets folder (env ``BOILERKIT_DATA``).

    Raises :class:`DatasetNotFound` when the folder does not exist.
    """
    env = os.environ.get(DATA_ENV)
    path = Path(env).expanduser() if env else DEFAULT_DATA
    path = Path(os.path.abspath(path)).resolve()
    if not path.is_dir():
        how = f"{DATA_ENV}={env!r}" if env else f"{DATA_ENV} is unset, default {DEFAULT_DATA}"
        raise DatasetNotFound(
            f"dataset folder {path} not found ({how}); set the environment variable "
            f"{DATA_ENV} to the folder holding the staged datasets")
    return path


def cache_root() -> Path:
    """Absolute path of the unpack cache (env ``BOILERKIT_CACHE``, default
    ``~/.cache/boilerkit/datasets``).  Not created here."""
    env = os.environ.get(CACHE_ENV)
    path = Path(env).expanduser() if env else Path.home() / ".cache" / "boilerkit" / "datasets"
    return Path(os.path.abspath(path))


def _source_dir(folder: str) -> Path:
    path = data_root() / folder
    if not path.is_dir():
        raise DatasetNotFound(f"dataset subfolder {path} not found (under {DATA_ENV})")
    return path


def _require(path: Path) -> Path:
    if not path.exists():
        raise DatasetNotFound(f"expected dataset file {path} not found (under {DATA_ENV})")
    return path


def _archive_stem(name: str) -> str:
    for ext in (".tar.xz", ".tar.gz", ".tgz", ".tar.bz2", ".tar"):
        if name.endswith(ext):
            return name[: -len(ext)]
    return name


def _unpacked(archive: Path, source: str) -> Path:
    """Unpack ``archive`` once into ``<cache>/<source>/<stem>/`` and return that folder.

    Extraction goes to a temporary sibling folder that is renamed into place after a
    complete extraction, with a marker file; an interrupted unpack therefore never looks
    complete.  A folder whose marker does not match the archive (name, size, mtime) is
    replaced.  Safe against concurrent callers (the loser of the rename race discards its
    copy).
    """
    _require(archive)
    st = archive.stat()
    stamp = f"{archive.name}\t{st.st_size}\t{st.st_mtime_ns}\n"
    parent = cache_root() / source
    dest = parent / _archive_stem(archive.name)
    marker = dest / _MARKER

    def complete() -> bool:
        try:
            return marker.read_text(encoding="utf-8") == stamp
        except OSError:
            return False

    if complete():
        return dest
    parent.mkdir(parents=True, exist_ok=True)
    log.info("unpacking %s into %s", archive, dest)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{dest.name}-", dir=parent))
    try:
        with tarfile.open(archive) as tf:
            tf.extractall(tmp, filter="data")
        (tmp / _MARKER).write_text(stamp, encoding="utf-8")
        os.chmod(tmp, 0o755)                           # mkdtemp makes it private
        if dest.exists() and not complete():           # stale or foreign: move it aside
            stale = Path(tempfile.mkdtemp(prefix=f".stale-{dest.name}-", dir=parent))
            try:
                os.replace(dest, stale / "old")
            except OSError:
                pass                                   # someone else replaced it meanwhile
            shutil.rmtree(stale, ignore_errors=True)
        try:
            os.rename(tmp, dest)
        except OSError:
            if not complete():                         # lost a race to a broken copy
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return dest


def corpus_dir() -> Path:
    """The repository's ``datasets/`` folder (``BOILERKIT_CORPUS`` overrides it)."""
    if os.environ.get(CORPUS_ENV):
        return Path(os.environ[CORPUS_ENV])
    here = Path("datasets")
    if (here / "GUIDELINE.md").is_file():
        return here.resolve()
    return Path(__file__).resolve().parents[2] / "datasets"


# --------------------------------------------------------------------------- helpers


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _natural_key(text: str) -> tuple:
    return tuple((0, int(tok), "") if tok.isdigit() else (1, 0, tok)
                 for tok in re.split(r"(\d+)", text) if tok)


def _decode_text(data: bytes) -> str:
    """UTF-8 (BOM dropped), else cp1252, else Latin-1; newlines normalised to ``\\n``."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    return text.replace("\r\n", "\n").replace("\r", "\n")



def _gunzip(path: Path) -> bytes:
    """The bytes of a ``.gz`` member (small single files are read in memory, not cached)."""
    with gzip.open(_require(path), "rb") as handle:
        return handle.read()
