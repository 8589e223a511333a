"""Many pages at once: the machinery behind ``boilerkit extract`` and ``classify`` on many inputs.

:func:`run` takes the documents of :func:`boilerkit.inputs.iter_inputs` and
gives one :class:`Result` per document, **in input order**. With ``jobs > 1``
the pages are classified in worker processes, each with the model loaded
once. They fork from this process, which loads the model first, when that is
safe (:func:`fork_is_safe`: no other thread, no OpenMP runtime); otherwise
from a ``forkserver``, so that no worker inherits lock or OpenMP state.
Pages go to the workers in chunks of consecutive pages (one message each way
per chunk, not per page: the parent's share of the work is what limits the
speed-up), and at most ``window`` chunks are in flight, so
memory stays bounded on archives of any size. A page that fails, even one
that kills its worker process, becomes a :class:`Result` with ``error``: the
run goes on.

:func:`open_sink` writes results as JSON lines (stdout, ``.jsonl`` or
``.jsonl.gz``) or Parquet (``.parquet``, with the ``parquet`` extra).
"""

from __future__ import annotations

import functools
import gzip
import io
import json
import logging
import multiprocessing
import signal
import sys
import threading
import time
import warnings
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias, TypeGuard, cast

from ._extras import require
from .api import classify
from .errors import BoilerkitError
from .inputs import DEFAULT_MAX_BYTES, Document, Skipped
from .page import render
from .persistence import default_model, load_model
from .progress import Progress

log = logging.getLogger(__name__)

COMMANDS = ("extract", "classify")
OUTPUT_SUFFIXES = (".jsonl", ".jsonl.gz", ".parquet")
_PARQUET_ROWS = 1000  # rows per Parquet row group: bounded memory, reasonable file layout
#: Most pages in one chunk sent to a worker, and the size past which a chunk is sent
#: with fewer: enough to make the per-message cost small, few enough that the last
#: chunks of a run still keep every worker busy.
CHUNK_PAGES = 8
CHUNK_BYTES = 512 * 1024
#: What a worker gets per page: ``(data, url, content_type)``.
Payload: TypeAlias = tuple[bytes, str | None, str | None]


# -- the work done on one page ----------------------------------------------------


@functools.lru_cache(maxsize=4)
def cached_model(path: str | None = None):
    """The model at ``path`` (the pre-trained one for ``None``), loaded once per process."""
    return load_model(path) if path else default_model()


@dataclass(frozen=True)
class Job:
    """What to do with each page. Picklable: worker processes get a copy.

    ``command`` is ``"extract"`` (the blocks labelled ``labels``, rendered in
    ``format``, with the text of figures if ``figures``) or ``"classify"``
    (every block). ``model_path`` ``None`` means the pre-trained model. With
    ``record_json``, the text or blocks come back encoded where the page was
    classified: the value holds the JSON of the
    page's output record after its document fields (``"record_json"``)
    instead of ``"output"`` or ``"blocks"``, so that :class:`JsonlSink` only
    joins strings in the parent process.
    """

    command: str = "extract"
    labels: tuple[str, ...] = ("article",)
    format: str = "text"
    model_path: str | None = None
    max_bytes: int | None = DEFAULT_MAX_BYTES
    record_json: bool = False
    figures: bool = False

    def __post_init__(self) -> None:
        if self.command not in COMMANDS:
            raise ValueError(f"unknown command {self.command!r}; choose one of {COMMANDS}")

    def load_model(self):
        return cached_model(self.model_path)

    def __call__(self, data: bytes, url: str | None, content_type: str | None, model) -> dict:
        """Classify one page; return its title, timing and the rendered or full result."""
        start = time.perf_counter()
        page = classify(data, url, model=model, content_type=content_type,
                        max_bytes=self.max_bytes)
        if self.command == "classify":
            value = {"title": page.title, "blocks": page.to_dict()["blocks"]}
        else:
            chosen = page.blocks_with(self.labels, figures=self.figures)
            value = {"title": page.title, "n_blocks": len(chosen),
                     "output": render(chosen, self.format, page=page)}
        value["seconds"] = time.perf_counter() - start
        if self.record_json:
            value["record_json"] = json.dumps(_value_fields(self, value), ensure_ascii=False)
            # Not sent back as objects too: unpickling a page's blocks in the parent
            # would cost more than writing its line.
            del value["blocks" if self.command == "classify" else "output"]
        return value


