"""The chat window's logic: one question in, a chat turn and its sources out, as HTML.

Everything here is plain Python (no ``gradio`` import at module level), so it is
tested without a browser; :func:`build_demo` assembles the Gradio app from it and
``ui.py`` launches that.

    >>> from qa.answer import Answer, Citation
    >>> c = Citation(source="birds.md", text="Crows are clever. They use <tools>.", start=0, end=35,
    ...              highlights=[(18, 35)], score=0.8, title="Birds", section="Crows")
    >>> a = Answer(question="Do crows use tools?", text="They use <tools>. [1]", citations=[c],
    ...            abstained=False, confidence=0.9)
    >>> highlight(c.text, c.highlights)
    'Crows are clever. <mark>They use &#60;tools&#62;.</mark>'
    >>> 'They use &#60;tools&#62;. <sup class="qa-cite">1</sup>' in render_message_html(ChatTurn.of(a))
    True

Every string that comes from a document or a person goes through :func:`escape_text`
before any markup is added: HTML special characters *and* the characters Markdown,
LaTeX and template engines act on become numeric character references, so a document
holding ``<script>`` or ``<img onerror=...>`` shows as text and runs nothing, in the
chat bubbles (which Gradio renders as Markdown) and in the sources panel alike.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .answer import Answer, Citation
from .errors import BusyError, QAError, QuestionError

logger = logging.getLogger(__name__)

GENERIC_ERROR = "Sorry, something went wrong while answering. The problem has been logged; please try again."
BUSY_MESSAGE = "The server is busy answering other questions. Please try again in a moment."
MAX_TURNS = 100            # conversation turns kept in a session (the answerer itself uses the last 10)
CONTEXT_CHARS = 2500       # document text shown on each side of a passage in "Show in document"
DISPLAY_QUESTION_CHARS = 600  # a question longer than this is cut in its chat bubble (never in the search)

# ---------------------------------------------------------------------------------------------- escaping

# HTML's own specials, plus what Markdown (emphasis, code, links, tables, escapes), the Chatbot's
# LaTeX ($) and template engines (${...}, {{...}}) would act on. Numeric references display as the
# characters themselves and are inert in every one of those layers.
_SPECIALS = "&<>\"'`*_[]{}#|~$\\!:"
_ESCAPES = {ord(ch): f"&#{ord(ch)};" for ch in _SPECIALS}
_ESCAPES[0xA0] = " "  # no-break spaces (common in web-sourced text) would stop lines wrapping on a phone


def escape_text(text: str) -> str:
    """``text`` as inert HTML: shows exactly as written, interpreted by nothing.

    >>> escape_text('<img src=x onerror="alert(1)"> *$5* [1]')
    '&#60;img src=x onerror=&#34;alert(1)&#34;&#62; &#42;&#36;5&#42; &#91;1&#93;'
    """
    return str(text).translate(_ESCAPES) if text else ""


def _merge(spans: Iterable[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """Sorted, clamped, non-overlapping spans."""
    out: list[list[int]] = []
    for a, b in sorted((max(0, int(a)), min(length, int(b))) for a, b in spans):
        if a >= b:
            continue
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def highlight(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` escaped, with each ``(start, end)`` span wrapped in ``<mark>``.

    >>> highlight("a <b> c", [(2, 5)])
    'a <mark>&#60;b&#62;</mark> c'
    """
    out, pos = [], 0
    for a, b in _merge(spans, len(text)):
        out += [escape_text(text[pos:a]), "<mark>", escape_text(text[a:b]), "</mark>"]
        pos = b
    out.append(escape_text(text[pos:]))
    return "".join(out)


# ---------------------------------------------------------------------------------------------- turns

@dataclass
class ChatTurn:
    """One exchange: what was asked and what came back.

    ``kind`` is ``"answer"``, ``"abstained"`` (the documents don't hold the answer) or
    ``"error"`` (the question could not be asked; ``error`` says why, for people)."""

    question: str
    kind: str
    answer: Answer | None = None
    error: str = ""

    @classmethod
    def of(cls, answer: Answer, question: str | None = None) -> "ChatTurn":
        return cls(question if question is not None else answer.question,
                   "abstained" if answer.abstained else "answer", answer)

    def history_pair(self) -> tuple[str, str] | None:
        """``(question, answer text)`` for the next question's history; ``None`` for an error."""
        return (self.answer.question, self.answer.text) if self.answer is not None else None

    def to_state(self) -> dict:
        """A JSON-able dict (what a Gradio ``State`` keeps between questions)."""
        return {"question": self.question, "kind": self.kind, "error": self.error,
                "answer": self.answer.to_dict() if self.answer is not None else None}

    @classmethod
    def from_state(cls, d: Mapping) -> "ChatTurn":
        answer = Answer.from_dict(d["answer"]) if d.get("answer") else None
        return cls(str(d.get("question", "")), str(d.get("kind", "error")), answer, str(d.get("error", "")))


