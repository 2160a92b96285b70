"""Scoring a system against a question set, side by side with the stock recipe.

A question set is JSONL, one object per line::

    {"id": "q001", "question": "...", "history": [["previous question", "previous answer"]],
     "answers": ["acceptable", "answers"], "evidence": "a phrase of the source", "type": "date"}

``answers`` is empty for a question the documents can't answer. Metrics:

- ``recall@k`` / ``mrr``: a retrieved passage contains the evidence (answerable questions),
- ``answer_accuracy``: an acceptable answer appears in the answer text (unanswerable: it abstained),
- ``token_f1``: SQuAD token F1 of the answer text against the best reference,
- ``citation_accuracy``: a cited passage contains the evidence (answered, answerable questions),
- ``highlight_accuracy``: the highlighted spans cover the evidence (same questions),
- ``abstention_precision`` / ``abstention_recall``: of abstentions, how many were right; of unanswerable questions, how many abstained,
- ``followup_accuracy``, ``latency_p50_ms`` / ``latency_p95_ms``, ``median_answer_chars``.

    >>> normalize("The  \u201cU.S.\u201d Treasury!")
    'us treasury'
    >>> round(token_f1("in January 2019 the U.S. Treasury", "January 2019"), 2)
    0.57
"""

from __future__ import annotations

import json
import re
import statistics
import string
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from .answer import Answer
from .text import fold

_MARKER = re.compile(r"\s*\[\d+\]")


@dataclass
class Question:
    id: str
    question: str
    answers: list[str]
    evidence: str = ""
    type: str = "fact"
    history: list[tuple[str, str]] = field(default_factory=list)

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


