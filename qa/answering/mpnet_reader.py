"""The two-stage reader (``QA_READER=mpnet``): MiniLM ranks the windows, MPNet-base reads the best few.

An MPNet-base span model (12 layers, hidden 768: about eight times the work of the packaged
MiniLM span model per token) reads better, so it reads only what matters:

1. the MiniLM span model (:class:`~qa.answering.span_reader.SpanReader`'s) scores every window of
   every retrieved passage, as the ``fast`` reader does;
2. the passages holding its strongest windows (best span minus "no answer", :func:`strongest`),
   at most ``read`` of them (3), are read again by the MPNet model;
3. the sentences of those passages get their ``span``, ``span_gap`` and ``null`` features from
   MPNet, and only they may answer: MPNet decides the span, and, through the confidence, the
   abstention. The rest (sentence features, ranking, composing) is the span reader's.

Its model, an int8 ONNX export in :class:`~qa.answering.span_model.SpanModel`'s format, lives in
``models/mpnet-qa-reader/`` once built (``training/MPNET.md``); until then :func:`load_mpnet`
raises a :class:`~qa.errors.ModelError` that says how to get it. Its weights are
``calibration/mpnet.json`` once ``make calibrate ARGS="--reader mpnet"`` has fitted them, else the span
reader's (the two share their features).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from langchain_core.documents import Document

from ..errors import ModelError
from .extractive import ExtractiveReader
from .reader import MAX_ANSWER_CHARS, Candidate
from .span_model import MODEL_DIR, SpanModel, WindowScores
from .span_reader import SpanReader, add_span_features
from .weights import Weights, calibration_file, default_weights

MPNET_DIR = MODEL_DIR.with_name("mpnet-qa-reader")
READ_PASSAGES = 3


def load_mpnet(folder: str | Path | None = None) -> SpanModel:
    """The MPNet span model in ``folder`` (default :data:`MPNET_DIR`), its manifest's digests checked."""
    folder = Path(folder) if folder else MPNET_DIR
    if not (folder / "manifest.json").is_file():
        raise ModelError(f"No MPNet reader model in {folder} (no manifest.json): the MPNet reader has no trained "
                         "weights yet.", hint="Build it as training/MPNET.md says (a GPU round, then "
                         "`python -m training.mpnet_merge` and `python -m training.export_onnx` into that folder), "
                         "or use QA_READER=fast.")
    return SpanModel.load(folder)


def mpnet_weights() -> Weights:
    """``calibration/mpnet.json`` when fitted, else the span reader's weights (same features)."""
    if calibration_file("mpnet").is_file():
        return default_weights("mpnet")
    return replace(default_weights("span"), reader="mpnet",
                   fitted_by="the span reader's calibration (no calibration/mpnet.json yet)")


def strongest(windows: list[WindowScores], passages: list[str], n: int) -> list[int]:
    """Indices of the ``n`` passages holding the strongest windows (best span minus that window's
    "no answer" score), strongest first."""
    best: dict[int, float] = {}
    for w in windows:
        span = w.best_span(0, len(passages[w.passage]))
        if span is not None:
            best[w.passage] = max(best.get(w.passage, float("-inf")), span.score - w.null)
    return sorted(best, key=lambda i: (-best[i], i))[:n]


class MpnetReader(SpanReader):
    """The span reader, with MPNet reading the passages MiniLM found strongest."""

    kind = "mpnet"

    def __init__(self, weights: Weights | None = None, model: SpanModel | None = None,
                 ranker: SpanModel | None = None, read: int = READ_PASSAGES, max_chars: int = MAX_ANSWER_CHARS):
        self.mpnet = model or load_mpnet()
        super().__init__(weights or mpnet_weights(), ranker, max_chars)
        self.read_passages = read

    def candidates(self, question: str, query: str, passages: list[Document]) -> list[Candidate]:
        """The sentences of the passages MPNet reads, with the extractive features (over all
        sentences retrieved) and MPNet's span features."""
        cands = ExtractiveReader.candidates(self, question, query, passages)
        if not cands:
            return cands
        texts = [p.page_content for p in passages]
        chosen = strongest(self.model.score(query, texts), texts, self.read_passages)
        windows = [replace(w, passage=chosen[w.passage]) for w in self.mpnet.score(query, [texts[i] for i in chosen])]
        kept = [c for c in cands if c.passage in set(chosen)]
        add_span_features(kept, windows, passages)
        return kept