def history_of(turns: Iterable[ChatTurn | Mapping]) -> list[tuple[str, str]]:
    """The ``(question, answer text)`` pairs of the turns that got an answer or an abstention."""
    pairs = []
    for turn in turns:
        turn = turn if isinstance(turn, ChatTurn) else ChatTurn.from_state(turn)
        pair = turn.history_pair()
        if pair is not None:
            pairs.append(pair)
    return pairs


def friendly_error(exc: BaseException) -> str:
    """What a person is told about ``exc``: the library's own message for a typed error,
    a generic apology for anything else (whose details go to the log, not the page)."""
    if isinstance(exc, BusyError):
        return f"{BUSY_MESSAGE} ({exc})"
    if isinstance(exc, QAError):
        return str(exc)
    return GENERIC_ERROR


def respond(answerer, message, history=None) -> ChatTurn:
    """Ask ``answerer`` the question ``message`` in a conversation.

    ``history`` is a list of ``(question, answer_text)`` pairs (see :func:`history_of`).
    Never raises for a bad question or a failing answerer: the turn is an ``"error"``
    with a message fit to show, and an unexpected exception is logged with its traceback.
    """
    question = message if isinstance(message, str) else ("" if message is None else repr(message))
    try:
        answer = answerer.ask(message, history=list(history or []))
    except QuestionError as exc:
        return ChatTurn(question, "error", error=friendly_error(exc))
    except QAError as exc:
        logger.warning("Could not answer %.200r: %s", question, exc)
        return ChatTurn(question, "error", error=friendly_error(exc))
    except Exception:  # noqa: BLE001 - the window must stay up whatever happens
        logger.exception("Unexpected error while answering %.200r", question)
        return ChatTurn(question, "error", error=GENERIC_ERROR)
    return ChatTurn.of(answer, question)


def api_answer(answerer, question, history=None) -> dict:
    """The ``/ask`` API endpoint: ``answer.to_dict()``; raises :class:`QAError` for a bad question."""
    if history is not None and not isinstance(history, (list, tuple)):
        raise QuestionError("history must be a list of [question, answer] pairs.")
    return answerer.ask(question, history=[tuple(p) if isinstance(p, (list, tuple)) else p
                                           for p in (history or [])]).to_dict()


# ---------------------------------------------------------------------------------------------- HTML

_MARKER = re.compile(r"\[(\d{1,3})\]")


def render_answer_text(answer: Answer) -> str:
    """The answer text escaped, its ``[n]`` markers as small numbered badges."""
    out, pos = [], 0
    n_cited = len(answer.citations)
    for m in _MARKER.finditer(answer.text):
        n = int(m.group(1))
        if not 1 <= n <= n_cited:
            continue
        out += [escape_text(answer.text[pos:m.start()]), f'<sup class="qa-cite">{n}</sup>']
        pos = m.end()
    out.append(escape_text(answer.text[pos:]))
    return "".join(out).replace("\n", " ")


def _where(c: Citation) -> str:
    """'Section · file' for a citation, both escaped."""
    section = c.section.strip() if c.section else ""
    parts = [escape_text(section)] if section else []
    parts.append(f'<span class="qa-file">{escape_text(c.source)}</span>')
    return " · ".join(parts)


def render_question_html(question: str) -> str:
    """The user's bubble: the question as typed, escaped (cut when very long)."""
    q = question if isinstance(question, str) else str(question)
    if not q.strip():
        return '<span class="qa-muted">(empty question)</span>'
    shown = q if len(q) <= DISPLAY_QUESTION_CHARS else q[:DISPLAY_QUESTION_CHARS] + "…"
    note = f' <span class="qa-muted">({len(q):,} characters)</span>' if shown is not q else ""
    return escape_text(shown).replace("\n", " ") + note


