"""Keeping the answer-bearing passages from the reader: how "close" unanswerable questions are asked.

A close unanswerable question is an answerable one asked with every passage that holds one of
its answers taken away: the corpus still talks about the topic, but no longer holds the fact.
:class:`WithholdingRetriever` wraps any retriever to do that for one question.

    >>> from langchain_core.documents import Document
    >>> docs = [Document("Jane built the bridge."), Document("The bridge is old."), Document("Rivers flow.")]
    >>> [d.page_content for d in withhold(docs, ["Jane"], k=2)]
    ['The bridge is old.', 'Rivers flow.']

An answer may run over several sentences: over the end of a passage (no passage then holds it
whole), or restated apart elsewhere in the document (an abstract repeated in the text). A
passage holding one of the answer's sentences holds the answer too (:func:`answer_pieces`).
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from ..ingest.text import split_sentences
from .metrics import contains

FETCH_FACTOR = 3        # passages fetched per passage kept
MIN_PIECE_WORDS = 5     # a sentence of a longer answer this long marks a passage as holding the answer


def answer_pieces(answer: str) -> list[str]:
    """What marks a passage as holding ``answer``: the answer itself and, when it runs over
    several sentences, each of them of at least :data:`MIN_PIECE_WORDS` words.

    >>> answer_pieces("Jane")
    ['Jane']
    >>> answer_pieces("it was built in 1900 by the town. Jane later rebuilt the old bridge in stone")[1:]
    ['it was built in 1900 by the town.', 'Jane later rebuilt the old bridge in stone']
    """
    spans = split_sentences(answer)
    if len(spans) < 2:
        return [answer]
    return [answer] + [answer[s:e] for s, e in spans if len(answer[s:e].split()) >= MIN_PIECE_WORDS]


def withhold(passages: list[Document], answers: list[str], k: int) -> list[Document]:
    """The first ``k`` of ``passages`` that hold none of ``answers`` (nor a sentence of a longer one)."""
    pieces = [piece for a in answers for piece in answer_pieces(a)]
    return [p for p in passages if not any(contains(p.page_content, x) for x in pieces)][:k]


class WithholdingRetriever(BaseRetriever):
    """``base``'s passages for a query, without those holding any of ``withheld``."""

    base: Any                  # a retriever with ``search(query, k)`` (:class:`~qa.search.retriever.HybridRetriever`)
    withheld: list[str]
    k: int = 4

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun | None = None,
                                **kwargs: Any) -> list[Document]:
        return self.search(query, k=kwargs.get("k", self.k))

    def search(self, query: str, k: int | None = None) -> list[Document]:
        """Up to ``k`` passages for ``query`` that hold none of the withheld answers."""
        k = k or self.k
        return withhold(self.base.search(query, k=FETCH_FACTOR * k), self.withheld, k)
