"""The Python API: :class:`Answerer` (a loaded corpus you ask questions of) and :func:`ask`.

    >>> import qa                                                      # doctest: +SKIP
    >>> a = qa.ask("When did Iran launch its missile strike on Pakistan?")  # doctest: +SKIP
    >>> a.text, a.citations[0].source                                    # doctest: +SKIP
    ('On January 16, Iran launched a missile strike ... [1]', 'iran-pakistan-relations.txt')

Questions are checked here (:func:`validate_question`) before anything is loaded. The settings
are read here and handed down: :mod:`qa.pipeline` assembles the stages (:mod:`qa.ingest`,
:mod:`qa.search`, :mod:`qa.answering`) into the :class:`~qa.pipeline.Pipeline` an ``Answerer`` is.
"""

from __future__ import annotations

import threading
from pathlib import Path

from ..answering.answer import Answer
from ..answering.readers import make_reader
from ..answering.reader import Reader
from ..ingest.corpus import load_corpus
from ..ingest.limits import Limits
from ..pipeline import Pipeline, WriterOptions, validate_history, written_reader
from ..pipeline import validate_question as _validate_question
from ..search.embeddings import ArrayEmbeddings, MiniLMEmbeddings
from ..search.index import IndexSettings, PassageIndex
from ..search.lifecycle import BuildReport
from ..search.stores import Store
from ..settings import DEFAULT_MAX_FILE_BYTES, DEFAULT_TOP_K, Settings
from .configured import document_limits, open_configured_store

__all__ = ["Answerer", "ask", "clear_cache", "get_answerer", "validate_history", "validate_question", "writer_options"]


def validate_question(question, max_chars: int | None = None) -> str:
    """The question, cleaned; :class:`~qa.errors.QuestionError` says what is wrong with a bad one.
    ``max_chars`` defaults to ``QA_MAX_QUESTION_CHARS``."""
    return _validate_question(question, max_chars or Settings.get("max_question_chars"))


def writer_options() -> WriterOptions:
    """``QA_LLM_UNVERIFIED``, ``QA_LLM_TIMEOUT`` and ``QA_LLM_RETRIES``, for a chat model's written answers."""
    return WriterOptions(unverified=Settings.get("llm_unverified"), timeout_s=Settings.get("llm_timeout"),
                         retries=Settings.get("llm_retries"))


