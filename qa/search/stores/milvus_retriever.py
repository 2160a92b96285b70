"""Hybrid retrieval on Milvus, scored exactly as :class:`~qa.search.retriever.HybridRetriever` scores.

For each question, against the generation the alias points at when the question starts
(so one answer never mixes two generations):

1. the engine's vector search: the top ``max(fetch_k, 3k)`` sentences -> the passages holding them;
2. the engine's BM25 over the passages' analysed terms (the query analysed the same way): the top
   ``fetch_k`` passages join the candidates, and the scores of the top ``LEXICAL_DEPTH x fetch_k`` are
   kept for the fusion (a dense candidate below them counts as 0);
3. one query for the candidates' passages and one for their sentences' vectors;
4. :func:`~qa.search.retriever.fuse`: the best sentence cosine per passage + ``lexical_weight`` x BM25 / max BM25.

If the generation is dropped mid-question (two rebuilds in a row), the question is asked again
of the new one. Engine failures are :class:`~qa.errors.StoreError` (see :mod:`.milvus_client`).

    >>> retriever = store.retriever(index, embeddings, k=4)               # doctest: +SKIP
    >>> retriever.invoke("When did Iran strike Pakistan?")[0].metadata     # doctest: +SKIP
    {'passage_id': 12, 'source': 'iran-pakistan-relations.txt', ...,
     'sentences': [SentenceHit(sid=40, start=2210, end=2305, cosine=0.61), ...]}
"""

from __future__ import annotations

from typing import Any

import numpy as np
from langchain_core.documents import Document

from ...errors import IndexCorruptError, IndexMissingError
from ...ingest.chunking import Passage
from ..retriever import CANDIDATES_PER_RESULT, FusedRetriever, fuse
from .milvus_schema import NO_PAGE, Generation, engine_terms

LEXICAL_DEPTH = 10      # BM25 scores kept: this many times fetch_k
PASSAGE_FIELDS = ["pid", "source", "title", "section", "start", "end", "text", "first_sentence", "last_sentence",
                  "page"]


class MilvusRetriever(FusedRetriever):
    """Top-``k`` passages from a :class:`~qa.search.stores.milvus_store.MilvusStore`."""

    store: Any

    def search(self, query: str, k: int | None = None) -> list[Document]:
        """The top ``k`` passages for ``query``, best first, with :mod:`qa.search.retriever`'s metadata."""
        k = k or self.k
        qvec = self.embeddings.query_array(query)
        for attempt in range(2):
            generation = self.store.live()
            try:
                return self._search(generation, qvec, query, k)
            except IndexMissingError:
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _search(self, generation: Generation, qvec: np.ndarray, query: str, k: int) -> list[Document]:
        candidates = self._dense_candidates(generation, qvec, max(self.fetch_k, CANDIDATES_PER_RESULT * k))
        lexical = self._lexical(generation, query)
        ranked = sorted(lexical.items(), key=lambda t: (-t[1], t[0]))
        candidates.update(p for p, score in ranked[:self.fetch_k] if score > 0)
        if not candidates:
            return []
        passages = self._passages(generation, sorted(candidates))
        sids = sorted({s for p in passages for s in p.sentence_ids})
        spans, vectors = self._sentences(generation, sids)
        cos = dict(zip(sids, (vectors @ qvec).tolist()))
        top_lex = ranked[0][1] if ranked else 0.0
        return fuse(passages, cos, spans, lexical, top_lex, self.lexical_weight, k)

    def _dense_candidates(self, generation: Generation, qvec: np.ndarray, n: int) -> set[int]:
        """The passages holding the ``n`` sentences nearest to the question."""
        manifest = self.store.manifest(generation)
        params = {"ef": max(n, manifest["settings"]["hnsw_ef_search"])} if manifest["vector_index"]["kind"] == "hnsw" \
            else {}
        hits = self.store.engine.call("search", generation.sentences, data=[qvec.tolist()], anns_field="vector",
                                      limit=n, output_fields=["pid_lo", "pid_hi"],
                                      search_params={"metric_type": "COSINE", "params": params})[0]
        return {p for h in hits for p in range(h["entity"]["pid_lo"], h["entity"]["pid_hi"] + 1)}

    def _lexical(self, generation: Generation, query: str) -> dict[int, float]:
        """BM25 score of the best-matching passages (the engine reports BM25 as a negative distance)."""
        terms = engine_terms(query, unique=True)
        if not terms:
            return {}
        hits = self.store.engine.call("search", generation.passages, data=[terms], anns_field="sparse",
                                      limit=LEXICAL_DEPTH * self.fetch_k, output_fields=["pid"],
                                      search_params={"metric_type": "BM25", "params": {}})[0]
        return {int(h["entity"]["pid"]): abs(float(h["distance"])) for h in hits}

    def _passages(self, generation: Generation, pids: list[int]) -> list[Passage]:
        rows = self.store.engine.call("query", generation.passages, filter=f"pid in {pids}",
                                      output_fields=PASSAGE_FIELDS, limit=len(pids))
        rows = sorted(rows, key=lambda r: r["pid"])
        if len(rows) != len(pids):
            raise IndexCorruptError(f"{self.store.name} (collection {generation.passages})",
                                    "lacks passages that its sentences name.")
        return [Passage(r["pid"], -1, r["source"], r["title"], r["section"], r["start"], r["end"], r["text"],
                        r["first_sentence"], r["last_sentence"], None if r["page"] == NO_PAGE else r["page"])
                for r in rows]

    def _sentences(self, generation: Generation, sids: list[int]) -> tuple[dict, np.ndarray]:
        rows = self.store.engine.call("query", generation.sentences, filter=f"sid in {sids}",
                                      output_fields=["sid", "start", "end", "vector"], limit=len(sids))
        by_sid = {r["sid"]: r for r in rows}
        if len(by_sid) != len(sids):
            raise IndexCorruptError(f"{self.store.name} (collection {generation.sentences})",
                                    "lacks sentences that its passages name.")
        spans = {s: (by_sid[s]["start"], by_sid[s]["end"]) for s in sids}
        return spans, np.asarray([by_sid[s]["vector"] for s in sids], dtype=np.float32)
