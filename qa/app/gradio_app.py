"""The chat window: a Gradio app over an :class:`~qa.app.api.Answerer`.

:func:`ask_step` and :func:`select_step` are the window's handlers as plain functions
(tested without a browser); :func:`build_demo` lays out the page and wires them up, with the
Documents panel of :mod:`qa.app.documents_panel` (the list; uploads and removals when they are on);
:mod:`qa.app.launch` (``qa ui``, ``ui.py``) loads the answerer and launches it. Style and page script are package data
(``static/chat.css``, ``static/chat.js``). Gradio is imported only when the app is built.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import QAError
from ..pipeline import HISTORY_TURNS
from ..settings import Settings
from .conversation import GENERIC_ERROR, MAX_TURNS, api_answer, as_turn, history_of, respond, respond_stream
from .documents_panel import PageState, layout_panel, wire_list, wire_panel
from .render import EMPTY_SOURCES_HTML, chat_messages, render_question_html, render_sources_html

STREAM_INTERVAL_S = 0.1   # the chat window is updated at most this often while an answer is written
CHECKING_SOURCES_HTML = ('<div class="qa-sources qa-sources-empty"><p class="qa-muted">The sources appear when '
                         'the answer is complete and every sentence has been checked against them.</p></div>')

logger = logging.getLogger(__name__)

# Gradio's temporary files (uploads) are deleted every 10 minutes once an hour old, and all of
# them when the server shuts down.
TEMP_FILE_SCHEDULE = (600, 3600)


def static_text(name: str) -> str:
    """A file of ``qa/app/static`` (package data), as text."""
    return resources.files(__package__).joinpath("static", name).read_text(encoding="utf-8")


def ask_step(answerer, message, turns: list | None, documents=None) -> tuple[str, list[dict], list[dict], str]:
    """One question through the chat window.

    Returns ``(textbox value, chat messages, turns, sources panel HTML)``: the textbox
    is cleared after an answer and keeps the text after an error, so it can be fixed."""
    states = [as_turn(t).to_state() for t in (turns or [])]
    turn = respond(answerer, message, history_of(states)[-HISTORY_TURNS:])
    states = (states + [turn.to_state()])[-MAX_TURNS:]
    box = message if (turn.kind == "error" and isinstance(message, str)) else ""
    return box, chat_messages(states), states, render_sources_html(turn, documents)


def ask_stream_step(answerer, message, turns: list | None, documents=None) -> Iterator[tuple]:
    """:func:`ask_step` for an answerer that writes its answers: yields the chat with the words so
    far (at most every :data:`STREAM_INTERVAL_S`), then, checked, what :func:`ask_step` returns."""
    from .written_html import writing_html

    states = [as_turn(t).to_state() for t in (turns or [])]
    shown, last, turn = "", 0.0, None
    for item in respond_stream(answerer, message, history_of(states)[-HISTORY_TURNS:]):
        if not isinstance(item, str):
            turn = item
            break
        shown += item
        if time.monotonic() - last >= STREAM_INTERVAL_S:
            last = time.monotonic()
            writing = [{"role": "user", "content": render_question_html(message if isinstance(message, str) else "")},
                       {"role": "assistant", "content": writing_html(shown)}]
            yield "", chat_messages(states) + writing, states, CHECKING_SOURCES_HTML
    states = (states + [turn.to_state()])[-MAX_TURNS:]
    box = message if (turn.kind == "error" and isinstance(message, str)) else ""
    yield box, chat_messages(states), states, render_sources_html(turn, documents)


def select_step(turns: list | None, message_index, documents=None) -> str:
    """The sources panel for the chat message at ``message_index`` (user or assistant)."""
    if isinstance(message_index, (list, tuple)):
        message_index = message_index[0] if message_index else None
    turns = list(turns or [])
    if not isinstance(message_index, int) or not 0 <= message_index // 2 < len(turns):
        return EMPTY_SOURCES_HTML
    return render_sources_html(as_turn(turns[message_index // 2]), documents)


def queue_settings() -> tuple[int, int]:
    """``(concurrency, queue size)`` from ``QA_CONCURRENCY`` / ``QA_QUEUE_SIZE``.

    Defaults: as many answers at once as there are CPU cores (at most 4): an answer is
    CPU-bound work on a thread-safe :class:`~qa.app.api.Answerer`, so more threads than
    cores only contend. The queue holds 32 waiting questions; beyond that a request is
    refused at once ("queue is full", shown as "busy") instead of waiting without bound
    (``benchmarks/load.py`` measures both)."""
    return Settings.get("concurrency"), Settings.get("queue_size")


def launch_options() -> dict[str, Any]:
    """Keyword arguments for ``demo.launch`` that style the app (Gradio 6 takes them there);
    :func:`qa.app.server.launch_kwargs` adds the ones that keep it safe."""
    import gradio as gr

    system = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial",
              "sans-serif"]
    mono = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "DejaVu Sans Mono", "monospace"]
    # Local fonts only: the page must not reach out to a font CDN.
    theme = gr.themes.Soft(primary_hue="indigo", neutral_hue="slate", font=system, font_mono=mono)
    return {"theme": theme, "css": static_text("chat.css"), "show_error": False, "footer_links": ["api", "settings"]}


def _api_endpoint(answerer):
    """The function behind the ``/ask`` endpoint (its docstring is the API's documentation)."""
    import gradio as gr

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

    return ask


def _layout(state: PageState, uploads: bool, max_upload_bytes: int):
    """The page's components (inside an open ``gr.Blocks``): header, chat, input, clear, the
    Documents panel, sources."""
    import gradio as gr

    header = gr.HTML(state.header(), elem_id="qa-header")
    turns = gr.State([])
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=320):
            chatbot = gr.Chatbot(
                elem_id="qa-chat", show_label=False, height="64vh", min_height=360, layout="bubble",
                placeholder=("**Ask a question about the documents.**  \nAnswers quote the documents and "
                             "cite them [1], [2]…; follow-up questions can refer to earlier answers."),
                examples=state.current_examples() or None,
                latex_delimiters=[], feedback_options=None, buttons=["copy"], sanitize_html=True,
                group_consecutive_messages=False)
            box = gr.Textbox(elem_id="qa-input", show_label=False, lines=1, max_lines=4, autofocus=True,
                             placeholder="Ask a question…  (Enter to send)", submit_btn="Ask")
            with gr.Row(elem_id="qa-clear-row"):
                clear = gr.Button("Clear conversation", elem_id="qa-clear", size="sm", variant="secondary",
                                  scale=0, min_width=170)
            panel = layout_panel(state, uploads, max_upload_bytes)
        with gr.Column(scale=2, min_width=300):
            sources = gr.HTML(EMPTY_SOURCES_HTML, elem_id="qa-sources", js_on_load=static_text("chat.js"))
    return header, turns, chatbot, box, clear, sources, panel


