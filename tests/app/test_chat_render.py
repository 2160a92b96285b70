"""The chat window's HTML (qa/app/render.py): everything escaped, answers with numbered
citations, sources with their highlighted sentences, abstentions plainly."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.answering.answer import Answer, Citation
from qa.app import conversation, gradio_app, header, render
from tests.support.chat import PAYLOADS, marked, no_live_markup, plain


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



def test_header_shows_corpus_name_and_size(xss_bot):
    head = header.header_html(xss_bot, "my <docs>")
    stats = xss_bot.stats
    assert "my <docs>" in plain(head) and "<docs>" not in head
    assert f"{stats['documents']} documents" in plain(head) and f"{stats['passages']} passages" in plain(head)


def test_header_says_how_many_were_skipped_and_lists_them_escaped(make_corpus, tmp_path, fake_embeddings):
    from qa.app.api import Answerer

    root = make_corpus({"a.txt": "Crows are clever birds.", "<img src=x onerror=alert(1)>.xyz": b"?",
                        "scan.pdf": b"%PDF-1.4 garbage"})
    bot = Answerer.from_corpus(root, tmp_path / "idx", embeddings=fake_embeddings)
    head = header.header_html(bot, "docs")
    assert "1 document, 2 skipped" in plain(head)
    assert '<details class="qa-skipped"><summary>2 skipped</summary>' in head
    assert "<img" not in head and "&#60;img src=x onerror=alert(1)&#62;.xyz" in head
    assert "not a supported type" in plain(head) and "scan.pdf" in plain(head)
    assert "skipped" not in header.header_html(fake_bundled_like(bot))


def fake_bundled_like(bot):
    """The same answerer with nothing skipped."""
    import copy

    clone = copy.copy(bot)
    clone.report = copy.copy(bot.report)
    clone.report.skipped = ()
    return clone


def test_a_pdf_citation_shows_its_page_and_section():
    c = Citation("moon.pdf", "Solar panels supply power.", 100, 126, [(0, 26)], 0.9, "Moon", "Power", page=2)
    a = Answer("How is power made?", "Solar panels supply power. [1]", [c], False, 0.9)
    card = render.render_sources_html(a, {"moon.pdf": "x" * 100 + c.text})
    assert "Power · p. 2 · moon.pdf" in plain(card)
    assert "p. 2" in plain(render.render_message_html(render.ChatTurn.of(a)))
    no_page = Citation("a.md", "Crows.", 0, 6, [(0, 6)], 0.9, "A", "Birds")
    assert "p." not in plain(render.render_sources_html(Answer("Q?", "Crows. [1]", [no_page], False, 0.9)))
