"""The default reader: it answers with sentences taken from the passages, or abstains.

:class:`ExtractiveReader` scores every sentence of the retrieved passages on

* ``cosine``  - similarity of the sentence and question embeddings,
* ``overlap`` - IDF-weighted share of the question's words found in the sentence,
* ``type_*``  - whether the sentence holds what the question asks for
  (a date for "when", a number for "how many", a name for "who", ...) beyond the question's own words
  (:mod:`qa.answering.question_types`),
* ``passage`` - the retrieval score of its best passage,
* ``novelty`` - the share of its words that are not the question's (restating the question is no answer),
* ``context`` - how well its neighbouring sentences match the question (the answer often follows the match),
* ``is_question`` - the sentence is itself a question,

combines them linearly and answers with the best sentence (and a second one
when it scores nearly as well; and the sentence before it when it opens with
a pronoun or a connective such as "As a result", which lean on it), citing
the passages. ``confidence`` is a logistic function of the best sentence's
score and a few answer-level signals (:func:`answer_features`); below the
threshold the reader abstains. Every weight and the threshold are fitted on
data by ``python -m training.calibrate_reader`` (:mod:`qa.answering.weights`).

    >>> from langchain_core.documents import Document
    >>> from qa.search.hits import SentenceHit
    >>> p = Document("Crows use tools. Owls hunt at night.", metadata={"source": "birds.txt", "start": 0,
    ...     "end": 36, "score": 1.0, "sentences": [SentenceHit(0, 0, 16, 0.2), SentenceHit(1, 17, 36, 0.9)]})
    >>> reader = ExtractiveReader(Weights(threshold=0.0))          # never abstains
    >>> answer = reader.read("When do owls hunt?", [p])
    >>> answer.text, answer.citations[0].highlights
    ('Owls hunt at night. [1]', [(17, 36)])
"""

from __future__ import annotations

import math
import re

from langchain_core.documents import Document

from ..search.hits import sentence_hits
from ..search.lexical import analyze
from ..ingest.text import fold, words
from .answer import Answer
from .question_types import TYPED_KINDS, answer_type, has_type
from .reader import MARKER_CHARS, MAX_ANSWER_CHARS, Candidate, Reader, abstain, citation_of, compose
from .weights import Weights, default_weights

_KIND_FEATURE = {"date": "type_date", "number": "type_number", "person": "type_entity", "place": "type_entity",
                 "reason": "type_reason", "means": "type_reason"}
TYPE_FEATURES = ("type_date", "type_number", "type_entity", "type_reason")
MAX_RUNNERS_UP = 2   # sentences besides the best (and the one it leans on) an answer may take

# Openings that lean on the sentence before: say who "he" is, what "as a result" follows from.
_LEANS_ON_PREVIOUS = re.compile(r"^[\"'\u201c]?(He|She|It|They|This|These|Those|His|Her|Its|Their|There|Such|"
                                r"As a result|As such|Therefore|Thus|Hence|Consequently|Accordingly|"
                                r"For this reason|Because of this)\b")


def _candidates(passages: list[Document]) -> list[Candidate]:
    """One candidate per distinct sentence of the passages (the first passage holding it wins),
    with its ``cosine`` and ``passage`` features."""
    best: dict[int, Candidate] = {}
    top = max((p.metadata.get("score", 0.0) for p in passages), default=0.0) or 1.0
    for i, p in enumerate(passages):
        meta = p.metadata
        for hit in sentence_hits(meta):
            if hit.sid in best:
                continue
            text = p.page_content[hit.start - meta["start"]:hit.end - meta["start"]]
            best[hit.sid] = Candidate(hit.sid, i, hit.start, hit.end, text,
                                      {"cosine": float(hit.cosine), "passage": float(meta.get("score", 0.0)) / top})
    return list(best.values())


def sentence_features(question: str, query: str, passages: list[Document]) -> list[Candidate]:
    """One candidate per distinct sentence of the passages, with its features."""
    q_terms = analyze(query)
    q_words = set(words(query))
    kind = answer_type(question)
    kind_feature = _KIND_FEATURE.get(kind)
    cands = _candidates(passages)
    terms = [set(analyze(c.text)) for c in cands]
    n = len(cands)
    idf = {t: math.log((n + 1) / (0.5 + sum(t in ts for ts in terms))) + 1.0 for t in set(q_terms)}
    total = sum(idf.values()) or 1.0
    q_set = set(q_terms)
    for c, ts in zip(cands, terms):
        f = c.features
        f["overlap"] = sum(w for t, w in idf.items() if t in ts) / total
        f["novelty"] = len(ts - q_set) / len(ts) if ts else 0.0
        f["is_question"] = 1.0 if c.text.rstrip(" \"'\u201d\u2019").endswith("?") else 0.0
        f.update(dict.fromkeys(TYPE_FEATURES, 0.0))
        f["has_type"] = has_type(kind, fold(c.text), q_words)
        if kind_feature:
            f[kind_feature] = f["has_type"]
    by_sid = {c.sid: c for c in cands}
    for c in cands:  # a sentence next to one that matches the question often carries the answer
        near = [by_sid[s] for s in (c.sid - 1, c.sid + 1) if s in by_sid]
        c.features["context"] = max(((n.features["cosine"] + n.features["overlap"]) / 2 for n in near), default=0.0)
    return cands


