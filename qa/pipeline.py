"""A pipeline assembled: an index, a retriever and a reader, as one :class:`Pipeline` you ask questions of.

Below both :mod:`qa.app` and :mod:`qa.eval`, above the stages (:mod:`qa.ingest`, :mod:`qa.search`,
:mod:`qa.answering`). It reads no setting: every value comes in as an argument, and
:class:`qa.app.api.Answerer` (what ``qa.Answerer`` is) fills them from the settings.

Questions are checked here (:func:`validate_question`) before anything runs:

    >>> validate_question("  When did Iran launch  its strike?", max_chars=100)
    'When did Iran launch its strike?'
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .answering.answer import Answer
from .answering.reader import Reader
from .errors import QuestionError, StoreError
from .ingest.text import clean_question
from .ingest.limits import Limits
from .search.changes import Change, add_documents, remove_document, stage_files
from .search.embeddings import ArrayEmbeddings
from .search.index import PassageIndex
from .search.lifecycle import BuildReport
from .search.stores import LocalStore, Store
from .settings import DEFAULT_MAX_FILE_BYTES

RAW_LENGTH_FACTOR = 4      # a question longer than this many times the limit is refused before cleaning
HISTORY_TURNS = 10         # only the last turns of a conversation are used
HISTORY_RAW_CHARS = 8000   # of an earlier question, read before cleaning
HISTORY_QUESTION_CHARS = 2000
HISTORY_ANSWER_CHARS = 4000


def validate_question(question, max_chars: int) -> str:
    """The question, cleaned; :class:`QuestionError` says what is wrong with a bad one."""
    limit = max_chars
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


@dataclass(frozen=True)
class WriterOptions:
    """How a chat model's written answers are handled: what becomes of a sentence its cited passages
    don't support (``unverified``: ``drop`` or ``mark``), how long the model may take
    (``timeout_s``) and how often a failed call is tried again (``retries``)."""

    unverified: str
    timeout_s: int
    retries: int


def written_reader(llm, index: PassageIndex, embeddings: ArrayEmbeddings, fallback: Reader,
                   options: WriterOptions) -> Reader:
    """A :class:`~qa.answering.generative.GenerativeReader` over the chat model ``llm``
    (``"provider:model"`` or a LangChain ``BaseChatModel``), checking with word overlap, the
    index's sentence vectors and, when ``fallback`` is the span reader, its model's evidence."""
    from .answering.chat_model import load_chat_model
    from .answering.evidence import EmbeddingScorer, OverlapScorer, SpanScorer
    from .answering.generative import GenerativeReader
    from .answering.verify import Verifier

    model = load_chat_model(llm, timeout_s=options.timeout_s)
    # An index in a vector database keeps its sentence vectors there: the scorer embeds the few it needs.
    scorers = [OverlapScorer(), EmbeddingScorer(embeddings, index if isinstance(index, PassageIndex) else None)]
    if getattr(fallback, "model", None) is not None:   # the span reader's model: its evidence too
        scorers.append(SpanScorer(fallback.model))
    return GenerativeReader(model, verifier=Verifier(scorers), fallback=fallback, unverified=options.unverified,
                            timeout_s=options.timeout_s, retries=options.retries)


class Pipeline:
    """An index, a retriever over it and a reader, chained: ask it questions. Safe to share between threads."""

    def __init__(self, index: PassageIndex, embeddings: ArrayEmbeddings, reader: Reader, retriever, *,
                 validate: Callable[[object], str], writer_options: Callable[[], WriterOptions],
                 report: BuildReport | None = None, corpus_dir=None, index_dir=None, store: Store | None = None,
                 max_file_bytes: int = DEFAULT_MAX_FILE_BYTES, limits: Limits | None = None):
        """``index``: a :class:`~qa.search.index.PassageIndex`, or the index a :class:`~qa.search.stores.Store`
        returned (anything with ``documents`` and ``stats``). ``retriever``: any LangChain ``BaseRetriever``
        whose documents carry the metadata :mod:`qa.search.retriever` documents. ``validate``: cleans a
        question or raises :class:`QuestionError` (e.g. ``partial(validate_question, max_chars=1000)``);
        ``writer_options``: how :meth:`writer` handles a chat model, asked for when one is used.
        ``corpus_dir``, ``index_dir``: the folders :meth:`add_documents` changes; ``store``: where ``index``
        lives (:class:`~qa.search.stores.Store`), when it came from one. ``max_file_bytes``: the largest
        file :meth:`add_documents` accepts; ``limits``: what an added document may unpack to."""
        from .answering.chain import build_chain, retrieval_chain

        self.index = index
        self.embeddings = embeddings
        self.reader = reader
        self.retriever = retriever
        self.validate = validate
        self.writer_options = writer_options
        self.retrieval = retrieval_chain(self.retriever)
        self.chain = build_chain(self.retriever, self.reader)
        self.report = report or BuildReport("loaded")
        self._changes = threading.Lock()
        self.corpus_dir = Path(corpus_dir) if corpus_dir else None
        self.index_dir = Path(index_dir) if index_dir else None
        self.store = store
        self.max_file_bytes = max_file_bytes
        self.limits = limits or Limits()

    def writer(self, llm, fallback: Reader | None = None) -> Reader:
        """A reader whose answers the chat model ``llm`` writes over this index (:func:`written_reader`),
        ``fallback`` (default: this pipeline's reader) quoting when it can't."""
        return written_reader(llm, self.index, self.embeddings, fallback or self.reader, self.writer_options())

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
        """Raise unless this pipeline's folders can be changed."""
        if self.corpus_dir is None or self.index_dir is None:
            raise ValueError("This Answerer was not loaded from folders (use Answerer.from_corpus) and can't change them.")
        if self.store is not None and not isinstance(self.store, LocalStore):
            raise StoreError(self.store.name, "adding or removing documents here works with the local index only.",
                             hint="Change the corpus folder and run `qa index --store ...`: answerers using the store "
                                  "see the new index from their next question.")

    def _change(self, operation, what, progress) -> Change:
        from .answering.chain import build_chain, retrieval_chain
        from .search.retriever import HybridRetriever

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
        return self._answer(self.validate(question), history)

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
        cleaned = self.validate(question)
        x = self.retrieval.invoke({"question": cleaned, "history": validate_history(history)})
        yield from self.reader.stream(x["question"], x["passages"], query=x["query"], history=x["history"])
