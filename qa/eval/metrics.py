"""Scoring answers against a question set.

Metrics (:func:`summarize`):

- ``recall@k`` / ``mrr``: a retrieved passage contains the evidence (answerable questions),
- ``answer_accuracy``: an acceptable answer appears in the answer text (unanswerable: it abstained),
- ``token_f1``: SQuAD token F1 of the answer text against the best reference,
- ``citation_accuracy``: a cited passage contains the evidence (answered, answerable questions),
- ``highlight_accuracy``: the highlighted spans cover the evidence (same questions),
- ``abstention_precision`` / ``abstention_recall``: of abstentions, how many were right; of unanswerable questions, how many abstained,
- ``short_exact_match`` / ``short_f1``: the exact answer (``Answer.short_answer``) against the best
  reference, answerable questions (an abstention scores 0; ``None`` for a system that gives no exact answers),
- ``followup_accuracy``, ``latency_p50_ms`` / ``latency_p95_ms``, ``median_answer_chars``.

and for written answers (``qa eval --llm``; :func:`written_summary`):

- ``supported_sentences``: of the sentences the model wrote, the share the check kept as supported,
- ``dropped_sentences``: how many sentences the check left out (or marked), in all,
- ``citation_correctness``: of the sentences that cited passages, the share whose citations all
  named passages that support them,
- ``fallbacks``: answers quoted instead because the model failed or timed out.

    >>> normalize("The  \u201cU.S.\u201d Treasury!")
    'us treasury'
    >>> round(token_f1("in January 2019 the U.S. Treasury", "January 2019"), 2)
    0.57
    >>> percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5)
    5.5
"""

from __future__ import annotations

import re
import statistics
import string
import time
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Callable, Iterable

from ..answering.answer import Answer, strip_markers
from ..ingest.text import fold
from .questions import Question

