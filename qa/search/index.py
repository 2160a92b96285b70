"""The searchable index: passages, their sentences, sentence vectors in FAISS, BM25.

Every sentence of every passage is embedded once; a passage's dense score is
the best score of its sentences. Small corpora get an exact FAISS index
(``IndexFlatIP``); above ``IndexSettings.hnsw_threshold`` vectors an HNSW graph.

    >>> import pathlib, tempfile
    >>> from qa.ingest.corpus import load_corpus
    >>> from tests.support.fakes import HashEmbeddings     # bag-of-words vectors, for examples and tests
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.txt").write_text("Crows use tools. Owls hunt at night.")
    >>> index, stats = build_index(load_corpus(folder), HashEmbeddings())
    >>> stats, len(index.passages)
    (BuildStats(embedded_sentences=2, reused_sentences=0), 1)
    >>> ids, scores = index.search_sentences(HashEmbeddings().query_array("Which birds hunt at night?"), 1)
    >>> s = index.sentences[ids[0]]
    >>> index.documents[s.doc].text[s.start:s.end]
    'Owls hunt at night.'

Persistence lives in :mod:`qa.search.storage`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np

from ..ingest.chunking import ChunkSettings, Chunks, Passage, Sentence, append_document
from ..ingest.document import Corpus, Document
from .embeddings import ArrayEmbeddings, ModelInfo, as_unit_rows
from .lexical import LexicalIndex

Progress = Callable[[int, int], None]  # (done, total)


@dataclass(frozen=True)
class IndexSettings:
    """How the index is built; :meth:`identity` is what a stored index must match."""

    chunking: ChunkSettings = field(default_factory=ChunkSettings)
    hnsw_threshold: int = 20_000   # vectors; below it, search is exact (benchmarks/README.md compares the two)
    hnsw_m: int = 32
    hnsw_ef_construction: int = 100
    hnsw_ef_search: int = 128
    embed_batch: int = 256         # texts handed to the model at once (progress granularity)

    def to_dict(self) -> dict:
        """The manifest's ``settings`` entry."""
        d = asdict(self)
        d["chunking"] = self.chunking.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "IndexSettings":
        """Read what :meth:`to_dict` wrote."""
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
    persist with :func:`qa.search.storage.save_index`, load with :func:`qa.search.storage.load_index`
    (which sets ``folder``, the generation it was read from)."""

    def __init__(self, documents: list[Document], chunks: Chunks, vectors, lexical: LexicalIndex,
                 model: ModelInfo, settings: IndexSettings, folder: Path | None = None):
        self.documents = documents
        self.passages: list[Passage] = chunks.passages
        self.sentences: list[Sentence] = chunks.sentences
        self.vectors = vectors          # FAISS index over sentence vectors, id = sentence id
        self.lexical = lexical          # BM25 over passages, id = passage id
        self.model = model
        self.settings = settings
        self.folder = folder
        # sentence id -> passage ids that hold it (one, or two where passages overlap)
        self.sentence_passages: list[list[int]] = [[] for _ in self.sentences]
        for p in self.passages:
            for s in p.sentence_ids:
                self.sentence_passages[s].append(p.id)
        self.by_source = {d.source: i for i, d in enumerate(documents)}

    @property
    def kind(self) -> str:
        """``"flat"`` (exact search) or ``"hnsw"``."""
        return "hnsw" if "HNSW" in type(self.vectors).__name__ else "flat"

    def search_sentences(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` sentence ids and cosine scores for a unit query vector."""
        k = min(k, self.vectors.ntotal)
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores, ids = self.vectors.search(query.reshape(1, -1).astype(np.float32), k)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def sentence_vectors(self, ids) -> np.ndarray:
        """The stored vectors of sentences ``ids``, one row each."""
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) == 0:
            return np.zeros((0, self.model.dimension), dtype=np.float32)
        return self.vectors.reconstruct_batch(ids)

    def document_sentences(self) -> dict[str, tuple[str, list[int]]]:
        """``{source: (content hash, its sentence ids)}`` of every document."""
        out = {d.source: (d.sha256, []) for d in self.documents}
        for sid, s in enumerate(self.sentences):
            out[self.documents[s.doc].source][1].append(sid)
        return out

    def passage_counts(self) -> Counter:
        """Passages per document source."""
        return Counter(p.source for p in self.passages)

    @property
    def stats(self) -> dict:
        """Documents, passages and sentences, and the kind of vector search."""
        return {"documents": len(self.documents), "passages": len(self.passages),
                "sentences": len(self.sentences), "vector_index": self.kind}

    def all_sentence_vectors(self) -> np.ndarray:
        """Every stored sentence vector, in id order."""
        n = self.vectors.ntotal
        return self.vectors.reconstruct_n(0, n) if n else np.zeros((0, self.model.dimension), np.float32)


@dataclass(frozen=True)
class BuildStats:
    """What :func:`build_index` did: sentences embedded now, and reused from the previous index."""

    embedded_sentences: int
    reused_sentences: int


def _reusable(corpus: Corpus, chunks: Chunks, previous, embeddings: ArrayEmbeddings,
              settings: IndexSettings) -> dict[int, int]:
    """Chunk ``corpus`` into ``chunks``; return ``{new sentence id: old sentence id}`` for the
    documents whose content hash is unchanged in ``previous`` (same model and settings)."""
    reuse: dict[int, int] = {}
    old: dict[str, tuple[str, list[int]]] = {}
    if previous is not None and previous.model == embeddings.model_info and \
            previous.settings.identity() == settings.identity():
        old = previous.document_sentences()
    for doc_index, doc in enumerate(corpus.documents):
        first = len(chunks.sentences)
        append_document(chunks, doc_index, doc, settings.chunking)
        old_hash, old_ids = old.get(doc.source, (None, []))
        if old_hash == doc.sha256 and len(old_ids) == len(chunks.sentences) - first:
            reuse.update(zip(range(first, len(chunks.sentences)), old_ids))
    return reuse


