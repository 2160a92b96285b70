"""The chat window's conversation and handlers, without the UI (qa/app/conversation.py,
qa/app/gradio_app.py): history, state, errors that never escape, the API helper, settings."""

from __future__ import annotations

import logging

import pytest

from qa.answering.answer import Answer
from qa.app import conversation, gradio_app, render
from qa.errors import BusyError, IndexMissingError, QuestionError
from tests.support.chat import RecordingAnswerer, plain


# --- conversation ---------------------------------------------------------------------------------

def test_follow_up_passes_the_conversation_as_history():
    bot = RecordingAnswerer()
    _, _, turns, _ = gradio_app.ask_step(bot, "What do crows use?", [])
    _, _, turns, _ = gradio_app.ask_step(bot, "", turns)             # an error turn is not history
    _, messages, turns, _ = gradio_app.ask_step(bot, "Why?", turns)
    assert bot.calls[0][1] == []
    assert bot.calls[2][1] == [("What do crows use?", "They use tools. [1]")]
    assert [m["role"] for m in messages] == ["user", "assistant"] * 3
    assert len(turns) == 3


@pytest.mark.slow
def test_follow_up_question_is_answered_from_the_conversation(bundled):
    first = "What is the Zeynabiyoun Brigade?"
    _, _, turns, _ = gradio_app.ask_step(bundled, first, [], bundled.index.documents)
    _, messages, turns, sources = gradio_app.ask_step(bundled, "When was it formally organized?", turns,
                                                bundled.index.documents)
    answer = conversation.ChatTurn.from_state(turns[-1]).answer
    assert not answer.abstained
    assert "Zeynabiyoun" in answer.query and answer.query != answer.question
    assert any("organized" in s for c in answer.citations for s in c.highlighted_text())
    assert "<mark>" in sources


def test_select_shows_the_sources_of_the_clicked_turn():
    bot = RecordingAnswerer()
    _, _, turns, _ = gradio_app.ask_step(bot, "First question about crows?", [])
    _, _, turns, _ = gradio_app.ask_step(bot, "Second question about crows?", turns)
    assert "First question" in gradio_app.select_step(turns, 0) and "First question" in gradio_app.select_step(turns, 1)
    assert "Second question" in gradio_app.select_step(turns, 3)
    assert gradio_app.select_step(turns, [2, None]).count("Second question") == 1
    assert gradio_app.select_step(turns, 99) == render.EMPTY_SOURCES_HTML
    assert gradio_app.select_step([], None) == render.EMPTY_SOURCES_HTML


def test_textbox_is_cleared_after_an_answer_and_kept_after_an_error():
    bot = RecordingAnswerer()
    assert gradio_app.ask_step(bot, "What do crows use?", [])[0] == ""
    assert gradio_app.ask_step(bot, "?!?", [])[0] == "?!?"


def test_turns_survive_the_state_round_trip():
    bot = RecordingAnswerer()
    turn = conversation.respond(bot, "What do crows use?")
    assert conversation.ChatTurn.from_state(turn.to_state()) == turn


def test_conversation_is_bounded():
    bot = RecordingAnswerer()
    turns = [conversation.ChatTurn("q", "error", error="x").to_state()] * conversation.MAX_TURNS
    _, messages, turns, _ = gradio_app.ask_step(bot, "What do crows use?", turns)
    assert len(turns) == conversation.MAX_TURNS and len(messages) == 2 * conversation.MAX_TURNS
    assert conversation.ChatTurn.from_state(turns[-1]).kind == "answer"


# --- errors ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("question, words", [
    ("", "empty"), ("   \n ", "empty"), ("x" * 5000, "limit"), ("?!?", "no words"), (None, "must be text"),
    (42, "must be text"),
])
def test_bad_questions_are_friendly_messages(question, words):
    turn = conversation.respond(RecordingAnswerer(), question)
    assert turn.kind == "error" and words in turn.error
    message = render.render_message_html(turn)
    assert 'class="qa-error"' in message and "Traceback" not in message
    assert words in plain(message)


def test_a_long_question_is_cut_in_its_bubble_but_asked_whole():
    long = "Why " + "really " * 300 + "?"
    bubble = render.render_question_html(long)
    assert len(plain(bubble)) < render.DISPLAY_QUESTION_CHARS + 40 and "characters" in bubble


def test_library_errors_are_shown_with_their_message(caplog):
    turn = conversation.respond(RecordingAnswerer(IndexMissingError("There is no index in 'x'.", hint="Run `qa index`.")),
                        "What?")
    assert turn.kind == "error" and "There is no index" in turn.error and "qa index" in turn.error
    busy = conversation.respond(RecordingAnswerer(BusyError("At capacity.")), "What?")
    assert busy.kind == "error" and "busy" in busy.error.lower()


def test_unexpected_errors_are_logged_and_shown_generically(caplog):
    secret = "RuntimeError: db password is hunter2"
    with caplog.at_level(logging.ERROR, logger="qa.app.conversation"):
        turn = conversation.respond(RecordingAnswerer(RuntimeError(secret)), "What do crows use?")
    assert turn.kind == "error" and turn.error == conversation.GENERIC_ERROR
    assert "hunter2" not in render.render_message_html(turn) and "hunter2" not in render.render_sources_html(turn)
    assert any("hunter2" in (r.exc_text or "") or r.exc_info for r in caplog.records)


# --- API helper, settings ------------------------------------------------------------------

def test_api_answer_returns_the_answer_dict_and_raises_typed_errors():
    bot = RecordingAnswerer()
    d = conversation.api_answer(bot, "What do crows use?", [["Do crows think?", "Yes. [1]"]])
    assert Answer.from_dict(d).citations[0].highlighted_text() == ["They use tools."]
    assert bot.calls[-1][1] == [("Do crows think?", "Yes. [1]")]
    with pytest.raises(QuestionError):
        conversation.api_answer(bot, "What do crows use?", "not a list")
    with pytest.raises(QuestionError):
        conversation.api_answer(bot, "", None)


def test_queue_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("QA_CONCURRENCY", "3")
    monkeypatch.setenv("QA_QUEUE_SIZE", "7")
    assert gradio_app.queue_settings() == (3, 7)
    monkeypatch.delenv("QA_CONCURRENCY")
    monkeypatch.delenv("QA_QUEUE_SIZE")
    concurrency, size = gradio_app.queue_settings()
    assert 1 <= concurrency <= 4 and size == 32
    monkeypatch.setenv("QA_QUEUE_SIZE", "lots")
    with pytest.raises(ValueError, match="QA_QUEUE_SIZE"):
        gradio_app.queue_settings()
    monkeypatch.setenv("QA_QUEUE_SIZE", "0")
    with pytest.raises(ValueError, match="QA_QUEUE_SIZE is 0; expected a whole number from 1"):
        gradio_app.queue_settings()


def test_module_does_not_import_gradio():
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    code = ("import sys, qa.app.gradio_app, qa.app.render, qa.app.conversation; "
            "assert 'gradio' not in sys.modules, 'gradio imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
