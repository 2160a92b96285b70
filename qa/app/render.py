"""The chat window's HTML: answers, their ``[n]`` badges and the sources panel.

Every string that comes from a document or a person goes through :func:`escape_text`
before any markup is added: HTML special characters *and* the characters Markdown,
LaTeX and template engines act on become numeric character references, so a document
holding ``<script>`` or ``<img onerror=...>`` shows as text and runs nothing, in the
chat bubbles (which Gradio renders as Markdown) and in the sources panel alike.

    >>> from qa.answering.answer import Answer, Citation
    >>> c = Citation(source="birds.md", text="Crows are clever. They use <tools>.", start=0, end=35,
    ...              highlights=[(18, 35)], score=0.8, title="Birds", section="Crows")
    >>> a = Answer(question="Do crows use tools?", text="They use <tools>. [1]", citations=[c],
    ...            abstained=False, confidence=0.9)
    >>> highlight(c.text, c.highlights)
    'Crows are clever. <mark>They use &#60;tools&#62;.</mark>'
    >>> 'They use &#60;tools&#62;. <sup class="qa-cite">1</sup>' in render_message_html(ChatTurn.of(a))
    True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from ..answering.answer import MARKER, Answer, Citation
from .conversation import GENERIC_ERROR, ChatTurn, as_turn

CONTEXT_CHARS = 2500          # document text shown on each side of a passage in "Show in document"
DISPLAY_QUESTION_CHARS = 600  # a question longer than this is cut in its chat bubble (never in the search)
SOURCES_QUESTION_CHARS = 200  # of the question, in the sources panel's heading
SNAP_SLACK_CHARS = 400        # how far an excerpt's edge may move to a line break or sentence end

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


def highlight(text: str, spans: Iterable[tuple[int, int]], phrases: Iterable[tuple[int, int]] = ()) -> str:
    """``text`` escaped, with each ``(start, end)`` span wrapped in ``<mark>``, and each of
    ``phrases`` (the exact answer, inside a highlighted sentence) marked more strongly.

    >>> highlight("a <b> c", [(2, 5)])
    'a <mark>&#60;b&#62;</mark> c'
    >>> highlight("On May 1 it rained.", [(0, 19)], [(3, 8)])
    '<mark>On <strong class="qa-phrase">May 1</strong> it rained.</mark>'
    """
    strong = _merge(phrases, len(text))
    marks = _merge(list(spans) + [p for p in strong], len(text))
    out, pos = [], 0
    for a, b in marks:
        out += [escape_text(text[pos:a]), "<mark>", _phrases(text, a, b, strong), "</mark>"]
        pos = b
    out.append(escape_text(text[pos:]))
    return "".join(out)


def _phrases(text: str, a: int, b: int, strong: list[tuple[int, int]]) -> str:
    """``text[a:b]`` escaped, the parts inside ``strong`` spans in ``<strong class="qa-phrase">``."""
    out, pos = [], a
    for s, e in strong:
        s, e = max(s, a), min(e, b)
        if s >= e:
            continue
        out += [escape_text(text[pos:s]), '<strong class="qa-phrase">', escape_text(text[s:e]), "</strong>"]
        pos = e
    out.append(escape_text(text[pos:b]))
    return "".join(out)


# ---------------------------------------------------------------------------------------------- answers

def render_answer_text(answer: Answer) -> str:
    """The answer text escaped, its ``[n]`` markers as small numbered badges, and the exact
    answer (``short_answer``), where it first stands in the text, marked."""
    phrase = answer.short_answer.strip() if not answer.abstained else ""
    at = answer.text.find(phrase) if phrase else -1
    if at >= 0:
        marked = Answer(**{**answer.__dict__, "text": answer.text[:at], "short_answer": ""})
        rest = Answer(**{**answer.__dict__, "text": answer.text[at + len(phrase):], "short_answer": ""})
        return (render_answer_text(marked) + f'<strong class="qa-phrase">{escape_text(phrase)}</strong>'
                + render_answer_text(rest))
    out, pos = [], 0
    n_cited = len(answer.citations)
    for m in MARKER.finditer(answer.text):
        n = int(m.group(1))
        if not 1 <= n <= n_cited:
            continue
        out += [escape_text(answer.text[pos:m.start()]), f'<sup class="qa-cite">{n}</sup>']
        pos = m.end()
    out.append(escape_text(answer.text[pos:]))
    return "".join(out).replace("\n", " ")


def _where(c: Citation) -> str:
    """'Section · p. 4 · file' for a citation (the page for formats with pages), escaped."""
    section = c.section.strip() if c.section else ""
    parts = [escape_text(section)] if section else []
    if isinstance(c.page, int):
        parts.append(f'<span class="qa-page">p. {c.page}</span>')
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
    from .written_html import answer_parts   # the text; for a written answer, what was removed and its note
    text, extras = answer_parts(answer)
    if answer.abstained:
        return ('<div class="qa-abstain"><span class="qa-badge qa-badge-abstain">Not in the documents</span> '
                f'{escape_text(answer.text)}</div>{extras}')
    chips = "".join(f'<span class="qa-chip"><b>{i}</b> {_where(c)}</span>'
                    for i, c in enumerate(answer.citations, 1))
    return (f'<div class="qa-answer">{text}</div>{extras}'
            f'<div class="qa-chips">{chips}</div>')


def _doc_texts(documents) -> dict[str, str]:
    """``{source: text}`` from a list of documents (``.source``/``.text``) or a mapping."""
    if documents is None:
        return {}
    if isinstance(documents, Mapping):
        return {k: (v if isinstance(v, str) else v.text) for k, v in documents.items()}
    return {d.source: d.text for d in documents}


def _snap(text: str, pos: int, forward: bool, slack: int = SNAP_SLACK_CHARS) -> int:
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
    return (f'{before}{escape_text(doc_text[lo:start])}<span class="qa-here">{highlight(c.text, c.highlights, c.answer_spans)}'
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
        c = replace(c, highlights=[], answer_spans=[])
    passage = highlight(c.text, c.highlights, c.answer_spans)
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
    q = turn.question
    q = escape_text(q if len(q) <= SOURCES_QUESTION_CHARS else q[:SOURCES_QUESTION_CHARS] + "…")
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


# ---------------------------------------------------------------------------------------------- conversation

def chat_messages(turns: Iterable[ChatTurn | Mapping]) -> list[dict]:
    """The Chatbot's value (messages format) for a conversation."""
    return [m for t in map(as_turn, turns) for m in ({"role": "user", "content": render_question_html(t.question)},
                                                     {"role": "assistant", "content": render_message_html(t)})]