def render_message_html(turn: ChatTurn) -> str:
    """The assistant's bubble for ``turn``: answer and source chips, an abstention, or an error.

    One line of HTML (the Chatbot's Markdown would split a block at a blank line)."""
    if turn.kind == "error" or turn.answer is None:
        return (f'<div class="qa-error" role="alert"><span class="qa-badge qa-badge-error">Can\'t answer</span> '
                f'{escape_text(turn.error or GENERIC_ERROR)}</div>')
    answer = turn.answer
    if answer.abstained:
        return ('<div class="qa-abstain"><span class="qa-badge qa-badge-abstain">Not in the documents</span> '
                f'{escape_text(answer.text)}</div>')
    chips = "".join(f'<span class="qa-chip"><b>{i}</b> {_where(c)}</span>'
                    for i, c in enumerate(answer.citations, 1))
    return (f'<div class="qa-answer">{render_answer_text(answer)}</div>'
            f'<div class="qa-chips">{chips}</div>')


def _doc_texts(documents) -> dict[str, str]:
    """``{source: text}`` from a list of documents (``.source``/``.text``) or a mapping."""
    if documents is None:
        return {}
    if isinstance(documents, Mapping):
        return {k: (v if isinstance(v, str) else v.text) for k, v in documents.items()}
    return {d.source: d.text for d in documents}


def _snap(text: str, pos: int, forward: bool, slack: int = 400) -> int:
    """Move a cut point to a nearby line break, else sentence end, else space, so an
    excerpt starts (``forward``) or ends cleanly."""
    if pos <= 0 or pos >= len(text):
        return max(0, min(pos, len(text)))
    for sep in ("\n", ". ", " "):
        if forward:
            j = text.find(sep, pos, pos + slack)
            if j != -1:
                return j + len(sep)
        else:
            j = text.rfind(sep, pos - slack, pos)
            if j != -1:
                return j + (1 if sep == ". " else 0)
    return pos


def render_in_document(c: Citation, doc_text: str | None, window: int = CONTEXT_CHARS) -> str:
    """The passage in its place in the document: surrounding text, the passage tinted,
    its highlights marked. Empty when the document's text doesn't hold the passage."""
    if not doc_text:
        return ""
    start, end = c.start, c.end
    if doc_text[start:end] != c.text:
        found = doc_text.find(c.text)
        if found == -1:
            return ""
        start, end = found, found + len(c.text)
    lo = _snap(doc_text, start - window, forward=True) if start > window else 0
    hi = _snap(doc_text, end + window, forward=False) if end + window < len(doc_text) else len(doc_text)
    before = f'<div class="qa-muted qa-gap">… {lo:,} characters before …</div>' if lo > 0 else ""
    after = f'<div class="qa-muted qa-gap">… {len(doc_text) - hi:,} characters after …</div>' \
        if hi < len(doc_text) else ""
    return (f'{before}{escape_text(doc_text[lo:start])}<span class="qa-here">{highlight(c.text, c.highlights)}'
            f'</span>{escape_text(doc_text[end:hi])}{after}')


def _score_html(score: float) -> str:
    width = max(0.0, min(1.0, float(score))) * 100
    return (f'<span class="qa-score" title="retrieval score">score {float(score):.2f}'
            f'<span class="qa-bar"><span style="width:{width:.0f}%"></span></span></span>')


def render_source_card(n: int | None, c: Citation, doc_text: str | None, *, highlighted: bool = True) -> str:
    """One source: number, document, section, score, passage (highlights in ``<mark>``)
    and a collapsed "Show in document" view."""
    title = escape_text(c.title or c.source)
    number = f'<span class="qa-num">{n}</span>' if n is not None else ""
    if not highlighted:
        c = Citation(c.source, c.text, c.start, c.end, [], c.score, c.title, c.section, c.passage_id)
    passage = highlight(c.text, c.highlights)
    context = render_in_document(c, doc_text)
    details = (f'<details class="qa-context"><summary>Show in document</summary>'
               f'<div class="qa-doc-view">{context}</div></details>') if context else ""
    return (f'<article class="qa-source"{f" id=qa-src-{n}" if n is not None else ""}>'
            f'<header>{number}<div class="qa-src-head"><div class="qa-doc">{title}</div>'
            f'<div class="qa-meta">{_where(c)}</div></div>{_score_html(c.score)}</header>'
            f'<div class="qa-passage">{passage}</div>{details}</article>')


