"""Shared fixtures. Paths come from this file's location, never the working directory.
Shared helpers live in :mod:`tests.support`."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
QUESTIONS = ROOT / "evaluation" / "questions.jsonl"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture
def fake_embeddings():
    """Fresh bag-of-words embeddings (they count the texts they embed)."""
    from tests.support.fakes import HashEmbeddings

    return HashEmbeddings()


@pytest.fixture(scope="session")
def fake_bundled(tmp_path_factory):
    """An Answerer over the bundled corpus with the fake embeddings: fast, shared, not for counting calls."""
    from qa.app.api import Answerer
    from tests.support.fakes import HashEmbeddings

    return Answerer.from_corpus(CORPUS, tmp_path_factory.mktemp("fake-bundled-index"), embeddings=HashEmbeddings())


@pytest.fixture
def make_corpus(tmp_path):
    """Write ``{relative path: text or bytes}`` into a fresh folder and return it."""

    def make(files: dict, name: str = "docs") -> Path:
        root = tmp_path / name
        root.mkdir(parents=True, exist_ok=True)
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return root

    return make


@pytest.fixture(scope="session")
def real_embeddings():
    """The packaged all-MiniLM-L6-v2, loaded once per session."""
    from qa.search.embeddings import MiniLMEmbeddings
    from qa.settings import Settings

    return MiniLMEmbeddings(cache_dir=Settings.get("cache_dir"))


@pytest.fixture(scope="session")
def bundled_index_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bundled-index")


@pytest.fixture(scope="session")
def bundled(real_embeddings, bundled_index_dir):
    """An Answerer over the bundled corpus with the real model (index in a temp folder)."""
    from qa.app.api import Answerer

    return Answerer.from_corpus(CORPUS, bundled_index_dir, embeddings=real_embeddings)


@pytest.fixture(scope="module")
def browser():
    """Headless Debian chromium driven by Playwright, one per test module (the browser tests)."""
    from tests.support.ui import launch_chromium

    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


@pytest.fixture
def corpus_copy(tmp_path):
    """A copy of the bundled corpus that a test may change."""
    dest = tmp_path / "corpus"
    shutil.copytree(CORPUS, dest)
    return dest


@pytest.fixture
def xss_bot(make_corpus, tmp_path, fake_embeddings):
    """An Answerer over documents holding script payloads (fake embeddings)."""
    from qa.app.api import Answerer
    from tests.support.chat import XSS_CORPUS

    return Answerer.from_corpus(make_corpus(XSS_CORPUS), tmp_path / "idx", embeddings=fake_embeddings)


SMALL_DOCS = {
    "a.txt": "Crows are clever birds. They use tools to get food. Crows live in large groups.",
    "b.md": "# Ravens\n\nRavens are larger than crows. Ravens can mimic human speech.",
    "c.txt": "Owls hunt at night. Their hearing is very sharp. Owls can turn their heads far.",
}


@pytest.fixture
def built_index(make_corpus, tmp_path):
    """(corpus folder, index folder, embeddings) with an up-to-date index of three small documents."""
    from qa.app.api import Answerer
    from tests.support.fakes import HashEmbeddings

    root = make_corpus(SMALL_DOCS)
    emb = HashEmbeddings()
    Answerer.from_corpus(root, tmp_path / "index", embeddings=emb)
    return root, tmp_path / "index", emb


@pytest.fixture(scope="session")
def security_site(tmp_path_factory):
    """A corpus with a secret fact and a link out of it, for the security tests against ``ui.py``
    (its index is built by the first server and loaded by the next)."""
    from tests.support.routes import make_site

    return make_site(tmp_path_factory.mktemp("security-site"))
