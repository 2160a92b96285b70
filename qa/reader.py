"""Readers turn a question and retrieved passages into an :class:`~qa.answer.Answer`.

:class:`Reader` is the interface (an LLM-backed reader plugs in here later);
:class:`ExtractiveReader`, the default, answers with sentences taken from the
passages. It scores every sentence of the retrieved passages on

* ``cosine``  - similarity of the sentence and question embeddings,
* ``overlap`` - IDF-weighted share of the question's words found in the sentence,
* ``type_*``  - whether the sentence holds what the question asks for
  (a date for "when", a number for "how many", a name for "who", ...) beyond the question's own words,
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
data by ``qa calibrate`` and read from ``calibration.json``.

    >>> answer_type("When did Iran launch the strike?"), answer_type("How many agreements were signed?")
    ('date', 'number')
    >>> answer_type("What is the estimated cost of the pipeline?"), answer_type("Why did they meet?")
    ('number', 'reason')
"""

from __future__ import annotations

import json
import math
import re
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
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
# Capitalised words that are not names of people or places.
_NOT_NAMES = frozenset(_MONTHS.split("|") + "monday tuesday wednesday thursday friday saturday sunday".split())
_PROPER = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'-]+(?:\s+(?:of|al|bin|de|the)?\s*[A-Z][\w'-]+)*")


def answer_type(question: str) -> str:
    q = fold(question).lower().strip()
    if re.search(r"\b(how (many|much)|what (percentage|percent|number|amount|share|proportion)|how (long|far|old|big|large|tall|high|deep|wide|heavy|often|fast|small))\b", q):
        return "number"
    if re.search(r"\b(what|which) (is|was|are|were) (the )?((estimated|approximate|total|annual|average|current) )?"
                 r"(population|cost|price|value|number|amount|size|length|area|budget|worth|distance|height|"
                 r"weight|speed|rate|percentage|volume|capacity|figure|sum|temperature|age)\b", q):
        return "number"
    if re.search(r"\b(when|what (year|date|month|day|time|decade|century)|which (year|month|date))\b", q):
        return "date"
    if re.search(r"\b(who|whom|whose)\b|\b(what|which) (is|was|are|were) the names? of\b|^name (the|a|an)\b", q):
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
            if toks - question_words - _NOT_NAMES:
                return 1.0
        return 0.0
    return 0.0


# --- weights ------------------------------------------------------------------------------

# Sentence features, in the order of ``Weights.sentence``. ``type_*`` is 1 when the
# question asks for that kind of thing and the sentence holds one beyond the question's words.
SENTENCE_FEATURES = ("cosine", "overlap", "passage", "novelty", "context", "is_question",
                     "type_date", "type_number", "type_entity", "type_reason")
# Answer-level features that ``confidence`` is a logistic function of (see :func:`answer_features`).
CONFIDENCE_FEATURES = ("score", "cosine", "overlap", "typed", "type_missing", "is_question",
                       "dense", "lexical", "margin")
_KIND_FEATURE = {"date": "type_date", "number": "type_number", "person": "type_entity", "place": "type_entity",
                 "reason": "type_reason", "means": "type_reason"}
TYPED_KINDS = frozenset({"date", "number", "person", "place"})
FORMAT_VERSION = 2


