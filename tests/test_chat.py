"""The chat handler and its HTML, without the UI: qa/app/conversation.py, render.py, gradio_app.py."""

from __future__ import annotations

import html
import logging
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.app import conversation, gradio_app, render
from qa.answering.answer import Answer, Citation
from qa.errors import BusyError, IndexMissingError, QuestionError

PAYLOADS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]
XSS_CORPUS = {
    "birds.md": (
        "# Birds of the city\n\n## Crows\n\n"
        "Crows are clever birds that use tools and remember faces.\n"
        "The crow nests in tall trees <script>alert(1)</script> near the river every spring.\n\n"
        "## Herons\n\n"
        "The heron wades in shallow water <img src=x onerror=alert(1)> and eats small fish.\n"
    ),
    "notes.txt": "Other notes\n\nPigeons live in every square of the old town, all year round.\n",
}


def plain(fragment: str) -> str:
    """What a browser would show for an HTML fragment (tags dropped, references decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def marked(fragment: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r"<mark>(.*?)</mark>", fragment, flags=re.S)]


def no_live_markup(fragment: str) -> None:
    """Every tag is one the renderer writes itself, with its own harmless attributes."""
    lowered = fragment.lower()
    assert "<script" not in lowered and "<img" not in lowered
    for name, attrs in re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)([^>]*)>", fragment):
        assert name in {"div", "span", "sup", "b", "i", "q", "mark", "p", "article", "header", "details",
                        "summary"}, name
        assert set(re.findall(r"([a-zA-Z-]+)=", attrs)) <= {"class", "id", "role", "title", "style"}, attrs


@pytest.fixture
def xss_bot(make_corpus, tmp_path, fake_embeddings):
    from qa.app.api import Answerer

    return Answerer.from_corpus(make_corpus(XSS_CORPUS), tmp_path / "idx", embeddings=fake_embeddings)


class RecordingAnswerer:
    """Answers every question with a fixed cited sentence and records the history it was given."""

    def __init__(self, exc: BaseException | None = None):
        self.exc = exc
        self.calls: list[tuple[str, list]] = []

    def ask(self, question, history=None):
        self.calls.append((question, list(history or [])))
        if self.exc is not None:
            raise self.exc
        from qa.app.api import validate_question

        q = validate_question(question)
        c = Citation("a.txt", "Crows are clever. They use tools.", 0, 33, [(18, 33)], 0.7, "Birds", "Crows")
        return Answer(q, "They use tools. [1]", [c], False, 0.9, query=q, passages=[c])


# --- escaping -------------------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(st.text())
def test_escape_text_shows_any_text_as_is_and_leaves_no_markup(text):
    out = render.escape_text(text)
    assert html.unescape(out) == text.replace("\u00a0", " ")
    assert not set(out) & set("<>\"'`*_[]{}$\\|~")


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1), st.lists(st.tuples(st.integers(-5, 60), st.integers(-5, 60)), max_size=4))
def test_highlight_keeps_the_text_and_marks_only_the_spans(text, spans):
    out = render.highlight(text, spans)
    assert plain(out) == text.replace("\u00a0", " ")
    expected = "".join(text[max(0, a):min(len(text), b)] for a, b in render._merge(spans, len(text)))
    assert "".join(marked(out)) == expected.replace("\u00a0", " ")


def test_script_and_img_payloads_in_documents_render_as_text(xss_bot):
    turn = conversation.respond(xss_bot, "Where does the crow nest?")
    assert turn.kind == "answer", turn
    cited = " ".join(c.text for c in turn.answer.citations)
    assert any(p in cited for p in PAYLOADS)
    message = render.render_message_html(turn)
    sources = render.render_sources_html(turn, xss_bot.index.documents)
    for fragment in (message, sources):
        no_live_markup(fragment)
    # the payload is on the page, as text
    assert "<script>alert(1)</script>" in plain(sources)
    assert "&#60;script&#62;" in sources
    # "Show in document" holds the whole neighbourhood, the other payload included, also inert
    assert "qa-doc-view" in sources and "<img src=x onerror=alert(1)>" in plain(sources)


def test_payload_in_question_and_in_every_passage_stays_text(xss_bot):
    q = 'Does the heron <img src=x onerror=alert(1)> eat fish? <script>alert("q")</script>'
    box, messages, turns, sources = gradio_app.ask_step(xss_bot, q, [], xss_bot.index.documents)
    for m in messages:
        no_live_markup(m["content"])
    no_live_markup(sources)
    assert q in plain(messages[0]["content"])
    answer = conversation.ChatTurn.from_state(turns[-1]).answer
    for p in answer.passages:  # the abstention's "closest passages" view renders these too
        no_live_markup(render.render_source_card(None, p, None, highlighted=False))


def test_markdown_and_latex_in_documents_are_not_interpreted():
    c = Citation("m.md", "Costs *fell* to $5 and $$x^2$$ [link](javascript:alert(1)) `code` | a |", 0, 70,
                 [(0, 70)], 0.5)
    a = Answer("q", f"{c.text} [1]", [c], False, 1.0)
    message = render.render_message_html(conversation.ChatTurn.of(a))
    assert "[link](" not in message and "*fell*" not in message and "$$" not in message and "`" not in message
    assert c.text in plain(message)


# --- answers, citations, highlights ---------------------------------------------------------------

@pytest.mark.slow
def test_answer_is_shown_with_numbered_citations_and_marked_sentences(bundled):
    turn = conversation.respond(bundled, "Which three border points facilitate commerce?")
    assert turn.kind == "answer"
    a = turn.answer
    message = render.render_message_html(turn)
    numbers = [int(n) for n in re.findall(r'<sup class="qa-cite">(\d+)</sup>', message)]
    assert numbers and set(numbers) == set(range(1, len(a.citations) + 1))
    sources = render.render_sources_html(a, bundled.index.documents)
    cards = re.findall(r"<article class=\"qa-source\".*?</article>", sources, flags=re.S)
    assert len(cards) == len(a.citations)
    for n, (card, c) in enumerate(zip(cards, a.citations), 1):
        assert f'<span class="qa-num">{n}</span>' in card
        assert html.escape(c.source, quote=False) in plain(card)
        if c.section:
            assert c.section.replace("\u00a0", " ") in plain(card)
        assert f"score {c.score:.2f}" in card
        passage = card.split('<div class="qa-passage">', 1)[1].split("</div>", 1)[0]
        assert plain(passage) == c.text.replace("\u00a0", " ")
        assert marked(passage) == [s.replace("\u00a0", " ") for s in c.highlighted_text()]
        # each marked sentence is quoted in the answer
        for s in c.highlighted_text():
            assert s.replace("\u00a0", " ") in plain(message)


@pytest.mark.slow
def test_show_in_document_places_the_passage_at_its_offsets(bundled):
    a = bundled.ask("What is the Zeynabiyoun Brigade?")
    doc = bundled.index.documents[bundled.index.by_source[a.citations[0].source]]
    view = render.render_in_document(a.citations[0], doc.text)
    here = view.split('<span class="qa-here">', 1)[1]
    before = plain(view.split('<span class="qa-here">', 1)[0])
    c = a.citations[0]
    assert doc.text[c.start:c.end] == c.text
    assert plain(here).startswith(c.text.replace("\u00a0", " "))
    assert doc.text[:c.start].replace("\u00a0", " ").endswith(before[-200:])


def test_show_in_document_cuts_a_long_document_around_the_passage():
    filler = "".join(f"Line {i} of the filler text.\n" for i in range(2000))
    text = filler + "The needle sentence is here." + "\n" + filler
    start = len(filler)
    c = Citation("big.txt", "The needle sentence is here.", start, start + 28, [(4, 10)], 0.9)
    view = render.render_in_document(c, text)
    assert "characters before" in view and "characters after" in view
    assert len(plain(view)) < 2 * render.CONTEXT_CHARS + 400
    assert marked(view) == ["needle"]
    # a document that no longer holds the passage gets no (wrong) context
    assert render.render_in_document(c, "something else entirely") == ""


@pytest.mark.slow
def test_abstention_is_plain_with_no_sources_dressed_as_evidence(bundled):
    turn = conversation.respond(bundled, "What is the boiling point of liquid nitrogen?")
    assert turn.kind == "abstained" and turn.answer.citations == []
    message = render.render_message_html(turn)
    assert 'class="qa-abstain"' in message and "Not in the documents" in message
    assert "qa-cite" not in message and "qa-chip" not in message and "<mark>" not in message
    sources = render.render_sources_html(turn, bundled.index.documents)
    assert "No sources" in sources and "<mark>" not in sources and "qa-num" not in sources
    if turn.answer.passages:
        assert "not an answer" in sources
        assert sources.index("<details") < sources.index('class="qa-source"')  # collapsed, under the label


def test_abstention_closest_passages_are_collapsed_and_labelled():
    p = Citation("a.txt", "Crows are clever.", 0, 17, [(0, 17)], 0.2)
    a = Answer("Why is the sky blue?", "The documents don't say.", [], True, 0.1, passages=[p])
    sources = render.render_sources_html(a, {"a.txt": "Crows are clever."})
    assert "<mark>" not in sources and "qa-num" not in sources
    assert "<details class=\"qa-closest\">" in sources and "not an answer" in sources
    assert "Crows are clever." in plain(sources)


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


# --- API helper, header, settings ------------------------------------------------------------------

def test_api_answer_returns_the_answer_dict_and_raises_typed_errors():
    bot = RecordingAnswerer()
    d = conversation.api_answer(bot, "What do crows use?", [["Do crows think?", "Yes. [1]"]])
    assert Answer.from_dict(d).citations[0].highlighted_text() == ["They use tools."]
    assert bot.calls[-1][1] == [("Do crows think?", "Yes. [1]")]
    with pytest.raises(QuestionError):
        conversation.api_answer(bot, "What do crows use?", "not a list")
    with pytest.raises(QuestionError):
        conversation.api_answer(bot, "", None)


def test_header_shows_corpus_name_and_size(xss_bot):
    head = render.header_html(xss_bot, "my <docs>")
    stats = xss_bot.stats
    assert "my <docs>" in plain(head) and "<docs>" not in head
    assert f"{stats['documents']} documents" in plain(head) and f"{stats['passages']} passages" in plain(head)


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
    import subprocess
    import sys

    code = ("import sys, qa.app.gradio_app, qa.app.render, qa.app.conversation; "
            "assert 'gradio' not in sys.modules, 'gradio imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
