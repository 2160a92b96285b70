"""The searchable index: passages, their sentences, sentence vectors in FAISS, BM25.

Every sentence of every passage is embedded once; a passage's dense score is
the best score of its sentences. Small corpora get an exact FAISS index
(``IndexFlatIP``); above ``IndexSettings.hnsw_threshold`` vectors an HNSW graph.

    >>> from tests.fakes import HashEmbeddings          # doctest: +SKIP
    >>> index = build_index(load_corpus("corpus"), HashEmbeddings())   # doctest: +SKIP
    >>> index.search_sentences(query_vector, 5)          # doctest: +SKIP

Persistence lives in :mod:`qa.storage`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np

from .chunking import ChunkSettings, Chunks, Passage, Sentence, append_document
from .documents import Corpus, Document, Section
from .embeddings import ArrayEmbeddings, ModelInfo, as_unit_rows
from .lexical import LexicalIndex

Progress = Callable[[int, int], None]  # (done, total)


@dataclass(frozen=True)
class IndexSettings:
    chunking: ChunkSettings = field(default_factory=ChunkSettings)
    hnsw_threshold: int = 20_000   # vectors; below it, search is exact (benchmarks/README.md: flat 45k ~7-11 ms, HNSW 0.3 ms)
    hnsw_m: int = 32
    hnsw_ef_construction: int = 100
    hnsw_ef_search: int = 128
    embed_batch: int = 256         # texts handed to the model at once (progress granularity)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["chunking"] = self.chunking.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "IndexSettings":
        d = dict(d)
        d["chunking"] = ChunkSettings(**d.get("chunking", {}))
        return cls(**d)

    def identity(self) -> dict:
        """The settings that change what is stored (a mismatch means rebuild)."""
        return {"chunking": self.chunking.to_dict()}


def make_vector_index(vectors: np.ndarray, settings: IndexSettings):
    """Exact inner-product search below the threshold, HNSW above it."""
    import faiss

    n, dim = vectors.shape
    if n >= settings.hnsw_threshold:
        index = faiss.IndexHNSWFlat(dim, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = settings.hnsw_ef_construction
        index.hnsw.efSearch = settings.hnsw_ef_search
    else:
        index = faiss.IndexFlatIP(dim)
    if n:
        index.add(vectors)
    return index


class PassageIndex:
    """Everything a question needs, in memory. Build with :func:`build_index`,
    persist with :func:`qa.storage.save_index`, load with :func:`qa.storage.load_index`."""

    def __init__(self, documents: list[Document], chunks: Chunks, vectors, lexical: LexicalIndex,
                 model: ModelInfo, settings: IndexSettings):
        self.documents = documents
        self.passages: list[Passage] = chunks.passages
        self.sentences: list[Sentence] = chunks.sentences
        self.vectors = vectors          # FAISS index over sentence vectors, id = sentence id
        self.lexical = lexical          # BM25 over passages, id = passage id
        self.model = model
        self.settings = settings
        # sentence id -> passage ids that hold it (one, or two where passages overlap)
        self.sentence_passages: list[list[int]] = [[] for _ in self.sentences]
        for p in self.passages:
            for s in p.sentence_ids:
                self.sentence_passages[s].append(p.id)
        self.by_source = {d.source: i for i, d in enumerate(documents)}

    @property
    def kind(self) -> str:
        return "hnsw" if "HNSW" in type(self.vectors).__name__ else "flat"

    def sentence_text(self, sid: int) -> str:
        s = self.sentences[sid]
        return self.documents[s.doc].text[s.start:s.end]

    def search_sentences(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` sentence ids and cosine scores for a unit query vector."""
        k = min(k, self.vectors.ntotal)
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores, ids = self.vectors.search(query.reshape(1, -1).astype(np.float32), k)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def sentence_vectors(self, ids) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) == 0:
            return np.zeros((0, self.model.dimension), dtype=np.float32)
        return self.vectors.reconstruct_batch(ids)

    def all_sentence_vectors(self) -> np.ndarray:
        n = self.vectors.ntotal
        return self.vectors.reconstruct_n(0, n) if n else np.zeros((0, self.model.dimension), np.float32)


def build_index(corpus: Corpus, embeddings: ArrayEmbeddings, settings: IndexSettings = IndexSettings(),
                previous: PassageIndex | None = None, progress: Progress | None = None) -> PassageIndex:
    """Chunk and embed ``corpus``. With ``previous`` (an index of the same model and
    settings), documents whose content hash is unchanged keep their vectors: only
    new or changed documents are embedded."""
    chunks = Chunks()
    reuse: dict[int, int] = {}  # new sentence id -> old sentence id
    old_sentences_by_doc: dict[str, list[int]] = {}
    if previous is not None and previous.model == embeddings.model_info and \
            previous.settings.identity() == settings.identity():
        old_hash = {d.source: d.sha256 for d in previous.documents}
        for sid, s in enumerate(previous.sentences):
            old_sentences_by_doc.setdefault(previous.documents[s.doc].source, []).append(sid)
    else:
        old_hash = {}
    for doc_index, doc in enumerate(corpus.documents):
        first = len(chunks.sentences)
        append_document(chunks, doc_index, doc, settings.chunking)
        if old_hash.get(doc.source) == doc.sha256:
            old_ids = old_sentences_by_doc.get(doc.source, [])
            if len(old_ids) == len(chunks.sentences) - first:
                reuse.update(zip(range(first, len(chunks.sentences)), old_ids))

    dim = embeddings.model_info.dimension
    vectors = np.zeros((len(chunks.sentences), dim), dtype=np.float32)
    if reuse:
        new_ids = np.fromiter(reuse.keys(), dtype=np.int64)
        vectors[new_ids] = previous.sentence_vectors(np.fromiter(reuse.values(), dtype=np.int64))
    todo = [i for i in range(len(chunks.sentences)) if i not in reuse]
    texts_of = lambda ids: [corpus.documents[chunks.sentences[i].doc].text[chunks.sentences[i].start:chunks.sentences[i].end] for i in ids]
    done = 0
    if progress:
        progress(0, len(todo))
    for lo in range(0, len(todo), settings.embed_batch):
        batch = todo[lo:lo + settings.embed_batch]
        vectors[batch] = as_unit_rows(embeddings.embed_array(texts_of(batch)))
        done += len(batch)
        if progress:
            progress(done, len(todo))
    lexical = LexicalIndex.build([p.search_text() for p in chunks.passages])
    index = PassageIndex(corpus.documents, chunks, make_vector_index(vectors, settings), lexical,
                         embeddings.model_info, settings)
    index.embedded_sentences = len(todo)
    index.reused_sentences = len(reuse)
    return index
