"""The chat window with a written answer, as plain functions: the words stream in escaped, then the
checked answer replaces them, with what was removed struck through and why in a tooltip."""

from __future__ import annotations

import pytest
from langchain_core.language_models import FakeListChatModel

from qa.app.api import Answerer
from qa.app.conversation import ChatTurn, respond_stream
from qa.app.gradio_app import CHECKING_SOURCES_HTML, ask_stream_step, ask_step
from qa.app.render import render_message_html
from tests.support.chat import marked, no_live_markup, plain
from tests.support.llm import BIRDS, PromptChatModel, number_of

SCRIPT = "<img src=x onerror=alert(1)> Owls fly at 300 km per hour."


@pytest.fixture(scope="module")
def birds(tmp_path_factory):
    from tests.support.fakes import HashEmbeddings

    root = tmp_path_factory.mktemp("birds")
    for name, text in BIRDS.items():
        (root / name).write_text(text, encoding="utf-8")
    return Answerer.from_corpus(root, tmp_path_factory.mktemp("idx"), embeddings=HashEmbeddings())


def reply(m) -> str:
    return f"Owls hunt at night. [{number_of(m, 'Owls hunt')}] {SCRIPT} [{number_of(m, 'Owls hunt')}]"


def test_the_words_stream_in_escaped_then_the_checked_answer_replaces_them(birds, monkeypatch):
    monkeypatch.setattr("qa.app.gradio_app.STREAM_INTERVAL_S", 0.0)
    bot = Answerer(birds.index, birds.embeddings, llm=PromptChatModel(reply=reply))
    steps = list(ask_stream_step(bot, "When do owls hunt?", [], birds.index.documents))
    *writing, (box, messages, turns, sources) = steps
    assert len(writing) > 5
    growing = [plain(s[1][-1]["content"]) for s in writing]
    assert all(a in b or a.split("Writing")[0].strip() in b for a, b in zip(growing, growing[1:]))
    assert "<img src=x onerror=alert(1)>" in growing[-1]            # shown as text while it is written
    for _, msgs, _, panel in writing:
        no_live_markup(msgs[-1]["content"])
        assert panel == CHECKING_SOURCES_HTML
    final = messages[-1]["content"]
    no_live_markup(final)
    answer_text = plain(final.split('class="qa-dropped"')[0])
    assert "Owls hunt at night." in answer_text and "300 km" not in answer_text
    assert '<del class="qa-removed" title="Removed&#58; the passages it cites don&#39;t say this.">' in final
    assert "&#60;img src=x onerror=alert(1)&#62; Owls fly at 300 km per hour." in final
    assert box == "" and len(turns) == 1 and set(marked(sources)) == {"Owls hunt at night and rest during the day."}


def test_mark_mode_strikes_the_unverified_sentence_in_place(birds, monkeypatch):
    monkeypatch.setenv("QA_LLM_UNVERIFIED", "mark")
    bot = Answerer(birds.index, birds.embeddings, llm=PromptChatModel(reply=reply))
    html = render_message_html(ChatTurn.of(bot.ask("When do owls hunt?")))
    no_live_markup(html)
    assert ('<del class="qa-unverified" title="Unverified&#58; the passages it cites don&#39;t say this.">'
            '&#60;img src=x onerror=alert(1)&#62; Owls fly at 300 km per hour.</del>') in html
    assert 'qa-dropped' not in html and html.index("Owls hunt at night") < html.index("qa-unverified")


def test_a_timed_out_answer_says_so_in_the_bubble(birds, monkeypatch):
    monkeypatch.setenv("QA_LLM_TIMEOUT", "1")
    bot = Answerer(birds.index, birds.embeddings, llm=FakeListChatModel(responses=["x"], sleep=3.0))
    *_, (box, messages, turns, sources) = list(ask_stream_step(bot, "When do owls hunt?", []))
    assert '<div class="qa-note" role="note">The chat model gave no answer in time' in messages[-1]["content"]
    assert marked(sources)   # the quoted answer's sources


def test_a_bad_question_is_an_error_turn_and_keeps_the_text(birds):
    bot = Answerer(birds.index, birds.embeddings, llm=PromptChatModel(reply=reply))
    [turn] = list(respond_stream(bot, "?!?"))
    assert turn.kind == "error" and "no words" in turn.error
    *_, (box, messages, turns, _) = list(ask_stream_step(bot, "?!?", []))
    assert box == "?!?" and "qa-error" in messages[-1]["content"]


def test_the_quoted_answer_path_is_unchanged(birds):
    """Without a chat model the window uses the plain handler, and bubbles have no extras."""
    box, messages, turns, _ = ask_step(birds, "When do owls hunt?", [])
    assert "qa-dropped" not in messages[-1]["content"] and "qa-note" not in messages[-1]["content"]
    assert not birds.streams
