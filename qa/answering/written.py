"""A written answer from the verifier's checks: the supported sentences with their ``[n]``
markers renumbered to the citations kept, the evidence highlighted, and what was left out.

Each kept sentence cites the passages that hold its evidence (a subset of what the model
cited), numbered in order of first use. With ``unverified="mark"`` an unsupported sentence
stays in the text, without markers, and its place is recorded (``DroppedSentence.shown``) so
the chat window can strike it through; a sentence citing a missing passage, or repeating a
planted instruction, is always removed. When no sentence is supported, the answer abstains.
"""

from __future__ import annotations

from langchain_core.documents import Document

from .answer import UNSUPPORTED, Answer, Citation, DroppedSentence, Verification
from .reader import ShortAnswer, abstain, citation_of
from .verify import Check

NOTHING_SUPPORTED = ("The model's answer was left out: the passages it cites don't support any of its "
                     "sentences.")
UNVERIFIED_MODES = ("drop", "mark")


def counts(checks: list[Check]) -> Verification:
    """How many sentences were written, supported, cited, and cited correctly."""
    return Verification(sentences=len(checks), supported=sum(c.supported for c in checks),
                        cited=sum(bool(c.claim.cited) for c in checks),
                        cited_correctly=sum(c.cited_correctly for c in checks))


def dropped_of(check: Check, shown: tuple[int, int] | None = None) -> DroppedSentence:
    """The record of a claim that failed its check."""
    return DroppedSentence(check.claim.text, check.reason, list(check.claim.cited), round(check.support, 4), shown)


def _citations(checks: list[Check], passages: list[Document]) -> tuple[list[Citation], dict[int, int]]:
    """The cited passages in order of first use by a supported claim, with their evidence
    highlighted, and ``{passage index: marker number}``."""
    order: dict[int, int] = {}
    spans: dict[int, set[tuple[int, int]]] = {}
    for c in checks:
        if c.supported:
            for s in c.evidence:
                order.setdefault(s.passage, len(order) + 1)
                spans.setdefault(s.passage, set()).add((s.start, s.end))
    citations = [citation_of(passages[i], sorted(spans[i])) for i in order]
    return citations, order


def compose_written(question: str, query: str, checks: list[Check], passages: list[Document],
                    retrieved: list[Citation], unverified: str = "drop", short: ShortAnswer | None = None) -> Answer:
    """The answer made of the supported claims (see the module docstring); ``short``, the exact
    phrase a kept claim states, becomes ``short_answer`` and its cited passage's ``answer_spans``."""
    if unverified not in UNVERIFIED_MODES:
        raise ValueError(f"unverified must be one of {UNVERIFIED_MODES}, got {unverified!r}")
    verification = counts(checks)
    if not any(c.supported for c in checks):
        answer = abstain(question, query, 0.0, retrieved)
        answer.dropped, answer.verification = [dropped_of(c) for c in checks], verification
        answer.note = NOTHING_SUPPORTED if checks else ""
        return answer
    citations, number = _citations(checks, passages)
    text, dropped = "", []
    for c in checks:
        sep = " " if text else ""
        if c.supported:
            markers = "".join(f"[{number[p]}]" for p in dict.fromkeys(s.passage for s in c.evidence))
            text += f"{sep}{c.claim.text} {markers}"
        elif unverified == "mark" and c.reason == UNSUPPORTED:
            start = len(text) + len(sep)
            text += sep + c.claim.text
            dropped.append(dropped_of(c, (start, len(text))))
        else:
            dropped.append(dropped_of(c))
    confidence = min(c.support for c in checks if c.supported)
    if short is not None and short.passage in number:
        p0 = passages[short.passage].metadata["start"]
        citations[number[short.passage] - 1].answer_spans = [(short.start - p0, short.end - p0)]
    return Answer(question=question, text=text, citations=citations, abstained=False,
                  confidence=round(confidence, 4), query=query, passages=retrieved, dropped=dropped,
                  verification=verification,
                  short_answer=short.text if short is not None and short.passage in number else "")
