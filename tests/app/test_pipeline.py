"""qa/pipeline.py: the pipeline assembled below both the application and the evaluation, taking
every value as an argument (the application reads the settings and hands them down)."""

from __future__ import annotations

import json
from functools import partial

import pytest

from qa.answering.extractive import ExtractiveReader
from qa.errors import QuestionError
from qa.pipeline import Pipeline, WriterOptions, validate_question
from tests.conftest import ROOT
from tests.support.llm import PromptChatModel


def pipeline_of(bot, limit: int) -> Pipeline:
    return Pipeline(bot.index, bot.embeddings, ExtractiveReader(), bot.retriever,
                    validate=partial(validate_question, max_chars=limit),
                    writer_options=lambda: WriterOptions(unverified="mark", timeout_s=7, retries=0))


def test_a_pipeline_reads_no_setting(fake_bundled, monkeypatch):
    for name, bad in [("QA_MAX_QUESTION_CHARS", "-5"), ("QA_LLM_TIMEOUT", "soon"), ("QA_LLM_UNVERIFIED", "maybe"),
                      ("QA_TOP_K", "many")]:
        monkeypatch.setenv(name, bad)   # any read of them would raise ConfigError
    pipeline = pipeline_of(fake_bundled, limit=60)
    answer = pipeline.ask("When did Iran launch its missile strike on Pakistan?")
    assert answer.question == "When did Iran launch its missile strike on Pakistan?" and answer.citations
    with pytest.raises(QuestionError, match="61 characters long; the limit is 60"):
        pipeline.ask("x" * 61)
    writer = pipeline.writer(PromptChatModel(reply=lambda messages: "Owls hunt at night [1]."))
    assert (writer.unverified, writer.timeout_s, writer.retries) == ("mark", 7, 0)
    assert writer.fallback is pipeline.reader


def test_the_answerer_is_a_pipeline_whose_values_come_from_the_settings(fake_bundled, monkeypatch):
    import qa

    assert isinstance(fake_bundled, Pipeline) and qa.Answerer.__mro__[1] is Pipeline
    monkeypatch.setenv("QA_LLM_UNVERIFIED", "mark")
    monkeypatch.setenv("QA_MAX_QUESTION_CHARS", "20")
    assert fake_bundled.writer(PromptChatModel(reply=lambda messages: "x")).unverified == "mark"
    with pytest.raises(QuestionError, match="the limit is 20"):
        fake_bundled.ask("When did Iran launch its missile strike on Pakistan?")


def test_the_evaluation_loads_its_answerer_with_the_function_it_is_given(fake_bundled, tmp_path):
    from qa.eval.run import EvalConfig, run_evaluation

    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": "q1", "question": "When did Iran launch its missile strike on Pakistan?",
                                     "answers": ["January 16"], "evidence": "", "type": "date"}) + "\n",
                         encoding="utf-8")
    config = EvalConfig(questions=questions, corpus_dir=ROOT / "corpus", index_dir=tmp_path / "index",
                        out_dir=tmp_path / "out", stock=False, k=3)
    calls = []

    def load(corpus_dir, index_dir, **options):
        calls.append((corpus_dir, index_dir, options))
        return fake_bundled

    report = run_evaluation(config, echo=lambda m: None, load=load)
    assert calls == [(ROOT / "corpus", tmp_path / "index", {"k": 3, "store": None})]
    assert report.systems["qa"]["questions"] == 1
    with pytest.raises(ValueError, match="needs an answerer, or load"):
        run_evaluation(config, echo=lambda m: None)
