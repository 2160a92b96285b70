"""Evidence for a claim: the sentences of the retrieved passages, and scorers that say how
well each one supports a claim.

:class:`EvidenceScorer` is the interface: ``prepare`` does the work once per answer (the
question and every retrieved passage are known), ``scores`` rates every candidate sentence
for one claim, in [0, 1]. The verifier (:mod:`qa.answering.verify`) combines the scorers'
best sentence scores with its own claim-level checks. Two scorers come with the package:

* :class:`OverlapScorer` (``overlap``): the IDF-weighted share of the claim's words
  (:func:`~qa.search.lexical.analyze`: folded, stemmed, no stop words) found in the sentence;
* :class:`EmbeddingScorer` (``cosine``): cosine of the claim's and the sentence's
  all-MiniLM-L6-v2 vectors (the sentence vectors come from the index when it holds them);
* :class:`SpanScorer` (``span``): the span reader's evidence that the sentence answers the
  question with a phrase the claim states.

    >>> from langchain_core.documents import Document
    >>> from qa.search.hits import SentenceHit
    >>> p = Document("Crows use tools. Owls hunt at night.", metadata={"start": 0,
    ...     "sentences": [SentenceHit(0, 0, 16, 0.2), SentenceHit(1, 17, 36, 0.9)]})
    >>> ctx = EvidenceContext.of("When do owls hunt?", [p])
    >>> [s.text for s in ctx.sentences[0]]
    ['Crows use tools.', 'Owls hunt at night.']
    >>> [round(x, 2) for x in OverlapScorer().scores("Owls hunt at night.", ctx.sentences[0], ctx, None)]
    [0.0, 1.0]
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from langchain_core.documents import Document

from ..ingest.text import fold, split_sentences
from ..search.hits import sentence_hits
from ..search.lexical import analyze
from .injection import looks_like_instruction
from .weights import sigmoid


@dataclass(frozen=True)
class PassageSentence:
    """A sentence of a retrieved passage: ``start``/``end`` are offsets in the passage's text;
    ``sid`` is its id in the index (``None`` when the retriever gave none); ``instruction``:
    it reads as an order to an AI model (:func:`~qa.answering.injection.looks_like_instruction`)
    and is never evidence."""

    passage: int
    start: int
    end: int
    text: str
    sid: int | None = None
    instruction: bool = False


def passage_sentences(i: int, passage: Document) -> list[PassageSentence]:
    """The sentences of retrieved passage ``i``: from its ``sentences`` metadata
    (:class:`~qa.search.hits.SentenceHit`, document offsets) when it has them, else split here."""
    text = passage.page_content
    meta = passage.metadata
    p0 = int(meta.get("start", 0))
    spans = [(int(hit.sid), int(hit.start) - p0, int(hit.end) - p0) for hit in sentence_hits(meta)]
    if not spans or any(a < 0 or b > len(text) or a >= b for _, a, b in spans):
        spans = [(None, a, b) for a, b in split_sentences(text)]
    return [PassageSentence(i, a, b, text[a:b], sid, looks_like_instruction(text[a:b])) for sid, a, b in spans]


def idf_table(sentence_terms: list[set[str]]) -> tuple[dict[str, float], float]:
    """``({term: idf}, idf of an unseen term)`` over a list of sentences' term sets."""
    n = len(sentence_terms)
    df = Counter(t for terms in sentence_terms for t in terms)
    return ({t: math.log((n + 1) / (0.5 + c)) + 1.0 for t, c in df.items()},
            math.log((n + 1) / 0.5) + 1.0)


@dataclass
class EvidenceContext:
    """What one answer's checks share: the question, the passages, their sentences (one list
    per passage), each sentence's terms, and the terms' IDF over all of them."""

    question: str
    passages: list[Document]
    sentences: list[list[PassageSentence]]
    claims: list[str] = field(default_factory=list)   # what will be checked (scorers may prepare for them)
    terms: dict[tuple[int, int], set[str]] = field(default_factory=dict)   # (passage, start) -> terms
    idf: dict[str, float] = field(default_factory=dict)
    unseen_idf: float = 1.0

    @classmethod
    def of(cls, question: str, passages: list[Document], claims: list[str] = ()) -> "EvidenceContext":
        """The context of ``passages`` retrieved for ``question``, to check ``claims`` against."""
        sentences = [passage_sentences(i, p) for i, p in enumerate(passages)]
        terms = {(s.passage, s.start): set(analyze(s.text)) for ss in sentences for s in ss}
        idf, unseen = idf_table(list(terms.values()))
        return cls(question, passages, sentences, list(claims), terms, idf, unseen)

    def terms_of(self, s: PassageSentence) -> set[str]:
        """The analysed terms of sentence ``s``."""
        return self.terms[(s.passage, s.start)]

    def weight(self, term: str) -> float:
        """The IDF of ``term`` (a term no passage holds weighs the most)."""
        return self.idf.get(term, self.unseen_idf)

    def coverage(self, claim_terms: set[str], sentences: list[PassageSentence]) -> float:
        """The IDF-weighted share of ``claim_terms`` that ``sentences`` hold together (0 without terms)."""
        total = sum(self.weight(t) for t in claim_terms)
        if not total:
            return 0.0
        held = set().union(*(self.terms_of(s) for s in sentences)) if sentences else set()
        return sum(self.weight(t) for t in claim_terms & held) / total


class EvidenceScorer(ABC):
    """Rates how well each candidate sentence supports a claim, in [0, 1].

    ``name`` is the feature the verifier's weights know it by."""

    name: str = ""

    def prepare(self, ctx: EvidenceContext) -> Any:
        """Work done once per answer (default: none); passed back to :meth:`scores`."""
        return None

    @abstractmethod
    def scores(self, claim: str, candidates: list[PassageSentence], ctx: EvidenceContext,
               prepared: Any) -> list[float]:
        """One score per candidate sentence for ``claim``."""


