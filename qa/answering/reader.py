"""Readers turn a question and retrieved passages into an :class:`~qa.answering.answer.Answer`.

:class:`Reader` is the interface; a new reader (a span model, an LLM) subclasses it
and reuses the helpers here: :func:`compose` writes an answer from chosen sentences
(each followed by its ``[n]`` marker, citations with highlights), :func:`abstain`
writes the refusal. The default reader is :class:`~qa.answering.span_reader.SpanReader`
(``QA_READER=span``: the learned span model on top of the sentence scoring of
:class:`~qa.answering.extractive.ExtractiveReader`, which ``QA_READER=extractive`` uses alone).

    >>> clip("one two three four", 12)
    'one two\u2026'
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field

from langchain_core.documents import Document

from .answer import Answer, Citation

MAX_ANSWER_CHARS = 400       # answer text, markers aside
MARKER_CHARS = 4             # " [n]" after each sentence of an answer
MIN_CLIPPED_CHARS = 40       # a sentence cut to fit the answer keeps at least this much
SHOWN_QUESTION_CHARS = 120   # of the question, quoted in an abstention


class Reader(ABC):
    """Reads retrieved passages and answers. ``query`` is what was searched
    (the question with context from the conversation). ``streams``: :meth:`stream`
    hands out text before the answer is complete."""

    streams = False

    @abstractmethod
    def read(self, question: str, passages: list[Document], *, query: str | None = None,
             history: list[tuple[str, str]] | None = None) -> Answer:
        """The answer to ``question`` from ``passages`` (retrieved for ``query``), or an abstention."""

    def stream(self, question: str, passages: list[Document], *, query: str | None = None,
               history: list[tuple[str, str]] | None = None) -> Iterator[str | Answer]:
        """The answer as it is written: text pieces (``str``, not yet checked), then the
        :class:`Answer`. By default there are no pieces, only the answer."""
        yield self.read(question, passages, query=query, history=history)


@dataclass
class Candidate:
    """A sentence of the retrieved passages that may become (part of) an answer."""

    sid: int
    passage: int        # index into the retrieved passages list
    start: int          # offsets in the document
    end: int
    text: str
    features: dict = field(default_factory=dict)
    score: float = 0.0
    span: tuple[int, int] | None = None   # the best answer span inside it (document offsets), when a reader finds one


def citation_of(p: Document, highlights) -> Citation:
    """A retrieved passage (with :mod:`qa.search.retriever` metadata) as a citation."""
    m = p.metadata
    return Citation(source=m["source"], text=p.page_content, start=m["start"], end=m["end"],
                    highlights=highlights, score=float(m.get("score", 0.0)), title=m.get("title", ""),
                    section=m.get("section", ""), passage_id=int(m.get("passage_id", -1)), page=m.get("page"))


def clip(text: str, limit: int) -> str:
    """Shorten to ``limit`` characters at a word boundary, marking the cut with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    if text[limit - 1] != " ":
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "\u2026"


@dataclass(frozen=True)
class ShortAnswer:
    """The exact phrase that answers: characters ``start:end`` of the document, inside
    retrieved passage number ``passage``."""

    passage: int
    start: int
    end: int
    text: str


def compose(question: str, query: str, confidence: float, chosen: list[Candidate], passages: list[Document],
            retrieved: list[Citation], max_chars: int, short: ShortAnswer | None = None) -> Answer:
    """Answer text from the chosen sentences, each followed by its citation marker; with
    ``short``, the phrase becomes ``Answer.short_answer`` and an ``answer_spans`` entry of its
    passage's citation (that passage is among the chosen sentences')."""
    order: list[int] = []
    highlights: dict[int, list[tuple[int, int]]] = {}
    parts = []
    budget = max_chars
    for c in chosen:
        if c.passage not in order:
            order.append(c.passage)
        p0 = passages[c.passage].metadata["start"]
        highlights.setdefault(c.passage, []).append((c.start - p0, c.end - p0))
        marker = f" [{order.index(c.passage) + 1}]"
        sentence = clip(c.text, max(MIN_CLIPPED_CHARS, budget - len(marker)))
        parts.append(sentence + marker)
        budget -= len(sentence) + len(marker) + 1
    citations = [citation_of(passages[i], sorted(highlights[i])) for i in order]
    if short is not None and short.passage in order:
        p0 = passages[short.passage].metadata["start"]
        citations[order.index(short.passage)].answer_spans = [(short.start - p0, short.end - p0)]
    return Answer(question=question, text=" ".join(parts), citations=citations, abstained=False,
                  confidence=round(confidence, 4), query=query, passages=retrieved,
                  short_answer=short.text if short is not None and short.passage in order else "")


def abstain(question: str, query: str, confidence: float, retrieved: list[Citation]) -> Answer:
    """The answer that says the documents don't hold one (citing nothing)."""
    shown = clip(question, SHOWN_QUESTION_CHARS)
    text = f"The documents don't say. Nothing in them answers \u201c{shown}\u201d closely enough to quote."
    return Answer(question=question, text=text, citations=[], abstained=True,
                  confidence=round(confidence, 4), query=query, passages=retrieved)
