"""Small deterministic stand-ins for unit tests (the real model is used in integration tests)."""

from __future__ import annotations

import hashlib

import numpy as np

from qa.search.embeddings import ArrayEmbeddings, ModelInfo, as_unit_rows
from qa.search.lexical import analyze


class HashEmbeddings(ArrayEmbeddings):
    """Bag of stemmed words hashed into ``dim`` buckets: texts sharing words are similar."""

    def __init__(self, dim: int = 64, name: str = "fake/hash-bow", cache_dir=None):
        """``cache_dir`` is taken, as ``MiniLMEmbeddings`` takes it, so that tests can stand in for it."""
        self.dim = dim
        self.model_info = ModelInfo(name=name, dimension=dim, fingerprint=f"hash{dim}")
        self.calls = 0
        self.texts_embedded = 0

    def embed_array(self, texts):
        self.calls += 1
        self.texts_embedded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for tok in analyze(text) or ["<empty>"]:
                h = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=4).digest(), "little")
                out[i, h % self.dim] += 1.0
        return as_unit_rows(out)
