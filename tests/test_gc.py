"""Tests of boilerkit._gc: the cyclic collector is paused, then restored."""

from __future__ import annotations

import gc

import pytest

from boilerkit._gc import collection_paused


@pytest.fixture(autouse=True)
def _restore_collector():
    enabled = gc.isenabled()
    yield
    (gc.enable if enabled else gc.disable)()


def test_the_collector_is_paused_inside_and_enabled_after():
    gc.enable()
    with collection_paused():
        assert not gc.isenabled()
        with collection_paused():  # nested: the inner block leaves it to the outer
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_is_restored_when_the_block_raises():
    gc.enable()
    with pytest.raises(RuntimeError), collection_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_collector_disabled_by_the_caller_stays_disabled():
    gc.disable()
    with collection_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_classify_leaves_the_collector_as_it_found_it(tmp_path):
    from boilerkit import classify
    from boilerkit.errors import ModelError

    page = "<html><body><p>One paragraph of text.</p></body></html>"
    gc.enable()
    classify(page)
    assert gc.isenabled()
    with pytest.raises(ModelError):  # raised while the collector is paused
        classify(page, model=tmp_path / "no-model-here")
    assert gc.isenabled()
