"""The stock LangChain recipe everyone copies, kept as the yardstick for evaluation and benchmarks.

``RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)`` +
``HuggingFaceEmbeddings`` (the same all-MiniLM-L6-v2) + ``FAISS.from_documents`` +
``similarity_search(k=4)``; its "answer" is the retrieved sentence most similar
to the question (no abstention). Needs the ``eval`` extra.

    >>> stock = StockRecipe.build(load_corpus("corpus"))      # doctest: +SKIP
    >>> stock.ask("When did Iran strike Pakistan?").text       # doctest: +SKIP
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..answering.answer import Answer, Citation
from ..extras import require
from ..ingest.document import Corpus
from ..ingest.text import split_sentences
from ..search.embeddings import packaged_model_dir
from .close import FETCH_FACTOR, withhold

CHUNK_SIZE, CHUNK_OVERLAP = 1000, 200   # the recipe's RecursiveCharacterTextSplitter settings


@dataclass
class StockRecipe:
    """The recipe's vector store and model; :meth:`ask` answers like it does."""

    store: object          # langchain_community FAISS vector store
    embeddings: object     # langchain_huggingface HuggingFaceEmbeddings
    k: int = 4
    build_seconds: float = 0.0

    @classmethod
    def build(cls, corpus: Corpus, k: int = 4, embeddings=None) -> "StockRecipe":
        """Split, embed and store ``corpus`` the stock way (``build_seconds`` times it)."""
        require("eval", "langchain_community.vectorstores", "langchain_huggingface", "langchain_text_splitters",
                needed_for="The stock recipe")
        from langchain_community.vectorstores import FAISS
        from langchain_core.documents import Document
        from langchain_huggingface import HuggingFaceEmbeddings
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        embeddings = embeddings or HuggingFaceEmbeddings(model_name=str(packaged_model_dir()),
                                                         model_kwargs={"device": "cpu"})
        t0 = time.perf_counter()
        splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True)
        docs = splitter.split_documents([Document(page_content=d.text, metadata={"source": d.source})
                                         for d in corpus.documents])
        store = FAISS.from_documents(docs, embeddings)
        return cls(store, embeddings, k, time.perf_counter() - t0)

    def ask(self, question: str, withheld: list[str] = ()) -> Answer:
        """The retrieved sentence most similar to ``question``, citing its chunk (never abstains).
        ``withheld``: chunks holding any of these strings are kept from it (a "close" question)."""
        if withheld:
            docs = withhold(self.store.similarity_search(question, k=FETCH_FACTOR * self.k), list(withheld), self.k)
        else:
            docs = self.store.similarity_search(question, k=self.k)
        sentences = []
        for i, d in enumerate(docs):
            for a, b in split_sentences(d.page_content):
                sentences.append((i, a, b))
        q = np.asarray(self.embeddings.embed_query(question), dtype=np.float32)
        passages = [Citation(source=d.metadata.get("source", ""), text=d.page_content,
                             start=d.metadata.get("start_index", 0),
                             end=d.metadata.get("start_index", 0) + len(d.page_content), highlights=[], score=0.0)
                    for d in docs]
        if not sentences:
            return Answer(question, "", [], False, 0.0, question, passages)
        vecs = np.asarray(self.embeddings.embed_documents([docs[i].page_content[a:b] for i, a, b in sentences]),
                          dtype=np.float32)
        sims = vecs @ q / np.maximum(np.linalg.norm(vecs, axis=1) * np.linalg.norm(q), 1e-12)
        i, a, b = sentences[int(sims.argmax())]
        cited = passages[i]
        cited.highlights = [(a, b)]
        return Answer(question, docs[i].page_content[a:b] + " [1]", [cited], False, float(sims.max()), question,
                      passages)