def render_sources_html(answer: Answer | ChatTurn | None, documents=None) -> str:
    """The sources panel for one answer: a card per citation with the supporting
    sentence(s) in ``<mark>``; for an abstention, no evidence, only a collapsed list of the
    closest passages clearly labelled as not an answer. ``documents``: the documents
    (``answerer.index.documents``) or ``{source: text}``, for "Show in document"."""
    turn = answer if isinstance(answer, ChatTurn) else (ChatTurn.of(answer) if answer is not None else None)
    if turn is None:
        return EMPTY_SOURCES_HTML
    texts = _doc_texts(documents)
    q = escape_text(turn.question if len(turn.question) <= 200 else turn.question[:200] + "…")
    head = f'<div class="qa-sources-q">Sources for <q>{q}</q></div>' if turn.question.strip() else ""
    if turn.kind == "error" or turn.answer is None:
        return f'<div class="qa-sources">{head}<p class="qa-muted">No sources: the question was not answered.</p></div>'
    a = turn.answer
    if a.abstained:
        closest = "".join(render_source_card(None, p, texts.get(p.source), highlighted=False) for p in a.passages)
        near = (f'<details class="qa-closest"><summary>Closest passages found (not an answer)</summary>'
                f'<p class="qa-muted">These passages came up in the search but don\'t answer the question.</p>'
                f'{closest}</details>') if closest else ""
        return (f'<div class="qa-sources">{head}<div class="qa-nosrc"><b>No sources.</b> The documents don\'t '
                f'answer this question, so nothing is cited.</div>{near}</div>')
    cards = "".join(render_source_card(i, c, texts.get(c.source)) for i, c in enumerate(a.citations, 1))
    conf = f'<div class="qa-muted qa-conf">confidence {a.confidence:.2f}</div>'
    return f'<div class="qa-sources">{head}{cards}{conf}</div>'


EMPTY_SOURCES_HTML = (
    '<div class="qa-sources qa-sources-empty"><p><b>Sources</b> appear here: each passage an answer cites, '
    'with the supporting sentences <mark>highlighted</mark>, its section, its retrieval score, and a '
    '"Show in document" view.</p><p class="qa-muted">Click an earlier answer in the chat to see its sources again.'
    '</p></div>')


def header_html(answerer, corpus_name: str | None = None) -> str:
    """The title bar: corpus name and size (from ``answerer.stats``)."""
    stats = answerer.stats
    name = corpus_name or (answerer.corpus_dir.name if getattr(answerer, "corpus_dir", None) else "documents")
    docs = list(getattr(answerer.index, "documents", []))
    n_docs, n_passages = stats.get("documents", len(docs)), stats.get("passages", 0)
    titles = ""
    if 0 < len(docs) <= 3:
        titles = " · ".join(f"<i>{escape_text(d.title or d.source)}</i>" for d in docs)
        titles = f'<div class="qa-titles">{titles}</div>'
    return (f'<div class="qa-header"><div class="qa-title">Ask the documents</div>'
            f'<div class="qa-corpus"><span class="qa-pill">{escape_text(name)}</span> '
            f'{n_docs:,} document{"s" if n_docs != 1 else ""} · {n_passages:,} passages · '
            f'{stats.get("sentences", 0):,} sentences</div>{titles}'
            f'<div class="qa-muted qa-how">Answers are quoted from the documents, with numbered citations. '
            f'When the documents don\'t hold the answer, it says so. Follow-up questions use the conversation.'
            f'</div></div>')


# ---------------------------------------------------------------------------------------------- session

def chat_messages(turns: Iterable[ChatTurn | Mapping]) -> list[dict]:
    """The Chatbot's value (messages format) for a conversation."""
    messages = []
    for turn in turns:
        turn = turn if isinstance(turn, ChatTurn) else ChatTurn.from_state(turn)
        messages.append({"role": "user", "content": render_question_html(turn.question)})
        messages.append({"role": "assistant", "content": render_message_html(turn)})
    return messages


