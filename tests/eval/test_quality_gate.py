"""The quality gate: the bundled question set, scored the way ``qa eval`` scores it,
with the real model on the bundled article. Thresholds sit just under what
``qa eval`` measures today (see docs/evaluation.md), so a change that
makes answers worse fails CI; one that makes them better should raise them.
"""

from __future__ import annotations

import pytest

from qa.eval.metrics import run, summarize
from qa.eval.questions import load_questions, split_of
from tests.conftest import QUESTIONS

pytestmark = pytest.mark.slow   # the real model on the bundled article

# measured with `qa eval` (133 questions: 111 answerable, 22 not, 12 follow-ups)
GATE = {
    "answer_accuracy": 0.84,        # measured 0.856 (stock recipe 0.577)
    "citation_accuracy": 0.91,      # measured 0.925
    "highlight_accuracy": 0.87,     # measured 0.888
    "abstention_recall": 0.40,      # measured 0.455 (10 of 22)
    "followup_accuracy": 0.9,       # measured 0.917 (11 of 12)
    "recall@4": 0.95,               # measured 0.964
    "short_f1": 0.70,               # measured 0.718: the exact phrase, token F1
}
MAX_FALSE_ABSTENTIONS = 5           # measured 4
MAX_ANSWER_CHARS = 400


@pytest.fixture(scope="module")
def outcomes(bundled):
    questions = load_questions(QUESTIONS)
    return questions, run(lambda q: bundled.ask(q.question, history=q.history), questions)


def test_bundled_set_meets_the_gate(outcomes):
    _, results = outcomes
    summary = summarize(results)
    failed = {m: (summary[m], floor) for m, floor in GATE.items() if summary[m] is None or summary[m] < floor}
    assert not failed, f"below the gate (measured, floor): {failed}"
    assert summary["false_abstentions"] <= MAX_FALSE_ABSTENTIONS
    assert summary["max_answer_chars"] <= MAX_ANSWER_CHARS


def test_held_out_half_is_not_much_worse_than_the_tuned_half(outcomes):
    """Weights were fitted on the dev half (by question id); the test half checks them."""
    questions, results = outcomes
    halves = {h: [o for q, o in zip(questions, results) if split_of(q.id) == h] for h in ("dev", "test")}
    acc = {h: summarize(v)["answer_accuracy"] for h, v in halves.items()}
    assert min(len(v) for v in halves.values()) >= 50
    assert acc["test"] >= 0.75 and acc["test"] >= acc["dev"] - 0.12, acc


def test_every_answer_is_cited_and_confidence_orders_right_from_wrong(outcomes):
    _, results = outcomes
    answered = [o for o in results if not o.abstained]
    assert all("[1]" in o.answer for o in answered)
    right = [o.confidence for o in results if o.answerable and o.correct]
    unanswerable = [o.confidence for o in results if not o.answerable]
    auc = sum((r > u) + 0.5 * (r == u) for r in right for u in unanswerable) / (len(right) * len(unanswerable))
    assert auc >= 0.85
