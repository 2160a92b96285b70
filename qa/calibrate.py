"""Fitting the extractive reader's weights and its abstention threshold on data.

``qa calibrate`` (see ``--help``) writes ``qa/calibration.json``. The data:

* a SQuAD-format file split by article (a stable hash of the title) into a
  *dev* half and a *test* half. The dev corpus holds only dev articles; dev
  questions are answerable, and test-half questions asked of it are
  unanswerable (their articles are not in it). Weights are fitted on dev only;
  the test half (its own corpus, dev questions as the unanswerable ones) checks them.
* optionally a JSONL question set over a corpus, using only its ``dev`` split
  (:func:`qa.evaluation_run.split_of`).

Sentence-scoring weights maximise top-1 answer accuracy (random search around
the current weights, seeded); confidence is a logistic fit of "the question is
answerable" on the best sentence's score; the threshold is the highest that
abstains on at most 2% of the answerable dev questions.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from .chain import condense_question
from .evaluate import Question, contains
from .reader import CALIBRATION_FILE, Weights, sentence_features

FEATURES = ("cosine", "overlap", "type", "passage", "novelty", "context", "is_question")


@dataclass
class Sample:
    X: np.ndarray          # candidates x features
    hit: np.ndarray        # candidate holds an acceptable answer
    answerable: bool
    source: str


def collect(bot, questions: list[Question], source: str) -> list[Sample]:
    out = []
    for q in questions:
        query = condense_question(q.question, q.history)
        passages = bot.retriever.invoke(query)
        cands = sentence_features(q.question, query, passages)
        if not cands:
            continue
        X = np.array([[c.features[f] for f in FEATURES] for c in cands], dtype=np.float64)
        hit = np.array([q.answerable and any(contains(c.text, a) for a in q.answers) for c in cands])
        out.append(Sample(X, hit, q.answerable, source))
    return out


def weight_vector(w: Weights) -> np.ndarray:
    return np.array([w.cosine, w.overlap, w.type, w.passage, w.novelty, w.context, -w.question_penalty])


def best_scores(vec: np.ndarray, samples: list[Sample]) -> tuple[np.ndarray, np.ndarray]:
    """Per sample: the best candidate's score, and whether it holds an answer."""
    scores, hits = [], []
    for s in samples:
        sc = s.X @ vec
        i = int(sc.argmax())
        scores.append(sc[i])
        hits.append(bool(s.hit[i]))
    return np.array(scores), np.array(hits)


def top1(vec, samples) -> float:
    ans = [s for s in samples if s.answerable]
    return float(best_scores(vec, ans)[1].mean()) if ans else 0.0


def search_weights(samples: list[Sample], start: Weights, iters: int = 1500, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    best = weight_vector(start)
    best[0] = 1.0  # the scale is fixed by cosine; the others are relative to it
    best_acc = top1(best, samples)
    step = 0.5
    for i in range(iters):
        cand = best + rng.normal(0, step, size=best.shape) * np.array([0, 1, 1, 1, 1, 1, 1])
        cand[1:6] = np.clip(cand[1:6], 0, 5)
        cand[6] = min(cand[6], 0)
        acc = top1(cand, samples)
        if acc > best_acc + 1e-9 or (acc == best_acc and np.abs(cand).sum() < np.abs(best).sum()):
            best, best_acc = cand, acc
        if i % 400 == 399:
            step /= 2
    return best


def fit_logistic(x: np.ndarray, y: np.ndarray, iters: int = 3000, lr: float = 0.5) -> tuple[float, float]:
    """1-D logistic regression ``P(y) = sigmoid(a x + b)`` by gradient descent (x standardised)."""
    mu, sd = float(x.mean()), float(x.std() or 1.0)
    z = (x - mu) / sd
    a, b = 1.0, 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(a * z + b)))
        a -= lr * float(((p - y) * z).mean() + 1e-3 * a)
        b -= lr * float((p - y).mean())
    return a / sd, b - a * mu / sd


def choose_threshold(conf: np.ndarray, answerable: np.ndarray, max_false_abstain: float = 0.02) -> float:
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


def evaluate_weights(w: Weights, samples: list[Sample]) -> dict:
    vec = weight_vector(w)
    scores, hits = best_scores(vec, samples)
    answerable = np.array([s.answerable for s in samples])
    conf = 1 / (1 + np.exp(-(w.scale * scores + w.bias)))
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


def fit(samples: list[Sample], start: Weights = Weights(), seed: int = 0) -> Weights:
    vec = search_weights(samples, start, seed=seed)
    w = replace(start, cosine=float(vec[0]), overlap=float(vec[1]), type=float(vec[2]), passage=float(vec[3]),
                novelty=float(vec[4]), context=float(vec[5]), question_penalty=float(-vec[6]))
    scores, _ = best_scores(vec, samples)
    answerable = np.array([s.answerable for s in samples], dtype=float)
    a, b = fit_logistic(scores, answerable)
    conf = 1 / (1 + np.exp(-(a * scores + b)))
    t = choose_threshold(conf, answerable.astype(bool))
    return replace(w, scale=float(a), bias=float(b), threshold=float(t), source="qa calibrate")


def article_half(title: str) -> str:
    return "dev" if hashlib.sha256(title.encode()).digest()[0] % 2 == 0 else "test"


def squad_halves(data: dict) -> dict[str, dict]:
    halves = {"dev": {"data": []}, "test": {"data": []}}
    for article in data["data"]:
        halves[article_half(article.get("title", ""))]["data"].append(article)
    return halves


def save(w: Weights, report: dict, path: Path = CALIBRATION_FILE) -> Path:
    data = asdict(w)
    data["report"] = report
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def round_floats(d, nd=4):
    if isinstance(d, float):
        return None if math.isnan(d) else round(d, nd)
    if isinstance(d, dict):
        return {k: round_floats(v, nd) for k, v in d.items()}
    if isinstance(d, list):
        return [round_floats(v, nd) for v in d]
    return d
