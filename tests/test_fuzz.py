"""Property-based fuzzing of boilerkit.classify: hostile variants of real pages.

Every input must give a Page (which renders in every format) or a BoilerkitError
with a message: never another exception, a RecursionError or a hang. The
mutators are shared with the long campaign, ``fuzz/run.py``. About 2,000 cases
in all; BOILERKIT_FUZZ_SCALE multiplies that (e.g. 10 for a longer local run).
"""

from __future__ import annotations

import faulthandler
import os
import random
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import boilerkit
from boilerkit import BoilerkitError, Page
from boilerkit.page import FORMATS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fuzz"))

import mutators  # noqa: E402

_SCALE = float(os.environ.get("BOILERKIT_FUZZ_SCALE", "1"))
# A hang in C code cannot be interrupted: dump the stacks and stop the run instead of hanging CI.
_HARD_TIMEOUT = 120
_SETTINGS = settings(deadline=timedelta(seconds=10),
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def seeds(make_labelled_html) -> list[bytes]:
    pages = mutators.seed_pages()
    pages.append(make_labelled_html("fuzz.example", 0, labels=False).encode())
    return pages


@pytest.fixture(scope="module")
def small_seeds(seeds) -> list[bytes]:
    return [page for page in seeds if len(page) < 10_000]


def _examples(n: int) -> int:
    return max(1, int(n * _SCALE))


def check(case: mutators.Case, model: boilerkit.BlockClassifier) -> None:
    """The contract: a Page that renders, or a BoilerkitError with a message."""
    faulthandler.dump_traceback_later(_HARD_TIMEOUT, exit=True)
    try:
        page = boilerkit.classify(case.html, model=model, content_type=case.content_type)
    except BoilerkitError as error:
        assert str(error).strip()
        return
    finally:
        faulthandler.cancel_dump_traceback_later()
    assert isinstance(page, Page)
    labels = set(map(str, model.classes_))
    for block in page:
        assert block.text.strip() and block.label in labels
        assert abs(sum(block.probabilities.values()) - 1) < 1e-6
    assert 0.0 <= page.confidence <= 1.0
    assert (page.root is None) <= (not page.blocks)
    for format in FORMATS:
        assert isinstance(page.render(format, labels=None), str)


@settings(_SETTINGS, max_examples=_examples(900))
@given(rng=st.randoms(use_true_random=False), pool=st.integers(0, 3))
def test_mutated_pages(tiny_model, seeds, small_seeds, rng, pool):
    """Byte flips, inserted <, >, &, NUL and random tags, cuts, splices, long runs, ..."""
    pool = seeds if pool == 0 else small_seeds  # the big news page in a quarter of the cases
    check(mutators.make_case(rng, pool), tiny_model)


@settings(_SETTINGS, max_examples=_examples(500))
@given(rng=st.randoms(use_true_random=False), encoding=st.sampled_from(mutators.ENCODINGS),
       header=st.none() | st.sampled_from(mutators.CHARSET_LABELS),
       meta=st.none() | st.sampled_from(mutators.CHARSET_LABELS),
       cut=st.booleans())
def test_reencoded_pages_with_random_charsets(tiny_model, small_seeds, rng, encoding, header,
                                              meta, cut):
    """A page in another encoding, with any Content-Type charset and <meta charset>."""
    text = rng.choice(small_seeds).decode("utf-8")
    if meta is not None:
        text = f'<meta charset="{meta}">' + text
    data = text.encode(encoding, "replace")
    if cut:
        data = data[: rng.randint(0, len(data))]
    content_type = None if header is None else f"text/html; charset={header}"
    check(mutators.Case(data, content_type), tiny_model)


@settings(_SETTINGS, max_examples=_examples(300))
@given(rng=st.randoms(use_true_random=False),
       depth=st.sampled_from([255, 256, 1000, 2046, 2047, 2048, 2049, 2100, 5000, 10_000,
                              12_000]),
       tag=st.sampled_from(["div", "span", "b", "li", "table", "td", "a", "p", "blockquote",
                            "font", "section", "x-y"]),
       closed=st.booleans(), as_str=st.booleans())
def test_deep_nesting(tiny_model, small_seeds, rng, depth, tag, closed, as_str):
    """Nesting up to and beyond libxml2's 2,048 levels and 10,000: never a RecursionError."""
    page = rng.choice(small_seeds)
    at = rng.randint(0, len(page))
    nested = f"<{tag}>" * depth + "deep" + (f"</{tag}>" * depth if closed else "")
    data = page[:at] + nested.encode() + page[at:]
    check(mutators.Case(data.decode("utf-8", "replace") if as_str else data), tiny_model)


@settings(_SETTINGS, max_examples=_examples(300))
@given(rng=st.randoms(use_true_random=False))
def test_truncated_and_flipped_news_page(tiny_model, seeds, rng):
    """The example page cut anywhere, with a few flipped bytes: the cut is often mid-character."""
    data = seeds[0][: rng.randint(0, len(seeds[0]))]
    if rng.random() < 0.5:
        data = mutators.flip_bytes(rng, data)
    check(mutators.Case(data), tiny_model)


def test_the_mutators_cover_what_they_claim(seeds):
    rng = random.Random(0)
    cases = [mutators.make_case(rng, seeds) for _ in range(400)]
    steps = {step.split("=")[0] for case in cases for step in case.steps}
    assert {m.__name__ for m in mutators.MUTATIONS} <= steps
    assert {"splice", "content_type", "as str", "as bytearray", "as memoryview"} <= steps
    assert all(len(case.data()) <= mutators.MAX_SIZE for case in cases)
    again = random.Random(0)
    assert [mutators.make_case(again, seeds).data() for _ in range(5)] == \
        [case.data() for case in cases[:5]]