def _error_value(error: BaseException) -> dict:
    if isinstance(error, BoilerkitError):
        return {"error": str(error), "error_type": type(error).__name__}
    # Not an input problem but a bug or a library failure: still only this page fails.
    return {"error": f"internal error: {type(error).__name__}: {error}",
            "error_type": type(error).__name__}


def _call(job: Job, payload: Payload, model) -> dict:
    try:
        return job(*payload, model)
    except Exception as error:  # noqa: BLE001 - one bad page must never stop the run
        return _error_value(error)


# -- worker processes ---------------------------------------------------------------

# Per-worker cache: the job and its model, set once by the pool's initializer.
_worker: dict = {}


def _init_worker(job: Job) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _worker["job"] = job
    _worker["model"] = job.load_model()


def _work(payload: Payload) -> dict:
    return _call(_worker["job"], payload, _worker["model"])


def _work_chunk(work: Callable[[Payload], dict], payloads: list[Payload]) -> list[dict]:
    """``work`` on each page of a chunk; an exception fails its page only, not the chunk."""
    values = []
    for payload in payloads:
        try:
            values.append(work(payload))
        except Exception as error:  # noqa: BLE001 - e.g. a ``work`` of the caller's that raises
            values.append(_error_value(error))
    return values


#: Shared libraries of OpenMP runtimes: libgomp can hang in a child forked from a process
#: that ran its thread pool (scikit-learn's training and batch prediction do).
_OPENMP_RUNTIMES = ("libgomp", "libomp", "libiomp")
# A page classified to build a model's prediction tables before workers start.
_WARM_PAGE = ("<html><body><p>A paragraph, classified to build the model's tables.</p>"
              "</body></html>")


def _loaded_libraries() -> str:
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            return maps.read()
    except OSError:
        return ""


def fork_is_safe() -> bool:
    """Whether worker processes may fork from this one: Linux, CPython 3.11 or later (whose
    process pool forks every worker before its own threads start), no Python thread besides
    the main one (none can hold a lock the child inherits) and no OpenMP runtime loaded.

    Native threads are not counted: numpy's OpenBLAS keeps a pool, which it shuts down
    and restarts around ``fork`` itself.
    """
    if (not sys.platform.startswith("linux") or sys.version_info < (3, 11)
            or threading.active_count() > 1):
        return False
    libraries = _loaded_libraries()
    return bool(libraries) and not any(name in libraries for name in _OPENMP_RUNTIMES)


def _start_method() -> str:
    if fork_is_safe():
        return "fork"
    methods = multiprocessing.get_all_start_methods()
    return "forkserver" if "forkserver" in methods else "spawn"


def warm(job: Job) -> None:
    """Load the job's model and build its prediction tables, so that workers forked from
    this process start with both (a quarter of a second each otherwise). Errors are left
    to the workers, which report them per page."""
    try:
        classify(_WARM_PAGE, model=job.load_model())
    except Exception:  # noqa: BLE001 - a model that cannot load fails in every worker instead
        pass


def _context(job: Job, uses_model: bool = True):
    method = _start_method()
    if method == "fork" and uses_model:
        warm(job)  # forking costs milliseconds, and workers inherit the model loaded here
        method = _start_method()  # loading it may have started a thread or OpenMP
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        # The fork server imports boilerkit once and workers fork from it: one import
        # instead of one per worker, and, for the pre-trained model, one load. No thread
        # pool has run in it yet, so no OpenMP state is forked.
        # (No effect if the fork server of this process is already running.)
        preload = ["boilerkit.batch"]
        if uses_model and job.model_path is None:
            preload.append("boilerkit._forkserver_preload")
        context.set_forkserver_preload(preload)
    log.debug("starting worker processes by %s", method)
    return context