class Answerer(Pipeline):
    """A corpus, its index, a retriever and a reader: ask it questions.

    Build one with :meth:`from_corpus`; it is safe to share between threads."""

    def __init__(self, index: PassageIndex, embeddings: ArrayEmbeddings, *, reader: Reader | None = None,
                 k: int = DEFAULT_TOP_K, report: BuildReport | None = None, corpus_dir=None, index_dir=None,
                 retriever=None, llm=None, store: Store | None = None, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
                 limits: Limits | None = None):
        """``index``: a :class:`~qa.search.index.PassageIndex`, or the index a :class:`~qa.search.stores.Store`
        returned (anything with ``documents`` and ``stats``). ``retriever``: any LangChain ``BaseRetriever``
        whose documents carry the metadata :mod:`qa.search.retriever` documents; default:
        :class:`~qa.search.retriever.HybridRetriever` over ``index``.
        ``llm``: a chat model that writes the answers (``"provider:model"``, e.g. ``"ollama:llama3.2"``,
        or a LangChain ``BaseChatModel``; see :func:`qa.pipeline.written_reader`; ``QA_LLM_UNVERIFIED``,
        ``QA_LLM_TIMEOUT`` and ``QA_LLM_RETRIES`` apply), with ``reader`` (default: the span reader) as
        the fallback; ``None`` or ``""``: answers are quoted by ``reader``.
        (``QA_LLM`` is read by ``qa.ask``, the CLI and the chat window, not here; the other settings
        by :meth:`from_corpus`.) ``store``: where ``index`` lives (:class:`~qa.search.stores.Store`),
        when it came from one. ``max_file_bytes``: the largest file :meth:`add_documents` accepts;
        ``limits``: what an added document may unpack to (default: :class:`~qa.ingest.limits.Limits`)."""
        from ..search.retriever import HybridRetriever

        reader = reader or make_reader()
        if llm:
            reader = written_reader(llm, index, embeddings, reader, writer_options())
        retriever = retriever or HybridRetriever(index=index, embeddings=embeddings, k=k)
        super().__init__(index, embeddings, reader, retriever, validate=validate_question,
                         writer_options=writer_options, report=report, corpus_dir=corpus_dir, index_dir=index_dir,
                         store=store, max_file_bytes=max_file_bytes, limits=limits)

    @classmethod
    def from_corpus(cls, corpus_dir=None, index_dir=None, *, embeddings: ArrayEmbeddings | None = None,
                    settings: IndexSettings = IndexSettings(), rebuild: str = "auto", reader: Reader | None = None,
                    k: int | None = None, progress=None, retriever=None, on_wait=None, llm=None,
                    store=None, limits: Limits | None = None) -> "Answerer":
        """Load (or build, when missing or out of date) the index of ``corpus_dir`` in ``index_dir``
        (defaults: ``QA_CORPUS`` and ``QA_INDEX``), or in ``store`` (a ``QA_STORE`` value or a
        :class:`~qa.search.stores.Store`; default: the ``QA_STORE`` setting, the local folder when unset).
        ``on_wait`` hears when another process is building the same local index and this one waits for
        it; ``llm`` and ``limits`` as in :class:`Answerer`. The settings are read here and passed down:
        ``QA_TOP_K`` (unless ``k``), ``QA_READER`` (unless ``reader``), ``QA_MAX_FILE_BYTES``, the
        document limits (unless ``limits``; :func:`document_limits`), ``QA_CACHE_DIR`` (unless
        ``embeddings``) and, for a database, ``QA_STORE_TIMEOUT`` and its credentials."""
        corpus_dir = Path(corpus_dir) if corpus_dir is not None else Settings.get("corpus")
        index_dir = Path(index_dir) if index_dir is not None else Settings.get("index")
        store = open_configured_store(store, index_dir)
        embeddings = embeddings or MiniLMEmbeddings(cache_dir=Settings.get("cache_dir"))
        max_file_bytes = Settings.get("max_file_bytes")
        limits = limits or document_limits()
        corpus = load_corpus(corpus_dir, max_file_bytes=max_file_bytes, limits=limits)
        index, report = store.open_or_build(corpus, embeddings, settings, rebuild=rebuild, progress=progress,
                                            on_wait=on_wait)
        k = k or Settings.get("top_k")
        reader = reader or make_reader(Settings.get("reader"))
        return cls(index, embeddings, reader=reader, k=k, report=report, corpus_dir=corpus_dir, index_dir=index_dir,
                   retriever=retriever or store.retriever(index, embeddings, k), llm=llm, store=store,
                   max_file_bytes=max_file_bytes, limits=limits)


_cache: dict[tuple, Answerer] = {}
_cache_lock = threading.Lock()


def get_answerer(corpus_dir=None, index_dir=None) -> Answerer:
    """A shared :class:`Answerer` per (corpus, index) folder pair, ``QA_LLM`` and ``QA_STORE``, loaded on first use."""
    key = (str(Path(corpus_dir or Settings.get("corpus")).resolve()),
           str(Path(index_dir or Settings.get("index")).resolve()), Settings.get("llm"), Settings.get("store"))
    with _cache_lock:
        if key not in _cache:
            _cache[key] = Answerer.from_corpus(key[0], key[1], llm=key[2], store=key[3])
        return _cache[key]


def clear_cache() -> None:
    """Forget the answerers :func:`get_answerer` loaded."""
    with _cache_lock:
        _cache.clear()


def ask(question: str, history=None, *, corpus_dir=None, index_dir=None) -> Answer:
    """Answer ``question`` from the documents in ``corpus_dir`` (default ``QA_CORPUS`` or ``corpus/``).
    A bad question fails fast, before any model or index is loaded."""
    cleaned = validate_question(question)
    return get_answerer(corpus_dir, index_dir)._answer(cleaned, history)
