"""The Python API: :class:`Answerer` (a loaded corpus you ask questions of) and :func:`ask`.

    >>> import qa                                                      # doctest: +SKIP
    >>> a = qa.ask("When did Iran launch its missile strike on Pakistan?")  # doctest: +SKIP
    >>> a.text, a.citations[0].source                                    # doctest: +SKIP
    ('On January 16, Iran launched a missile strike ... [1]', 'iran-pakistan-relations.txt')
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from . import config
from .answer import Answer
from .documents import Corpus, load_corpus
from .embeddings import ArrayEmbeddings, MiniLMEmbeddings
from .errors import IndexCorruptError, IndexMismatchError, IndexMissingError, QuestionError
from .index import IndexSettings, PassageIndex, build_index
from .reader import ExtractiveReader, Reader
from .storage import build_lock, load_index, save_index
from .text import clean_question


@dataclass
class BuildReport:
    """What :func:`open_index` did: ``action`` is "loaded", "built" or "updated"."""

    action: str
    reason: str = ""
    embedded_sentences: int = 0
    reused_sentences: int = 0
    skipped: tuple = ()


def validate_question(question, max_chars: int | None = None) -> str:
    """The question, cleaned; :class:`QuestionError` says what is wrong with a bad one."""
    limit = max_chars or config.max_question_chars()
    if not isinstance(question, str):
        raise QuestionError(f"The question must be text (str), got {type(question).__name__}.")
    if len(question) > limit * 4:
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
    if history is None:
        return []
    if isinstance(history, (str, bytes)) or not hasattr(history, "__iter__"):
        raise QuestionError(f"history must be a list of (question, answer) pairs, got {type(history).__name__}.")
    recent = list(history)[-10:]  # only the last turns matter: don't clean a huge history
    try:
        pairs = [(str(q), str(a)) for q, a in recent]
    except (TypeError, ValueError):
        raise QuestionError("history must be a list of (question, answer) pairs.") from None
    return [(clean_question(q[:8000])[:2000], a[:4000]) for q, a in pairs]


def open_index(corpus: Corpus, index_dir, embeddings: ArrayEmbeddings, settings: IndexSettings = IndexSettings(),
               rebuild: str = "auto", progress=None) -> tuple[PassageIndex, BuildReport]:
    """Load the index of ``corpus`` from ``index_dir``, building it if needed.

    ``rebuild``: ``"auto"`` (build when missing or out of date: only changed
    documents are embedded again), ``"never"`` (raise instead), ``"always"``."""
    if rebuild not in ("auto", "never", "always"):
        raise ValueError(f"rebuild must be 'auto', 'never' or 'always', got {rebuild!r}")
    index_dir = Path(index_dir)
    previous = None
    reason = "rebuild requested"
    if rebuild != "always":
        try:
            previous = load_index(index_dir, model=embeddings.model_info, settings=settings)
            stored = {d.source: d.sha256 for d in previous.documents}
            if stored == corpus.hashes:
                return previous, BuildReport("loaded", skipped=tuple(corpus.skipped))
            changed = sorted(set(stored.items()) ^ set(corpus.hashes.items()))
            names = sorted({name for name, _ in changed})
            reason = f"{len(names)} document(s) changed, added or removed: {', '.join(names[:5])}"
            if rebuild == "never":
                raise IndexMismatchError(f"The index in {str(index_dir)!r} is out of date: {reason}.",
                                         hint="Run `qa index` to update it.")
        except (IndexMissingError, IndexMismatchError) as exc:
            if rebuild == "never":
                raise
            reason = exc.message
        except IndexCorruptError:
            raise
    with build_lock(index_dir):
        index = build_index(corpus, embeddings, settings, previous=previous, progress=progress)
        save_index(index, index_dir)
    report = BuildReport("updated" if previous is not None else "built", reason,
                         index.embedded_sentences, index.reused_sentences, tuple(corpus.skipped))
    return index, report


class Answerer:
    """A corpus, its index, a retriever and a reader: ask it questions.

    Build one with :meth:`from_corpus`; it is safe to share between threads."""

    def __init__(self, index: PassageIndex, embeddings: ArrayEmbeddings, *, reader: Reader | None = None,
                 k: int | None = None, report: BuildReport | None = None, corpus_dir=None, index_dir=None,
                 retriever=None):
        """``retriever``: any LangChain ``BaseRetriever`` whose documents carry the metadata
        :mod:`qa.retrieval` documents (e.g. one over a Qdrant or OpenSearch collection, see
        ``docs/scaling.md``); default: :class:`~qa.retrieval.HybridRetriever` over ``index``."""
        from .chain import build_chain
        from .retrieval import HybridRetriever

        self.index = index
        self.embeddings = embeddings
        self.reader = reader or ExtractiveReader()
        self.retriever = retriever or HybridRetriever(index=index, embeddings=embeddings, k=k or config.top_k())
        self.chain = build_chain(self.retriever, self.reader)
        self.report = report or BuildReport("loaded")
        self.corpus_dir = Path(corpus_dir) if corpus_dir else None
        self.index_dir = Path(index_dir) if index_dir else None

    @classmethod
    def from_corpus(cls, corpus_dir=None, index_dir=None, *, embeddings: ArrayEmbeddings | None = None,
                    settings: IndexSettings = IndexSettings(), rebuild: str = "auto", reader: Reader | None = None,
                    k: int | None = None, progress=None, retriever=None) -> "Answerer":
        """Load (or build, when missing or out of date) the index of ``corpus_dir`` in ``index_dir``."""
        corpus_dir = Path(corpus_dir) if corpus_dir is not None else config.corpus_dir()
        index_dir = Path(index_dir) if index_dir is not None else config.index_dir()
        embeddings = embeddings or MiniLMEmbeddings()
        corpus = load_corpus(corpus_dir)
        index, report = open_index(corpus, index_dir, embeddings, settings, rebuild=rebuild, progress=progress)
        return cls(index, embeddings, reader=reader, k=k, report=report, corpus_dir=corpus_dir, index_dir=index_dir,
                   retriever=retriever)

    @property
    def stats(self) -> dict:
        return {"documents": len(self.index.documents), "passages": len(self.index.passages),
                "sentences": len(self.index.sentences), "vector_index": self.index.kind}

    def warm_up(self) -> None:
        self.ask("warm up")

    def ask(self, question: str, history=None) -> Answer:
        """Answer ``question``; ``history`` is a list of ``(question, answer_text)`` pairs."""
        question = validate_question(question)
        return self.chain.invoke({"question": question, "history": validate_history(history)})


_cache: dict[tuple, Answerer] = {}
_cache_lock = threading.Lock()


def get_answerer(corpus_dir=None, index_dir=None) -> Answerer:
    """A shared :class:`Answerer` per (corpus, index) folder pair, loaded on first use."""
    key = (str(Path(corpus_dir or config.corpus_dir()).resolve()), str(Path(index_dir or config.index_dir()).resolve()))
    with _cache_lock:
        if key not in _cache:
            _cache[key] = Answerer.from_corpus(key[0], key[1])
        return _cache[key]


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def ask(question: str, history=None, *, corpus_dir=None, index_dir=None) -> Answer:
    """Answer ``question`` from the documents in ``corpus_dir`` (default ``QA_CORPUS`` or ``corpus/``)."""
    validate_question(question)  # a bad question fails fast, before any model or index is loaded
    return get_answerer(corpus_dir, index_dir).ask(question, history=history)