def ask_step(answerer, message, turns: list | None, documents=None) -> tuple[str, list[dict], list[dict], str]:
    """One question through the chat window.

    Returns ``(textbox value, chat messages, turns, sources panel HTML)``: the textbox
    is cleared after an answer and keeps the text after an error, so it can be fixed."""
    states = [t.to_state() if isinstance(t, ChatTurn) else dict(t) for t in (turns or [])]
    turn = respond(answerer, message, history_of(states)[-10:])
    states = (states + [turn.to_state()])[-MAX_TURNS:]
    box = message if (turn.kind == "error" and isinstance(message, str)) else ""
    return box, chat_messages(states), states, render_sources_html(turn, documents)


def select_step(turns: list | None, message_index, documents=None) -> str:
    """The sources panel for the chat message at ``message_index`` (user or assistant)."""
    if isinstance(message_index, (list, tuple)):
        message_index = message_index[0] if message_index else None
    turns = list(turns or [])
    if not isinstance(message_index, int) or not 0 <= message_index // 2 < len(turns):
        return EMPTY_SOURCES_HTML
    t = turns[message_index // 2]
    return render_sources_html(t if isinstance(t, ChatTurn) else ChatTurn.from_state(t), documents)


# ---------------------------------------------------------------------------------------------- the app

def queue_settings() -> tuple[int, int]:
    """``(concurrency, queue size)`` from ``QA_CONCURRENCY`` / ``QA_QUEUE_SIZE``.

    Defaults: as many answers at once as there are CPU cores (at most 4). An answer is
    ~10 ms of CPU-bound work on a thread-safe :class:`~qa.api.Answerer`, so more threads
    than cores only contend; on 2 cores, 1, 2 and 4 give the same throughput, bound by
    Gradio's own per-request work (~100 ms). The queue holds 32 waiting questions, about
    3 s of work at the ~10 requests/s measured on 2 cores: beyond that a request is
    refused at once ("queue is full", shown as "busy") instead of waiting without bound."""
    from . import config

    return (config.integer("QA_CONCURRENCY", max(1, min(4, os.cpu_count() or 2)), 1, 64),
            config.integer("QA_QUEUE_SIZE", 32, 1, 10_000))


# Scrolls an opened "Show in document" box to the passage. Runs in the page (our code only).
_SOURCES_JS = """
element.addEventListener('toggle', (event) => {
  const box = event.target;
  if (!box || !box.open || !box.classList || !box.classList.contains('qa-context')) return;
  const view = box.querySelector('.qa-doc-view');
  const here = box.querySelector('.qa-here');
  if (view && here) view.scrollTop = Math.max(0, here.offsetTop - 32);
}, true);
"""

CSS = """
.gradio-container { max-width: 1280px !important; margin: 0 auto !important; }
/* Gradio scopes rules inside @media to the app's content, so the page margin shrinks by viewport width here. */
.main.fillable { padding-left: clamp(8px, 3vw, 32px) !important; padding-right: clamp(8px, 3vw, 32px) !important; }
.qa-header { padding: 6px 4px 2px; }
.qa-title { font-size: 1.6rem; font-weight: 700; letter-spacing: -0.01em; }
.qa-corpus { margin-top: 4px; color: var(--body-text-color-subdued); }
.qa-pill { display: inline-block; padding: 1px 10px; border-radius: 999px; font-weight: 600;
  background: var(--color-accent-soft); color: var(--color-accent); border: 1px solid var(--color-accent); }
.qa-titles { margin-top: 2px; color: var(--body-text-color-subdued); }
.qa-how { margin-top: 4px; font-size: 0.9em; }
.qa-muted { color: var(--body-text-color-subdued); font-size: 0.92em; }
#qa-chat .qa-answer { line-height: 1.55; }
.qa-cite { display: inline-block; min-width: 1.25em; padding: 0 4px; margin-left: 1px; border-radius: 6px;
  background: var(--color-accent); color: white; font-size: 0.72em; font-weight: 700; text-align: center;
  line-height: 1.45; vertical-align: super; }
.qa-chips { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; }
.qa-chip { display: inline-block; padding: 2px 8px; border-radius: 8px; font-size: 0.82em;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-secondary); }
.qa-chip b { color: var(--color-accent); margin-right: 2px; }
.qa-file { font-family: var(--font-mono); font-size: 0.92em; opacity: 0.85; }
.qa-badge { display: inline-block; padding: 1px 8px; margin-right: 6px; border-radius: 6px; font-size: 0.78em;
  font-weight: 700; text-transform: uppercase; letter-spacing: 0.03em; }
.qa-abstain { border-left: 4px solid #d97706; padding: 4px 0 4px 10px; font-style: italic; }
.qa-badge-abstain { background: #fef3c7; color: #92400e; font-style: normal; }
.qa-error { border-left: 4px solid #dc2626; padding: 4px 0 4px 10px; }
.qa-badge-error { background: #fee2e2; color: #991b1b; }
#qa-sources { max-height: 78vh; overflow-y: auto; overflow-x: hidden; }
.qa-sources { display: flex; flex-direction: column; gap: 12px; padding: 2px; }
.qa-sources-empty { padding: 14px; border: 1px dashed var(--border-color-primary); border-radius: 12px; }
.qa-sources-q { font-weight: 600; }
.qa-source { border: 1px solid var(--border-color-primary); border-radius: 12px; padding: 12px 14px;
  background: var(--block-background-fill); box-shadow: 0 1px 2px rgba(0,0,0,0.05); }
.qa-source header { display: flex; align-items: flex-start; gap: 10px; margin-bottom: 8px; }
.qa-num { flex: none; width: 1.7em; height: 1.7em; border-radius: 50%; background: var(--color-accent);
  color: white; font-weight: 700; display: flex; align-items: center; justify-content: center; }
.qa-src-head { flex: 1; min-width: 0; }
.qa-doc { font-weight: 650; overflow-wrap: anywhere; }
.qa-meta { font-size: 0.86em; color: var(--body-text-color-subdued); overflow-wrap: anywhere; }
.qa-score { flex: none; font-size: 0.78em; color: var(--body-text-color-subdued); text-align: right; white-space: nowrap; }
.qa-bar { display: block; width: 64px; height: 5px; margin-top: 3px; margin-left: auto; border-radius: 3px;
  background: var(--border-color-primary); overflow: hidden; }
.qa-bar span { display: block; height: 100%; background: var(--color-accent); }
.qa-passage { white-space: pre-line; line-height: 1.55; overflow-wrap: anywhere; font-size: 0.95em; }
.qa-sources mark, #qa-chat mark { background: #fde68a; color: #111827; padding: 0 2px; border-radius: 3px; }
.qa-context { margin-top: 8px; }
.qa-context summary, .qa-closest summary { cursor: pointer; color: var(--color-accent); font-size: 0.9em; font-weight: 600; }
.qa-doc-view { position: relative; max-height: 320px; overflow-y: auto; margin-top: 6px; padding: 10px 12px;
  white-space: pre-line; overflow-wrap: anywhere; font-size: 0.9em; line-height: 1.55; border-radius: 8px;
  background: var(--background-fill-secondary); border: 1px solid var(--border-color-primary); }
.qa-here { background: var(--color-accent-soft); border-radius: 3px; }
.qa-gap { font-style: italic; margin: 4px 0; }
.qa-nosrc { padding: 10px 12px; border-radius: 10px; border: 1px solid #f59e0b; background: rgba(245,158,11,0.08); }
.qa-closest { padding: 4px 2px; }
.qa-closest .qa-source { opacity: 0.85; margin-top: 8px; }
.qa-conf { text-align: right; }
#qa-chat .placeholder { text-align: center; }
#qa-chat .example { border: 1px solid var(--border-color-primary); border-radius: 12px;
  background: var(--background-fill-secondary); transition: border-color 0.15s; }
#qa-chat .example:hover { border-color: var(--color-accent); }
#qa-input .submit-button { background: var(--button-primary-background-fill); color: var(--button-primary-text-color);
  border-radius: 8px; padding: 4px 14px; font-weight: 600; }
#qa-input .submit-button:hover { background: var(--button-primary-background-fill-hover); }
#qa-clear-row { justify-content: flex-end; }
@media (max-width: 640px) {
  .qa-title { font-size: 1.3rem; }
  .qa-source { padding: 10px; }
  #qa-sources { max-height: none; }
  .qa-how { display: none; }
}
"""


def launch_options() -> dict[str, Any]:
    """Keyword arguments for ``demo.launch`` that style the app (Gradio 6 takes them there)."""
    import gradio as gr

    system = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial",
              "sans-serif"]
    mono = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "DejaVu Sans Mono", "monospace"]
    # Local fonts only: the page must not reach out to a font CDN.
    theme = gr.themes.Soft(primary_hue="indigo", neutral_hue="slate", font=system, font_mono=mono)
    return {"theme": theme, "css": CSS, "show_error": False, "footer_links": ["api", "settings"]}


