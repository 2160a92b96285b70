"""The Python API: :class:`Answerer` (a loaded corpus you ask questions of) and :func:`ask`.

    >>> import qa                                                      # doctest: +SKIP
    >>> a = qa.ask("When did Iran launch its missile strike on Pakistan?")  # doctest: +SKIP
    >>> a.text, a.citations[0].source                                    # doctest: +SKIP
    ('On January 16, Iran launched a missile strike ... [1]', 'iran-pakistan-relations.txt')

Questions are checked here (:func:`validate_question`) before anything is loaded;
the stages (:mod:`qa.ingest`, :mod:`qa.search`, :mod:`qa.answering`) do the work.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from ..answering.answer import Answer
from ..answering.readers import make_reader
from ..answering.reader import Reader
from ..errors import QuestionError, StoreError
from ..ingest.corpus import load_corpus
from ..ingest.limits import Limits
from ..ingest.text import clean_question
from ..search.embeddings import ArrayEmbeddings, MiniLMEmbeddings
from ..search.index import IndexSettings, PassageIndex
from ..search.changes import Change, add_documents, remove_document, stage_files
from ..search.lifecycle import BuildReport
from ..search.stores import LocalStore, Store
from ..settings import DEFAULT_MAX_FILE_BYTES, DEFAULT_TOP_K, Settings
from .configured import open_configured_store

RAW_LENGTH_FACTOR = 4      # a question longer than this many times the limit is refused before cleaning
HISTORY_TURNS = 10         # only the last turns of a conversation are used
HISTORY_RAW_CHARS = 8000   # of an earlier question, read before cleaning
HISTORY_QUESTION_CHARS = 2000
HISTORY_ANSWER_CHARS = 4000


def validate_question(question, max_chars: int | None = None) -> str:
    """The question, cleaned; :class:`QuestionError` says what is wrong with a bad one.
    ``max_chars`` defaults to ``QA_MAX_QUESTION_CHARS``."""
    limit = max_chars or Settings.get("max_question_chars")
    if not isinstance(question, str):
        raise QuestionError(f"The question must be text (str), got {type(question).__name__}.")
    if len(question) > limit * RAW_LENGTH_FACTOR:
        raise QuestionError(f"The question is {len(question):,} characters long; the limit is {limit:,}.",
                            hint="Ask a shorter question.")
    cleaned = clean_question(question)
    if not cleaned and question.strip():
        raise QuestionError("The question holds only invisible characters (control, zero-width or unpaired "
                            "surrogate code points).", hint=f"Type a question of 1 to {limit:,} characters.")
    if not cleaned:
        raise QuestionError("The question is empty.", hint=f"Type a question of 1 to {limit:,} characters.")
    if len(cleaned) > limit:
        raise QuestionError(f"The question is {len(cleaned):,} characters long; the limit is {limit:,}.",
                            hint="Ask a shorter question.")
    if not any(unicodedata.category(ch)[0] in "LN" for ch in cleaned):
        raise QuestionError(f"The question {cleaned[:40]!r} has no words in it.",
                            hint="Ask with words, e.g. 'Who visited Pakistan in April?'.")
    return cleaned


def validate_history(history) -> list[tuple[str, str]]:
    """The last turns of ``history`` as cleaned ``(question, answer)`` pairs, or :class:`QuestionError`."""
    if history is None:
        return []
    if isinstance(history, (str, bytes)) or not hasattr(history, "__iter__"):
        raise QuestionError(f"history must be a list of (question, answer) pairs, got {type(history).__name__}.")
    recent = list(history)[-HISTORY_TURNS:]  # only the last turns matter: don't clean a huge history
    try:
        pairs = [(str(q), str(a)) for q, a in recent]
    except (TypeError, ValueError):
        raise QuestionError("history must be a list of (question, answer) pairs.") from None
    return [(clean_question(q[:HISTORY_RAW_CHARS])[:HISTORY_QUESTION_CHARS], a[:HISTORY_ANSWER_CHARS])
            for q, a in pairs]


def document_limits() -> Limits:
    """What one document may unpack to, from the settings (``QA_MAX_DOC_CHARS``, ``QA_MAX_DOC_SENTENCES``,
    ``QA_MAX_UNPACKED_BYTES``, ``QA_MAX_UNPACK_RATIO``, ``QA_MAX_HTML_ELEMENTS``)."""
    return Limits(max_chars=Settings.get("max_doc_chars"), max_sentences=Settings.get("max_doc_sentences"),
                  max_unpacked_bytes=Settings.get("max_unpacked_bytes"), max_unpack_ratio=Settings.get("max_unpack_ratio"),
                  max_html_elements=Settings.get("max_html_elements"))


def written_reader(llm, index: PassageIndex, embeddings: ArrayEmbeddings, fallback: Reader) -> Reader:
    """A :class:`~qa.answering.generative.GenerativeReader` over the chat model ``llm``
    (``"provider:model"`` or a LangChain ``BaseChatModel``), checking with word overlap, the
    index's sentence vectors and, when ``fallback`` is the span reader, its model's evidence;
    ``QA_LLM_UNVERIFIED``, ``QA_LLM_TIMEOUT`` and ``QA_LLM_RETRIES`` apply."""
    from ..answering.chat_model import load_chat_model
    from ..answering.evidence import EmbeddingScorer, OverlapScorer, SpanScorer
    from ..answering.generative import GenerativeReader
    from ..answering.verify import Verifier

    timeout_s = Settings.get("llm_timeout")
    model = load_chat_model(llm, timeout_s=timeout_s)
    # An index in a vector database keeps its sentence vectors there: the scorer embeds the few it needs.
    scorers = [OverlapScorer(), EmbeddingScorer(embeddings, index if isinstance(index, PassageIndex) else None)]
    if getattr(fallback, "model", None) is not None:   # the span reader's model: its evidence too
        scorers.append(SpanScorer(fallback.model))
    verifier = Verifier(scorers)
    return GenerativeReader(model, verifier=verifier, fallback=fallback, unverified=Settings.get("llm_unverified"),
                            timeout_s=timeout_s, retries=Settings.get("llm_retries"))


class Answerer:
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
        or a LangChain ``BaseChatModel``; see :func:`written_reader`), with ``reader`` (default: the span
        reader) as the fallback; ``None`` or ``""``: answers are quoted by ``reader``.
        (``QA_LLM`` is read by ``qa.ask``, the CLI and the chat window, not here; the other settings
        by :meth:`from_corpus`.) ``store``: where ``index`` lives (:class:`~qa.search.stores.Store`),
        when it came from one. ``max_file_bytes``: the largest file :meth:`add_documents` accepts;
        ``limits``: what an added document may unpack to (default: :class:`~qa.ingest.limits.Limits`)."""
        from ..answering.chain import build_chain, retrieval_chain
        from ..search.retriever import HybridRetriever

        self.index = index
        self.embeddings = embeddings
        self.reader = reader or make_reader()
        if llm:
            self.reader = written_reader(llm, index, embeddings, self.reader)
        self.retriever = retriever or HybridRetriever(index=index, embeddings=embeddings, k=k)
        self.retrieval = retrieval_chain(self.retriever)
        self.chain = build_chain(self.retriever, self.reader)
        self.report = report or BuildReport("loaded")
        self._changes = threading.Lock()
        self.corpus_dir = Path(corpus_dir) if corpus_dir else None
        self.index_dir = Path(index_dir) if index_dir else None
        self.store = store
        self.max_file_bytes = max_file_bytes
        self.limits = limits or Limits()

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

    @property
    def stats(self) -> dict:
        """Documents, passages and sentences in the index, and the kind of vector search."""
        return dict(self.index.stats)

    def add_documents(self, files, progress=None) -> Change:
        """Add files (``(name, bytes)`` pairs) to the corpus folder and the index
        (:func:`qa.search.changes.add_documents`); questions from now on see them, and a
        question already being answered finishes on the index it started with. The files are read,
        checked and embedded (:func:`~qa.search.changes.stage_files`) before this change waits for
        the others: a large one holds up no other change, and questions never wait."""
        self._changeable()
        staged = stage_files(files, self.embeddings, self.index.settings, self.limits, progress, self.max_file_bytes)
        return self._change(add_documents, staged, progress)

    def remove_document(self, source: str, progress=None) -> Change:
        """Remove document ``source`` from the corpus folder and the index
        (:func:`qa.search.changes.remove_document`), as :meth:`add_documents` adds."""
        return self._change(remove_document, source, progress)

    def _changeable(self) -> None:
        """Raise unless this answerer's folders can be changed."""
        if self.corpus_dir is None or self.index_dir is None:
            raise ValueError("This Answerer was not loaded from folders (use Answerer.from_corpus) and can't change them.")
        if self.store is not None and not isinstance(self.store, LocalStore):
            raise StoreError(self.store.name, "adding or removing documents here works with the local index only.",
                             hint="Change the corpus folder and run `qa index --store ...`: answerers using the store "
                                  "see the new index from their next question.")

    def _change(self, operation, what, progress) -> Change:
        from ..search.retriever import HybridRetriever
        from ..answering.chain import build_chain, retrieval_chain

        self._changeable()
        with self._changes:
            change = operation(self.corpus_dir, self.index_dir, what, self.embeddings, self.index.settings,
                               progress=progress, limits=self.limits, refused=self.report.skipped,
                               max_file_bytes=self.max_file_bytes)
            retriever = self.retriever
            if isinstance(retriever, HybridRetriever):
                retriever = retriever.model_copy(update={"index": change.index})
            self.index, self.retriever = change.index, retriever
            self.report = change.report if change.report.action != "loaded" else self.report
            self.retrieval = retrieval_chain(retriever)   # what a written answer streams from
            self.chain = build_chain(retriever, self.reader)   # one assignment: a question sees old or new
        return change

    def warm_up(self) -> None:
        """Answer one question, so that the first real one is not slow (a chat model is not
        asked: only the search runs)."""
        if self.streams:
            self.retrieval.invoke({"question": "warm up", "history": []})
        else:
            self.ask("warm up")

    def ask(self, question: str, history=None) -> Answer:
        """Answer ``question``; ``history`` is a list of ``(question, answer_text)`` pairs."""
        return self._answer(validate_question(question), history)

    def _answer(self, cleaned: str, history) -> Answer:
        """Answer a question :func:`validate_question` has already cleaned."""
        return self.chain.invoke({"question": cleaned, "history": validate_history(history)})

    @property
    def streams(self) -> bool:
        """Does :meth:`stream` hand out text before the answer (a chat model writes it)?"""
        return bool(getattr(self.reader, "streams", False))

    def stream(self, question: str, history=None) -> Iterator[str | Answer]:
        """Answer ``question`` as it is written: text pieces (``str``, not yet checked), then
        the :class:`Answer` (only the answer, for a reader that quotes)."""
        cleaned = validate_question(question)
        x = self.retrieval.invoke({"question": cleaned, "history": validate_history(history)})
        yield from self.reader.stream(x["question"], x["passages"], query=x["query"], history=x["history"])


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