class OverlapScorer(EvidenceScorer):
    """The IDF-weighted share of the claim's terms found in the sentence."""

    name = "overlap"

    def scores(self, claim, candidates, ctx, prepared) -> list[float]:
        terms = set(analyze(claim))
        return [ctx.coverage(terms, [s]) for s in candidates]


class EmbeddingScorer(EvidenceScorer):
    """Cosine of the claim's vector and each sentence's vector (from ``index`` when it holds
    the sentence, else embedded now with ``embeddings.query_array``), clipped to [0, 1]."""

    name = "cosine"

    def __init__(self, embeddings, index=None):
        self.embeddings = embeddings
        self.index = index

    def _stored(self, passage: Document, s: PassageSentence) -> bool:
        """Does the index hold sentence ``s`` under its ``sid``, at the same place?"""
        if self.index is None or s.sid is None or not 0 <= s.sid < len(self.index.sentences):
            return False
        stored = self.index.sentences[s.sid]
        start = int(passage.metadata.get("start", 0))
        return (self.index.documents[stored.doc].source == passage.metadata.get("source")
                and (stored.start, stored.end) == (s.start + start, s.end + start))

    def prepare(self, ctx: EvidenceContext) -> dict:
        """Every sentence's unit vector, by ``(passage, start)``, and every claim's, by its text
        (those not in the index embedded in one batch)."""
        flat = [s for ss in ctx.sentences for s in ss]
        stored = [s for s in flat if self._stored(ctx.passages[s.passage], s)]
        vectors: dict = dict(zip([(s.passage, s.start) for s in stored],
                                 self.index.sentence_vectors([s.sid for s in stored]) if stored else []))
        missing = [s for s in flat if (s.passage, s.start) not in vectors]
        claims = list(dict.fromkeys(ctx.claims))
        rows = self.embeddings.query_arrays([s.text for s in missing] + claims)
        vectors.update(zip([(s.passage, s.start) for s in missing] + claims, rows))
        return vectors

    def scores(self, claim, candidates, ctx, prepared) -> list[float]:
        if not candidates:
            return []
        q = prepared.get(claim)
        q = np.asarray(self.embeddings.query_array(claim) if q is None else q, dtype=np.float32)
        rows = np.stack([prepared[(s.passage, s.start)] for s in candidates])
        return np.clip(rows @ q, 0.0, 1.0).astype(float).tolist()


class SpanScorer(EvidenceScorer):
    """The span reader's evidence (``span``): in each sentence, the best answer span to the
    question and its margin over "no answer here" (``span - null``, the logistic of it), when
    the claim states that span; 0 when it doesn't. ``model`` has ``score(question, passage_texts)``
    returning windows with ``.passage``, ``.null`` and ``.best_span(lo, hi)`` (the packaged
    span model, :mod:`qa.answering.span_model`, loaded on first use when not given)."""

    name = "span"

    def __init__(self, model=None):
        self.model = model
        self._last = None    # (question, passage texts) -> windows of the last call: a written answer's
                             # phrase (:meth:`phrase`) reads the windows its check just made

    def prepare(self, ctx: EvidenceContext) -> dict[int, list]:
        """The model's windows of every passage, by passage."""
        return self.windows(ctx.question, ctx.passages)

    def windows(self, question: str, passages: list[Document]) -> dict[int, list]:
        """The model's windows of every passage of ``passages`` read for ``question``, by passage."""
        key = (question, tuple(p.page_content for p in passages))
        last = self._last
        if last is not None and last[0] == key:
            return last[1]
        if self.model is None:
            from .span_model import SpanModel   # the packaged span reader (issue 9)

            self.model = SpanModel.load()
        windows: dict[int, list] = {}
        for w in self.model.score(question, list(key[1])):
            windows.setdefault(w.passage, []).append(w)
        self._last = (key, windows)
        return windows

    @staticmethod
    def stated(said: str, s: PassageSentence, windows: dict[int, list], passages: list[Document]):
        """``(margin over "no answer", span, its text)`` of the best span in sentence ``s`` that
        ``said`` (a claim, folded and lower-cased) states, or ``None``."""
        best = None
        for w in windows.get(s.passage, []):
            span = w.best_span(s.start, s.end)
            text = passages[s.passage].page_content[span.start:span.end] if span else ""
            if text.strip() and fold(text).lower() in said and (best is None or span.score - w.null > best[0]):
                best = (span.score - w.null, span, text)
        return best

    def scores(self, claim, candidates, ctx, prepared) -> list[float]:
        said = fold(claim).lower()
        return [sigmoid(b[0]) if (b := self.stated(said, s, prepared, ctx.passages)) else 0.0 for s in candidates]

    def phrase(self, question: str, checks, passages: list[Document]):
        """The exact phrase of a written answer: of the sentences that support a kept claim, the
        span the model rates highest over "no answer here", when that claim states it; ``None``
        when no kept claim states one. A :class:`~qa.answering.reader.ShortAnswer` (document
        offsets)."""
        from .reader import ShortAnswer

        windows = self.windows(question, passages)
        stated = [(b, s) for c in checks for s in c.evidence
                  if (b := self.stated(fold(c.claim.text).lower(), s, windows, passages))]
        if not stated:
            return None
        (_, span, text), s = max(stated, key=lambda bs: bs[0][0])
        p0 = passages[s.passage].metadata["start"]
        return ShortAnswer(s.passage, p0 + span.start, p0 + span.end, text)