class _Pool:
    """A process pool that is replaced when a worker dies (which breaks the whole pool)."""

    def __init__(self, jobs: int, job: Job, work: Callable[[Payload], dict],
                 initializer: Callable[[Job], None] | None) -> None:
        self.jobs, self.job, self.work, self.initializer = jobs, job, work, initializer
        self.generation = 0  # bumped at each restart: tells stale futures from current ones
        self._executor: ProcessPoolExecutor | None = None

    def submit(self, payloads: list[Payload]) -> Future:
        """Run a chunk of pages in one worker; the future gives one value per page."""
        if self._executor is not None:
            return self._executor.submit(_work_chunk, self.work, payloads)
        context = _context(self.job, uses_model=self.work is _work)
        if self.initializer:  # (no initializer takes no initargs: two calls, for the types)
            self._executor = ProcessPoolExecutor(self.jobs, mp_context=context,
                                                 initializer=self.initializer,
                                                 initargs=(self.job,))
        else:
            self._executor = ProcessPoolExecutor(self.jobs, mp_context=context)
        with warnings.catch_warnings():
            # The first submit forks the workers. Python 3.12+ warns of the native threads
            # it counts (OpenBLAS's, which handle fork): fork_is_safe has decided.
            warnings.filterwarnings("ignore", r"This process .* is multi-threaded",
                                    DeprecationWarning)
            return self._executor.submit(_work_chunk, self.work, payloads)

    def restart(self) -> None:
        self.close(wait=False)
        self.generation += 1

    def close(self, wait: bool = True) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=wait, cancel_futures=True)
            self._executor = None


# -- results ------------------------------------------------------------------------


@dataclass(slots=True)
class Result:
    """What became of one input document: a value, an error, or a skip."""

    document: Document | Skipped
    value: dict | None = None
    error: str | None = None
    error_type: str | None = None

    @property
    def skipped(self) -> bool:
        return isinstance(self.document, Skipped)

    @property
    def ok(self) -> bool:
        return not self.skipped and self.error is None

    @property
    def name(self) -> str:
        document = self.document
        if isinstance(document, Skipped):
            return f"{document.source} {document.url or document.record_id}"
        return document.name


def _result(document: Document | Skipped, value: dict | None = None) -> Result:
    if isinstance(document, Skipped):
        return Result(document)
    if document.error is not None:
        return Result(document, error=document.error, error_type=document.error_type)
    if value is not None and "error" in value:
        return Result(document, error=value["error"], error_type=value["error_type"])
    return Result(document, value)


def _payload(document: Document) -> Payload:
    # Pages that need work have no error, so they have their bytes (see Document).
    return (cast(bytes, document.data), document.url, document.content_type)


def _needs_work(item: Document | Skipped) -> TypeGuard[Document]:
    return isinstance(item, Document) and item.error is None


@dataclass(slots=True)
class _Entry:
    document: Document | Skipped
    future: Future | None = None  # of the page's chunk, once sent
    index: int = 0                # the page's place in its chunk
    last: bool = False            # the last page of its chunk
    generation: int = 0


