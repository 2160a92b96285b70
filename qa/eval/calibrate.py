"""Fitting the extractive reader's weights and its abstention threshold on data.

``qa calibrate`` (see ``--help``; :mod:`qa.eval.calibration` runs it) writes the reader's
``calibration.json``. The data:

* a SQuAD-format file split by article (a stable hash of the title) into a
  *dev* half and a *test* half, each made a corpus of its own. Asked of its
  own half's corpus, a question is answerable; three kinds of unanswerable
  questions come with it:

  - *far*: every other question of the other half (its article is not in the corpus),
  - *close*: every other question of the same half, with every retrieved passage
    that holds one of its answers taken away (the topic is there, the fact is not:
    "What is the population of X?" over an article on X that gives no figure).

* optionally a JSONL question set over a corpus, using only its ``dev`` split
  (:func:`qa.eval.questions.split_of`) to fit and its ``test`` split to check.

Each sample belongs to a *group* (``squad-dev``, ``squad-dev-far``, ``set-dev``, ...): accuracy
is averaged over groups, so that each kind of question counts alike.

Fitting, on dev samples only:

1. sentence weights maximise top-1 accuracy (the best sentence holds an answer),
   averaged over the groups (SQuAD dev and the set's dev split count alike),
   by seeded random search;
2. ``confidence`` is a logistic regression of "the question is answerable" on
   :data:`~qa.answering.weights.CONFIDENCE_FEATURES` (set questions weigh ``set_weight`` times
   a SQuAD one: there are fewer of them and they are the product's kind of question);
3. the threshold is the highest that abstains on at most 2% of the answerable dev questions;
4. ``second_ratio`` (when a runner-up sentence joins the answer) is the most accurate
   whose median answer stays within 190 characters (:func:`choose_second_ratio`).

    >>> choose_threshold(np.array([0.9, 0.8, 0.7, 0.2]), np.array([True, True, True, False]), 0.0)
    0.7
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..answering.chain import condense_question
from ..answering.extractive import answer_length, choose_sentences, ranked_features, sentence_features
from ..answering.question_types import TYPED_KINDS, answer_type
from ..answering.reader import MAX_ANSWER_CHARS
from ..answering.weights import CONFIDENCE_FEATURES, SENTENCE_FEATURES, Weights
from .metrics import contains
from .questions import Question

MAX_FALSE_ABSTAIN = 0.02      # of answerable dev questions the threshold may refuse
MAX_MEDIAN_ANSWER_CHARS = 190
SET_WEIGHT = 4.0              # a question of the product's own set weighs this many SQuAD ones
CLOSE_FETCH = 3               # passages fetched per passage kept, for close unanswerable questions


@dataclass
class Sample:
    """One question's candidates, as numbers."""

    X: np.ndarray          # candidates x SENTENCE_FEATURES
    hit: np.ndarray        # candidate holds an acceptable answer
    candidates: list       # the reader's Candidates, in the order of the rows of X
    typed: float           # the question asks for a date, number, person or place
    dense: float           # top passage's dense score
    lexical: float         # top passage's lexical score
    answerable: bool
    group: str             # which kind of question (see the module docstring)


def collect(retriever, questions: list[Question], group: str, *, close: bool = False, k: int = 4) -> list[Sample]:
    """Samples of ``questions`` over ``retriever``. ``close``: make each an unanswerable
    question by dropping the passages that hold its answers (see the module docstring)."""
    out = []
    for q in questions:
        query = condense_question(q.question, q.history)
        if close:
            passages = [p for p in retriever.search(query, k=CLOSE_FETCH * k)
                        if not any(contains(p.page_content, a) for a in q.answers)][:k]
        else:
            passages = retriever.search(query, k=k)
        cands = sentence_features(q.question, query, passages)
        if not cands:
            continue
        answerable = q.answerable and not close
        X = np.array([[c.features[f] for f in SENTENCE_FEATURES] for c in cands], dtype=np.float64)
        top = passages[0].metadata
        out.append(Sample(
            X=X,
            hit=np.array([answerable and any(contains(c.text, a) for a in q.answers) for c in cands]),
            candidates=cands,
            typed=1.0 if answer_type(q.question) in TYPED_KINDS else 0.0,
            dense=float(top.get("dense_score", 0.0)), lexical=float(top.get("lexical_score", 0.0)),
            answerable=answerable, group=group))
    return out