def load_questions(path) -> list[Question]:
    """Read a JSONL question set; a bad line raises ``ValueError`` naming the line."""
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            out.append(Question(id=str(d["id"]), question=d["question"], answers=list(d.get("answers", [])),
                                evidence=d.get("evidence", ""), type=d.get("type", "fact"),
                                history=[tuple(h) for h in d.get("history", [])]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{n}: not a question object ({exc!r}); expected keys id, question, answers") from None
    return out


# --- text matching ---------------------------------------------------------------------------

def normalize(text: str) -> str:
    """SQuAD-style: fold, lower-case, drop punctuation and articles, collapse white space."""
    text = fold(text).lower()
    text = "".join(ch for ch in text if ch not in string.punctuation)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def strip_markers(text: str) -> str:
    return _MARKER.sub("", text)


def contains(haystack: str, needle: str) -> bool:
    return bool(needle) and normalize(needle) in normalize(haystack)


def token_f1(prediction: str, reference: str) -> float:
    p, r = normalize(prediction).split(), normalize(reference).split()
    common = sum((Counter(p) & Counter(r)).values())
    if not p or not r or common == 0:
        return 0.0
    precision, recall = common / len(p), common / len(r)
    return 2 * precision * recall / (precision + recall)


# --- scoring ------------------------------------------------------------------------------

@dataclass
class Outcome:
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


def score(q: Question, a: Answer, latency_ms: float) -> Outcome:
    text = strip_markers(a.text)
    rank = None
    if q.answerable and q.evidence:
        for i, p in enumerate(a.passages or a.citations, 1):
            if contains(p.text, q.evidence):
                rank = i
                break
    if q.answerable:
        correct = not a.abstained and any(contains(text, ans) for ans in q.answers)
        f1 = 0.0 if a.abstained else max(token_f1(text, ans) for ans in q.answers)
    else:
        correct, f1 = a.abstained, float(a.abstained)
    cited_ok = highlight_ok = None
    if q.answerable and not a.abstained and q.evidence:
        cited_ok = any(contains(c.text, q.evidence) for c in a.citations)
        highlight_ok = any(contains(" ".join(c.highlighted_text()), q.evidence) for c in a.citations)
    return Outcome(q.id, q.type, q.question, q.answerable, a.text, a.abstained, a.confidence, correct, f1, rank,
                   cited_ok, highlight_ok, latency_ms, q.answers)


def _mean(xs) -> float | None:
    xs = [float(x) for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


def _pct(xs, q) -> float | None:
    xs = sorted(xs)
    if not xs:
        return None
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def summarize(outcomes: list[Outcome], k: int = 4) -> dict:
    ans = [o for o in outcomes if o.answerable]
    unans = [o for o in outcomes if not o.answerable]
    abstained = [o for o in outcomes if o.abstained]
    answered_text = [len(strip_markers(o.answer)) for o in outcomes if not o.abstained]
    return {
        "questions": len(outcomes),
        "answerable": len(ans),
        f"recall@{k}": _mean([o.rank is not None and o.rank <= k for o in ans]),
        "mrr": _mean([1.0 / o.rank if o.rank else 0.0 for o in ans]),
        "answer_accuracy": _mean([o.correct for o in ans]),
        "overall_accuracy": _mean([o.correct for o in outcomes]),
        "token_f1": _mean([o.f1 for o in ans]),
        "citation_accuracy": _mean([o.cited_ok for o in ans]),
        "highlight_accuracy": _mean([o.highlight_ok for o in ans]),
        "abstention_precision": _mean([not o.answerable for o in abstained]) if abstained else None,
        "abstention_recall": _mean([o.abstained for o in unans]) if unans else None,
        "false_abstentions": sum(o.abstained for o in ans),
        "followup_accuracy": _mean([o.correct for o in outcomes if o.type == "followup"]),
        "latency_p50_ms": _pct([o.latency_ms for o in outcomes], 0.5),
        "latency_p95_ms": _pct([o.latency_ms for o in outcomes], 0.95),
        "median_answer_chars": statistics.median(answered_text) if answered_text else None,
        "max_answer_chars": max(answered_text) if answered_text else None,
    }


def by_type(outcomes: list[Outcome]) -> dict[str, dict]:
    types = sorted({o.type for o in outcomes})
    return {t: {"n": sum(o.type == t for o in outcomes),
                "accuracy": _mean([o.correct for o in outcomes if o.type == t]),
                "token_f1": _mean([o.f1 for o in outcomes if o.type == t])} for t in types}


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


@dataclass
class Report:
    name: str
    systems: dict[str, dict]                  # system -> summary
    types: dict[str, dict[str, dict]]         # system -> type -> summary
    failures: dict[str, list[dict]]           # system -> failed questions
    meta: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def build_report(name: str, results: dict[str, list[Outcome]], k: int = 4, meta: dict | None = None) -> Report:
    return Report(
        name=name,
        systems={s: summarize(o, k) for s, o in results.items()},
        types={s: by_type(o) for s, o in results.items()},
        failures={s: [asdict(x) for x in o if not x.correct] for s, o in results.items()},
        meta=meta or {})


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3f}" if v <= 1.0 else f"{v:.1f}"
    return str(v)


def markdown(report: Report, max_failures: int = 15) -> str:
    systems = list(report.systems)
    metrics = list(next(iter(report.systems.values())))
    lines = [f"### {report.name}", "", "| metric | " + " | ".join(systems) + " |",
             "|---|" + "---|" * len(systems)]
    for m in metrics:
        lines.append(f"| {m} | " + " | ".join(_fmt(report.systems[s].get(m)) for s in systems) + " |")
    types = sorted({t for s in systems for t in report.types[s]})
    lines += ["", "| type | n | " + " | ".join(f"{s} acc" for s in systems) + " |",
              "|---|---|" + "---|" * len(systems)]
    for t in types:
        n = report.types[systems[0]].get(t, {}).get("n", 0)
        lines.append(f"| {t} | {n} | " + " | ".join(_fmt(report.types[s].get(t, {}).get("accuracy")) for s in systems) + " |")
    first = systems[0]
    fails = report.failures[first]
    lines += ["", f"Failed questions ({first}): {len(fails)}"]
    for f in fails[:max_failures]:
        got = "ABSTAINED" if f["abstained"] else " ".join(f["answer"].split())[:160]
        lines.append(f"- {f['id']} [{f['type']}] {f['question']} | expected {f['expected'] or 'abstain'} | got: {got}")
    if len(fails) > max_failures:
        lines.append(f"- ... and {len(fails) - max_failures} more (see the JSON report)")
    return "\n".join(lines)


def chart(reports: list[Report], path) -> Path:
    """A grouped bar chart, one group per metric, one bar per system (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = ["recall@4", "mrr", "answer_accuracy", "overall_accuracy", "token_f1", "citation_accuracy",
               "highlight_accuracy", "abstention_recall"]
    fig, axes = plt.subplots(len(reports), 1, figsize=(11, 3.6 * len(reports)), squeeze=False)
    for ax, report in zip(axes[:, 0], reports):
        systems = list(report.systems)
        width = 0.8 / len(systems)
        for i, s in enumerate(systems):
            vals = [report.systems[s].get(m) or 0.0 for m in metrics]
            bars = ax.bar([x + i * width for x in range(len(metrics))], vals, width, label=s)
            ax.bar_label(bars, fmt="%.2f", fontsize=7)
        ax.set_xticks([x + width * (len(systems) - 1) / 2 for x in range(len(metrics))])
        ax.set_xticklabels(metrics, rotation=15, fontsize=8)
        ax.set_ylim(0, 1.1)
        ax.set_title(report.name)
        ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
