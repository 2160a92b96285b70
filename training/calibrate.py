"""Fitting a reader's weights and its abstention threshold on data.

``python -m training.calibrate_reader`` (see ``--help``; :mod:`training.calibration` gathers the data) writes
``calibration/<reader>.json``. A *sample* is one question asked of a corpus: the reader's
candidate sentences with their features, which of them hold an acceptable answer, and
whether the question is answerable. Each sample belongs to a *group* (``xquad-en/dev``,
``xquad-en/dev/close``, ``covidqa/dev/far``, ``set/dev``, ...); the part before the half is its
*dataset*, and every dataset counts alike, however many questions it has.

Fitting, on dev samples only:

1. sentence weights maximise top-1 accuracy (the best sentence holds an answer),
   averaged over the datasets, by seeded random search;
2. ``confidence`` is a logistic regression of "the question is answerable" on the
   reader's answer features (weights: :func:`sample_weights`);
3. the threshold is the highest that abstains on at most ``max_false_abstain`` (3%) of the
   answerable dev questions (datasets weighing the same);
4. ``second_ratio`` (when a runner-up sentence joins the answer) is the most accurate
   whose median answer stays within 190 characters (:func:`choose_second_ratio`).

    >>> choose_threshold(np.array([0.9, 0.8, 0.7, 0.2]), np.array([True, True, True, False]), 0.0)
    0.7
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa.answering.chain import condense_question
from qa.answering.question_types import TYPED_KINDS, answer_type
from qa.answering.weights import FEATURES
from qa.eval.close import WithholdingRetriever
from qa.eval.metrics import contains
from qa.eval.questions import Question

MAX_FALSE_ABSTAIN = 0.03      # of answerable dev questions (by weight) the threshold may refuse
SEARCH_ITERS = 2000           # random-search steps per restart
RESTARTS = 4
MAX_MEDIAN_ANSWER_CHARS = 190


@dataclass
class Sample:
    """One question's candidates, as numbers."""

    X: np.ndarray          # candidates x the reader's sentence features
    hit: np.ndarray        # candidate holds an acceptable answer
    candidates: list       # the reader's Candidates, in the order of the rows of X
    typed: float           # the question asks for a date, number, person or place
    top: dict              # the top passage's dense and lexical scores
    answerable: bool
    group: str             # which kind of question (see the module docstring)

    @property
    def dataset(self) -> str:
        """The group without its half and kind: ``xquad-en/dev/close`` -> ``xquad-en``."""
        return self.group.split("/")[0]


def passages_for(retriever, q: Question, query: str, k: int, close: bool) -> list:
    """The passages ``q`` is read from; ``close``: without those that hold one of its answers
    (the topic is there, the fact is not), which makes it a "close" unanswerable question."""
    if not close:
        return retriever.search(query, k=k)
    return WithholdingRetriever(base=retriever, withheld=q.answers, k=k).search(query)


def collect(reader, retriever, questions: list[Question], group: str, *, close: bool = False,
            k: int = 4) -> list[Sample]:
    """Samples of ``questions`` over ``retriever``, as ``reader`` sees them."""
    names = FEATURES[reader.kind].sentence
    out = []
    for q in questions:
        query = condense_question(q.question, q.history)
        passages = passages_for(retriever, q, query, k, close)
        cands = reader.candidates(q.question, query, passages) if passages else []
        if not cands:
            continue
        answerable = q.answerable and not close
        top = passages[0].metadata
        out.append(Sample(
            X=np.array([[c.features[f] for f in names] for c in cands], dtype=np.float64),
            hit=np.array([answerable and any(contains(c.text, a) for a in q.answers) for c in cands]),
            candidates=cands, typed=1.0 if answer_type(q.question) in TYPED_KINDS else 0.0,
            top={"dense_score": top.get("dense_score", 0.0), "lexical_score": top.get("lexical_score", 0.0)},
            answerable=answerable, group=group))
    return out


def weight_vector(sentence: dict, names) -> np.ndarray:
    """Sentence weights as a vector in the order of ``names`` (``X @ vector`` scores every candidate)."""
    return np.array([sentence.get(n, 0.0) for n in names], dtype=np.float64)


