"""The real model on the bundled corpus, through the Python API."""

import json
import random

import pytest

import qa
from qa.answering.answer import strip_markers
from qa.app import api
from qa.eval.metrics import contains
from qa.eval.questions import load_questions
from tests.conftest import CORPUS, QUESTIONS
from tests.support.invariants import check_answer

pytestmark = pytest.mark.slow


def _sample(kind, n, seed=7):
    qs = [q for q in load_questions(QUESTIONS) if kind(q)]
    random.Random(seed).shuffle(qs)
    return qs[:n]


def test_answers_cite_and_highlight_their_sources(bundled):
    qs = _sample(lambda q: q.answerable and not q.history, 12)
    assert len(qs) == 12
    right = 0
    for q in qs:
        a = bundled.ask(q.question)
        assert isinstance(a, qa.Answer)
        if a.abstained:
            continue
        assert "[1]" in a.text and a.citations
        assert len(strip_markers(a.text)) <= 400
        check_answer(bundled, a)
        right += any(contains(a.text, ans) for ans in q.answers)
    assert right >= 10


def test_abstains_when_the_article_cannot_answer(bundled):
    """Rates are the quality gate's job; here: abstentions look like abstentions, and the
    questions the article can't answer get less confidence than those it can."""
    unanswerable = [bundled.ask(q.question) for q in _sample(lambda q: not q.answerable, 100)]
    answerable = [bundled.ask(q.question) for q in _sample(lambda q: q.answerable and not q.history, 22)]
    assert len(unanswerable) >= 15
    assert any(a.abstained for a in unanswerable)     # how many: tests/eval/test_quality_gate.py
    for a in unanswerable + answerable:
        if a.abstained:
            assert a.citations == [] and a.text.startswith("The documents don't say.")
            assert a.confidence < bundled.reader.weights.threshold and a.passages
    mean = lambda xs: sum(a.confidence for a in xs) / len(xs)  # noqa: E731
    assert mean(unanswerable) < mean(answerable) - 0.2


def test_follow_ups_use_the_conversation(bundled):
    """Follow-ups are asked with what they refer to (the rate is the quality gate's job; one miss
    of six is allowed here). The bundled article has one topic, so most of its follow-ups can be
    answered alone too: the next test shows the conversation deciding the answer."""
    qs = _sample(lambda q: q.type == "followup", 6)
    assert qs
    right = 0
    for q in qs:
        with_history = bundled.ask(q.question, history=q.history)
        assert len(with_history.query) > len(q.question)
        right += not with_history.abstained and any(contains(with_history.text, a) for a in q.answers)
    assert right >= len(qs) - 1


def test_the_conversation_decides_what_a_follow_up_is_about(make_corpus, real_embeddings, tmp_path):
    """Two documents answer "When was it completed?" differently: with the conversation each
    follow-up gets its own document's answer; asked alone, its exact answer can only be one of them."""
    docs = make_corpus({
        "lighthouse.txt": "Fastnet Lighthouse\n\nThe Fastnet Lighthouse stands on a rock off the south-west coast of "
                          "Ireland. It was completed in 1904 by the Commissioners of Irish Lights. Its light can be "
                          "seen 27 nautical miles away.\n",
        "bridge.txt": "Forth Bridge\n\nThe Forth Bridge crosses the Firth of Forth in the east of Scotland. It was "
                      "completed in 1890 by Sir William Arrol and Company. Its two main spans are 521 metres long.\n"})
    bot = api.Answerer.from_corpus(docs, tmp_path / "index", embeddings=real_embeddings)
    talks = {"1904": [("Where does the Fastnet Lighthouse stand?", "It stands on a rock off the coast of Ireland.")],
             "1890": [("What does the Forth Bridge cross?", "The Forth Bridge crosses the Firth of Forth.")]}
    for expected, history in talks.items():
        a = bot.ask("When was it completed?", history=history)
        assert not a.abstained and expected in a.short_answer, (expected, a.text)
    alone = bot.ask("When was it completed?")     # one exact answer, right for one conversation at most
    assert sum(expected in alone.short_answer for expected in talks) <= 1


def test_qa_ask_uses_environment_defaults(monkeypatch, bundled_index_dir, bundled):
    monkeypatch.setenv("QA_CORPUS", str(CORPUS))
    monkeypatch.setenv("QA_INDEX", str(bundled_index_dir))
    api.clear_cache()
    q = _sample(lambda q: q.answerable and not q.history and q.type in ("date", "number"), 1)[0]
    a = qa.ask(q.question)
    assert a.citations and a.citations[0].source == "iran-pakistan-relations.txt"
    assert qa.ask(q.question).text == a.text  # deterministic
    round_trip = qa.Answer.from_dict(json.loads(a.to_json()))
    assert round_trip == a
    api.clear_cache()


def test_bad_questions_raise_typed_errors(bundled):
    for bad in ["", "   ", "?!...", "x" * 5000]:
        with pytest.raises(qa.QuestionError):
            bundled.ask(bad)
