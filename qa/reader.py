"""Readers turn a question and retrieved passages into an :class:`~qa.answer.Answer`.

:class:`Reader` is the interface (an LLM-backed reader plugs in here later);
:class:`ExtractiveReader`, the default, answers with sentences taken from the
passages. It scores every sentence of the retrieved passages on

* ``cosine``  - similarity of the sentence and question embeddings,
* ``overlap`` - IDF-weighted share of the question's words found in the sentence,
* ``type``    - whether the sentence holds what the question asks for
  (a date for "when", a number for "how many", a name for "who", ...) beyond the question's own words,
* ``passage`` - the retrieval score of its best passage,
* ``novelty`` - the share of its words that are not the question's (restating the question is no answer),
* ``context`` - how well its neighbouring sentences match the question (the answer often follows the match),

combines them linearly (weights in ``calibration.json``, fitted on data by
``qa eval --calibrate``), and answers with the best sentence (and a second one
when it adds to it), citing the passages. A logistic function of the same
features gives ``confidence``; below the threshold it abstains.

    >>> answer_type("When did Iran launch the strike?"), answer_type("How many agreements were signed?")
    ('date', 'number')
"""

from __future__ import annotations

import json
import math
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from langchain_core.documents import Document

from .answer import Answer, Citation
from .lexical import analyze
from .text import fold

MAX_ANSWER_CHARS = 400
CALIBRATION_FILE = Path(__file__).with_name("calibration.json")


class Reader(ABC):
    """Reads retrieved passages and answers. ``query`` is what was searched
    (the question with context from the conversation)."""

    @abstractmethod
    def read(self, question: str, passages: list[Document], *, query: str | None = None,
             history: list[tuple[str, str]] | None = None) -> Answer:
        ...


# --- what the question asks for ---------------------------------------------------------

_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_PATTERNS = {
    "date": re.compile(rf"\b(1[0-9]{{3}}|20[0-9]{{2}})s?\b|\b({_MONTHS})\b|\b\d+(st|nd|rd|th)? century\b"
                       r"|\b(yesterday|today|decades?|years? ago|since)\b", re.I),
    "number": re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
                         r"thirty|forty|fifty|hundred|thousand|million|billion|trillion|dozen|half|percent|"
                         r"several|many|few)\b", re.I),
    "reason": re.compile(r"\b(because|due to|owing to|since|as a result|in order to|so that|aim(ed|s)? to|"
                         r"to (protect|ensure|avoid|prevent|counter|secure|promote|reduce|address)|reason|"
                         r"led to|caused?|driven by|given)\b", re.I),
    "means": re.compile(r"\b(by|through|via|using|with)\b", re.I),
}
_PROPER = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'-]+(?:\s+(?:of|al|bin|de|the)?\s*[A-Z][\w'-]+)*")


def answer_type(question: str) -> str:
    q = fold(question).lower().strip()
    if re.search(r"\b(how (many|much)|what (percentage|percent|number|amount|share|proportion)|how (long|far|old|big|large|tall|high|deep|wide|heavy|often|fast|small))\b", q):
        return "number"
    if re.search(r"\b(when|what (year|date|month|day|time|decade|century)|which (year|month|date))\b", q):
        return "date"
    if re.search(r"\b(who|whom|whose)\b", q):
        return "person"
    if re.search(r"\b(where|what (country|city|province|region|place|town|state)|which (country|city|province|region|place|town|state))\b", q):
        return "place"
    if re.search(r"\bwhy\b|\bwhat (was|is|were|are) the (reason|purpose|goal|aim|cause|motive)", q):
        return "reason"
    if re.search(r"^how\b|\bin what way\b|\bby what means\b", q):
        return "means"
    return "other"


def has_type(kind: str, sentence: str, question_words: set[str]) -> float:
    if kind in ("date", "number", "reason", "means"):
        for m in _PATTERNS[kind].finditer(sentence):
            if m.group(0).lower() not in question_words:
                return 1.0
        return 0.0
    if kind in ("person", "place"):
        for m in _PROPER.finditer(sentence):
            toks = {w.lower() for w in re.findall(r"[\w'-]+", m.group(0))}
            if toks - question_words:
                return 1.0
        return 0.0
    return 0.0


# --- weights ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Weights:
    """Sentence score = sum(w * feature); confidence = sigmoid(a * score + b)."""

    cosine: float = 1.0
    overlap: float = 0.6
    type: float = 0.15
    passage: float = 0.3
    novelty: float = 0.0
    context: float = 0.0
    question_penalty: float = 0.5
    scale: float = 8.0       # a
    bias: float = -5.0       # b
    threshold: float = 0.5   # abstain when confidence is below
    second_ratio: float = 0.92
    source: str = "defaults"

    @classmethod
    def load(cls, path: Path = CALIBRATION_FILE) -> "Weights":
        if not path.is_file():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        fields = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in fields})


@lru_cache(maxsize=1)
def default_weights() -> Weights:
    return Weights.load()


@dataclass
class Candidate:
    sid: int
    passage: int        # index into the retrieved passages list
    start: int          # offsets in the document
    end: int
    text: str
    features: dict = field(default_factory=dict)
    score: float = 0.0


