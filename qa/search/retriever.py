"""Hybrid retrieval: dense (FAISS over sentence vectors) fused with BM25 over passages,
behind LangChain's ``BaseRetriever``.

    >>> retriever = HybridRetriever(index=index, embeddings=embeddings, k=4)   # doctest: +SKIP
    >>> docs = retriever.invoke("When did Iran strike Pakistan?")               # doctest: +SKIP
    >>> docs[0].metadata["score"], docs[0].metadata["source"]                    # doctest: +SKIP
    (0.83, 'iran-pakistan-relations.txt')

Each returned ``Document`` is a passage; its metadata is a :class:`~qa.search.hits.PassageMetadata`:
the document ``source``, ``title``, ``section``, ``page`` (from 1, PDF; else None), character offsets
``start``/``end``, the fused ``score`` with its parts ``dense_score`` and ``lexical_score``, and
``sentences``: a :class:`~qa.search.hits.SentenceHit` (``sid``, ``start``, ``end``, ``cosine``) for
each sentence in it, which the answerer uses without embedding anything again. :func:`fuse`
builds them, for every retriever here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from ..ingest.chunking import Passage
from ..settings import MAX_TOP_K
from .embeddings import ArrayEmbeddings
from .hits import PassageMetadata, SentenceHit
from .index import PassageIndex

CANDIDATES_PER_RESULT = 3   # sentences fetched from FAISS per passage asked for (at least fetch_k)


class FusedRetriever(BaseRetriever):
    """What every retriever scoring passages with :func:`fuse` shares: the embeddings, ``k``,
    ``fetch_k`` (candidates from each search) and ``lexical_weight``. Subclasses implement :meth:`search`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    embeddings: ArrayEmbeddings
    k: int = Field(default=4, ge=1, le=MAX_TOP_K)
    fetch_k: int = Field(default=40, ge=1)
    lexical_weight: float = Field(default=0.3, ge=0.0)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun | None = None,
                                **kwargs: Any) -> list[Document]:
        return self.search(query, k=kwargs.get("k", self.k))

    def search(self, query: str, k: int | None = None) -> list[Document]:
        """The top ``k`` passages for ``query`` (default ``self.k``), best first."""
        raise NotImplementedError


class HybridRetriever(FusedRetriever):
    """Top-``k`` passages by ``dense + lexical_weight * bm25 / max(bm25)``.

    The dense score of a passage is the best cosine between the query and any
    of its sentences."""

    index: PassageIndex

    def search(self, query: str, k: int | None = None) -> list[Document]:
        """The top ``k`` passages for ``query`` (default ``self.k``), best first, as LangChain
        documents with the metadata described in this module's docstring."""
        k = k or self.k
        index = self.index
        if not index.passages:
            return []
        qvec = self.embeddings.query_array(query)
        sent_ids, _ = index.search_sentences(qvec, max(self.fetch_k, CANDIDATES_PER_RESULT * k))
        candidates = {p for s in sent_ids.tolist() for p in index.sentence_passages[s]}
        lexical = index.lexical.scores(query)
        top_lex = float(lexical.max()) if len(lexical) else 0.0
        if top_lex > 0:
            n = min(self.fetch_k, len(lexical))
            best = np.argpartition(-lexical, n - 1)[:n]
            candidates.update(int(p) for p in best if lexical[p] > 0)
        candidates = sorted(candidates)
        sids = sorted({s for p in candidates for s in index.passages[p].sentence_ids})
        cos = dict(zip(sids, (index.sentence_vectors(sids) @ qvec).tolist()))
        spans = {s: (index.sentences[s].start, index.sentences[s].end) for s in sids}
        lex = {p: float(lexical[p]) for p in candidates}
        return fuse([index.passages[p] for p in candidates], cos, spans, lex, top_lex, self.lexical_weight, k)


def fuse(passages: list[Passage], cos: dict[int, float], spans: dict[int, tuple[int, int]],
         lexical: dict[int, float], top_lex: float, lexical_weight: float, k: int) -> list[Document]:
    """The top ``k`` of candidate ``passages`` by ``dense + lexical_weight * bm25 / top_lex``, as documents.

    ``cos``: cosine of each of their sentences with the question; ``spans``: each sentence's
    ``(start, end)``; ``lexical``: BM25 score per passage id (missing = 0); ``top_lex``: the best
    BM25 score of any passage. Ties go to the lower passage id. Each document's metadata is a
    :class:`~qa.search.hits.PassageMetadata` with a :class:`~qa.search.hits.SentenceHit` per sentence.
    Any retriever that fills these from its own engine returns what :class:`HybridRetriever` returns."""
    scored = []
    for passage in passages:
        dense = max(cos[s] for s in passage.sentence_ids)
        lex = lexical.get(passage.id, 0.0) / top_lex if top_lex > 0 else 0.0
        scored.append((dense + lexical_weight * lex, dense, lex, passage))
    scored.sort(key=lambda t: (-t[0], t[3].id))
    out = []
    for score, dense, lex, p in scored[:k]:
        sentences = [SentenceHit(s, spans[s][0], spans[s][1], round(cos[s], 6)) for s in p.sentence_ids]
        metadata = PassageMetadata(passage_id=p.id, source=p.source, title=p.title, section=p.section, page=p.page,
                                   start=p.start, end=p.end, score=round(score, 6), dense_score=round(dense, 6),
                                   lexical_score=round(lex, 6), sentences=sentences)
        out.append(Document(page_content=p.text, id=str(p.id), metadata=metadata))
    return out
