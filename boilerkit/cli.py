"""The ``boilerkit`` command: classify, extract, train, evaluate, show, label.

Results go to stdout, logs and progress bars to stderr. Exit status: 0 on
success, 1 on an error (a bad file, a missing model), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import shutil
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import batch, progress
from ._version import __version__
from .errors import BoilerkitError, ModelNotFoundError
from .inputs import DEFAULT_MAX_BYTES, STDIN, is_batch, read_file, read_stdin
from .page import FORMATS
from .persistence import default_model, default_model_path, save_model

log = logging.getLogger("boilerkit")

# Text of a block in `classify` output is cut to fit this many columns when
# stdout is not a terminal (on a terminal, to its width).
DEFAULT_PIPE_WIDTH = 120
_MIN_TEXT_WIDTH = 20


# -- logging ------------------------------------------------------------------


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is now (tests and callers may swap it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass

    def emit(self, record: logging.LogRecord) -> None:
        progress.clear()  # a log line must not land in the middle of a progress bar
        super().emit(record)


class _Formatter(logging.Formatter):
    """``boilerkit: message``, with ``warning:``/``error:`` for those levels."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info and record.levelno >= logging.ERROR:
            message += "\n" + self.formatException(record.exc_info)
        if record.levelno >= logging.ERROR:
            return f"boilerkit: error: {message}"
        if record.levelno >= logging.WARNING:
            return f"boilerkit: warning: {message}"
        return f"boilerkit: {message}"


def _error(message: str) -> None:
    print(f"boilerkit: error: {message}", file=sys.stderr)


def _describe(error: BaseException) -> str:
    """A one-line message for a user-facing error."""
    if isinstance(error, OSError) and error.strerror and not isinstance(error, BoilerkitError):
        return f"{error.filename}: {error.strerror}" if error.filename else error.strerror
    return str(error)


# -- argument types -----------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0: {text}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1): {text}")
    return value