def sentence_vector(sentence: dict) -> np.ndarray:
    """Sentence weights as a vector in the order of ``SENTENCE_FEATURES`` (``X @ vector`` is
    :meth:`Weights.score` of every candidate at once)."""
    return np.array([sentence.get(n, 0.0) for n in SENTENCE_FEATURES], dtype=np.float64)


def mean_over_groups(results) -> float:
    """Mean accuracy per group, averaged: ``results`` are ``(group, right)`` pairs."""
    by_group: dict[str, list[bool]] = {}
    for group, right in results:
        by_group.setdefault(group, []).append(bool(right))
    return float(np.mean([np.mean(v) for v in by_group.values()])) if by_group else 0.0


def ranked(vec: np.ndarray, s: Sample) -> list:
    """The sample's candidates scored with ``vec``, best first (as the reader sorts them)."""
    for c, score in zip(s.candidates, s.X @ vec):
        c.score = float(score)
    return sorted(s.candidates, key=lambda c: (-c.score, c.sid))


def _best(vec: np.ndarray, s: Sample) -> int:
    return int((s.X @ vec).argmax())


def top1(vec: np.ndarray, samples: list[Sample]) -> float:
    """Top-1 accuracy on the answerable samples, averaged over their groups."""
    return mean_over_groups((s.group, s.hit[_best(vec, s)]) for s in samples if s.answerable)


def search_sentence_weights(samples: list[Sample], start: dict, iters: int = 2000, seed: int = 0) -> dict:
    """Seeded random search; ``cosine`` stays 1 (it sets the scale), ``is_question`` <= 0, the rest >= 0."""
    rng = np.random.default_rng(seed)
    names = list(SENTENCE_FEATURES)
    best = np.array([start.get(n, 0.0) for n in names], dtype=np.float64)
    best[names.index("cosine")] = 1.0
    free = np.array([n != "cosine" for n in names], dtype=float)
    sign = np.array([-1.0 if n == "is_question" else 1.0 for n in names])
    best_acc, step = top1(best, samples), 0.5
    for i in range(iters):
        cand = best + rng.normal(0, step, size=best.shape) * free
        cand = np.where(sign > 0, np.clip(cand, 0, 5), np.clip(cand, -5, 0))
        acc = top1(cand, samples)
        if acc > best_acc + 1e-9 or (acc == best_acc and np.abs(cand).sum() < np.abs(best).sum()):
            best, best_acc = cand, acc
        if i % 500 == 499:
            step /= 2
    return {n: round(float(v), 4) for n, v in zip(names, best)}


def answer_matrix(sentence: dict, samples: list[Sample]) -> np.ndarray:
    """Per sample, :data:`CONFIDENCE_FEATURES` of its best sentence, computed by the
    reader's own :func:`~qa.answering.extractive.ranked_features`."""
    vec = sentence_vector(sentence)
    rows = []
    for s in samples:
        f = ranked_features(ranked(vec, s), s.typed, {"dense_score": s.dense, "lexical_score": s.lexical})
        rows.append([f[n] for n in CONFIDENCE_FEATURES])
    return np.array(rows, dtype=np.float64)


def fit_logistic(X: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None, l2: float = 1e-2,
                 iters: int = 4000, lr: float = 0.3) -> tuple[np.ndarray, float]:
    """Logistic regression ``P(y) = sigmoid(X @ w + b)`` by gradient descent on standardised columns."""
    mu, sd = X.mean(0), X.std(0) + 1e-9
    Z = (X - mu) / sd
    sw = np.ones(len(y)) if weights is None else weights
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(Z @ w + b)))
        g = (p - y) * sw
        w -= lr * (Z.T @ g / sw.sum() + l2 * w)
        b -= lr * g.sum() / sw.sum()
    return w / sd, float(b - (w / sd) @ mu)


def choose_threshold(conf: np.ndarray, answerable: np.ndarray, max_false_abstain: float = MAX_FALSE_ABSTAIN) -> float:
    """The highest confidence threshold that abstains on at most ``max_false_abstain``
    of the answerable questions: wrongly refusing costs more trust than it saves."""
    pos = np.sort(conf[answerable])
    if not len(pos):
        return 0.5
    return float(np.floor(pos[int(max_false_abstain * len(pos))] * 1e4) / 1e4)


