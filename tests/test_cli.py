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


@pytest.mark.parametrize("command", [[], ["classify"], ["extract"], ["train"], ["evaluate"]])
def test_help_exits_0(command, capsys):
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: boilerkit")


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"boilerkit {boilerkit.__version__}"


@pytest.mark.parametrize("argv", [[], ["classify"], ["train", "data"], ["frobnicate"],
                                  ["classify", "--format", "xml", "x.html"],
                                  ["train", "d", "-o", "m", "--max-iter", "0"],
                                  ["train", "d", "-o", "m", "--label-map", "nonsense"],
                                  ["train", "d", "-o", "m", "--max-per-page", "boilerplate=0"],
                                  ["train", "d", "-o", "m", "--max-per-page", "boilerplate"]])
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
    assert manifest["metrics"]["blocks"]["macro_f1"] >= 0
    assert manifest["params"]["max_iter"] == 10
    # The held-out table goes to stdout; progress and logs to stderr.
    assert "precision" in captured.out and "f1-score" in captured.out
    assert any(line.split()[:1] == ["article"] for line in captured.out.splitlines())
    assert "held out" in captured.out
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