@dataclass(frozen=True)
class Weights:
    """How sentences are scored and how sure the reader is.

    ``score = sum(sentence[f] * feature[f])`` ranks sentences;
    ``confidence = sigmoid(bias + sum(confidence[g] * answer_feature[g]))``;
    the reader abstains below ``threshold`` and adds a second sentence scoring at
    least ``second_ratio`` of the best. ``qa calibrate`` fits them all on data
    and writes ``qa/calibration.json`` (format version 2, checked on load)."""

    sentence: dict = field(default_factory=lambda: {"cosine": 1.0, "overlap": 0.6, "passage": 0.3,
                                                    "is_question": -0.5, "type_date": 0.15,
                                                    "type_number": 0.15, "type_entity": 0.15,
                                                    "type_reason": 0.15})
    confidence: dict = field(default_factory=lambda: {"score": 8.0})
    bias: float = -5.0
    threshold: float = 0.5
    second_ratio: float = 0.92
    source: str = "defaults"

    @classmethod
    def load(cls, path: Path = CALIBRATION_FILE) -> "Weights":
        """Read a calibration file; one of another format version or with unknown features is refused."""
        if not path.is_file():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"{path}: calibration format version {data.get('format_version')!r}; "
                             f"this version of qa reads version {FORMAT_VERSION}. Run `qa calibrate --write`.")
        for key, known in (("sentence", SENTENCE_FEATURES), ("confidence", CONFIDENCE_FEATURES)):
            unknown = set(data.get(key, {})) - set(known)
            if unknown:
                raise ValueError(f"{path}: unknown {key} features {sorted(unknown)}; expected some of {list(known)}.")
        fields = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in fields})

    def to_dict(self) -> dict:
        return {"format_version": FORMAT_VERSION, **asdict(self)}


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
    kind_feature = _KIND_FEATURE.get(kind)
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
        f = c.features
        f["overlap"] = sum(w for t, w in idf.items() if t in ts) / total
        f["novelty"] = len(ts - q_set) / len(ts) if ts else 0.0
        f["is_question"] = 1.0 if c.text.rstrip(" \"'\u201d\u2019").endswith("?") else 0.0
        for name in ("type_date", "type_number", "type_entity", "type_reason"):
            f[name] = 0.0
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
    ``qa calibrate`` uses it on stored candidates."""
    best = ranked[0]
    return {"score": best.score, "cosine": best.features["cosine"], "overlap": best.features["overlap"],
            "typed": typed, "type_missing": typed * (1.0 - best.features["has_type"]),
            "is_question": best.features["is_question"],
            "dense": float(top.get("dense_score", 0.0)), "lexical": float(top.get("lexical_score", 0.0)),
            "margin": best.score - (ranked[1].score if len(ranked) > 1 else 0.0)}


# Openings that lean on the sentence before: say who "he" is, what "as a result" follows from.
_LEANS_ON_PREVIOUS = re.compile(r"^[\"'\u201c]?(He|She|It|They|This|These|Those|His|Her|Its|Their|There|Such|"
                                r"As a result|As such|Therefore|Thus|Hence|Consequently|Accordingly|"
                                r"For this reason|Because of this)\b")


def choose_sentences(ranked: list[Candidate], second_ratio: float, max_chars: int = MAX_ANSWER_CHARS) -> list[Candidate]:
    """The sentences an answer is made of, from candidates sorted best first: the best;
    the one before it when the best leans on it ("He ...", "As a result, ..."); and up to
    two runners-up scoring at least ``second_ratio`` of the best, within ``max_chars``."""
    best = ranked[0]
    chosen = [best]
    by_sid = {c.sid: c for c in ranked}
    before = by_sid.get(best.sid - 1)
    if before is not None and _LEANS_ON_PREVIOUS.match(best.text) and \
            len(before.text) + len(best.text) + 8 <= max_chars:
        chosen.insert(0, before)
    for c in ranked[1:3]:
        if c in chosen:
            continue
        if c.score < second_ratio * best.score or c.features["is_question"]:
            break
        if sum(len(x.text) + 5 for x in chosen) + len(c.text) + 5 > max_chars:
            continue
        chosen.append(c)
    return chosen


class ExtractiveReader(Reader):
    """Answers with the best sentence(s) of the passages, or abstains."""

    def __init__(self, weights: Weights | None = None, max_chars: int = MAX_ANSWER_CHARS):
        self.weights = weights or default_weights()
        self.max_chars = max_chars

    def score(self, c: Candidate) -> float:
        return sum(w * c.features.get(name, 0.0) for name, w in self.weights.sentence.items())

    def confidence(self, features: dict) -> float:
        z = self.weights.bias + sum(w * features.get(name, 0.0) for name, w in self.weights.confidence.items())
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
        confidence = self.confidence(answer_features(question, cands, passages))
        if confidence < self.weights.threshold:
            return abstain(question, query, confidence, retrieved)
        chosen = choose_sentences(cands, self.weights.second_ratio, self.max_chars)
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
