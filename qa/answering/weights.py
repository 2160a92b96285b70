"""A reader's weights: how sentences are scored and how sure it is, fitted on data by
``python -m training.calibrate_reader`` and read from ``calibration/<reader>.json`` (beside this module).

    >>> w = Weights(sentence={"cosine": 1.0, "overlap": 0.5}, confidence={"score": 2.0}, bias=-1.0)
    >>> w.score({"cosine": 0.8, "overlap": 0.4, "novelty": 1.0})
    1.0
    >>> round(w.confidence_of({"score": 1.0}), 4)        # sigmoid(-1 + 2 * 1)
    0.7311

Each reader has its own features (:data:`FEATURES`): the span reader scores sentences on the
extractive reader's features plus what its model says about the best answer span inside each.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Mapping

CALIBRATION_DIR = Path(__file__).with_name("calibration")
FORMAT_VERSION = 3
LOGIT_CLIP = 60.0   # |logit| beyond this saturates the sigmoid (and would overflow exp)

# Sentence features of the extractive reader. ``type_*`` is 1 when the question asks for that
# kind of thing and the sentence holds one beyond the question's words.
SENTENCE_FEATURES = ("cosine", "overlap", "passage", "novelty", "context", "is_question",
                     "type_date", "type_number", "type_entity", "type_reason")
# Answer-level features that ``confidence`` is a logistic function of
# (see :func:`qa.answering.extractive.ranked_features`).
CONFIDENCE_FEATURES = ("score", "cosine", "overlap", "typed", "type_missing", "is_question",
                       "dense", "lexical", "margin")
# What the span model adds (:mod:`qa.answering.span_reader`): per sentence, the best span inside
# it (``span``) and its margin over the passage's "no answer" score (``span_gap``); per answer,
# also the strongest margin anywhere (``evidence``) and the lowest "no answer" score (``null``).
SPAN_SENTENCE_FEATURES = ("span", "span_gap")
SPAN_CONFIDENCE_FEATURES = ("span", "span_gap", "evidence", "null")


@dataclass(frozen=True)
class Features:
    """The feature names a reader's weights may use."""

    sentence: tuple[str, ...]
    confidence: tuple[str, ...]


FEATURES = {
    "extractive": Features(SENTENCE_FEATURES, CONFIDENCE_FEATURES),
    "span": Features(SENTENCE_FEATURES + SPAN_SENTENCE_FEATURES, CONFIDENCE_FEATURES + SPAN_CONFIDENCE_FEATURES),
}
FEATURES["mpnet"] = FEATURES["span"]   # the same features; MPNet's span model gives span, span_gap and null


def calibration_file(reader: str) -> Path:
    """Where the shipped weights of ``reader`` ("extractive", "span" or "mpnet") are."""
    return CALIBRATION_DIR / f"{reader}.json"


def linear(weights: Mapping[str, float], features: Mapping[str, float]) -> float:
    """``sum(weights[f] * features[f])``; a feature missing from ``features`` counts 0."""
    return sum(w * features.get(name, 0.0) for name, w in weights.items())


def sigmoid(z: float) -> float:
    """The logistic function, clipped to stay finite."""
    return 1.0 / (1.0 + math.exp(-max(-LOGIT_CLIP, min(LOGIT_CLIP, z))))


@dataclass(frozen=True)
class Weights:
    """How sentences are scored and how sure the reader is.

    ``score = sum(sentence[f] * feature[f])`` ranks sentences;
    ``confidence = sigmoid(bias + sum(confidence[g] * answer_feature[g]))``;
    the reader abstains below ``threshold`` and adds a second sentence scoring at
    least ``second_ratio`` of the best. ``python -m training.calibrate_reader`` fits them all on data and
    writes ``calibration/<reader>.json`` (format version 3, checked on load);
    ``fitted_by`` says what made them and ``provenance`` from what (input files and their
    sha256, seed, model fingerprint, git commit, command)."""

    sentence: dict = field(default_factory=lambda: {"cosine": 1.0, "overlap": 0.6, "passage": 0.3,
                                                    "is_question": -0.5, "type_date": 0.15,
                                                    "type_number": 0.15, "type_entity": 0.15,
                                                    "type_reason": 0.15})
    confidence: dict = field(default_factory=lambda: {"score": 8.0})
    bias: float = -5.0
    threshold: float = 0.5
    second_ratio: float = 0.92
    fitted_by: str = "defaults"
    reader: str = "extractive"
    provenance: dict = field(default_factory=dict)

    def score(self, features: Mapping[str, float]) -> float:
        """A sentence's score from its features."""
        return linear(self.sentence, features)

    def confidence_of(self, answer_features: Mapping[str, float]) -> float:
        """How sure the reader is, in [0, 1], from an answer's features."""
        return sigmoid(self.bias + linear(self.confidence, answer_features))

    @classmethod
    def load(cls, path: Path | None = None, reader: str = "extractive") -> "Weights":
        """Read ``reader``'s calibration file (default: the shipped one). A file of another format
        version, of another reader, or with features that reader doesn't have is refused
        with a ``ValueError`` saying what it holds and what was expected."""
        if reader not in FEATURES:
            raise ValueError(f"reader must be one of {sorted(FEATURES)}, got {reader!r}")
        path = Path(path) if path else calibration_file(reader)
        if not path.is_file():
            return cls(reader=reader)
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"{path}: calibration format version {data.get('format_version')!r}; "
                             f"this version of qa reads version {FORMAT_VERSION}. "
                             "Run `python -m training.calibrate_reader --write`.")
        if data.get("reader") != reader:
            raise ValueError(f"{path} holds weights of the {data.get('reader')!r} reader; expected {reader!r}.")
        known = FEATURES[reader]
        for key in ("sentence", "confidence"):
            unknown = set(data.get(key, {})) - set(getattr(known, key))
            if unknown:
                raise ValueError(f"{path}: unknown {key} features {sorted(unknown)}; "
                                 f"expected some of {list(getattr(known, key))}.")
        fields = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in fields})

    def to_dict(self) -> dict:
        """What :meth:`load` reads (without the fitting report)."""
        return {"format_version": FORMAT_VERSION, **asdict(self)}


@lru_cache(maxsize=None)
def default_weights(reader: str = "extractive") -> Weights:
    """The shipped calibration of ``reader``, read once."""
    return Weights.load(reader=reader)
