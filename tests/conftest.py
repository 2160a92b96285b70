"""Shared fixtures. Paths come from this file's location, never the working directory."""

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
    from tests.fakes import HashEmbeddings

    return HashEmbeddings()


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
    from qa.embeddings import MiniLMEmbeddings

    return MiniLMEmbeddings()


@pytest.fixture(scope="session")
def bundled_index_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bundled-index")


@pytest.fixture(scope="session")
def bundled(real_embeddings, bundled_index_dir):
    """An Answerer over the bundled corpus with the real model (index in a temp folder)."""
    from qa.api import Answerer

    return Answerer.from_corpus(CORPUS, bundled_index_dir, embeddings=real_embeddings)


@pytest.fixture
def corpus_copy(tmp_path):
    dest = tmp_path / "corpus"
    shutil.copytree(CORPUS, dest)
    return dest
