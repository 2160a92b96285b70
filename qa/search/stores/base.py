"""The :class:`Store` interface: where an index is kept, brought up to date and searched.

A store turns a corpus into an index it keeps (:meth:`Store.open_or_build`, which loads it
when it matches the corpus and otherwise embeds only what changed), and gives a retriever
over it (:meth:`Store.retriever`) whose documents carry the metadata of
:mod:`qa.search.retriever`. :class:`LocalStore` is the default: FAISS and BM25 files in a
folder. :func:`open_store` opens the store a ``QA_STORE`` value names.

    >>> import pathlib, tempfile
    >>> from qa.ingest.corpus import load_corpus
    >>> from tests.support.fakes import HashEmbeddings
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "docs").mkdir(), (folder / "docs" / "a.txt").write_text("Crows use tools.")
    >>> store = open_store("local", index_dir=folder / "index")
    >>> index, report = store.open_or_build(load_corpus(folder / "docs"), HashEmbeddings())
    >>> report.action, store.retriever(index, HashEmbeddings(), k=1).invoke("tools")[0].metadata["source"]
    ('built', 'a.txt')
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Callable

from langchain_core.retrievers import BaseRetriever

from ...ingest.document import Corpus
from ...settings import DEFAULT_STORE_TIMEOUT
from ..embeddings import ArrayEmbeddings
from ..index import IndexSettings, Progress
from ..lifecycle import BuildReport, open_or_build_index
from .uri import Credentials, StoreSpec, parse_store


class Store(ABC):
    """Where an index lives. ``name`` shows it in messages (never with credentials)."""

    name: str = "store"

    @abstractmethod
    def open_or_build(self, corpus: Corpus, embeddings: ArrayEmbeddings, settings: IndexSettings = IndexSettings(),
                      rebuild: str = "auto", progress: Progress | None = None,
                      on_wait: Callable[[str], None] | None = None) -> tuple[Any, BuildReport]:
        """The index of ``corpus`` (an object with ``documents`` and ``stats``) and what was done:
        "loaded", "built" or "updated" (``rebuild``, ``on_wait`` as in
        :func:`qa.search.lifecycle.open_or_build_index`)."""

    @abstractmethod
    def retriever(self, index: Any, embeddings: ArrayEmbeddings, k: int) -> BaseRetriever:
        """A retriever over ``index`` returning ``k`` passages per question."""

    def close(self) -> None:
        """Let go of connections (nothing to do by default)."""


class LocalStore(Store):
    """The index in a folder on this machine (:mod:`qa.search.storage`), searched in memory."""

    def __init__(self, index_dir):
        self.index_dir = Path(index_dir)
        self.name = str(self.index_dir)

    def open_or_build(self, corpus, embeddings, settings=IndexSettings(), rebuild="auto", progress=None, on_wait=None):
        return open_or_build_index(corpus, self.index_dir, embeddings, settings, rebuild=rebuild, progress=progress,
                                   on_wait=on_wait)

    def retriever(self, index, embeddings, k):
        from ..retriever import HybridRetriever

        return HybridRetriever(index=index, embeddings=embeddings, k=k)


def open_store(store: "str | StoreSpec | Store | None" = None, index_dir="index", *,
               credentials: Credentials | None = None, timeout: int = DEFAULT_STORE_TIMEOUT) -> Store:
    """The store ``store`` names (a ``QA_STORE`` value; ``None`` or ``"local"``: the folder
    ``index_dir``). A Milvus store connects with ``credentials`` and gives each request
    ``timeout`` seconds. (The edges pass the ``QA_*`` settings: :func:`qa.app.configured.open_configured_store`.)"""
    if isinstance(store, Store):
        return store
    spec = store if isinstance(store, StoreSpec) else parse_store(store)
    if spec.kind == "local":
        return LocalStore(index_dir)
    from .milvus_store import MilvusStore

    return MilvusStore(spec, credentials or Credentials(), timeout=timeout)
