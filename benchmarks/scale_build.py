"""Building the scale benchmark's corpora and indexes (:mod:`benchmarks.scale`): sizes, the
synthetic corpus, timed or looked-up embeddings, the build and the incremental re-index."""

from __future__ import annotations

import gc
import time
from pathlib import Path

import numpy as np

from benchmarks.common import folder_bytes
from benchmarks.synthetic import Generator, write_corpus
from qa.search.embeddings import ArrayEmbeddings, as_unit_rows

SIZES = {"1k": (10, 100), "10k": (100, 100), "100k": (1000, 100)}  # (documents, passages per document)
POOL_TOPICS, POOL_PER_TOPIC = 4000, 12
SEED = 20261126


# --- embeddings wrappers ----------------------------------------------------------------------

class TimedEmbeddings(ArrayEmbeddings):
    """Delegates to a real model; counts texts and seconds spent embedding."""

    def __init__(self, inner: ArrayEmbeddings):
        self.inner = inner
        self.model_info = inner.model_info
        self.seconds = 0.0
        self.texts = 0

    def embed_array(self, texts):
        t0 = time.perf_counter()
        out = self.inner.embed_array(texts)
        self.seconds += time.perf_counter() - t0
        self.texts += len(texts)
        return out

    def query_array(self, text):
        return self.inner.query_array(text)


class LookupEmbeddings(ArrayEmbeddings):
    """Vectors computed beforehand by the real model, looked up by exact text (pool mode).
    A text missing from the table is embedded by ``fallback`` and counted."""

    def __init__(self, texts: list[str], vectors: np.ndarray, fallback: ArrayEmbeddings):
        self.row = {t: i for i, t in enumerate(texts)}
        self.vectors = as_unit_rows(vectors)
        self.fallback = fallback
        self.model_info = fallback.model_info
        self.missing = 0

    def embed_array(self, texts):
        rows = [self.row.get(t, -1) for t in texts]
        out = self.vectors[np.maximum(rows, 0)].copy()
        miss = [i for i, r in enumerate(rows) if r < 0]
        if miss:
            self.missing += len(miss)
            out[miss] = self.fallback.embed_array([texts[i] for i in miss])
        return out

    def query_array(self, text):
        return self.fallback.query_array(text)


# --- building -------------------------------------------------------------------------------

def generate(size: str, workdir: Path, pool: bool, seed: int = SEED, sizes=SIZES):
    n_docs, per_doc = sizes[size]
    gen = Generator(seed=seed, n_topics=POOL_TOPICS, pool_per_topic=POOL_PER_TOPIC) if pool else Generator(seed=seed)
    docs = gen.documents(n_docs, per_doc)
    corpus_dir = write_corpus(workdir / "corpus", docs)
    return gen, docs, corpus_dir


def build(corpus_dir: Path, index_dir: Path, embeddings: ArrayEmbeddings, settings=None) -> dict:
    """Load, chunk, embed, BM25 + FAISS, save; seconds of each phase."""
    from qa.ingest.corpus import load_corpus
    from qa.search.index import IndexSettings, build_index
    from qa.search.storage import save_index

    settings = settings or IndexSettings()
    marks = {}

    def progress(done, total):
        now = time.perf_counter()
        marks.setdefault("embed_start", now)
        marks["embed_end"] = now

    t0 = time.perf_counter()
    corpus = load_corpus(corpus_dir)
    t_loaded = time.perf_counter()
    index, _ = build_index(corpus, embeddings, settings, progress=progress)
    t_built = time.perf_counter()
    save_index(index, index_dir)
    t_saved = time.perf_counter()
    gen_dir = index_dir / (index_dir / "CURRENT").read_text().strip()
    files = {p.relative_to(gen_dir).as_posix(): p.stat().st_size for p in gen_dir.rglob("*") if p.is_file()}
    out = {
        "documents": len(corpus.documents), "passages": len(index.passages), "sentences": len(index.sentences),
        "vector_index": index.kind, "load_corpus_s": t_loaded - t0,
        "chunk_s": marks["embed_start"] - t_loaded,
        "embed_s": marks["embed_end"] - marks["embed_start"],
        "bm25_faiss_s": t_built - marks["embed_end"],
        "save_s": t_saved - t_built,
        "total_s": t_saved - t0,
        "disk_bytes": sum(files.values()),
        "disk": {"vectors.faiss": files.get("vectors.faiss", 0),
                 "json (documents, passages, sentences, manifest)": sum(v for k, v in files.items() if k.endswith(".json") and "/" not in k),
                 "bm25/": sum(v for k, v in files.items() if k.startswith("bm25/"))},
        "corpus_bytes": folder_bytes(corpus_dir),
    }
    del index, corpus
    gc.collect()
    return out


def incremental(gen: Generator, corpus_dir: Path, index_dir: Path, embeddings, per_doc: int, doc: int = 0,
                revert: bool = True) -> dict:
    """Replace document ``doc`` by an edited version and update the index in place
    (then, with ``revert``, put the original back and update again, untimed)."""
    from qa.ingest.corpus import load_corpus
    from qa.search.lifecycle import open_or_build_index

    edited = gen.document(doc, per_doc, variant=1)
    path = corpus_dir / edited.source
    original = path.read_bytes()
    path.write_text(edited.text, encoding="utf-8")
    t0 = time.perf_counter()
    corpus = load_corpus(corpus_dir)
    index, report = open_or_build_index(corpus, index_dir, embeddings, rebuild="auto")
    seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    _, again = open_or_build_index(load_corpus(corpus_dir), index_dir, embeddings, rebuild="auto")
    unchanged_s = time.perf_counter() - t1
    out = {"action": report.action, "seconds": seconds, "embedded_sentences": report.embedded_sentences,
           "reused_sentences": report.reused_sentences, "passages": len(index.passages),
           "edited_document": edited.source, "edited_passages": len(edited.passages),
           "reopen_unchanged_action": again.action, "reopen_unchanged_s": unchanged_s}
    if revert:
        path.write_bytes(original)
        del index
        index, _ = open_or_build_index(load_corpus(corpus_dir), index_dir, embeddings, rebuild="auto")
    del index
    gc.collect()
    return out
