"""The labelling server without a browser: where it saves, what it refuses, what it starts from.

Clicking and saving in the browser is tested in ``test_browser.py``.
"""

from __future__ import annotations

import http.client
import json
import re
import shutil
import threading

import pytest

from boilerkit.annotate import write_labels
from boilerkit.cli import main
from boilerkit.errors import BoilerkitError
from boilerkit.labelled import page_from_html
from boilerkit.labelling_server import (LabellingServer, LabellingSession, html_files,
                                        output_paths)

from viewing import EXAMPLE


@pytest.fixture
def pages(tmp_path):
    for site in ("a.example", "b.example"):
        (tmp_path / "in" / site).mkdir(parents=True)
        shutil.copy(EXAMPLE, tmp_path / "in" / site / "page.html")
    return tmp_path / "in"


@pytest.fixture
def server(pages, tmp_path, tiny_model):
    session = LabellingSession(html_files([pages]), tmp_path / "out", model=tiny_model)
    server = LabellingServer(session)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _request(server, method: str, path: str, body: dict | None = None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=60)
    data = json.dumps(body).encode() if body is not None else None
    connection.request(method, path, body=data, headers=headers or {})
    response = connection.getresponse()
    return response.status, response.read(), response


def _token(html: bytes) -> str:
    data = re.search(rb'id="boilerkit-data">(.*?)</script>', html).group(1)
    return json.loads(data)["edit"]["token"]


def test_outputs_keep_the_site_folders_and_never_overwrite_inputs(pages, tmp_path):
    sources = html_files([pages])
    assert output_paths(sources, tmp_path / "out", False) == [
        tmp_path / "out" / "a.example" / "page.html", tmp_path / "out" / "b.example" / "page.html"]
    assert output_paths(sources[:1], tmp_path / "out", False) == [tmp_path / "out" / "page.html"]
    with pytest.raises(BoilerkitError, match="--in-place"):
        output_paths(sources[:1], pages / "a.example", False)
    with pytest.raises(BoilerkitError, match="-o DIR"):
        output_paths(sources, None, False)
    assert output_paths(sources, None, True) == sources


def test_a_page_is_served_and_saved_with_its_labels(server, tmp_path):
    status, _, response = _request(server, "GET", "/")
    assert status == 302 and response.getheader("Location") == "/page/0"
    status, html, response = _request(server, "GET", "/page/1")
    assert status == 200
    assert "script-src 'sha256-" in response.getheader("Content-Security-Policy")
    n = len(json.loads(re.search(rb'id="boilerkit-data">(.*?)</script>', html).group(1))["blocks"])
    labels = ["comment"] * n
    status, body, _ = _request(server, "POST", "/save/1", {"labels": labels},
                               {"X-Boilerkit-Token": _token(html),
                                "Content-Type": "application/json"})
    reply = json.loads(body)
    assert status == 200 and reply["ok"] and reply["attributes"] == 1
    saved = tmp_path / "out" / "b.example" / "page.html"
    assert reply["path"] == str(saved)
    assert page_from_html(saved.read_bytes(), "x").labels == labels
    assert (tmp_path / "in" / "b.example" / "page.html").read_bytes() == EXAMPLE.read_bytes()


@pytest.mark.parametrize("headers, status", [
    ({"Content-Type": "application/json"}, 403),                         # no token
    ({"Content-Type": "application/json", "X-Boilerkit-Token": "guess"}, 403),
    ({"Content-Type": "text/plain", "X-Boilerkit-Token": None}, 415),    # a plain form post
    ({"Content-Type": "application/json", "X-Boilerkit-Token": None, "Host": "evil.test"}, 421),
])
def test_saving_needs_the_token_json_and_a_local_host(server, tmp_path, headers, status):
    _, html, _ = _request(server, "GET", "/page/0")
    headers = {key: (value if value is not None else _token(html)) for key, value in headers.items()}
    got, body, _ = _request(server, "POST", "/save/0", {"labels": []}, headers)
    assert got == status and not json.loads(body)["ok"]
    assert not (tmp_path / "out").exists()


def test_pages_are_only_served_to_local_host_names(server):
    status, body, _ = _request(server, "GET", "/page/0", headers={"Host": "attacker.test"})
    assert status == 421 and b"boilerkit-data" not in body
    assert _request(server, "GET", "/page/9")[0] == 404


def test_bad_labels_are_refused(server):
    _, html, _ = _request(server, "GET", "/page/0")
    headers = {"X-Boilerkit-Token": _token(html), "Content-Type": "application/json"}
    status, body, _ = _request(server, "POST", "/save/0", {"labels": ["article"]}, headers)
    assert status == 400 and "labels for a page of" in json.loads(body)["error"]
    status, body, _ = _request(server, "POST", "/save/0", {"labels": [1, 2]}, headers)
    assert status == 400


def test_start_from_saved_labels_then_the_pages_own_then_predictions(pages, tmp_path, tiny_model):
    source = pages / "a.example" / "page.html"
    session = LabellingSession([source], tmp_path / "out", model=tiny_model)
    predicted = session.start(0)[0]
    assert session.start(0)[1] == "labels predicted by the model"

    own = ["teaser"] * len(predicted)
    source.write_bytes(write_labels(source.read_bytes(), own)[0])
    session = LabellingSession([source], tmp_path / "out", model=tiny_model)
    assert session.start(0)[0] == own
    assert "data-label attributes" in session.start(0)[1]

    saved = ["comment"] * len(predicted)
    session.save(0, saved)
    session = LabellingSession([source], tmp_path / "out", model=tiny_model)
    assert session.start(0)[0] == saved and "saved in" in session.start(0)[1]


def test_cli_label_refuses_to_overwrite_its_input(pages, tiny_model_path, capsys):
    page = str(pages / "a.example" / "page.html")
    assert main(["label", "--no-browser", "-m", str(tiny_model_path), page, "-o",
                 str(pages / "a.example")]) == 1
    assert "--in-place" in capsys.readouterr().err