_SIZE_SUFFIXES = {"k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}


def _max_bytes(text: str) -> int | None:
    """``"20000000"``, ``"50M"`` (also K, G; binary) -> bytes; ``"0"``/``"none"`` -> ``None``."""
    value = text.strip().lower().removesuffix("ib").removesuffix("b")
    if value == "none":
        return None
    factor = _SIZE_SUFFIXES.get(value[-1:], 1)
    if factor > 1:
        value = value[:-1]
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number of bytes (e.g. 20000000 or 50M), 0 or none: {text!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (no limit) or more: {text}")
    return number * factor or None


def _estimator_params() -> dict[str, object]:
    from .hyperparameters import DEFAULTS

    return dict(DEFAULTS)


def _parse_value(text: str) -> object:
    """A ``--set`` value: int, float, bool, None, JSON list/object, or else the string."""
    lowered = text.lower()
    if lowered in ("none", "null"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    if text.startswith(("{", "[")):
        try:
            return json.loads(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"not valid JSON: {text!r} ({error})") from None
    return text


def _type_problem(value: object, default: object) -> str | None:
    """What ``value`` should be where the default is a bool or a number, if it is not.

    The estimator checks ranges; a string where a number belongs would get past it
    into the feature code.
    """
    if value is None or isinstance(default, bool) and isinstance(value, bool):
        return None
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, int) and (isinstance(value, bool) or not isinstance(value, int)):
        return "an integer"
    if isinstance(default, float) and (isinstance(value, bool)
                                       or not isinstance(value, (int, float))):
        return "a number"
    return None


def _param_setting(text: str) -> tuple[str, object]:
    """``"max_leaf_nodes=63"`` -> ``("max_leaf_nodes", 63)``, for a parameter the model has."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    defaults = _estimator_params()
    if key not in defaults:
        raise argparse.ArgumentTypeError(
            f"unknown model parameter {key!r}; valid: {', '.join(sorted(defaults))}")
    parsed = _parse_value(value.strip())
    wrong_type = _type_problem(parsed, defaults[key])
    if wrong_type:
        raise argparse.ArgumentTypeError(f"{key} must be {wrong_type} (or none), "
                                         f"got {value.strip()!r}")
    return key, parsed


class _SetParam(argparse.Action):
    """Appends ``(key, value)`` to ``dest``: ``--set`` and its shortcuts share one list, so the
    last one on the command line wins."""

    def __init__(self, option_strings: Sequence[str], dest: str, param: str | None = None,
                 **kwargs: object) -> None:
        self.param = param
        super().__init__(option_strings, dest, **kwargs)  # type: ignore[arg-type]

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        settings = list(getattr(namespace, self.dest, None) or [])
        settings.append((self.param, values) if self.param else values)
        setattr(namespace, self.dest, settings)


def _label_map_entries(text: str) -> dict[str, str | None]:
    """``"boilerplate=navigation,ads="`` -> ``{"boilerplate": "navigation", "ads": None}``."""
    mapping: dict[str, str | None] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        old, sep, new = item.partition("=")
        if not sep or not old.strip():
            raise argparse.ArgumentTypeError(f"expected OLD=NEW (or OLD= to unlabel), got {item!r}")
        mapping[old.strip().lower()] = new.strip().lower() or None
    return mapping


def _merge_label_maps(maps: list[dict] | None) -> dict[str, str | None]:
    merged: dict[str, str | None] = {}
    for mapping in maps or []:
        merged.update(mapping)
    return merged


def _split_labels(values: list[str] | None) -> list[str]:
    labels: list[str] = []
    for value in values or ["article"]:
        labels.extend(label.strip() for label in value.split(",") if label.strip())
    return labels


# -- shared helpers -----------------------------------------------------------


def _load(model_path: str | None):
    if model_path:
        # Cached: batch workers forked from this process inherit this very copy.
        return batch.cached_model(model_path)
    try:
        return default_model()
    except ModelNotFoundError as error:
        raise BoilerkitError(
            f"no pre-trained model at {default_model_path()}; pass --model PATH "
            "(train one with `boilerkit train`)") from error


def _header(index: int, name: str) -> str:
    """``head``-style file header, blank line before all but the first."""
    return ("\n" if index else "") + f"==> {name} <=="


def _truncate(text: str, width: int) -> str:
    if width <= 0 or len(text) <= width:
        return text
    return text[:max(width - 1, 0)] + "…"


# -- classify and extract: one page or many ------------------------------------


def _run_pages(args: argparse.Namespace, job: batch.Job, model, show) -> int:
    """Run ``job`` over ``args.files``; ``show(index, result)`` prints each page.

    JSON lines or ``--output`` go through a sink instead. Exit status 1 if a page failed.
    """
    several = is_batch(args.files)
    if args.format == "jsonl" and not batch.is_parquet(args.output):
        # The workers encode the JSON lines: the parent process only writes them.
        job = dataclasses.replace(job, record_json=True)
    sink = batch.open_sink(args.output, job) if args.format == "jsonl" else None
    index = 0

    def on_result(result: batch.Result) -> None:
        nonlocal index
        if sink is not None:
            sink.write(result)
        elif result.ok:
            show(index, result)
            index += 1

    try:
        summary = batch.process(args.files, job, on_result, jobs=batch.jobs_count(args.jobs),
                                model=model, content_type=args.content_type,
                                show_progress=several and not _quiet(args))
    finally:
        if sink is not None:
            sink.close()
    if several or summary.skipped:
        batch.log_summary(summary)
    if args.summary:
        Path(args.summary).write_text(json.dumps(summary.to_dict(), indent=2) + "\n",
                                      encoding="utf-8")
    return 0 if summary.failed == 0 else 1


def _check_output(args: argparse.Namespace) -> str | None:
    """Settle ``args.format`` with ``--output``; return a usage error, if any."""
    if args.output is None:
        args.format = args.format or "text"
        return None
    if args.format not in (None, "jsonl"):
        return "--output writes JSON lines or Parquet: use it with --format jsonl (or none)"
    args.format = "jsonl"
    try:
        batch.check_output(args.output)
    except ValueError as error:
        return str(error)
    return None


def _max_bytes_of(args: argparse.Namespace) -> int | None:
    return getattr(args, "max_bytes", DEFAULT_MAX_BYTES)


# -- classify -----------------------------------------------------------------


def _text_lines(blocks: list[dict], label_width: int, width: int, aligned: bool) -> list[str]:
    lines = []
    for block in blocks:
        text = " ".join(block["text"].split())  # no tabs or newlines inside a field
        label, probability, tag = block["label"], block["probability"], block["tag"]
        if aligned:
            head = f"{label:<{label_width}}  {probability:.2f}  {tag:<10}  "
        else:
            head = f"{label}\t{probability:.2f}\t{tag}\t"
        if width > 0:
            text = _truncate(text, max(width - len(head.expandtabs()), _MIN_TEXT_WIDTH))
        lines.append(head + text)
    return lines


def _output_width(requested: int | None) -> tuple[int, bool]:
    """``(line width, stdout is a terminal)``; width 0 means no limit."""
    tty = sys.stdout.isatty()
    if requested is not None:
        return requested, tty
    return (shutil.get_terminal_size((DEFAULT_PIPE_WIDTH, 24)).columns if tty
            else DEFAULT_PIPE_WIDTH), tty


def _dump_json(objects: list[dict], several: bool) -> None:
    if not objects:
        return
    print(json.dumps(objects if several else objects[0], ensure_ascii=False, indent=2))


def _json_head(result: batch.Result) -> dict:
    document = result.document
    head = {"file": document.source}
    if document.record_id is not None:
        head["record_id"] = document.record_id
    assert result.value is not None  # only ok results are shown: they have a value
    return {**head, "url": document.url, "title": result.value["title"]}


def cmd_classify(args: argparse.Namespace) -> int:
    usage_error = _check_output(args)
    if usage_error:
        _error(usage_error)
        return 2
    model = _load(args.model)
    job = batch.Job("classify", model_path=args.model, max_bytes=_max_bytes_of(args))
    several = is_batch(args.files)
    width, tty = _output_width(args.width)
    label_width = max(len(str(label)) for label in model.classes_)
    collected: list[dict] = []

    def show(index: int, result: batch.Result) -> None:
        assert result.value is not None  # only ok results are shown: they have a value
        blocks = result.value["blocks"]
        if args.format == "text":
            lines = _text_lines(blocks, label_width, width, aligned=tty)
            if several:
                lines.insert(0, _header(index, result.name))
            if lines:
                print("\n".join(lines))
        else:
            collected.append({**_json_head(result), "blocks": blocks})
        if not blocks:
            log.info("%s: no text blocks", result.name)

    status = _run_pages(args, job, model, show)
    _dump_json(collected, several)
    return status


# -- extract ------------------------------------------------------------------


def cmd_extract(args: argparse.Namespace) -> int:
    usage_error = _check_output(args)
    if usage_error:
        _error(usage_error)
        return 2
    model = _load(args.model)
    labels = _split_labels(args.label)
    unknown = [label for label in labels if label not in set(map(str, model.classes_))]
    if unknown:
        _error(f"the model has no label {', '.join(map(repr, unknown))}; "
               f"its labels are {', '.join(map(str, model.classes_))}")
        return 2
    render_format = "text" if args.format == "jsonl" else args.format
    job = batch.Job("extract", labels=tuple(labels), format=render_format,
                    model_path=args.model, max_bytes=_max_bytes_of(args), figures=args.figures)
    several = is_batch(args.files)
    collected: list[dict] = []

    def show(index: int, result: batch.Result) -> None:
        value = result.value
        assert value is not None  # only ok results are shown: they have a value
        if args.format == "json":
            document = json.loads(value["output"])
            collected.append({**_json_head(result), **document})
            return
        output = value["output"]
        if several:
            header = (f"<!-- {result.name} -->" if args.format == "html"
                      else _header(index, result.name))
            output = header + ("\n" + output if value["n_blocks"] else "")
        if output:
            print(output)
        if not value["n_blocks"]:
            log.info("%s: no blocks labelled %s", result.name, " or ".join(labels))

    status = _run_pages(args, job, model, show)
    _dump_json(collected, several)
    return status


# -- train / evaluate ---------------------------------------------------------


def _need_training_extra() -> None:
    try:
        import sklearn  # noqa: F401  (only whether it is there)
    except ImportError as error:
        raise BoilerkitError("training needs scikit-learn: pip install 'boilerkit[train]'") \
            from error


def cmd_convert(args: argparse.Namespace) -> int:
    from .persistence import convert_joblib

    _need_training_extra()
    manifest = convert_joblib(args.source, args.destination)
    log.info("wrote %s", manifest)
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    _need_training_extra()
    from .datasets.corpus import read_labelled
    from .evaluation import format_report
    from .training import train

    show_progress = not _quiet(args)
    label_map = _merge_label_maps(args.label_map)
    all_pages = read_labelled(args.data, progress=show_progress)
    pages = _select(all_pages, args.split, None)
    dev_pages = None
    if args.dev:
        dev_pages = read_labelled(args.dev, progress=show_progress)
    elif args.dev_split:
        dev_pages = _select(all_pages, args.dev_split, None)
        if not dev_pages:
            raise BoilerkitError(f"no labelled pages with split {args.dev_split!r} in "
                                 + " ".join(args.data))
        pages = [page for page in pages if page.split != args.dev_split]  # never train on them
    if not pages:
        raise BoilerkitError("no labelled pages in " + " ".join(args.data)
                             + (f" with split {args.split!r}" if args.split else ""))
    log.info("read %s labelled pages", f"{len(pages):,}")
    params = dict(args.params)  # --set and its shortcuts, the last of each key winning
    model, metrics = train(pages, dev_pages=dev_pages, params=params, label_map=label_map,
                           page_weights=not args.no_page_weights, holdout=args.holdout,
                           max_per_page=dict(args.max_per_page),
                           provenance_weights=dict(args.provenance_weight),
                           progress=show_progress)
    metadata = {
        "training_sources": _source_licences(metrics["training"]["sources"]),
        "training_data": [str(path) for path in args.data],
        "dev_data": [str(path) for path in args.dev] if args.dev else None,
        "training_split": args.split,
        "dev_split": args.dev_split,
        "label_map": label_map or None,
        "label_counts": metrics["training"]["label_counts"],
        "training": metrics["training"],
        "holdout": metrics["holdout"],
        "metrics": {key: value for key, value in metrics.items()
                    if key not in ("training", "holdout")},
    }
    if args.verify_split:
        metadata["predictor_check"] = _check_predictor(
            model, _select(all_pages, args.verify_split, None), args.verify_split)
    manifest = save_model(model, args.output, metadata=metadata)
    log.info("saved the model to %s (manifest %s)", args.output, manifest)
    if metrics.get("n_blocks"):
        print(f"held-out evaluation ({_holdout_text(metrics['holdout'])}):")
        print(format_report(metrics))
    return 0


# Manifest keys that must agree for models to be averaged: the members are seeds of one
# recipe on one training set, so the averaged model's sources and licences are theirs.
_SAME_TRAINING = ("training_sources", "training_split", "training_data", "label_map",
                  "feature_config", "labels")
# Manifest keys that describe one trained model and so go per member.
_PER_MEMBER = ("sha256", "params", "metrics", "predictor_check")


def _merged_params(params: list[dict | None]) -> dict:
    """The members' parameters; one that differs (the seed) is listed per member."""
    merged: dict = {}
    for key in sorted({key for each in params for key in (each or {})}):
        values = [(each or {}).get(key) for each in params]
        merged[key] = values[0] if all(value == values[0] for value in values) else values
    return merged


def cmd_average(args: argparse.Namespace) -> int:
    from .evaluation import evaluate, format_report
    from .model import average_models
    from .persistence import RESERVED_KEYS, load_model

    if len(args.models) < 2:
        raise BoilerkitError("average needs two or more models")
    models = [load_model(path) for path in args.models]
    first = models[0].manifest
    for path, model in zip(args.models[1:], models[1:]):
        differing = [key for key in _SAME_TRAINING if model.manifest.get(key) != first.get(key)]
        if differing:
            raise BoilerkitError(f"{path} was trained otherwise than {args.models[0]} "
                                 f"({', '.join(differing)} differ); average only models of one "
                                 "training set (e.g. several seeds of one recipe)")
    try:
        averaged = average_models(models, {"params": _merged_params(
            [model.manifest.get("params") for model in models])})
    except ValueError as error:
        raise BoilerkitError(f"cannot average these models: {error}") from error
    metadata = {key: value for key, value in first.items()
                if key not in RESERVED_KEYS and key not in _PER_MEMBER
                and key != "averaged_from"}
    metadata["averaged_from"] = [
        {"model": str(path), **{key: model.manifest.get(key) for key in _PER_MEMBER}}
        for path, model in zip(args.models, models)]
    if args.dev:
        from .datasets.corpus import read_labelled
        from .training import relabel

        dev_pages = _select(read_labelled(args.dev, progress=not _quiet(args)), args.dev_split,
                            None)
        if not dev_pages:
            raise BoilerkitError("no labelled pages" + (f" with split {args.dev_split!r}"
                                                        if args.dev_split else "")
                                 + " in " + " ".join(args.dev))
        # By default the dev labels are mapped as the members' training labels were.
        label_map = (_merge_label_maps(args.label_map) if args.label_map
                     else first.get("label_map") or {})
        dev_pages = relabel(dev_pages, label_map)
        metrics = evaluate(averaged, dev_pages, progress=not _quiet(args))
        metadata["metrics"] = metrics
        metadata["dev_data"] = [str(path) for path in args.dev]
        metadata["dev_split"] = args.dev_split
    manifest = save_model(averaged, args.output, metadata=metadata)
    log.info("saved the average of %d models to %s (manifest %s)", averaged.n_members,
             args.output, manifest)
    if args.dev:
        print(format_report(metadata["metrics"]))
    return 0


def _check_predictor(model, pages: list, split: str) -> dict:
    """How far the converted model's probabilities are from scikit-learn's, on ``pages``."""
    worst, blocks = 0.0, 0
    converted = model.to_model()
    with progress.Progress(len(pages), f"checking the predictor on {split}", unit="pages",
                           disable=not log.isEnabledFor(logging.INFO)) as bar:
        for page in pages:
            ours = converted.predict_page(page.blocks)
            (reference,) = model.sklearn_predict_proba([page.blocks])
            if len(ours):
                worst = max(worst, float(np.abs(ours - reference).max()))
            blocks += len(ours)
            bar.update()
    log.info("predictor check on %s: %s blocks, largest difference from scikit-learn %.2e",
             split, f"{blocks:,}", worst)
    return {"split": split, "pages": len(pages), "blocks": blocks, "max_abs_difference": worst}


def _source_licences(pages_per_source: dict[str, int]) -> list[dict]:
    """Every training source with its page count and licence, for the model's manifest."""
    from .datasets.licences import LICENCES

    listed = []
    for source, pages in pages_per_source.items():
        record = LICENCES.get(source)
        if record is None:  # labelled pages of the user's own
            listed.append({"source": source, "pages": pages, "licence": "the user's own data",
                           "default_model_allowed": None})
        else:
            listed.append({"source": source, "pages": pages, "licence": record.licence,
                           "default_model_allowed": record.default_model_allowed,
                           "credit": record.credit})
    return listed


def _holdout_text(info: dict) -> str:
    if info.get("method") == "given":
        return f"{info['pages']} given pages"
    if info.get("method") == "site":
        return f"{info['sites']} site(s) held out, {info['pages']} pages"
    return f"{info.get('pages', 0)} pages held out from a single site: optimistic"


def _select(pages: list, split: str | None, sources: list[str] | None) -> list:
    if split:
        pages = [page for page in pages if page.split == split]
    if sources:
        pages = [page for page in pages if page.source in sources]
    return pages


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluation import evaluate, format_report
    from .datasets.corpus import read_labelled
    from .training import relabel

    model = _load(args.model)
    show_progress = not _quiet(args)
    pages = read_labelled(args.data, progress=show_progress, keep_elements=bool(args.report))
    selected = _select(pages, args.split, args.source)
    if args.provenance:
        selected = [page for page in selected
                    if any(origin and origin.partition("@")[0] == args.provenance
                           for origin in page.provenance)]
    if not selected:
        filters = [f"split {args.split!r}" if args.split else "",
                   f"source {', '.join(args.source)}" if args.source else "",
                   f"labels of provenance {args.provenance!r}" if args.provenance else ""]
        detail = " with " + " and ".join(filter(None, filters)) if any(filters) else ""
        raise BoilerkitError(f"no labelled pages{detail} in {' '.join(args.data)}")
    selected = relabel(selected, _merge_label_maps(args.label_map))
    if args.report:
        from .report import evaluate_pages, write_report

        metrics, results = evaluate_pages(model, selected, progress=show_progress)
        details = {"data": " ".join(args.data), "model": args.model or str(default_model_path())}
        report = write_report(args.report, metrics, results, worst=args.worst,
                              resamples=args.bootstrap, details=details)
        log.info("wrote the report to %s", report)
    else:
        metrics = evaluate(model, selected, progress=show_progress)
    if args.json:
        print(json.dumps(metrics, indent=2))
    else:
        print(format_report(metrics))
    return 0


# -- show / label -------------------------------------------------------------


def cmd_show(args: argparse.Namespace) -> int:
    from .show import show

    model = _load(args.model)
    document = (read_stdin(max_bytes=None) if args.file == STDIN
                else read_file(args.file, max_bytes=None))
    if document.data is None:
        raise BoilerkitError(f"{document.name}: {document.error}")
    view = show(document.data, model=model, url=args.url,
                allow_remote=args.allow_remote, content_type=args.content_type)
    if args.output in (None, STDIN):
        sys.stdout.write(view)
    else:
        Path(args.output).write_text(view, encoding="utf-8")
        log.info("wrote %s", args.output)
    return 0


def cmd_label(args: argparse.Namespace) -> int:
    import webbrowser

    from .labelling_server import LabellingServer, LabellingSession, html_files

    session = LabellingSession(html_files(args.pages), args.output, model=_load(args.model),
                               in_place=args.in_place, allow_remote=args.allow_remote,
                               labels=_split_labels(args.labels) if args.labels else None)
    server = LabellingServer(session, port=args.port)
    log.info("labelling %d page(s) at %s; saving to %s; press Ctrl-C to stop", len(session),
             server.url, "the pages themselves" if args.in_place else args.output)
    if not args.no_browser:
        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        log.info("stopped")
    finally:
        server.server_close()
    return 0


# -- parser -------------------------------------------------------------------


def _quiet(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "quiet", False))


def _add_logging_options(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: the options work before or after the subcommand without one
    # parser's default overwriting what the user gave to the other.
    parser.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                        help="also log debug messages to stderr")
    parser.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                        help="log only warnings and errors; no progress bars")