class _Chunker:
    """Groups the pages read into chunks, sends them to the pool, counts those in flight.

    A chunk is sent when it has ``pages`` pages or ``max_bytes`` bytes. The
    first chunks are smaller (1, then 2, 4... pages for each worker), so that
    every worker starts at once and the first results come out early.
    """

    def __init__(self, pool: _Pool, pages: int, max_bytes: int) -> None:
        self.pool, self.pages, self.max_bytes = pool, pages, max_bytes
        self.entries: list[_Entry] = []  # the chunk being filled
        self.size = 0
        self.sent = 0
        self.in_flight = 0  # chunks sent whose last page is not handed out yet

    def add(self, entry: _Entry) -> None:
        """Add a page; send the chunk if that fills it."""
        self.entries.append(entry)
        self.size += len(cast(bytes, cast(Document, entry.document).data))
        limit = min(self.pages, 1 << min(self.sent // self.pool.jobs, 16))
        if len(self.entries) >= limit or self.size >= self.max_bytes:
            self.send()

    def send(self) -> None:
        """Send the chunk being filled, if any."""
        if not self.entries:
            return
        payloads = [_payload(cast(Document, entry.document)) for entry in self.entries]
        try:
            future = self.pool.submit(payloads)
        except BrokenProcessPool:  # a worker died since the last result: the chunks in
            self.pool.restart()    # flight find out by their futures
            future = self.pool.submit(payloads)
        for index, entry in enumerate(self.entries):
            entry.future, entry.index, entry.generation = future, index, self.pool.generation
        self.entries[-1].last = True
        self.entries = []
        self.size = 0
        self.sent += 1
        self.in_flight += 1


def run(job: Job, documents: Iterable[Document | Skipped], *, jobs: int = 1, model=None,
        window: int | None = None, chunk: int = CHUNK_PAGES,
        work: Callable[[Payload], dict] = _work,
        initializer: Callable[[Job], None] | None = _init_worker) -> Iterator[Result]:
    """One :class:`Result` per document, in order; pages run in ``jobs`` processes.

    ``model`` is used in-process when ``jobs == 1`` (default: the job's model).
    Pages go to the workers in chunks of up to ``chunk`` consecutive pages (and
    about :data:`CHUNK_BYTES`); ``window`` bounds the chunks in flight (default
    ``2 * jobs + 2``). ``work`` and ``initializer`` replace the worker functions
    (for other extractors, e.g. in the benchmarks); ``work`` gets ``(data, url,
    content_type)`` and runs on each page of a chunk, an exception failing only
    that page.
    """
    if jobs <= 1:
        if work is _work:
            model = model if model is not None else job.load_model()
            for document in documents:
                yield _result(document, _call(job, _payload(document), model)
                              if _needs_work(document) else None)
        else:
            if initializer is not None:
                initializer(job)
            for document in documents:
                yield _result(document, work(_payload(document)) if _needs_work(document) else None)
        return

    pool = _Pool(jobs, job, work, initializer)
    # Pages of a pool that broke are retried one at a time in this single-worker pool, so
    # that a page that kills its worker is found out without blaming the others.
    quarantine = _Pool(1, job, work, initializer)
    chunker = _Chunker(pool, max(chunk, 1), CHUNK_BYTES)
    window = window or 2 * jobs + 2
    pending: deque[_Entry] = deque()
    try:
        for document in documents:
            entry = _Entry(document)
            pending.append(entry)
            if _needs_work(document):
                chunker.add(entry)
            # Hand out what is ready at the head; block on it only when the window is full.
            # (With chunks in flight, the head is not in the chunk being filled.)
            while pending and (_ready(pending[0]) or chunker.in_flight >= window):
                yield _next(pending.popleft(), chunker, pool, quarantine)
        chunker.send()
        while pending:
            yield _next(pending.popleft(), chunker, pool, quarantine)
    finally:
        pool.close()
        quarantine.close()


def _ready(entry: _Entry) -> bool:
    """Whether the entry can be handed out without waiting."""
    if entry.future is None:
        return not _needs_work(entry.document)  # else: its chunk is still being filled
    return entry.future.done()


def _next(entry: _Entry, chunker: _Chunker, pool: _Pool, quarantine: _Pool) -> Result:
    if entry.future is None and _needs_work(entry.document):
        chunker.send()  # its chunk is not full, but there is nothing else to wait for
    result = _finish(entry, pool, quarantine)
    if entry.last:
        chunker.in_flight -= 1
    return result


def _finish(entry: _Entry, pool: _Pool, quarantine: _Pool) -> Result:
    if entry.future is None:
        return _result(entry.document)
    try:
        return _result(entry.document, entry.future.result()[entry.index])
    except BrokenProcessPool:
        pass
    except Exception as error:  # noqa: BLE001 - e.g. a result that cannot be unpickled
        return _result(entry.document, _error_value(error))
    # A worker died, and every chunk in flight in its pool failed with it.
    if entry.generation == pool.generation:
        pool.restart()
    # Only pages that needed work have a future: their document is a Document.
    document = cast(Document, entry.document)
    try:
        return _result(document, quarantine.submit([_payload(document)]).result()[0])
    except BrokenProcessPool:
        quarantine.restart()
        return _result(entry.document, {
            "error": "the worker process died on this page (a crash, or out of memory)",
            "error_type": "WorkerDied"})


# -- output records -----------------------------------------------------------------


def _document_fields(document: Document | Skipped) -> dict:
    return {"file": document.source, "record_id": document.record_id, "url": document.url}


def _value_fields(job: Job, value: dict | None) -> dict:
    if value is not None and "record_json" in value:  # a value of a Job with record_json
        return json.loads(value["record_json"])
    out = {"title": value["title"] if value else None}
    if job.command == "extract":
        out["labels"] = list(job.labels)
        out["text"] = value["output"] if value else None
    else:
        out["blocks"] = value["blocks"] if value else None
    return out


def record(result: Result, job: Job) -> dict:
    """The JSON-lines / Parquet record of a page: file, record id, URL, and its text or blocks."""
    out = {**_document_fields(result.document), **_value_fields(job, result.value)}
    if result.error is not None:
        out["error"] = result.error
        out["error_type"] = result.error_type
    return out


class JsonlSink:
    """JSON lines to a stream, a ``.jsonl`` file or a ``.jsonl.gz`` file."""

    def __init__(self, path: str | Path | None = None, job: Job | None = None) -> None:
        self.job = job or Job()
        self._owned = path is not None
        if path is None:
            self.stream = sys.stdout
        elif str(path).endswith(".gz"):
            self.stream = io.TextIOWrapper(gzip.open(path, "wb"), encoding="utf-8")
        else:
            self.stream = open(path, "w", encoding="utf-8")  # noqa: SIM115

    def write(self, result: Result) -> None:
        value = result.value
        encoded = (value.get("record_json") if self.job.record_json and value is not None
                   and result.error is None else None)
        if encoded is None:
            self.stream.write(json.dumps(record(result, self.job), ensure_ascii=False) + "\n")
            return
        # The worker encoded the text or blocks (see Job.record_json): only the short
        # document fields are encoded here, and the two objects joined into one.
        head = json.dumps(_document_fields(result.document), ensure_ascii=False)
        self.stream.write(f"{head[:-1]}, {encoded[1:]}\n")

    def close(self) -> None:
        if self._owned:
            self.stream.close()
        else:
            self.stream.flush()

    def __enter__(self) -> JsonlSink:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def parquet_schema(command: str):
    """The Arrow schema of the Parquet output of ``command``."""
    pa = require("pyarrow", "parquet", "writing Parquet")
    fields = [("file", pa.string()), ("record_id", pa.string()), ("url", pa.string()),
              ("title", pa.string())]
    if command == "extract":
        fields += [("labels", pa.list_(pa.string())), ("text", pa.string())]
    else:
        block = pa.struct([("position", pa.int32()), ("label", pa.string()),
                           ("probability", pa.float64()),
                           ("probabilities", pa.map_(pa.string(), pa.float64())),
                           ("tag", pa.string()), ("xpath", pa.string()), ("text", pa.string())])
        fields.append(("blocks", pa.list_(block)))
    fields += [("error", pa.string()), ("error_type", pa.string())]
    return pa.schema(fields)


class ParquetSink:
    """Parquet, written one row group at a time (the ``parquet`` extra: pyarrow)."""

    def __init__(self, path: str | Path, job: Job) -> None:
        require("pyarrow.parquet", "parquet", "writing Parquet")
        import pyarrow.parquet as pq

        self.job = job
        self.schema = parquet_schema(job.command)
        self._writer = pq.ParquetWriter(str(path), self.schema, compression="zstd")
        self._rows: list[dict] = []

    def write(self, result: Result) -> None:
        row = record(result, self.job)
        if row.get("blocks"):
            row["blocks"] = [{**block, "probabilities": list(block["probabilities"].items())}
                             for block in row["blocks"]]
        self._rows.append(row)
        if len(self._rows) >= _PARQUET_ROWS:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if self._rows:
            self._writer.write_table(pa.Table.from_pylist(self._rows, schema=self.schema))
            self._rows = []

    def close(self) -> None:
        self._flush()
        self._writer.close()

    def __enter__(self) -> ParquetSink:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def is_parquet(path: str | Path | None) -> bool:
    """Whether results written to ``path`` go to Parquet (else JSON lines)."""
    return path is not None and str(path).lower().endswith(".parquet")


def check_output(path: str | None) -> None:
    """Raise ``ValueError`` for an output name that is no known format; check the extra."""
    if path is None:
        return
    if not str(path).lower().endswith(OUTPUT_SUFFIXES):
        raise ValueError(f"--output must end in {', '.join(OUTPUT_SUFFIXES)}: {path}")
    if is_parquet(path):
        require("pyarrow.parquet", "parquet", "writing Parquet")


def open_sink(path: str | Path | None, job: Job) -> JsonlSink | ParquetSink:
    """A sink for ``path`` by its suffix (``None``: JSON lines on stdout)."""
    check_output(str(path) if path is not None else None)
    if path is not None and is_parquet(path):
        return ParquetSink(path, job)
    return JsonlSink(path, job)


# -- summary --------------------------------------------------------------------------


@dataclass
class Summary:
    """Counts of a run: pages done, pages failed, records skipped by reason."""

    pages: int = 0
    failed: int = 0
    skipped: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    first_page_seconds: float | None = None  # start-up: until the first page was done

    def add(self, result: Result) -> None:
        if isinstance(result.document, Skipped):  # result.skipped
            self.skipped[result.document.reason] += 1
        elif result.error is not None:
            self.failed += 1
        else:
            self.pages += 1

    def to_dict(self) -> dict:
        return {"pages": self.pages, "failed": self.failed,
                "skipped": sum(self.skipped.values()),
                "skipped_by_reason": dict(self.skipped.most_common()),
                "seconds": round(self.seconds, 3),
                "first_page_seconds": round(self.first_page_seconds, 3)
                if self.first_page_seconds is not None else None,
                "pages_per_second": round((self.pages + self.failed) / self.seconds, 2)
                if self.seconds > 0 else None,
                "pages_per_second_after_first": self._steady_rate()}

    def _steady_rate(self) -> float | None:
        """pages/s once the first page is out: the rate without worker start-up."""
        done = self.pages + self.failed
        if self.first_page_seconds is None or done < 2:
            return None
        span = self.seconds - self.first_page_seconds
        return round((done - 1) / span, 2) if span > 0 else None

    def lines(self) -> list[str]:
        rate = (self.pages + self.failed) / self.seconds if self.seconds > 0 else 0.0
        lines = [(f"{self.pages:,} pages done, {self.failed:,} failed, "
                  f"{sum(self.skipped.values()):,} records skipped in {self.seconds:.1f} s "
                  f"({rate:.1f} pages/s)")]
        if self.skipped:
            lines.append("skipped: " + ", ".join(f"{count:,} {reason}"
                                                 for reason, count in self.skipped.most_common()))
        return lines


def process(names: Sequence[str], job: Job, on_result: Callable[[Result], None], *,
            jobs: int = 1, model=None, content_type: str | None = None,
            show_progress: bool = False) -> Summary:
    """Run ``job`` over the pages of ``names`` (files, directories, WARC files, ``-``).

    Calls ``on_result`` for each page, in input order, failed ones included
    (their ``error`` is set, and logged); skipped WARC records are only
    counted. ``show_progress`` shows a bar with pages/s on a terminal (a log
    line every few seconds elsewhere). Returns the run's :class:`Summary`.
    """
    from .inputs import is_warc, iter_inputs, require_warc

    if any(is_warc(name) for name in names):
        require_warc()  # before any work: a missing extra is not a per-page error
    documents = iter_inputs(names, max_bytes=job.max_bytes, content_type=content_type)
    summary = Summary()
    start = time.monotonic()
    desc = "extracting" if job.command == "extract" else "classifying"
    # Only on a terminal: in a log, the summary at the end says the same once.
    draw = show_progress and _isatty(sys.stderr)
    with Progress(None, desc, unit="pages", disable=not draw, force=draw) as bar:
        for result in run(job, documents, jobs=jobs, model=model):
            summary.add(result)
            if isinstance(result.document, Skipped):  # result.skipped
                log.debug("%s: skipped: %s", result.name, result.document.reason)
                continue
            if summary.first_page_seconds is None:
                summary.first_page_seconds = time.monotonic() - start
            if result.error is not None:
                log.error("%s: %s", result.name, result.error)
            on_result(result)
            bar.update()
    summary.seconds = time.monotonic() - start
    return summary


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def jobs_count(jobs: int) -> int:
    """``0`` means one job per core."""
    return jobs if jobs > 0 else (multiprocessing.cpu_count() or 1)


def log_summary(summary: Summary) -> None:
    for line in summary.lines():
        log.info("%s", line)