def mean_over_datasets(results) -> float:
    """Mean accuracy per dataset, averaged: ``results`` are ``(dataset, right)`` pairs."""
    by: dict[str, list[bool]] = {}
    for dataset, right in results:
        by.setdefault(dataset, []).append(bool(right))
    return float(np.mean([np.mean(v) for v in by.values()])) if by else 0.0


def kind_of(s: "Sample") -> str:
    """What kind of question a sample is: ``answerable``, the set's ``own`` unanswerable ones, ``close`` or ``far``."""
    parts = s.group.split("/")
    return parts[2] if len(parts) > 2 else ("answerable" if s.answerable else "own")


def sample_weights(samples: list["Sample"]) -> np.ndarray:
    """A weight per sample (mean 1): each dataset weighs the same in total, however many questions it
    has; within one, answerable questions weigh half and each kind of unanswerable one an equal share
    of the other half, so a few hard unanswerable questions are not drowned by many easy far ones."""
    counts: dict[tuple[str, str], int] = {}
    kinds: dict[str, set[str]] = {}
    for s in samples:
        key = (s.dataset, kind_of(s))
        counts[key] = counts.get(key, 0) + 1
        kinds.setdefault(s.dataset, set()).add(key[1])
    w = []
    for s in samples:
        kind = kind_of(s)
        negatives = len(kinds[s.dataset] - {"answerable"}) or 1
        positive = 0.5 if "answerable" in kinds[s.dataset] else 0.0
        share = positive if kind == "answerable" else (1.0 - positive) / negatives
        w.append(share / counts[(s.dataset, kind)])
    w = np.array(w, dtype=np.float64)
    return w * len(w) / w.sum() if len(w) else w


def ranked(vec: np.ndarray, s: Sample) -> list:
    """The sample's candidates scored with ``vec``, best first (as the reader sorts them)."""
    for c, score in zip(s.candidates, s.X @ vec):
        c.score = float(score)
    return sorted(s.candidates, key=lambda c: (-c.score, c.sid))


def top1(vec: np.ndarray, samples: list[Sample]) -> float:
    """Top-1 accuracy on the answerable samples, averaged over their datasets."""
    return mean_over_datasets((s.dataset, s.hit[int((s.X @ vec).argmax())]) for s in samples if s.answerable)


def search_sentence_weights(samples: list[Sample], names, start: dict, iters: int = SEARCH_ITERS,
                            seed: int = 0) -> dict:
    """Seeded random search; ``cosine`` stays 1 (it sets the scale), ``is_question`` <= 0, the rest >= 0."""
    rng = np.random.default_rng(seed)
    names = list(names)
    best = weight_vector(start, names)
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


def answer_matrix(reader, sentence: dict, samples: list[Sample]) -> np.ndarray:
    """Per sample, the reader's answer features of its best sentence, computed by the
    reader's own ``ranked_features``."""
    spec = FEATURES[reader.kind]
    vec = weight_vector(sentence, spec.sentence)
    rows = [reader.ranked_features(ranked(vec, s), s.typed, s.top) for s in samples]
    return np.array([[f[n] for n in spec.confidence] for f in rows], dtype=np.float64)


def choose_threshold(conf: np.ndarray, answerable: np.ndarray, max_false_abstain: float = MAX_FALSE_ABSTAIN,
                     weights: np.ndarray | None = None) -> float:
    """The highest confidence threshold that abstains on at most ``max_false_abstain`` of the
    answerable questions (by weight, when ``weights`` are given): wrongly refusing costs more
    trust than it saves."""
    pos = conf[answerable]
    if not len(pos):
        return 0.5
    w = np.ones(len(pos)) if weights is None else weights[answerable]
    order = np.argsort(pos)
    refused = np.cumsum(w[order]) / w.sum()          # share refused by a threshold just above each one
    k = int(np.searchsorted(refused, max_false_abstain, side="right"))
    return float(np.floor(pos[order][min(k, len(pos) - 1)] * 1e4) / 1e4)
