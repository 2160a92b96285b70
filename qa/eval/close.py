"""Keeping the answer-bearing passages from the reader: how "close" unanswerable questions are asked.

A close unanswerable question is an answerable one asked with every passage that holds one of
its answers taken away: the corpus still talks about the topic, but no longer holds the fact.
:class:`WithholdingRetriever` wraps any retriever to do that for one question.

    >>> from langchain_core.documents import Document
    >>> docs = [Document("Jane built the bridge."), Document("The bridge is old."), Document("Rivers flow.")]
    >>> [d.page_content for d in withhold(docs, ["Jane"], k=2)]
    ['The bridge is old.', 'Rivers flow.']
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from .metrics import contains

FETCH_FACTOR = 3    # passages fetched per passage kept


def withhold(passages: list[Document], answers: list[str], k: int) -> list[Document]:
    """The first ``k`` of ``passages`` that hold none of ``answers``."""
    return [p for p in passages if not any(contains(p.page_content, a) for a in answers)][:k]


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