def answer_features(question: str, ranked: list[Candidate], passages: list[Document]) -> dict:
    """What ``confidence`` is computed from: the best sentence's score and features,
    whether the question asks for a type of thing the sentence lacks, how strongly the
    top passage was retrieved (dense cosine, share of the best BM25 score), and the
    best score's margin over the runner-up. ``ranked``: candidates, scored, best first."""
    typed = 1.0 if answer_type(question) in TYPED_KINDS else 0.0
    return ranked_features(ranked, typed, passages[0].metadata if passages else {})


def ranked_features(ranked: list[Candidate], typed: float, top: dict) -> dict:
    """:func:`answer_features` from its parts (``top``: the top passage's metadata);
    ``python -m training.calibrate_reader`` uses it on stored candidates."""
    best = ranked[0]
    return {"score": best.score, "cosine": best.features["cosine"], "overlap": best.features["overlap"],
            "typed": typed, "type_missing": typed * (1.0 - best.features["has_type"]),
            "is_question": best.features["is_question"],
            "dense": float(top.get("dense_score", 0.0)), "lexical": float(top.get("lexical_score", 0.0)),
            "margin": best.score - (ranked[1].score if len(ranked) > 1 else 0.0)}


def choose_sentences(ranked: list[Candidate], second_ratio: float, max_chars: int = MAX_ANSWER_CHARS) -> list[Candidate]:
    """The sentences an answer is made of, from candidates sorted best first: the best;
    the one before it when the best leans on it ("He ...", "As a result, ..."); and up to
    two runners-up scoring at least ``second_ratio`` of the best, within ``max_chars``."""
    best = ranked[0]
    chosen = [best]
    by_sid = {c.sid: c for c in ranked}
    before = by_sid.get(best.sid - 1)
    if before is not None and _LEANS_ON_PREVIOUS.match(best.text) and \
            len(before.text) + len(best.text) + 2 * MARKER_CHARS <= max_chars:
        chosen.insert(0, before)
    for c in ranked[1:1 + MAX_RUNNERS_UP]:
        if c in chosen:
            continue
        if c.score < second_ratio * best.score or c.features["is_question"]:
            break
        if sum(len(x.text) + MARKER_CHARS + 1 for x in chosen) + len(c.text) + MARKER_CHARS + 1 > max_chars:
            continue
        chosen.append(c)
    return chosen


def answer_length(chosen: list[Candidate]) -> int:
    """Characters of the answer text :func:`~qa.answering.reader.compose` writes from
    ``chosen`` (markers and spaces included, sentences not clipped)."""
    return sum(len(c.text) + MARKER_CHARS for c in chosen) + len(chosen) - 1


class ExtractiveReader(Reader):
    """Answers with the best sentence(s) of the passages, or abstains.

    :meth:`read` is written as steps a subclass may extend (the span reader adds its model's
    features in :meth:`candidates` and :meth:`answer_features`, and the exact phrase in :meth:`compose`)."""

    kind = "extractive"
    ranked_features = staticmethod(ranked_features)   # answer features of stored candidates (calibration)

    def __init__(self, weights: Weights | None = None, max_chars: int = MAX_ANSWER_CHARS):
        self.weights = weights or default_weights(self.kind)
        self.max_chars = max_chars

    def candidates(self, question: str, query: str, passages: list[Document]) -> list[Candidate]:
        """Every distinct sentence of ``passages``, with its features."""
        return sentence_features(question, query, passages)

    def answer_features(self, question: str, ranked: list[Candidate], passages: list[Document]) -> dict:
        """What ``confidence`` is computed from: :attr:`ranked_features` of the ranked candidates,
        whether the question asks for a date, number, person or place, and the top passage."""
        typed = 1.0 if answer_type(question) in TYPED_KINDS else 0.0
        return self.ranked_features(ranked, typed, passages[0].metadata if passages else {})

    def choose(self, ranked: list[Candidate]) -> list[Candidate]:
        """The sentences of the answer, in reading order (:func:`choose_sentences`)."""
        chosen = choose_sentences(ranked, self.weights.second_ratio, self.max_chars)
        return sorted(chosen, key=lambda c: (c.passage, c.start))

    def compose(self, question, query, confidence, ranked, chosen, passages, retrieved) -> Answer:
        """The answer from the chosen sentences (:func:`~qa.answering.reader.compose`)."""
        return compose(question, query, confidence, chosen, passages, retrieved, self.max_chars)

    def read(self, question, passages, *, query=None, history=None) -> Answer:
        """The best sentence(s) of ``passages`` for ``question``, cited and highlighted; an
        abstention when none is likely enough to answer it (``confidence`` below the threshold)."""
        query = query or question
        retrieved = [citation_of(p, []) for p in passages]
        cands = self.candidates(question, query, passages)
        for c in cands:
            c.score = self.weights.score(c.features)
        cands.sort(key=lambda c: (-c.score, c.sid))
        if not cands:
            return abstain(question, query, 0.0, retrieved)
        confidence = self.weights.confidence_of(self.answer_features(question, cands, passages))
        if confidence < self.weights.threshold:
            return abstain(question, query, confidence, retrieved)
        return self.compose(question, query, confidence, cands, self.choose(cands), passages, retrieved)
