"""Fixture pages (tests/fixtures/<case>/): named blocks get their expected label.

Each folder holds ``expected.json`` and, for pages of our own, the page itself; see
``tests/fixtures/README.md``. Pages of the shared datasets are loaded from
``BOILERKIT_DATA`` by id and checked by hash.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from boilerkit import classify

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CASES = sorted(path.parent.name for path in FIXTURES.glob("*/expected.json"))


def _html(case: str, spec: dict) -> bytes:
    if "file" in spec:
        return (FIXTURES / case / spec["file"]).read_bytes()
    from boilerkit.datasets.sources import DatasetNotFound, load_source

    try:
        for page in load_source(spec["dataset"]):
            if page.page_id == spec["page_id"]:
                assert hashlib.sha256(page.html).hexdigest() == spec["sha256"], case
                return page.html
    except DatasetNotFound as error:
        pytest.skip(f"shared datasets absent: {error}")
    raise AssertionError(f"{spec['page_id']} is not in the shared datasets")


def _matches(block, expectation: dict) -> bool:
    if "tag" in expectation and block.tag != expectation["tag"]:
        return False
    if "text" in expectation:
        return block.text == expectation["text"]
    return block.text.startswith(expectation["starts"])


@pytest.mark.parametrize("case", CASES)
def test_fixture_page(case):
    expected = json.loads((FIXTURES / case / "expected.json").read_text())
    page = classify(_html(case, expected["page"]))
    wrong = []
    for expectation in expected["expect"]:
        found = [block for block in page.blocks if _matches(block, expectation)]
        assert found, f"{case}: no block matches {expectation}"
        wrong += [(block.text[:60], block.label, expectation["label"]) for block in found
                  if block.label != expectation["label"]]
    for rule in expected.get("none_of", []):
        wrong += [(block.text[:60], block.label, f"not {rule['label']}") for block in page.blocks
                  if block.tag == rule["tag"] and len(block.text) >= rule["min_chars"]
                  and block.label == rule["label"]]
    assert not wrong, f"{case}: (text, got, expected) {wrong}"
    assert page.text("article").strip(), f"{case}: empty article"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.html")), ids=lambda p: p.name)
def test_example_pages_get_an_article(path):
    assert classify(path.read_bytes()).text("article").strip()