def build_demo(answerer, *, examples: Iterable[str] = (), concurrency: int | None = None,
               queue_size: int | None = None, corpus_name: str | None = None):
    """The Gradio app over ``answerer`` (loaded once, shared by every session).

    ``concurrency``/``queue_size`` default to :func:`queue_settings`. Besides the chat
    window it serves the API endpoint ``/ask`` (question, optional history of
    ``[question, answer]`` pairs) returning ``Answer.to_dict()``; the chat and the API
    share one concurrency group, so the limit holds for both together.
    Launch it with ``demo.launch(**launch_options(), server_name=..., server_port=...)``."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    env_concurrency, env_queue = queue_settings()
    concurrency = concurrency or env_concurrency
    queue_size = queue_size or env_queue
    documents = answerer.index.documents
    examples = [str(e) for e in examples]

    def on_ask(message, turns):
        return ask_step(answerer, message, turns, documents)

    def on_select(turns, evt: gr.SelectData):
        return select_step(turns, evt.index, documents)

    def on_example(evt: gr.SelectData):
        value = evt.value
        return value.get("text", "") if isinstance(value, dict) else str(value or "")

    def on_clear():
        return "", [], [], EMPTY_SOURCES_HTML

    # Gradio passes event data by the parameter's type; this module's annotations are strings
    # (``from __future__ import annotations``) naming a local import, so set the real class.
    on_select.__annotations__["evt"] = on_example.__annotations__["evt"] = gr.SelectData

    def ask(question: str, history: list[list[str]] | None = None) -> dict:
        """Answer a question from the documents.

        question: the question (1 to QA_MAX_QUESTION_CHARS characters).
        history: earlier turns as [question, answer_text] pairs, oldest first (optional).
        Returns Answer.to_dict(): text with [n] markers, abstained, confidence, query, citations
        (source, text, start, end, highlights, score, title, section, passage_id) and passages."""
        try:
            return api_answer(answerer, question, history)
        except QAError as exc:
            raise gr.Error(f"{type(exc).__name__}: {exc}", print_exception=False) from None
        except Exception:  # noqa: BLE001
            logger.exception("Unexpected error in /ask for %.200r", question)
            raise gr.Error(GENERIC_ERROR, print_exception=False) from None

    with gr.Blocks(title="Ask the documents", analytics_enabled=False) as demo:
        gr.HTML(header_html(answerer, corpus_name), elem_id="qa-header")
        turns = gr.State([])
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                chatbot = gr.Chatbot(
                    elem_id="qa-chat", show_label=False, height="64vh", min_height=360, layout="bubble",
                    placeholder=("**Ask a question about the documents.**  \nAnswers quote the documents and "
                                 "cite them [1], [2]…; follow-up questions can refer to earlier answers."),
                    examples=[{"text": e} for e in examples] or None,
                    latex_delimiters=[], feedback_options=None, buttons=["copy"], sanitize_html=True,
                    group_consecutive_messages=False)
                box = gr.Textbox(elem_id="qa-input", show_label=False, lines=1, max_lines=4, autofocus=True,
                                 placeholder="Ask a question…  (Enter to send)", submit_btn="Ask")
                with gr.Row(elem_id="qa-clear-row"):
                    clear = gr.Button("Clear conversation", elem_id="qa-clear", size="sm", variant="secondary",
                                      scale=0, min_width=170)
            with gr.Column(scale=2, min_width=300):
                sources = gr.HTML(EMPTY_SOURCES_HTML, elem_id="qa-sources", js_on_load=_SOURCES_JS)

        ask_args = dict(fn=on_ask, inputs=[box, turns], outputs=[box, chatbot, turns, sources],
                        concurrency_id="answerer", api_visibility="private", show_progress="minimal")
        box.submit(**ask_args)
        chatbot.example_select(on_example, None, box, queue=False, api_visibility="private").then(**ask_args)
        chatbot.select(on_select, [turns], [sources], queue=False, api_visibility="private")
        clear.click(on_clear, None, [box, chatbot, turns, sources], queue=False, api_visibility="private")
        chatbot.clear(on_clear, None, [box, chatbot, turns, sources], queue=False, api_visibility="private")
        gr.api(ask, api_name="ask", concurrency_id="answerer")

    demo.queue(default_concurrency_limit=concurrency, max_size=queue_size)
    return demo
