"""The fit of ``python -m training.calibrate_reader``: sentence weights, confidence, threshold and second-sentence
ratio, from :class:`~training.calibrate.Sample` s (steps 1-4 of :mod:`training.calibrate`), and
how well a set of weights does on samples it was or wasn't fitted on.

    >>> separation(np.array([0.9, 0.8, 0.3]), np.array([True, True, False]))
    1.0
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from qa.answering.extractive import answer_length, choose_sentences
from qa.answering.reader import MAX_ANSWER_CHARS
from qa.answering.weights import FEATURES, Weights
from .calibrate import (MAX_FALSE_ABSTAIN, MAX_MEDIAN_ANSWER_CHARS, RESTARTS, Sample, answer_matrix,
                        choose_threshold, mean_over_datasets, sample_weights, ranked, search_sentence_weights,
                        top1, weight_vector)

RATIOS = np.round(np.arange(0.80, 1.0001, 0.01), 2)   # second_ratio values tried


def fit_logistic(X: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None, l2: float = 1e-2,
                 iters: int = 4000, lr: float = 0.3, signs: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Logistic regression ``P(y) = sigmoid(X @ w + b)`` by gradient descent on standardised columns;
    ``signs`` (+1, -1 or 0 per column) keeps a weight on its side of zero (0: free)."""
    mu, sd = X.mean(0), X.std(0) + 1e-9
    Z = (X - mu) / sd
    sw = np.ones(len(y)) if weights is None else weights
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(Z @ w + b)))
        g = (p - y) * sw
        w -= lr * (Z.T @ g / sw.sum() + l2 * w)
        b -= lr * g.sum() / sw.sum()
        if signs is not None:
            w = np.where(signs * w < 0, 0.0, w)
    return w / sd, float(b - (w / sd) @ mu)


def separation(conf: np.ndarray, answerable: np.ndarray) -> float:
    """ROC AUC of confidence for answerable vs unanswerable questions."""
    pos, neg = conf[answerable], conf[~answerable]
    if not len(pos) or not len(neg):
        return float("nan")
    return float(((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum())
                 / (len(pos) * len(neg)))


def confidences(reader, w: Weights, samples: list[Sample]) -> np.ndarray:
    """The reader's confidence on each sample (:meth:`Weights.confidence_of`)."""
    names = FEATURES[reader.kind].confidence
    return np.array([w.confidence_of(dict(zip(names, row))) for row in answer_matrix(reader, w.sentence, samples)])


def evaluate_weights(reader, w: Weights, samples: list[Sample]) -> dict:
    """Top-1 accuracy, answers kept, abstentions and ROC AUC of ``w`` on ``samples``."""
    vec = weight_vector(w.sentence, FEATURES[reader.kind].sentence)
    hits = np.array([bool(s.hit[int((s.X @ vec).argmax())]) for s in samples])
    answerable = np.array([s.answerable for s in samples])
    answered = confidences(reader, w, samples) >= w.threshold
    return {
        "questions": len(samples),
        "answerable": int(answerable.sum()),
        "top1_accuracy": float(hits[answerable].mean()) if answerable.any() else None,
        "answered_correct": float((hits & answered)[answerable].mean()) if answerable.any() else None,
        "abstain_recall": float((~answered)[~answerable].mean()) if (~answerable).any() else None,
        "false_abstentions": int((~answered & answerable).sum()),
        "auc": separation(confidences(reader, w, samples), answerable),
    }


def trade_off(reader, w: Weights, samples: list[Sample], thresholds) -> list[dict]:
    """At each threshold: the share of unanswerable questions abstained on and of answerable
    ones wrongly refused (the abstain/false-abstain trade-off)."""
    conf = confidences(reader, w, samples)
    answerable = np.array([s.answerable for s in samples])
    out = []
    for t in thresholds:
        refused = conf < t
        out.append({"threshold": round(float(t), 4),
                    "abstained": float(refused[~answerable].mean()) if (~answerable).any() else None,
                    "false_abstentions": float(refused[answerable].mean()) if answerable.any() else None})
    return out


def composed(vec: np.ndarray, s: Sample, ratio: float, max_chars: int = MAX_ANSWER_CHARS) -> tuple[bool, int]:
    """Whether the answer the reader would compose (:func:`~qa.answering.extractive.choose_sentences`)
    holds an answer, and its length in characters with its markers."""
    row = {c.sid: i for i, c in enumerate(s.candidates)}
    chosen = choose_sentences(ranked(vec, s), ratio, max_chars)
    return bool(any(s.hit[row[c.sid]] for c in chosen)), answer_length(chosen)


def choose_second_ratio(vec: np.ndarray, samples: list[Sample], max_median_chars: int = MAX_MEDIAN_ANSWER_CHARS) -> float:
    """The ``second_ratio`` with the best answer accuracy (averaged over datasets) whose
    median answer on the answerable questions stays within ``max_median_chars``:
    a second sentence often holds the answer, but short answers are easier to trust."""
    answerable = [s for s in samples if s.answerable]
    best = (-1.0, 1.0)
    for ratio in RATIOS:
        results = [(s.dataset, *composed(vec, s, ratio)) for s in answerable]
        if not results or np.median([n for _, _, n in results]) > max_median_chars:
            continue
        acc = mean_over_datasets((dataset, hit) for dataset, hit, _ in results)
        if acc > best[0] + 1e-9:
            best = (acc, float(ratio))
    return best[1]


def fit(reader, samples: list[Sample], seed: int = 0, restarts: int = RESTARTS,
        max_false_abstain: float = MAX_FALSE_ABSTAIN) -> Weights:
    """Every weight and the threshold of ``reader``, fitted on ``samples``.
    A few seeded restarts of the random search (it lands on different optima); the best on ``samples`` wins."""
    spec = FEATURES[reader.kind]
    start = Weights(reader=reader.kind)
    tries = [search_sentence_weights(samples, spec.sentence, start.sentence, seed=seed + i) for i in range(restarts)]
    sentence = max(tries, key=lambda t: top1(weight_vector(t, spec.sentence), samples))
    y = np.array([s.answerable for s in samples], dtype=float)
    sw = sample_weights(samples)
    coef, bias = fit_logistic(answer_matrix(reader, sentence, samples), y, sw)
    w = replace(start, sentence=sentence, confidence={n: round(float(v), 4) for n, v in zip(spec.confidence, coef)},
                bias=round(bias, 4), second_ratio=choose_second_ratio(weight_vector(sentence, spec.sentence), samples),
                fitted_by="python -m training.calibrate_reader")
    return replace(w, threshold=choose_threshold(confidences(reader, w, samples), y.astype(bool), max_false_abstain, sw))
