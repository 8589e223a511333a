"""The boilerkit command, run in-process through ``main`` (one subprocess test for ``-m``)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import boilerkit
from boilerkit import cli
from boilerkit.cli import main
from boilerkit.errors import ModelNotFoundError
from boilerkit.persistence import load_model

REPO = Path(__file__).resolve().parent.parent
LABELS = {"article", "navigation", "teaser", "comment"}


def _stdin(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


@pytest.mark.parametrize("command", [[], ["classify"], ["extract"], ["train"], ["evaluate"],
                                     ["average"], ["convert"], ["show"], ["label"]])
def test_help_exits_0(command, capsys):
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: boilerkit")


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"boilerkit {boilerkit.__version__}"


@pytest.mark.parametrize("argv", [[], ["classify"], ["train", "data"], ["frobnicate"],
                                  ["classify", "--format", "xml", "x.html"],
                                  ["classify", "--max-bytes", "-1", "x.html"],
                                  ["extract", "--max-bytes", "lots", "x.html"],
                                  ["train", "d", "-o", "m", "--set", "max_iter"],
                                  ["train", "d", "-o", "m", "--set", "max_leaf_nodes=many"],
                                  ["train", "d", "-o", "m", "--set", "learning_rate=true"],
                                  ["train", "d", "-o", "m", "--max-iter", "0"],
                                  ["train", "d", "-o", "m", "--label-map", "nonsense"],
                                  ["train", "d", "-o", "m", "--max-per-page", "boilerplate=0"],
                                  ["train", "d", "-o", "m", "--max-per-page", "boilerplate"],
                                  ["train", "d", "-o", "m", "--provenance-weight", "reviewed=0"],
                                  ["train", "d", "-o", "m", "--provenance-weight", "reviewed=inf"],
                                  ["train", "d", "-o", "m", "--provenance-weight", "reviewed"]])
def test_usage_errors_exit_2(argv, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "usage: boilerkit" in captured.err


# -- classify -------------------------------------------------------------------


def test_classify_text(tiny_model_path, unlabelled_page, capsys):
    assert main(["classify", "--model", str(tiny_model_path), str(unlabelled_page)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) > 20
    fields = [line.split("\t") for line in lines]
    assert all(len(f) == 4 for f in fields)
    assert {f[0] for f in fields} <= LABELS and "article" in {f[0] for f in fields}
    assert all(0.0 <= float(f[1]) <= 1.0 for f in fields)
    assert {f[2] for f in fields} >= {"h1", "p", "li"}
    # Long paragraphs are cut to a readable line.
    assert all(len(line.expandtabs()) <= cli.DEFAULT_PIPE_WIDTH for line in lines)
    assert any(line.endswith("…") for line in lines)


def test_classify_width_0_keeps_the_whole_text(tiny_model_path, unlabelled_page, capsys):
    main(["classify", "-m", str(tiny_model_path), "--width", "0", str(unlabelled_page)])
    assert not any(line.endswith("…") for line in capsys.readouterr().out.splitlines())


def test_classify_json_from_stdin(tiny_model_path, unlabelled_page, capsys, monkeypatch):
    _stdin(monkeypatch, unlabelled_page.read_bytes())
    assert main(["classify", "-m", str(tiny_model_path), "--format", "json", "-"]) == 0
    page = json.loads(capsys.readouterr().out)
    assert page["file"] == "<stdin>"
    assert page["title"].endswith("- Unseen")
    block = page["blocks"][0]
    assert {"label", "probability", "probabilities", "tag", "xpath", "text"} <= set(block)
    assert set(block["probabilities"]) == LABELS


def test_classify_several_files(tiny_model_path, unlabelled_page, capsys):
    example = str(REPO / "examples" / "news-page.html")
    assert main(["classify", "-m", str(tiny_model_path), str(unlabelled_page), example]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"==> {unlabelled_page} <==\n")
    assert f"\n\n==> {example} <==\n" in out
    assert main(["classify", "-m", str(tiny_model_path), "-f", "jsonl",
                 str(unlabelled_page), example]) == 0
    objects = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["file"] for o in objects] == [str(unlabelled_page), example]
    assert main(["classify", "-m", str(tiny_model_path), "-f", "json",
                 str(unlabelled_page), example]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2


def test_missing_file_is_an_error_on_stderr_only(tiny_model_path, tmp_path, capsys):
    missing = tmp_path / "missing.html"
    assert main(["classify", "-m", str(tiny_model_path), str(missing)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("boilerkit: error: ")
    assert str(missing) in captured.err and "No such file" in captured.err


def test_a_bad_file_does_not_stop_the_others(tiny_model_path, unlabelled_page, tmp_path, capsys):
    binary = tmp_path / "image.html"
    binary.write_bytes(bytes(range(32)) * 100)
    argv = ["extract", "-m", str(tiny_model_path), str(binary), str(tmp_path / "gone.html"),
            str(unlabelled_page)]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert f"==> {unlabelled_page} <==" in captured.out
    assert f"boilerkit: error: {binary}: input looks like binary data" in captured.err
    assert "gone.html: No such file or directory" in captured.err


def test_missing_model(tmp_path, unlabelled_page, capsys):
    assert main(["classify", "-m", str(tmp_path / "no-model"), str(unlabelled_page)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "boilerkit: error: no model manifest" in captured.err


def test_without_a_pre_trained_model_the_error_says_what_to_do(unlabelled_page, capsys,
                                                              monkeypatch):
    def no_model():
        raise ModelNotFoundError("no model manifest")

    monkeypatch.setattr(cli, "default_model", no_model)
    assert main(["classify", str(unlabelled_page)]) == 1
    assert "pass --model PATH" in capsys.readouterr().err


# -- extract --------------------------------------------------------------------


def test_extract_text(tiny_model_path, unlabelled_page, capsys):
    assert main(["extract", "-m", str(tiny_model_path), str(unlabelled_page)]) == 0
    text = capsys.readouterr().out
    assert len(text) > 300
    assert "\n\n" in text  # paragraphs stay apart


def test_extract_json_from_stdin_with_several_labels(tiny_model_path, unlabelled_page, capsys,
                                                     monkeypatch):
    _stdin(monkeypatch, unlabelled_page.read_bytes())
    argv = ["extract", "-m", str(tiny_model_path), "-f", "json", "--label", "comment,teaser",
            "-l", "article", "-"]
    assert main(argv) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["file"] == "<stdin>"
    assert {block["label"] for block in document["blocks"]} <= {"comment", "teaser", "article"}
    assert document["text"]


@pytest.mark.parametrize("format", ["markdown", "html"])
def test_extract_formats(format, tiny_model_path, unlabelled_page, capsys):
    assert main(["extract", "-m", str(tiny_model_path), "-f", format, str(unlabelled_page)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("<article>") if format == "html" else out.startswith("# ")


def test_extract_leaves_the_text_of_figures_out_unless_told(tmp_path, capsys):
    page = tmp_path / "figure.html"
    page.write_text("<html><body><article><h1>Rain returns to the valley</h1>"
                    "<p>The valley had its first rain in months, and farmers were glad of it."
                    "</p><figure><img src=a.jpg><figcaption>The valley on Monday, after the "
                    "first rain in months. Photo: A. Lens</figcaption></figure>"
                    "<p>More rain is expected over the weekend, the weather service said.</p>"
                    "</article></body></html>")
    classified = boilerkit.classify(page.read_bytes())
    assert [b.label for b in classified if b.tag == "figcaption"] == ["article"]
    assert main(["extract", str(page)]) == 0
    plain = capsys.readouterr().out
    assert "farmers were glad" in plain and "A. Lens" not in plain
    assert main(["extract", "--figures", str(page)]) == 0
    assert "A. Lens" in capsys.readouterr().out


def test_extract_unknown_label(tiny_model_path, unlabelled_page, capsys):
    assert main(["extract", "-m", str(tiny_model_path), "-l", "sidebar",
                 str(unlabelled_page)]) == 2
    assert "no label 'sidebar'" in capsys.readouterr().err


# -- train / evaluate -------------------------------------------------------------


def test_train_writes_a_loadable_model_and_prints_scores(labelled_dir, tmp_path, capsys):
    output = tmp_path / "model"
    assert main(["train", str(labelled_dir), "-o", str(output), "--max-iter", "10"]) == 0
    captured = capsys.readouterr()
    model = load_model(output)
    assert set(model.classes_) == LABELS
    manifest = model.manifest
    assert manifest["training_data"] == [str(labelled_dir)]
    assert set(manifest["label_counts"]) == LABELS
    # The synthetic sites are easy: a model that learnt anything separates all four labels.
    macro_f1 = manifest["metrics"]["blocks"]["macro_f1"]
    assert 0.9 <= macro_f1 <= 1.0
    assert manifest["params"]["max_iter"] == 10
    # The held-out table goes to stdout; progress and logs to stderr.
    assert "precision" in captured.out and "f1-score" in captured.out
    assert any(line.split()[:1] == ["article"] for line in captured.out.splitlines())
    assert "held out" in captured.out
    macro_row = next(line for line in captured.out.splitlines() if line.split()[:2] == ["macro", "avg"])
    assert macro_row.split()[4] == f"{macro_f1:.3f}"  # the printed score is the recorded one
    assert "boilerkit: computing features:" in captured.err
    assert "boilerkit: saved the model" in captured.err


def test_train_quiet_with_label_map(labelled_dir, tmp_path, capsys):
    output = tmp_path / "model"
    argv = ["train", str(labelled_dir), "-o", str(output), "--max-iter", "5", "--quiet",
            "--label-map", "teaser=navigation", "--no-page-weights"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "teaser" not in captured.out
    model = load_model(output)
    assert "teaser" not in model.classes_
    assert model.manifest["label_map"] == {"teaser": "navigation"}
    assert model.manifest["training"]["page_weights"] is False


def test_train_without_labelled_pages(tmp_path, capsys):
    (tmp_path / "raw.html").write_text("<p>nothing labelled</p>")
    assert main(["train", str(tmp_path), "-o", str(tmp_path / "m")]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "boilerkit: error: no labelled pages" in captured.err
    assert not (tmp_path / "m").exists()


def test_evaluate_prints_the_report(tiny_model_path, labelled_dir, capsys):
    assert main(["evaluate", "--model", str(tiny_model_path), str(labelled_dir)]) == 0
    out = capsys.readouterr().out
    assert "precision" in out and "confusion matrix" in out and "macro-F1 by source" in out
    for label in LABELS:
        assert any(line.split()[:1] == [label] for line in out.splitlines())


def test_evaluate_json_and_filters(tiny_model_path, labelled_dir, capsys):
    argv = ["evaluate", "-m", str(tiny_model_path), str(labelled_dir), "--json",
            "--source", "html"]
    assert main(argv) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["n_pages"] == 12 and list(metrics["by_source"]) == ["html"]
    assert main(["evaluate", "-m", str(tiny_model_path), str(labelled_dir),
                 "--split", "test"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "no labelled pages with split 'test'" in captured.err
    assert main(argv + ["--provenance", "data-label"]) == 0
    assert json.loads(capsys.readouterr().out)["n_pages"] == 12
    assert main(argv + ["--provenance", "reviewed"]) == 1
    assert "labels of provenance 'reviewed'" in capsys.readouterr().err


def test_python_m_boilerkit_help():
    result = subprocess.run([sys.executable, "-m", "boilerkit", "--help"], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: boilerkit")
    assert "classify" in result.stdout and "train" in result.stdout


def test_train_with_splits(tmp_path, capsys, make_labelled_html):
    for i, site in enumerate(["a.example", "b.example", "c.example", "d.example"]):
        split = "dev" if i == 0 else "train"
        html = make_labelled_html(site, 0).replace(
            "<head>", f'<head><meta name="boilerkit:split" content="{split}">')
        (tmp_path / f"{site}.html").write_text(html)
    output = tmp_path / "model"
    assert main(["train", str(tmp_path), "--dev-split", "dev", "-o", str(output),
                 "--max-iter", "5", "-q"]) == 0
    assert "held-out evaluation (1 given pages)" in capsys.readouterr().out
    manifest = load_model(output).manifest
    assert manifest["training"]["pages"] == 3 and manifest["dev_split"] == "dev"


# -- --max-bytes ------------------------------------------------------------------


@pytest.mark.parametrize("text, value", [("1000", 1000), ("50M", 50 * 1024 ** 2), ("2k", 2048),
                                         ("1GiB", 1024 ** 3), ("0", None), ("0M", None),
                                         ("none", None), ("None", None)])
def test_max_bytes_values(text, value):
    assert cli._max_bytes(text) == value


def test_max_bytes_rejects_a_large_page_and_0_lifts_the_limit(tiny_model_path, unlabelled_page,
                                                               capsys):
    size = unlabelled_page.stat().st_size
    argv = ["extract", "-m", str(tiny_model_path), str(unlabelled_page)]
    assert main([*argv, "--max-bytes", str(size - 1)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{unlabelled_page}: page has {size:,} bytes, above the limit of {size - 1:,}" \
        in captured.err
    assert "--max-bytes" in captured.err
    assert main([*argv, "--max-bytes", str(size)]) == 0
    expected = capsys.readouterr().out
    assert expected
    for unlimited in ("0", "none"):
        assert main([*argv, "--max-bytes", unlimited]) == 0
        assert capsys.readouterr().out == expected


def test_a_page_above_10_mib_works_from_the_command_line_with_max_bytes_none(
        tiny_model_path, tmp_path, capsys, monkeypatch):
    big = (b"<html><body><h1>Big page</h1><p>" + b"word " * (11 * 1024 * 1024 // 5)
           + b"</p></body></html>")
    assert len(big) > 11 * 1024 * 1024
    argv = ["classify", "-m", str(tiny_model_path), "-f", "json", "-"]
    _stdin(monkeypatch, big)
    assert main(argv) == 1
    assert "page has more than 10,485,760 bytes" in capsys.readouterr().err
    _stdin(monkeypatch, big)
    assert main([*argv, "--max-bytes", "none"]) == 0
    blocks = json.loads(capsys.readouterr().out)["blocks"]
    assert [b["tag"] for b in blocks] == ["h1", "p"] and len(blocks[1]["text"]) > 11_000_000


# -- train --set ------------------------------------------------------------------


def test_train_set_unknown_parameter_is_a_usage_error_listing_the_valid_ones(capsys):
    assert main(["train", "d", "-o", "m", "--set", "max_depth=3"]) == 2
    err = capsys.readouterr().err
    assert "unknown model parameter 'max_depth'" in err
    for key in boilerkit.BlockClassifier().get_params():
        assert key in err


@pytest.mark.parametrize("text, value", [("3", 3), ("0.5", 0.5), ("1e-3", 0.001), ("true", True),
                                         ("False", False), ("none", None), ("null", None),
                                         ("balanced", "balanced"), ('{"a": 2}', {"a": 2}),
                                         ("", "")])
def test_train_set_values_are_parsed(text, value):
    assert cli._parse_value(text) == value and type(cli._parse_value(text)) is type(value)


def test_average_writes_one_model_of_the_seeds_with_their_training_data(labelled_dir, tmp_path,
                                                                         capsys):
    seeds = []
    for seed in (0, 1):
        seeds.append(tmp_path / f"seed{seed}")
        assert main(["train", str(labelled_dir), "-o", str(seeds[-1]), "-q", "--max-iter", "10",
                     "--set", "min_samples_leaf=5", "--set", f"random_state={seed}",
                     "--learning-rate", ("0.1", "0.3")[seed]]) == 0
    capsys.readouterr()
    output = tmp_path / "averaged"
    assert main(["average", *map(str, seeds), "-o", str(output), "-q",
                 "--dev", str(labelled_dir)]) == 0
    captured = capsys.readouterr()
    averaged = load_model(output)
    members = [load_model(path) for path in seeds]
    assert averaged.n_members == 2
    manifest = averaged.manifest
    assert manifest["training_data"] == members[0].manifest["training_data"]
    assert manifest["label_counts"] == members[0].manifest["label_counts"]
    assert manifest["params"]["random_state"] == [0, 1]
    assert manifest["params"]["max_iter"] == 10 and manifest["params"]["learning_rate"] == [
        0.1, 0.3]
    assert [entry["sha256"] for entry in manifest["averaged_from"]] == [
        member.manifest["sha256"] for member in members]
    assert manifest["averaged_from"][1]["params"]["random_state"] == 1
    # The scores of the average on --dev are printed and recorded.
    macro_f1 = manifest["metrics"]["blocks"]["macro_f1"]
    macro_row = next(line for line in captured.out.splitlines() if line.split()[:2] == ["macro", "avg"])
    assert macro_row.split()[4] == f"{macro_f1:.3f}"


def test_average_refuses_one_model_and_models_of_other_training_data(labelled_dir, tmp_path,
                                                                     capsys):
    first, other = tmp_path / "first", tmp_path / "other"
    assert main(["train", str(labelled_dir), "-o", str(first), "-q", "--max-iter", "5"]) == 0
    assert main(["train", str(labelled_dir), "-o", str(other), "-q", "--max-iter", "5",
                 "--label-map", "teaser=navigation"]) == 0
    capsys.readouterr()
    assert main(["average", str(first), "-o", str(tmp_path / "out"), "-q"]) == 1
    assert "two or more" in capsys.readouterr().err
    assert main(["average", str(first), str(other), "-o", str(tmp_path / "out"), "-q"]) == 1
    assert "label_map" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_average_scores_dev_with_the_members_label_map(labelled_dir, tmp_path, capsys):
    members = [tmp_path / name for name in ("a", "b")]
    for path, rate in zip(members, ("0.1", "0.3")):
        assert main(["train", str(labelled_dir), "-o", str(path), "-q", "--max-iter", "5",
                     "--learning-rate", rate, "--label-map", "teaser=navigation"]) == 0
    assert main(["average", *map(str, members), "-o", str(tmp_path / "out"), "-q",
                 "--dev", str(labelled_dir)]) == 0
    capsys.readouterr()
    manifest = load_model(tmp_path / "out").manifest
    assert manifest["label_map"] == {"teaser": "navigation"}
    # The dev pages were scored with teaser mapped to navigation, as the members trained.
    assert "teaser" not in manifest["metrics"]["blocks"]["per_class"]


def test_train_set_reaches_the_model_and_the_last_setting_wins(labelled_dir, tmp_path, capsys):
    output = tmp_path / "model"
    argv = ["train", str(labelled_dir), "-o", str(output), "-q", "--max-iter", "10",
            "--set", "max_iter=4", "--set", "max_leaf_nodes=7", "--learning-rate", "0.3",
            "--set", "min_samples_leaf=5", "--set", "class_weight=balanced"]
    assert main(argv) == 0
    params = load_model(output).manifest["params"]
    assert params["max_iter"] == 4 and params["max_leaf_nodes"] == 7
    assert params["learning_rate"] == 0.3 and params["min_samples_leaf"] == 5
    assert params["class_weight"] == "balanced"
    capsys.readouterr()
    assert main(["train", str(labelled_dir), "-o", str(output), "-q", "--set", "max_iter=2",
                 "--max-iter", "3"]) == 0
    assert load_model(output).manifest["params"]["max_iter"] == 3


def test_train_set_a_value_the_estimator_refuses_is_an_error_not_a_traceback(labelled_dir,
                                                                            tmp_path, capsys):
    argv = ["train", str(labelled_dir), "-o", str(tmp_path / "m"), "-q", "--set", "max_iter=2",
            "--set", "max_leaf_nodes=1"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("boilerkit: error: training failed:") and "max_leaf_nodes" in err


def test_train_verify_split_records_the_predictor_check(labelled_dir, tmp_path, make_labelled_html):
    held = tmp_path / "held" / "a.example"
    held.mkdir(parents=True)
    page = make_labelled_html("a.example", 7).replace(
        "<head>", '<head><meta name="boilerkit:split" content="test">')
    (held / "page.html").write_text(page, encoding="utf-8")
    output = tmp_path / "model"
    argv = ["train", str(labelled_dir), str(tmp_path / "held"), "--holdout", "0",
            "-o", str(output), "--max-iter", "5", "--verify-split", "test", "-q"]
    assert main(argv) == 0
    check = load_model(output).manifest["predictor_check"]
    assert check["split"] == "test" and check["pages"] == 1 and check["blocks"] > 10
    assert check["max_abs_difference"] < 1e-9
