"""Shared fixtures: small synthetic pages in the ``data-label`` format and a tiny model.

Tests train their own tiny model on pages made up here, so that they do not
depend on the shipped model (``models/boilerkit-news-4class``, which only the
end-to-end tests in ``test_example.py`` use) and stay fast. It is trained once
per session and is far too small to be good; it only has to produce every label.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

from boilerkit.estimator import BlockClassifier
from boilerkit.persistence import save_model

SITES = ("dailyplanet.example", "gazette.example", "courier.example", "herald.example",
         "tribune.example", "sentinel.example")
PAGES_PER_SITE = 2

_WORDS = ("government minister economy trade energy talks summit agreement market growth "
          "officials announced report analysts said week year country region policy plans "
          "investment farmers prices city council budget school hospital water project").split()
_NAMES = ("Ann Lee", "Omar Khan", "Sofia Rossi", "John Smith", "Mei Chen", "Lars Berg")


def _sentence(rng: random.Random, n_words: int) -> str:
    words = [rng.choice(_WORDS) for _ in range(n_words)]
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng, rng.randint(10, 18)) for _ in range(rng.randint(3, 5)))


def _headline(rng: random.Random) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(5, 9))).title()


def labelled_html(site: str, index: int, *, labels: bool = True) -> str:
    """A news page of ``site`` with every region marked by ``data-label``.

    With ``labels=False`` the same kind of page without the attributes, as
    the CLI would get it from the web.
    """
    rng = random.Random(f"{site}/{index}")

    def label(name: str) -> str:
        return f' data-label="{name}"' if labels else ""

    name = site.split(".")[0].title()
    menu = "".join(f'<li><a href="/{w}">{w.title()}</a></li>'
                   for w in ("world", "business", "sport", "culture", "opinion"))
    paragraphs = "".join(f"<p>{_paragraph(rng)}</p>" for _ in range(rng.randint(4, 6)))
    cards = "".join(
        f'<div class="card"><a href="/story/{rng.randint(1, 999)}"><h4>{_headline(rng)}</h4></a>'
        f'<p class="excerpt">{_sentence(rng, 8)}</p><span class="date">2 hours ago</span></div>'
        for _ in range(3))
    comments = "".join(
        f'<div class="comment"><div class="comment-author">{rng.choice(_NAMES)}</div>'
        f'<div class="comment-date">December {rng.randint(1, 28)}, 2025 at 10:{rng.randint(10, 59)}'
        f'</div><p>{_sentence(rng, rng.randint(6, 20))}</p><a class="reply" href="#">Reply</a></div>'
        for _ in range(rng.randint(2, 3)))
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{_headline(rng)} - {name}</title>
<link rel="canonical" href="https://www.{site}/news/{index}/"></head>
<body>
<header class="site-header"{label("navigation")}>
  <div class="logo"><a href="/">{name}</a></div>
  <nav class="main-menu"><ul>{menu}</ul></nav>
</header>
<main>
<article class="post"{label("article")}>
  <h1 class="entry-title">{_headline(rng)}</h1>
  <div class="byline">By {rng.choice(_NAMES)}, December {rng.randint(1, 28)}, 2025</div>
  {paragraphs}
  <div class="share-bar"{label("navigation")}><a href="#">Facebook</a> <a href="#">X</a>
    <a href="#">WhatsApp</a></div>
</article>
<aside class="related-posts"{label("teaser")}><h3>Related stories</h3>{cards}</aside>
<section id="comments" class="comments-area"{label("comment")}>
  <h3>{rng.randint(2, 40)} comments</h3>{comments}
  <form class="comment-form"><p>Leave a Reply</p><label>Name</label> <input name="n">
    <p>Your email address will not be published.</p><button>Post Comment</button></form>
</section>
</main>
<footer class="site-footer"{label("navigation")}>
  <p>&copy; 2025 {name}. All rights reserved.</p>
  <ul><li><a href="/about">About us</a></li><li><a href="/contact">Contact</a></li></ul>
</footer>
<div class="build-info">build {rng.randint(1000, 9999)}</div>
</body></html>
"""


def write_labelled_pages(directory: Path, sites=SITES, pages_per_site: int = PAGES_PER_SITE) -> Path:
    """Write labelled pages as ``directory/<site>/page-<i>.html``; return ``directory``."""
    for site in sites:
        folder = directory / site
        folder.mkdir(parents=True, exist_ok=True)
        for index in range(pages_per_site):
            (folder / f"page-{index}.html").write_text(labelled_html(site, index), encoding="utf-8")
    return directory


@pytest.fixture(scope="session", autouse=True)
def _one_thread():
    """Train on one thread: OpenMP threads fighting over a busy CI machine make tiny fits slow."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="session")
def make_labelled_html():
    """:func:`labelled_html`, for tests that need pages of their own."""
    return labelled_html


@pytest.fixture(scope="session")
def labelled_dir(tmp_path_factory) -> Path:
    """A directory of labelled pages, one folder per site."""
    return write_labelled_pages(tmp_path_factory.mktemp("labelled"))


@pytest.fixture(scope="session")
def labelled_pages(labelled_dir):
    from boilerkit.labelled import read_labelled

    return read_labelled(labelled_dir)


@pytest.fixture(scope="session")
def tiny_model(labelled_pages) -> BlockClassifier:
    """A BlockClassifier(max_iter=20) trained on the synthetic pages (all four labels)."""
    # min_samples_leaf is lowered from 40 because there are only a few hundred blocks.
    model = BlockClassifier(max_iter=20, min_samples_leaf=5)
    return model.fit([page.blocks for page in labelled_pages],
                     [page.labels for page in labelled_pages])


@pytest.fixture(scope="session")
def stacked_pair(labelled_pages) -> list:
    """Two stacked plain models of the same features and levels, to average (on data this
    small a seed changes nothing, so they differ in learning rate)."""
    pages = [page.blocks for page in labelled_pages]
    return [BlockClassifier(max_iter=10, min_samples_leaf=5, stacking=True, stacking_folds=2,
                            learning_rate=rate).fit(
        pages, [page.labels for page in labelled_pages],
        groups=[page.site for page in labelled_pages]).to_model() for rate in (0.1, 0.3)]


@pytest.fixture(scope="session")
def tiny_model_path(tiny_model, tmp_path_factory) -> Path:
    """The tiny model saved as a model directory."""
    path = tmp_path_factory.mktemp("models") / "tiny"
    save_model(tiny_model, path, metadata={"training_data": ["synthetic"]})
    return path


@pytest.fixture(scope="session")
def unlabelled_page(tmp_path_factory) -> Path:
    """A page like the training pages but without ``data-label`` attributes."""
    path = tmp_path_factory.mktemp("pages") / "news.html"
    path.write_text(labelled_html("unseen.example", 0, labels=False), encoding="utf-8")
    return path


def compiled_or_python(request, monkeypatch, module) -> str:
    """For a fixture parametrised with ``["compiled", "python"]``: turn ``module``'s C
    accelerator off for ``"python"``, and skip ``"compiled"`` where it is not built."""
    if request.param == "python":
        monkeypatch.setattr(module, "_speedups", None)
    elif module._speedups is None:
        pytest.skip("the C accelerator is not built")
    return request.param