def _add_model_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-m", "--model", metavar="PATH",
                        help="model directory (default: the pre-trained model)")


def _per_page_cap(text: str) -> tuple[str, int]:
    """``"boilerplate=50"`` -> ``("boilerplate", 50)``."""
    label, sep, number = text.partition("=")
    if not sep or not label.strip() or not number.strip().isdigit() or int(number) < 1:
        raise argparse.ArgumentTypeError(f"expected LABEL=N with N >= 1, got {text!r}")
    return label.strip().lower(), int(number)


def _provenance_factor(text: str) -> tuple[str, float]:
    """``"reviewed=3"`` -> ``("reviewed", 3.0)``."""
    name, sep, number = text.partition("=")
    try:
        factor = float(number)
    except ValueError:
        factor = -1.0
    if not sep or not name.strip() or not factor > 0 or factor == float("inf"):
        raise argparse.ArgumentTypeError(f"expected PROVENANCE=X with X > 0, got {text!r}")
    return name.strip(), factor


def _add_label_map_option(parser: argparse.ArgumentParser, default_help: str = "") -> None:
    parser.add_argument("--label-map", metavar="OLD=NEW", action="append",
                        type=_label_map_entries,
                        help="rename a label before use, e.g. boilerplate=navigation; "
                             "OLD= leaves those blocks unlabelled; OLD may be LABEL@PROVENANCE, "
                             "e.g. navigation@rule=boilerplate (repeatable or comma-separated)"
                             + (f"; {default_help}" if default_help else ""))