def sentence_features(question: str, query: str, passages: list[Document]) -> list[Candidate]:
    """One candidate per distinct sentence of the passages, with its features."""
    q_terms = analyze(query)
    q_words = {w.lower() for w in re.findall(r"[\w'-]+", fold(query))}
    kind = answer_type(question)
    best: dict[int, Candidate] = {}
    top = max((p.metadata.get("score", 0.0) for p in passages), default=0.0) or 1.0
    for i, p in enumerate(passages):
        meta = p.metadata
        for sid, start, end, cos in meta.get("sentences", []):
            if sid in best:
                continue
            text = p.page_content[start - meta["start"]:end - meta["start"]]
            best[sid] = Candidate(sid, i, start, end, text, {"cosine": float(cos),
                                                             "passage": float(meta.get("score", 0.0)) / top})
    cands = list(best.values())
    terms = [set(analyze(c.text)) for c in cands]
    n = len(cands)
    idf = {t: math.log((n + 1) / (0.5 + sum(t in ts for ts in terms))) + 1.0 for t in set(q_terms)}
    total = sum(idf.values()) or 1.0
    q_set = set(q_terms)
    for c, ts in zip(cands, terms):
        c.features["overlap"] = sum(w for t, w in idf.items() if t in ts) / total
        c.features["novelty"] = len(ts - q_set) / len(ts) if ts else 0.0
        c.features["type"] = has_type(kind, fold(c.text), q_words)
        c.features["is_question"] = 1.0 if c.text.rstrip(" \"'\u201d\u2019").endswith("?") else 0.0
    by_sid = {c.sid: c for c in cands}
    for c in cands:  # a sentence next to one that matches the question often carries the answer
        near = [by_sid[s] for s in (c.sid - 1, c.sid + 1) if s in by_sid]
        c.features["context"] = max(((n.features["cosine"] + n.features["overlap"]) / 2 for n in near), default=0.0)
    return cands


_PRONOUN_START = re.compile(r"^[\"'\u201c]?(He|She|It|They|This|These|Those|His|Her|Its|Their|There)\b")


class ExtractiveReader(Reader):
    """Answers with the best sentence(s) of the passages, or abstains."""

    def __init__(self, weights: Weights | None = None, max_chars: int = MAX_ANSWER_CHARS):
        self.weights = weights or default_weights()
        self.max_chars = max_chars

    def score(self, c: Candidate) -> float:
        w, f = self.weights, c.features
        return (w.cosine * f["cosine"] + w.overlap * f["overlap"] + w.type * f["type"]
                + w.passage * f["passage"] + w.novelty * f["novelty"] + w.context * f["context"]
                - w.question_penalty * f["is_question"])

    def confidence(self, score: float) -> float:
        z = self.weights.scale * score + self.weights.bias
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def read(self, question, passages, *, query=None, history=None) -> Answer:
        query = query or question
        retrieved = [_citation(p, []) for p in passages]
        cands = sentence_features(question, query, passages)
        for c in cands:
            c.score = self.score(c)
        cands.sort(key=lambda c: (-c.score, c.sid))
        if not cands:
            return abstain(question, query, 0.0, retrieved)
        best = cands[0]
        confidence = self.confidence(best.score)
        if confidence < self.weights.threshold:
            return abstain(question, query, confidence, retrieved)
        chosen = [best]
        by_sid = {c.sid: c for c in cands}
        before = by_sid.get(best.sid - 1)
        if before is not None and _PRONOUN_START.match(best.text) and \
                len(before.text) + len(best.text) + 8 <= self.max_chars:
            chosen.insert(0, before)  # "He is the oldest ...": say who "he" is
        for c in cands[1:3]:
            if c in chosen:
                continue
            if c.score < self.weights.second_ratio * best.score or c.features["is_question"]:
                break
            if sum(len(x.text) + 5 for x in chosen) + len(c.text) + 5 > self.max_chars:
                continue
            chosen.append(c)
        chosen.sort(key=lambda c: (c.passage, c.start))
        return compose(question, query, confidence, chosen, passages, retrieved, self.max_chars)


def _citation(p: Document, highlights) -> Citation:
    m = p.metadata
    return Citation(source=m["source"], text=p.page_content, start=m["start"], end=m["end"],
                    highlights=highlights, score=float(m.get("score", 0.0)), title=m.get("title", ""),
                    section=m.get("section", ""), passage_id=int(m.get("passage_id", -1)))


def clip(text: str, limit: int) -> str:
    """Shorten to ``limit`` characters at a word boundary, marking the cut with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    if text[limit - 1] != " ":
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "\u2026"


def compose(question, query, confidence, chosen: list[Candidate], passages, retrieved, max_chars) -> Answer:
    """Answer text from the chosen sentences, each followed by its citation marker."""
    order: list[int] = []
    highlights: dict[int, list[tuple[int, int]]] = {}
    parts = []
    budget = max_chars
    for c in chosen:
        if c.passage not in order:
            order.append(c.passage)
        p0 = passages[c.passage].metadata["start"]
        highlights.setdefault(c.passage, []).append((c.start - p0, c.end - p0))
        marker = f" [{order.index(c.passage) + 1}]"
        sentence = clip(c.text, max(40, budget - len(marker)))
        parts.append(sentence + marker)
        budget -= len(sentence) + len(marker) + 1
    citations = [_citation(passages[i], sorted(highlights[i])) for i in order]
    return Answer(question=question, text=" ".join(parts), citations=citations, abstained=False,
                  confidence=round(confidence, 4), query=query, passages=retrieved)


def abstain(question: str, query: str, confidence: float, retrieved: list[Citation]) -> Answer:
    shown = clip(question, 120)
    text = f"The documents don't say. Nothing in them answers \u201c{shown}\u201d closely enough to quote."
    return Answer(question=question, text=text, citations=[], abstained=True,
                  confidence=round(confidence, 4), query=query, passages=retrieved)