_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize(text: str) -> str:
    """SQuAD-style: fold, lower-case, drop punctuation and articles, collapse white space."""
    text = fold(text).lower()
    text = "".join(ch for ch in text if ch not in string.punctuation)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def contains(haystack: str, needle: str) -> bool:
    """Does ``needle`` appear in ``haystack``, both :func:`normalize` d?"""
    return bool(needle) and normalize(needle) in normalize(haystack)


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD token F1 of ``prediction`` against ``reference``."""
    p, r = normalize(prediction).split(), normalize(reference).split()
    common = sum((Counter(p) & Counter(r)).values())
    if not p or not r or common == 0:
        return 0.0
    precision, recall = common / len(p), common / len(r)
    return 2 * precision * recall / (precision + recall)


def percentile(values: Iterable[float], q: float) -> float | None:
    """Linear-interpolated percentile (``q`` in 0..1), like ``numpy.percentile``; ``None`` when empty."""
    xs = sorted(values)
    if not xs:
        return None
    pos = q * (len(xs) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def mean(xs) -> float | None:
    """The mean of the values that are not ``None`` (``None`` when there are none)."""
    xs = [float(x) for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


@dataclass
class Outcome:
    """How one question went."""

    id: str
    type: str
    question: str
    answerable: bool
    answer: str
    abstained: bool
    confidence: float
    correct: bool
    f1: float
    rank: int | None       # 1-based rank of the first retrieved passage holding the evidence
    cited_ok: bool | None
    highlight_ok: bool | None
    latency_ms: float
    expected: list[str]
    short_answer: str = ""
    short_em: float = 0.0
    short_f1: float = 0.0
    written: dict | None = None   # a written answer's check: its Verification counts and dropped sentences
    fallback: bool = False        # the model failed and the quoted answer was given


def is_correct(q: Question, a: Answer) -> bool:
    """Answerable: not abstained, and an acceptable answer is in the text. Unanswerable: abstained."""
    if not q.answerable:
        return a.abstained
    text = strip_markers(a.text)
    return not a.abstained and any(contains(text, ans) for ans in q.answers)


def score(q: Question, a: Answer, latency_ms: float) -> Outcome:
    """Score answer ``a`` to question ``q``."""
    text = strip_markers(a.text)
    rank = None
    if q.answerable and q.evidence:
        for i, p in enumerate(a.passages or a.citations, 1):
            if contains(p.text, q.evidence):
                rank = i
                break
    if q.answerable:
        f1 = 0.0 if a.abstained else max(token_f1(text, ans) for ans in q.answers)
    else:
        f1 = float(a.abstained)
    cited_ok = highlight_ok = None
    if q.answerable and not a.abstained and q.evidence:
        cited_ok = any(contains(c.text, q.evidence) for c in a.citations)
        highlight_ok = any(contains(" ".join(c.highlighted_text()), q.evidence) for c in a.citations)
    short = "" if a.abstained else a.short_answer
    short_em = max((float(normalize(short) == normalize(ans)) for ans in q.answers), default=0.0) if short else 0.0
    short_f1 = max((token_f1(short, ans) for ans in q.answers), default=0.0) if short else 0.0
    written = {**asdict(a.verification), "dropped": len(a.dropped)} if a.verification is not None else None
    return Outcome(q.id, q.type, q.question, q.answerable, a.text, a.abstained, a.confidence, is_correct(q, a), f1,
                   rank, cited_ok, highlight_ok, latency_ms, q.answers, short, short_em, short_f1, written,
                   bool(a.note) and written is None)


def summarize(outcomes: list[Outcome], k: int = 4) -> dict:
    """Every metric of the module docstring over ``outcomes``."""
    ans = [o for o in outcomes if o.answerable]
    unans = [o for o in outcomes if not o.answerable]
    abstained = [o for o in outcomes if o.abstained]
    answered_text = [len(strip_markers(o.answer)) for o in outcomes if not o.abstained]
    gives_short = any(o.short_answer for o in outcomes)
    return {
        "questions": len(outcomes),
        "answerable": len(ans),
        f"recall@{k}": mean([o.rank is not None and o.rank <= k for o in ans]),
        "mrr": mean([1.0 / o.rank if o.rank else 0.0 for o in ans]),
        "answer_accuracy": mean([o.correct for o in ans]),
        "overall_accuracy": mean([o.correct for o in outcomes]),
        "token_f1": mean([o.f1 for o in ans]),
        "short_exact_match": mean([o.short_em for o in ans]) if gives_short else None,
        "short_f1": mean([o.short_f1 for o in ans]) if gives_short else None,
        "citation_accuracy": mean([o.cited_ok for o in ans]),
        "highlight_accuracy": mean([o.highlight_ok for o in ans]),
        "abstention_precision": mean([not o.answerable for o in abstained]) if abstained else None,
        "abstention_recall": mean([o.abstained for o in unans]) if unans else None,
        "false_abstentions": sum(o.abstained for o in ans),
        "followup_accuracy": mean([o.correct for o in outcomes if o.type == "followup"]),
        "latency_p50_ms": percentile([o.latency_ms for o in outcomes], 0.5),
        "latency_p95_ms": percentile([o.latency_ms for o in outcomes], 0.95),
        "median_answer_chars": statistics.median(answered_text) if answered_text else None,
        "max_answer_chars": max(answered_text) if answered_text else None,
        **written_summary(outcomes),
    }


def written_summary(outcomes: list[Outcome]) -> dict:
    """The written-answer metrics of the module docstring ({} when no answer was written)."""
    written = [o.written for o in outcomes if o.written is not None]
    if not written and not any(o.fallback for o in outcomes):
        return {}
    total = {k: sum(w[k] for w in written) for k in ("sentences", "supported", "cited", "cited_correctly", "dropped")}
    return {"supported_sentences": total["supported"] / total["sentences"] if total["sentences"] else None,
            "dropped_sentences": total["dropped"],
            "citation_correctness": total["cited_correctly"] / total["cited"] if total["cited"] else None,
            "fallbacks": sum(o.fallback for o in outcomes)}


def by_type(outcomes: list[Outcome]) -> dict[str, dict]:
    """Accuracy and token F1 per question type."""
    types = sorted({o.type for o in outcomes})
    return {t: {"n": sum(o.type == t for o in outcomes),
                "accuracy": mean([o.correct for o in outcomes if o.type == t]),
                "token_f1": mean([o.f1 for o in outcomes if o.type == t])} for t in types}


def run(ask: Callable[[Question], Answer], questions: list[Question], progress: bool = False,
        desc: str = "questions") -> list[Outcome]:
    """Ask every question (``ask`` maps a Question to an Answer) and score it."""
    iterator = questions
    if progress:
        from tqdm import tqdm

        iterator = tqdm(questions, desc=desc, unit="q", leave=False)
    outcomes = []
    for q in iterator:
        t0 = time.perf_counter()
        a = ask(q)
        outcomes.append(score(q, a, (time.perf_counter() - t0) * 1000))
    return outcomes
