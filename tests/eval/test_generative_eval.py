"""``qa eval --llm``: written answers scored with the same metrics plus supported sentences, dropped
sentences and citation correctness, beside the quoted answers, in one run."""

from __future__ import annotations

import json

import pytest

from qa.eval.metrics import summarize
from qa.eval.run import EvalConfig, run_evaluation
from tests.support.llm import BIRDS, PromptChatModel, passages_in

QUESTIONS = [
    {"id": "b1", "question": "When do owls hunt?", "answers": ["at night"], "evidence": "Owls hunt at night",
     "type": "fact"},
    {"id": "b2", "question": "What do crows use as tools?", "answers": ["sticks"],
     "evidence": "They use sticks as tools", "type": "fact"},
    {"id": "b3", "question": "What do penguins eat?", "answers": [], "type": "unanswerable"},
]


def copy_then_invent(messages) -> str:
    """Quote the first sentence of passage 1, then invent a sentence citing passage 1 and one citing passage 9."""
    first = passages_in(messages)[1].split("\n")[-1].split(". ")[0].rstrip(".")
    return f"{first} [1]. Every bird there weighs 90 kilograms [1]. Crows speak Latin [9]."


@pytest.fixture
def birds_set(make_corpus, tmp_path):
    corpus = make_corpus(BIRDS)
    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps(q) for q in QUESTIONS) + "\n", encoding="utf-8")
    return corpus, questions


def test_eval_scores_written_answers_beside_the_quoted_ones(birds_set, tmp_path, fake_embeddings):
    from qa.app.api import Answerer

    corpus, questions = birds_set
    bot = Answerer.from_corpus(corpus, tmp_path / "idx", embeddings=fake_embeddings)
    config = EvalConfig(questions=questions, corpus_dir=corpus, index_dir=tmp_path / "idx", out_dir=tmp_path / "out",
                        stock=False, llm=PromptChatModel(reply=copy_then_invent))
    report = run_evaluation(config, echo=lambda m: None, answerer=bot)
    assert list(report.systems) == ["qa", "qa+llm"]
    quoted, written = report.systems["qa"], report.systems["qa+llm"]
    assert "supported_sentences" not in quoted               # the quoted answers' metrics are as before
    assert written["supported_sentences"] == pytest.approx(1 / 3)   # 3 answers x 3 sentences, 1 kept each
    assert written["dropped_sentences"] == 6 and written["fallbacks"] == 0
    assert written["citation_correctness"] == pytest.approx(1 / 3)
    assert written["questions"] == quoted["questions"] == 3
    md = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "| supported_sentences | - | 0.333 |" in md
    saved = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert saved["systems"]["qa+llm"]["dropped_sentences"] == 6


def test_quoted_answers_have_no_written_metrics():
    assert "supported_sentences" not in summarize([])
