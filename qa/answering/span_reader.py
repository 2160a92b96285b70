"""The learned reader: the extractive reader's sentence features plus a trained span model.

:class:`SpanReader` runs the packaged span model (:mod:`qa.answering.span_model`) over the
retrieved passages, all windows in one batch, and gives every sentence two more features:

* ``span`` - the best answer span inside the sentence (start + end logits, over 10),
* ``span_gap`` - that span's margin over its passage's "no answer" score (over 10).

Sentences are ranked by fitted weights over all the features; the answer is the best
sentence (with the sentence it leans on, a close runner-up, and the items of a list it
introduces), and ``Answer.short_answer`` is the span inside it. ``confidence`` adds the
model's strongest margin anywhere (``evidence``) and its lowest "no answer" score
(``null``) to the extractive reader's signals. Weights and threshold are fitted by
``python -m training.calibrate_reader`` (``calibration/span.json``).

    >>> from langchain_core.documents import Document
    >>> from qa.search.hits import SentenceHit
    >>> text = "Crows use tools. Owls hunt at night."
    >>> p = Document(text, metadata={"source": "birds.txt", "start": 0, "end": len(text), "score": 1.0,
    ...                              "sentences": [SentenceHit(0, 0, 16, 0.2), SentenceHit(1, 17, 36, 0.6)]})
    >>> answer = SpanReader().read("When do owls hunt?", [p])          # doctest: +SKIP
    >>> answer.text, answer.short_answer, answer.citations[0].answer_spans   # doctest: +SKIP
    ('Owls hunt at night. [1]', 'at night', [(27, 35)])
"""

from __future__ import annotations

import re

from langchain_core.documents import Document

from .extractive import ExtractiveReader, ranked_features
from .reader import MARKER_CHARS, MAX_ANSWER_CHARS, Candidate, ShortAnswer, compose
from .span_model import SpanModel, WindowScores
from .weights import Weights

LOGIT_SCALE = 10.0     # span logits are divided by this, to sit on the scale of the other features
NO_SPAN = -3.0         # ``span`` and ``span_gap`` of a sentence the model saw no token of (after scaling)
# A line that is an item of a list: a bullet, or a number followed by "." or ")".
LIST_ITEM = re.compile(r"^\s*(?:[-*\u2022\u2023\u25e6\u25aa\u2013\u2014]|\d{1,3}[.)])\s")


def add_span_features(cands: list[Candidate], windows: list[WindowScores], passages: list[Document]) -> None:
    """Give each candidate ``span``, ``span_gap`` and ``null`` (its passage's "no answer" score),
    and remember where its best span is (``c.span``: document offsets, or ``None``)."""
    nulls: dict[int, float] = {}
    by_passage: dict[int, list[WindowScores]] = {}
    for w in windows:
        nulls[w.passage] = min(nulls.get(w.passage, float("inf")), w.null)
        by_passage.setdefault(w.passage, []).append(w)
    for c in cands:
        p0 = passages[c.passage].metadata["start"]
        spans = [s for w in by_passage.get(c.passage, []) if (s := w.best_span(c.start - p0, c.end - p0))]
        best = max(spans, key=lambda s: s.score, default=None)
        null = nulls.get(c.passage, 0.0)
        c.features["null"] = null / LOGIT_SCALE
        if best is None:
            c.features["span"] = c.features["span_gap"] = NO_SPAN
            c.span = None
        else:
            c.features["span"] = best.score / LOGIT_SCALE
            c.features["span_gap"] = (best.score - null) / LOGIT_SCALE
            c.span = (p0 + best.start, p0 + best.end)


def span_ranked_features(ranked: list[Candidate], typed: float, top: dict) -> dict:
    """The extractive reader's answer features (:func:`~qa.answering.extractive.ranked_features`),
    plus the best sentence's ``span`` and ``span_gap``, the strongest ``span_gap`` of any
    sentence (``evidence``) and the lowest "no answer" score of the passages read (``null``)."""
    features = ranked_features(ranked, typed, top)
    best = ranked[0].features
    features.update(span=best["span"], span_gap=best["span_gap"],
                    evidence=max(c.features["span_gap"] for c in ranked),
                    null=min(c.features["null"] for c in ranked))
    return features


def list_items(lead: Candidate, cands: list[Candidate], max_chars: int, used: int) -> list[Candidate]:
    """The items of the list that ``lead`` introduces (it ends with ":" or list items follow it),
    in order, as far as they were retrieved and fit in ``max_chars - used``."""
    by_sid = {c.sid: c for c in cands}
    items = []
    sid = lead.sid + 1
    while sid in by_sid and LIST_ITEM.match(by_sid[sid].text):
        items.append(by_sid[sid])
        sid += 1
    if not items and not lead.text.rstrip().endswith(":"):
        return []
    out = []
    for item in items:
        used += len(item.text) + MARKER_CHARS + 1
        if used > max_chars:
            break
        out.append(item)
    return out


class SpanReader(ExtractiveReader):
    """Answers with the sentence that holds the best answer span, and the span itself; or abstains."""

    kind = "span"
    ranked_features = staticmethod(span_ranked_features)

    def __init__(self, weights: Weights | None = None, model: SpanModel | None = None,
                 max_chars: int = MAX_ANSWER_CHARS):
        super().__init__(weights, max_chars)
        self.model = model or SpanModel.load()

    def candidates(self, question, query, passages):
        """The extractive features of every sentence, plus the span model's (it reads ``query``:
        the question with what it refers to from the conversation)."""
        cands = super().candidates(question, query, passages)
        if cands:
            add_span_features(cands, self.model.score(query, [p.page_content for p in passages]), passages)
        return cands

    def choose(self, ranked):
        """The extractive choice, plus the items of a list the best sentence introduces."""
        chosen = super().choose(ranked)
        used = sum(len(c.text) + MARKER_CHARS + 1 for c in chosen)
        extra = [c for c in list_items(ranked[0], ranked, self.max_chars, used) if c not in chosen]
        return sorted(chosen + extra, key=lambda c: (c.passage, c.start))

    def compose(self, question, query, confidence, ranked, chosen, passages, retrieved):
        """The answer, with the best sentence's span as ``short_answer``."""
        best = ranked[0]
        short = None
        if best.span is not None:
            start, end = best.span
            p = passages[best.passage]
            short = ShortAnswer(best.passage, start, end, p.page_content[start - p.metadata["start"]:end - p.metadata["start"]])
        return compose(question, query, confidence, chosen, passages, retrieved, self.max_chars, short)