def separation(conf: np.ndarray, answerable: np.ndarray) -> float:
    """ROC AUC of confidence for answerable vs unanswerable questions."""
    pos, neg = conf[answerable], conf[~answerable]
    if not len(pos) or not len(neg):
        return float("nan")
    return float(((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()) / (len(pos) * len(neg)))


def confidences(w: Weights, samples: list[Sample]) -> np.ndarray:
    """The reader's confidence on each sample (:meth:`Weights.confidence_of`)."""
    X = answer_matrix(w.sentence, samples)
    return np.array([w.confidence_of(dict(zip(CONFIDENCE_FEATURES, row))) for row in X])


def evaluate_weights(w: Weights, samples: list[Sample]) -> dict:
    """Top-1 accuracy, answers kept, abstentions and ROC AUC of ``w`` on ``samples``."""
    vec = sentence_vector(w.sentence)
    hits = np.array([bool(s.hit[_best(vec, s)]) for s in samples])
    answerable = np.array([s.answerable for s in samples])
    conf = confidences(w, samples)
    answered = conf >= w.threshold
    return {
        "questions": len(samples),
        "answerable": int(answerable.sum()),
        "top1_accuracy": float(hits[answerable].mean()) if answerable.any() else None,
        "answered_correct": float((hits & answered)[answerable].mean()) if answerable.any() else None,
        "abstain_recall": float((~answered)[~answerable].mean()) if (~answerable).any() else None,
        "false_abstentions": int((~answered & answerable).sum()),
        "auc": separation(conf, answerable),
    }


def composed(vec: np.ndarray, s: Sample, ratio: float, max_chars: int = MAX_ANSWER_CHARS) -> tuple[bool, int]:
    """Whether the answer the reader would compose (:func:`~qa.answering.extractive.choose_sentences`)
    holds an answer, and its length in characters with its markers."""
    row = {c.sid: i for i, c in enumerate(s.candidates)}
    chosen = choose_sentences(ranked(vec, s), ratio, max_chars)
    return bool(any(s.hit[row[c.sid]] for c in chosen)), answer_length(chosen)


def choose_second_ratio(sentence: dict, samples: list[Sample], max_median_chars: int = MAX_MEDIAN_ANSWER_CHARS) -> float:
    """The ``second_ratio`` with the best answer accuracy (averaged over groups) whose
    median answer on the answerable questions stays within ``max_median_chars``:
    a second sentence often holds the answer, but short answers are easier to trust."""
    vec = sentence_vector(sentence)
    answerable = [s for s in samples if s.answerable]
    best = (-1.0, 1.0)
    for ratio in np.round(np.arange(0.80, 1.0001, 0.01), 2):
        results = [(s.group, *composed(vec, s, ratio)) for s in answerable]
        if not results or np.median([n for _, _, n in results]) > max_median_chars:
            continue
        acc = mean_over_groups((group, hit) for group, hit, _ in results)
        if acc > best[0] + 1e-9:
            best = (acc, float(ratio))
    return best[1]


def fit(samples: list[Sample], start: Weights = Weights(), seed: int = 0, set_weight: float = SET_WEIGHT,
        restarts: int = 4) -> Weights:
    """Every weight and the threshold, fitted on ``samples`` (steps 1-4 of the module docstring).
    A few seeded restarts of the random search (it lands on different optima); the best on ``samples`` wins."""
    tries = [search_sentence_weights(samples, start.sentence, seed=seed + i) for i in range(restarts)]
    sentence = max(tries, key=lambda t: top1(sentence_vector(t), samples))
    X = answer_matrix(sentence, samples)
    y = np.array([s.answerable for s in samples], dtype=float)
    sw = np.array([set_weight if s.group.startswith("set") else 1.0 for s in samples])
    coef, bias = fit_logistic(X, y, sw)
    w = replace(start, sentence=sentence, confidence={n: round(float(v), 4) for n, v in zip(CONFIDENCE_FEATURES, coef)},
                bias=round(bias, 4), second_ratio=choose_second_ratio(sentence, samples), fitted_by="qa calibrate")
    return replace(w, threshold=choose_threshold(confidences(w, samples), y.astype(bool)))