def build_demo(answerer, *, examples: Iterable[str] = (), concurrency: int | None = None,
               queue_size: int | None = None, corpus_name: str | None = None, uploads: bool = False,
               max_upload_bytes: int | None = None):
    """The Gradio app over ``answerer`` (loaded once, shared by every session).

    ``concurrency``/``queue_size`` default to :func:`queue_settings`. Besides the chat
    window it serves the API endpoint ``/ask`` (question, optional history of
    ``[question, answer]`` pairs) returning ``Answer.to_dict()``; the chat and the API
    share one concurrency group, so the limit holds for both together. ``/documents`` lists
    the documents. With ``uploads`` (pass :func:`qa.app.server.uploads_on`; the server's guard
    refuses upload requests otherwise) the Documents panel adds files of up to
    ``max_upload_bytes`` (default ``QA_MAX_UPLOAD_BYTES``) and removes documents
    (:mod:`qa.app.documents_panel`), and ``/add_documents`` and ``/remove_document`` are served.
    Launch it with :func:`qa.app.server.launch` (or ``demo.launch(**server.launch_kwargs(plan))``)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr
    from gradio.utils import get_upload_folder

    env_concurrency, env_queue = queue_settings()
    max_upload_bytes = max_upload_bytes or Settings.get("max_upload_bytes")
    state = PageState(answerer, [str(e) for e in examples], corpus_name)
    with gr.Blocks(title="Ask the documents", analytics_enabled=False, delete_cache=TEMP_FILE_SCHEDULE) as demo:
        header, turns, chatbot, box, clear, sources, panel = _layout(state, uploads, max_upload_bytes)
        _wire_chat(answerer, turns, chatbot, box, clear, sources)
        gr.api(_api_endpoint(answerer), api_name="ask", concurrency_id="answerer")
        if uploads:
            wire_panel(panel, state, header=header, chatbot=chatbot, upload_root=lambda: Path(get_upload_folder()),
                       max_upload_bytes=max_upload_bytes)
        wire_list(state, demo, [header, panel.table, panel.pick, chatbot])

    demo.queue(default_concurrency_limit=concurrency or env_concurrency, max_size=queue_size or env_queue)
    return demo


def _wire_chat(answerer, turns, chatbot, box, clear, sources) -> None:
    """The chat's events (inside the open ``gr.Blocks``): ask, examples, select an answer, clear.
    "Show in document" reads the documents of the index at that moment (uploads change them)."""
    import gradio as gr

    def on_ask(message, turns):
        return ask_step(answerer, message, turns, answerer.index.documents)

    def on_ask_streaming(message, turns):
        yield from ask_stream_step(answerer, message, turns, answerer.index.documents)

    def on_select(turns, evt: gr.SelectData):
        return select_step(turns, evt.index, answerer.index.documents)

    def on_example(evt: gr.SelectData):
        value = evt.value
        return value.get("text", "") if isinstance(value, dict) else str(value or "")

    def on_clear():
        return "", [], [], EMPTY_SOURCES_HTML

    # Gradio passes event data by the parameter's type; this module's annotations are strings
    # (``from __future__ import annotations``) naming a local import, so set the real class.
    on_select.__annotations__["evt"] = on_example.__annotations__["evt"] = gr.SelectData
    quiet = dict(queue=False, api_visibility="private")
    handler = on_ask_streaming if getattr(answerer, "streams", False) else on_ask
    ask_args = dict(fn=handler, inputs=[box, turns], outputs=[box, chatbot, turns, sources],
                    concurrency_id="answerer", api_visibility="private", show_progress="minimal")
    box.submit(**ask_args)
    chatbot.example_select(on_example, None, box, **quiet).then(**ask_args)
    chatbot.select(on_select, [turns], [sources], **quiet)
    clear.click(on_clear, None, [box, chatbot, turns, sources], **quiet)
    chatbot.clear(on_clear, None, [box, chatbot, turns, sources], **quiet)