_INPUT_HELP = ("HTML file (also .gz), directory (searched for *.html, *.htm and their .gz), "
               "WARC file (.warc, .warc.gz: its HTML responses), or - for stdin")


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (one per core) or more: {text}")
    return value


def _add_batch_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-bytes", type=_max_bytes, default=DEFAULT_MAX_BYTES, metavar="N",
                        help="reject pages above this size: bytes, or with K, M or G "
                             f"(default: {DEFAULT_MAX_BYTES // 1024 ** 2}M; 0 or none: no limit)")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write one record per page to FILE: .jsonl, .jsonl.gz, or .parquet "
                             "(needs boilerkit[parquet])")
    parser.add_argument("-j", "--jobs", type=_jobs, default=1, metavar="N",
                        help="classify in N processes (default 1; 0: one per core); "
                             "output keeps the input order")
    parser.add_argument("--summary", metavar="FILE",
                        help="write the counts of the run (pages, failures, skipped WARC "
                             "records by reason, pages/s) to FILE as JSON")


def _wrap(text: str) -> str:
    # Raw formatting keeps the examples' line breaks, so wrap prose here.
    return textwrap.fill(text, width=79)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``boilerkit`` command."""
    parser = argparse.ArgumentParser(
        prog="boilerkit",
        description="Label the text blocks of web pages as article, navigation, teaser or "
                    "comment, and extract the article.",
        epilog="Run `boilerkit COMMAND --help` for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_logging_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    classify_parser = commands.add_parser(
        "classify", help="label every block of HTML pages",
        description=_wrap("Label every block of each page of the INPUTs. The text format prints one line "
                          "per block: label, probability, tag and text, separated by tabs "
                          "(on a terminal: aligned columns, text cut to fit the width)."),
        epilog="examples:\n  boilerkit classify page.html\n"
               "  curl -s https://example.org/ | boilerkit classify --format json -\n"
               "  boilerkit classify -j 2 -o blocks.parquet crawl.warc.gz",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    classify_parser.add_argument("files", nargs="+", metavar="INPUT", help=_INPUT_HELP)
    _add_model_option(classify_parser)
    classify_parser.add_argument("-f", "--format", choices=("text", "json", "jsonl"),
                                 help="text (default); json: one object per page (a list for "
                                      "several pages); jsonl: one object per page per line")
    classify_parser.add_argument("--content-type", metavar="CT",
                                 help="HTTP Content-Type of the input, for its charset")
    classify_parser.add_argument("-w", "--width", type=int, metavar="COLUMNS",
                                 help="cut text lines to this width; 0: never (default: the "
                                      f"terminal width, or {DEFAULT_PIPE_WIDTH} when piped)")
    _add_batch_options(classify_parser)
    _add_logging_options(classify_parser)
    classify_parser.set_defaults(handler=cmd_classify)

    extract_parser = commands.add_parser(
        "extract", help="print the article (or other labels) of HTML pages",
        description=_wrap("Print the blocks of each page of the INPUTs that have the wanted "
                          "label(s), in document order."),
        epilog="examples:\n  boilerkit extract page.html\n"
               "  boilerkit extract --label article,comment -f markdown page.html\n"
               "  boilerkit extract -j 2 -f jsonl crawl.warc.gz > articles.jsonl\n"
               "  boilerkit extract -j 2 -o articles.parquet pages/ crawl.warc.gz",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    extract_parser.add_argument("files", nargs="+", metavar="INPUT", help=_INPUT_HELP)
    _add_model_option(extract_parser)
    extract_parser.add_argument("-f", "--format", choices=(*FORMATS, "jsonl"),
                                help="output format (default: text); jsonl: one JSON object "
                                     "per page with its file, WARC record id, url and text")
    extract_parser.add_argument("-l", "--label", action="append", metavar="LABEL",
                                help="label to extract (default: article); repeatable or "
                                     "comma-separated")
    extract_parser.add_argument("--figures", action="store_true",
                                help="keep the text of figures (captions, photo credits), "
                                     "which is left out by default")
    extract_parser.add_argument("--content-type", metavar="CT",
                                help="HTTP Content-Type of the input, for its charset")
    _add_batch_options(extract_parser)
    _add_logging_options(extract_parser)
    extract_parser.set_defaults(handler=cmd_extract)

    train_parser = commands.add_parser(
        "train", help="train a model on labelled pages",
        description=_wrap("Train a model on labelled pages: HTML files with data-label "
                          "attributes or corpus *.jsonl[.gz] annotation files (see "
                          "`pydoc boilerkit.training`). Unless --dev is given, 15% of the "
                          "sites are held out for evaluation. Saves the model and prints "
                          "the held-out scores."),
        epilog="examples:\n  boilerkit train my-pages/ -o models/mine\n"
               "  boilerkit train datasets/annotations/ --split train --dev-split dev \\\n"
               "      --label-map boilerplate= -o models/corpus",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    train_parser.add_argument("data", nargs="+", metavar="DATA",
                              help="labelled file or directory (searched recursively)")
    train_parser.add_argument("-o", "--output", required=True, metavar="MODEL",
                              help="the model directory to write")
    dev_group = train_parser.add_mutually_exclusive_group()
    dev_group.add_argument("--dev", nargs="+", metavar="DATA",
                           help="held-out data to evaluate on instead of held-out sites")
    dev_group.add_argument("--dev-split", metavar="NAME",
                           help="evaluate on the pages of DATA with this split (e.g. dev)")
    train_parser.add_argument("--split", metavar="NAME",
                              help="train only on pages of this split (e.g. train)")
    train_parser.add_argument("--verify-split", metavar="NAME",
                              help="after training, compare the saved model's probabilities "
                                   "with scikit-learn's on every block of the DATA pages of this "
                                   "split (e.g. test) and record the largest difference in the "
                                   "manifest")
    train_parser.add_argument("--holdout", type=_fraction, default=0.15, metavar="FRACTION",
                              help="share of sites held out without --dev (default: 0.15; "
                                   "0: none)")
    defaults = _estimator_params()
    train_parser.add_argument(
        "--set", dest="params", action=_SetParam, type=_param_setting, default=[],
        metavar="KEY=VALUE",
        help="set a model parameter, e.g. max_leaf_nodes=63 (repeatable); VALUE is read as "
             "int, float, true/false, none or a string; the parameters and their defaults: "
             + ", ".join(f"{key}={value}" for key, value in sorted(defaults.items())))
    train_parser.add_argument("--max-iter", dest="params", action=_SetParam, param="max_iter",
                              type=_positive_int, metavar="N",
                              help="boosting iterations: --set max_iter=N (default: "
                                   f"{defaults.get('max_iter')})")
    train_parser.add_argument("--learning-rate", dest="params", action=_SetParam,
                              param="learning_rate", type=_positive_float, metavar="X",
                              help="boosting learning rate: --set learning_rate=X (default: "
                                   f"{defaults.get('learning_rate')})")
    _add_label_map_option(train_parser)
    train_parser.add_argument("--max-per-page", metavar="LABEL=N", action="append",
                              type=_per_page_cap, default=[], help="train on at most N blocks of LABEL per page, "
                              "weighted up to stand for the rest, e.g. boilerplate=50 "
                              "(repeatable)")
    train_parser.add_argument("--provenance-weight", metavar="PROVENANCE=X", action="append",
                              type=_provenance_factor, default=[],
                              help="multiply the weight of labels of this provenance, e.g. "
                                   "reviewed=3 (repeatable)")
    train_parser.add_argument("--no-page-weights", action="store_true",
                              help="weigh every block the same instead of every page")
    _add_logging_options(train_parser)
    train_parser.set_defaults(handler=cmd_train)

    average_parser = commands.add_parser(
        "average", help="average the probabilities of several trained models",
        description=_wrap("Write one model whose probabilities are the mean of the MODELs'. "
                          "The MODELs must be trained on the same data with the same features "
                          "and labels, e.g. by one `boilerkit train` command with different "
                          "--set random_state=N: their mean varies less from seed to seed than "
                          "any one of them. The features are computed once; each member adds "
                          "its trees' time. The manifest keeps the training data and licences, "
                          "and lists each member's parameters, dev scores and sha256."),
        epilog="example:\n  boilerkit average seed0/ seed1/ seed2/ -o models/mine \\\n"
               "      --dev datasets/annotations/ --dev-split dev",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    average_parser.add_argument("models", nargs="+", metavar="MODEL",
                                help="model directories (two or more)")
    average_parser.add_argument("-o", "--output", required=True, metavar="MODEL",
                                help="the model directory to write")
    average_parser.add_argument("--dev", nargs="+", metavar="DATA",
                                help="labelled data to score the average on; the scores go "
                                     "into the manifest")
    average_parser.add_argument("--dev-split", metavar="NAME",
                                help="score only the --dev pages of this split (e.g. dev)")
    _add_label_map_option(average_parser, default_help="default: the members' training "
                                                        "label map")
    _add_logging_options(average_parser)
    average_parser.set_defaults(handler=cmd_average)

    evaluate_parser = commands.add_parser(
        "evaluate", help="score a model on labelled pages",
        description="Score a model on labelled pages: per-class precision, recall and F1, by "
                    "block and by character, the confusion matrix, and macro-F1 per source.")
    _add_model_option(evaluate_parser)
    evaluate_parser.add_argument("data", nargs="+", metavar="DATA",
                                 help="labelled file or directory (searched recursively)")
    evaluate_parser.add_argument("--split", metavar="NAME",
                                 help="only pages of this split (e.g. test)")
    evaluate_parser.add_argument("--source", action="append", metavar="NAME",
                                 help="only pages of this source (repeatable)")
    _add_label_map_option(evaluate_parser)
    evaluate_parser.add_argument("--provenance", metavar="NAME",
                                 help="only pages with labels of this provenance, e.g. reviewed "
                                      "(the corpus pages labelled block by block in all four "
                                      "classes) or data-label (labelled HTML files)")
    evaluate_parser.add_argument("--json", action="store_true",
                                 help="print the metrics as JSON")
    evaluate_parser.add_argument("--report", metavar="HTML",
                                 help="also write an HTML report: scores with bootstrap "
                                      "intervals, confusion matrix, sources, worst pages "
                                      "(their views go to HTML's *_files/ folder)")
    evaluate_parser.add_argument("--worst", type=int, default=10, metavar="N",
                                 help="pages shown side by side in the report (default: 10)")
    evaluate_parser.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                                 help="bootstrap resamples of pages for the report's "
                                      "intervals (default: 1000; 0: none)")
    _add_logging_options(evaluate_parser)
    evaluate_parser.set_defaults(handler=cmd_evaluate)

    convert_parser = commands.add_parser(
        "convert", help="convert a pickled model into the plain model format",
        description=_wrap("Convert a BlockClassifier pickled with joblib (by this boilerkit "
                          "version) into a model directory of plain arrays that loads without "
                          "scikit-learn and runs no code. This unpickles SOURCE: convert only "
                          "files you trust. Models of boilerkit 0.1 use another feature schema "
                          "and have to be retrained with `boilerkit train`."))
    convert_parser.add_argument("source", metavar="SOURCE", help="a .joblib file or a folder")
    convert_parser.add_argument("destination", metavar="DESTINATION",
                                help="the model directory to write")
    _add_logging_options(convert_parser)
    convert_parser.set_defaults(handler=cmd_convert)

    show_parser = commands.add_parser(
        "show", help="write a page as it looks, every block coloured by its label",
        description=_wrap("Write FILE as a self-contained HTML view: every block outlined "
                          "and tinted in its label's colour, a legend with a count and a "
                          "switch per label, details on hover. The page's scripts, frames, "
                          "event handlers and remote loads are removed, so the view runs "
                          "and fetches nothing but itself."),
        epilog="examples:\n  boilerkit show page.html -o view.html\n"
               "  curl -s https://example.org/ | boilerkit show - --url https://example.org/ "
               "-o view.html",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    show_parser.add_argument("file", metavar="FILE", help="HTML file, or - for stdin")
    show_parser.add_argument("-o", "--output", metavar="HTML",
                             help="where to write the view (default: stdout)")
    _add_model_option(show_parser)
    show_parser.add_argument("--url", help="the page's address (resolves relative image URLs "
                                           "with --allow-remote)")
    show_parser.add_argument("--allow-remote", action="store_true",
                             help="keep the page's http(s) images and stylesheets; the browser "
                                  "fetches them when the view opens, which their servers see")
    show_parser.add_argument("--content-type", metavar="CT",
                             help="HTTP Content-Type of the input, for its charset")
    _add_logging_options(show_parser)
    show_parser.set_defaults(handler=cmd_show)

    label_parser = commands.add_parser(
        "label", help="label pages in the browser, saving data-label files for training",
        description=_wrap("Serve PAGEs on 127.0.0.1 for labelling in the browser. Each page "
                          "starts from its saved labels, its data-label attributes or the "
                          "model's predictions. Click a block (Shift/Alt-click: its "
                          "container; p: grow to the parent), press 1-4 or a/n/t/c for a "
                          "label, u to undo, s to save, [ and ] for the previous and next "
                          "page. Saved pages go to DIR with data-label attributes, ready "
                          "for `boilerkit train`."),
        epilog="example:\n  boilerkit label my-pages/ -o labelled/ && boilerkit train labelled/ "
               "-o models/mine",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    label_parser.add_argument("pages", nargs="+", metavar="PAGE",
                              help="HTML file or directory (searched recursively)")
    label_parser.add_argument("-o", "--output", metavar="DIR",
                              help="where labelled pages are saved (folders below the pages' "
                                   "common parent are kept)")
    label_parser.add_argument("--in-place", action="store_true",
                              help="save into the input pages themselves instead of -o DIR")
    _add_model_option(label_parser)
    label_parser.add_argument("--labels", action="append", metavar="LABEL",
                              help="labels offered, in order (default: the model's); "
                                   "repeatable or comma-separated")
    label_parser.add_argument("--port", type=int, default=0,
                              help="port on 127.0.0.1 (default: any free port)")
    label_parser.add_argument("--no-browser", action="store_true",
                              help="only print the address; do not open a browser")
    label_parser.add_argument("--allow-remote", action="store_true",
                              help="load the pages' http(s) images and stylesheets")
    _add_logging_options(label_parser)
    label_parser.set_defaults(handler=cmd_label)
    return parser


def _configure_logging(args: argparse.Namespace) -> tuple[logging.Handler, int]:
    handler = _StderrHandler()
    handler.setFormatter(_Formatter())
    # INFO (progress lines, training steps) is shown by default: they go to
    # stderr, so they never mix with results.
    if _quiet(args):
        level = logging.WARNING
    elif getattr(args, "verbose", 0):
        level = logging.DEBUG
    else:
        level = logging.INFO
    previous_level = log.level
    log.addHandler(handler)
    log.setLevel(level)
    log.propagate = False
    return handler, previous_level


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout without a file descriptor
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``boilerkit`` command with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:  # --help, --version, usage errors
        return exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 2)
    handler, previous_level = _configure_logging(args)
    try:
        return args.handler(args)
    except BrokenPipeError:
        # The reader went away (`boilerkit classify page.html | head`): stop quietly.
        _silence_stdout()
        return 141
    except (BoilerkitError, OSError) as error:
        _error(_describe(error))
        return 1
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    finally:
        log.removeHandler(handler)
        log.setLevel(previous_level)
        log.propagate = True