def dated(documents: list[Document], previous: PassageIndex | None, now: str | None = None) -> list[Document]:
    """``documents`` with ``added`` set: a document whose file is unchanged since ``previous``
    keeps its date from there; a new or changed one is stamped ``now`` (default: this second, UTC).

    >>> doc = Document("a.txt", "A", "Crows use tools.", [], "h1")
    >>> dated([doc], None, now="2026-01-02T03:04:05+00:00")[0].added
    '2026-01-02T03:04:05+00:00'
    """
    now = now or datetime.now(timezone.utc).isoformat(timespec="seconds")
    known = {(d.source, d.sha256): d.added for d in previous.documents} if previous is not None else {}
    return [d if d.added else replace(d, added=known.get((d.source, d.sha256)) or now) for d in documents]


def embed_corpus(corpus: Corpus, embeddings: ArrayEmbeddings, settings: IndexSettings = IndexSettings(),
                 previous=None, progress: Progress | None = None) -> tuple[Chunks, np.ndarray, BuildStats]:
    """Chunk ``corpus`` and embed every sentence: the passages, one unit vector per sentence,
    and what was embedded. ``previous`` (a :class:`PassageIndex`, or any object with its
    ``model``, ``settings``, :meth:`~PassageIndex.document_sentences` and
    :meth:`~PassageIndex.sentence_vectors`, such as an index in a vector database) lends the
    vectors of documents whose content hash is unchanged."""
    chunks = Chunks()
    reuse = _reusable(corpus, chunks, previous, embeddings, settings)
    vectors = np.zeros((len(chunks.sentences), embeddings.model_info.dimension), dtype=np.float32)
    if reuse:
        new_ids = np.fromiter(reuse.keys(), dtype=np.int64)
        vectors[new_ids] = previous.sentence_vectors(np.fromiter(reuse.values(), dtype=np.int64))
    todo = [i for i in range(len(chunks.sentences)) if i not in reuse]

    def texts_of(ids: list[int]) -> list[str]:
        spans = [chunks.sentences[i] for i in ids]
        return [corpus.documents[s.doc].text[s.start:s.end] for s in spans]

    if progress:
        progress(0, len(todo))
    for lo in range(0, len(todo), settings.embed_batch):
        batch = todo[lo:lo + settings.embed_batch]
        vectors[batch] = as_unit_rows(embeddings.embed_array(texts_of(batch)))
        if progress:
            progress(lo + len(batch), len(todo))
    return chunks, vectors, BuildStats(embedded_sentences=len(todo), reused_sentences=len(reuse))


class Lenders:
    """Two indexes lending their vectors to :func:`embed_corpus` as one ``previous``: ``base`` (may
    be ``None``) and ``extra``, whose entry wins for a source both hold. E.g. the index before a
    change and the index of the files it adds, embedded before the change took the build lock."""

    def __init__(self, base: PassageIndex | None, extra: PassageIndex):
        self.base, self.extra = base, extra
        self.model, self.settings = extra.model, extra.settings
        self.documents = (base.documents if base is not None else []) + extra.documents
        self.offset = base.vectors.ntotal if base is not None else 0   # extra's ids come after base's

    def document_sentences(self) -> dict[str, tuple[str, list[int]]]:
        """``{source: (content hash, its sentence ids)}``, ``extra``'s ids shifted past ``base``'s."""
        out = self.base.document_sentences() if self.base is not None else {}
        for source, (sha, ids) in self.extra.document_sentences().items():
            out[source] = (sha, [i + self.offset for i in ids])
        return out

    def sentence_vectors(self, ids) -> np.ndarray:
        """The vectors of sentences ``ids`` (numbered as :meth:`document_sentences` numbers them)."""
        ids = np.asarray(ids, dtype=np.int64)
        out = np.zeros((len(ids), self.model.dimension), dtype=np.float32)
        low = ids < self.offset
        if low.any():
            out[low] = self.base.sentence_vectors(ids[low])
        if (~low).any():
            out[~low] = self.extra.sentence_vectors(ids[~low] - self.offset)
        return out


def build_index(corpus: Corpus, embeddings: ArrayEmbeddings, settings: IndexSettings = IndexSettings(),
                previous: PassageIndex | None = None,
                progress: Progress | None = None) -> tuple[PassageIndex, BuildStats]:
    """Chunk and embed ``corpus`` (:func:`embed_corpus`), then index it: FAISS over the sentence
    vectors, BM25 over the passages. With ``previous`` (an index of the same model and
    settings), documents whose content hash is unchanged keep their vectors: only
    new or changed documents are embedded. Each document keeps its date added from
    ``previous`` while its file is unchanged (:func:`dated`)."""
    chunks, vectors, stats = embed_corpus(corpus, embeddings, settings, previous, progress)
    lexical = LexicalIndex.build([p.search_text() for p in chunks.passages])
    index = PassageIndex(dated(corpus.documents, previous), chunks, make_vector_index(vectors, settings), lexical,
                         embeddings.model_info, settings)
    return index, stats
