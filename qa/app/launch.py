"""Starting the chat window: ``qa ui`` (and ``python ui.py``, a thin shell over :func:`run_ui`).

The model and the index are loaded once and shared by every session; the page is
:func:`qa.app.gradio_app.build_demo`. Where it listens comes from :func:`listen_address`:
an option, else ``QA_HOST``/``QA_PORT``, else Gradio's own ``GRADIO_SERVER_NAME``/
``GRADIO_SERVER_PORT``, else 127.0.0.1:7860. A port already in use is one line naming
the variable to set, before anything is loaded; :mod:`qa.app.server` decides what is safe.

    >>> listen_address(environ={"GRADIO_SERVER_PORT": "8000"})
    ('127.0.0.1', 8000)
    >>> listen_address(port=9000, environ={"QA_PORT": "8000"})
    ('127.0.0.1', 9000)
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Mapping

from ..errors import ConfigError, QAError
from ..extras import require
from ..settings import Settings
from . import server

# Shown as clickable examples only for the bundled article (any other corpus gets none).
BUNDLED_SOURCE = "iran-pakistan-relations.txt"
BUNDLED_EXAMPLES = [
    "When did Iran launch its missile strike on Pakistan?",
    "What is the Zeynabiyoun Brigade?",
    "Which three border points facilitate commerce?",
    "How many agreements did Iran and Pakistan sign during Raisi's visit?",
]


def listen_address(host: str | None = None, port: int | None = None,
                   environ: Mapping[str, str] | None = None) -> tuple[str, int]:
    """``(host, port)`` the chat window listens on: the options given, else ``QA_HOST`` /
    ``QA_PORT``, else ``GRADIO_SERVER_NAME`` / ``GRADIO_SERVER_PORT``, else the defaults
    (the settings table holds that order)."""
    return (host if host is not None else Settings.get("host", environ),
            port if port is not None else Settings.get("port", environ))


def examples_for(answerer) -> list[str]:
    """The clickable examples: the bundled article's, for a corpus that is just that article."""
    sources = [d.source for d in answerer.index.documents]
    return BUNDLED_EXAMPLES if sources == [BUNDLED_SOURCE] else []


def run_ui(corpus: Path, index: Path, host: str, port: int, echo=print, llm=None) -> None:
    """Load the answerer for ``corpus`` (index in ``index``, built or updated when needed) and
    serve the chat window on ``host:port`` until stopped, safely (:mod:`qa.app.server`: no
    listening beyond loopback without a log-in, uploads and bodies capped, a private temporary
    folder). Raises :class:`ConfigError` or :class:`~qa.errors.ServerError` (a busy port) before
    anything is loaded when it can't start. ``llm``: a chat model that writes the answers
    (``provider:model``; default ``QA_LLM``; unset: quoted answers)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    s = replace(Settings.from_env(corpus=corpus, index=index), host=host, port=port)
    plan = server.plan(s, blocked=(corpus, index))    # refuses to expose the documents by accident
    server.check_address(host, port)
    server.prepare_process()   # before gradio is imported: its own temporary folder; SIGTERM = Ctrl-C
    require("ui", "gradio", needed_for="The chat window")
    from . import gradio_app
    from .api import Answerer

    from .configured import open_configured_store

    store = open_configured_store(s.store, index)    # QA_STORE: the index folder, or a vector database
    echo(f"Loading {corpus} (index in {store.name}) ...")
    llm = s.llm if llm is None else llm
    if llm:
        from ..answering.chat_model import parse_spec

        parse_spec(llm)   # a malformed spec fails before anything is loaded
        echo(f"Answers are written by {llm} and checked sentence by sentence against the passages they cite.")
    answerer = Answerer.from_corpus(corpus, index, k=s.top_k, on_wait=echo, llm=llm, store=store)
    answerer.warm_up()
    try:
        demo = gradio_app.build_demo(answerer, examples=examples_for(answerer), corpus_name=Path(corpus).resolve().name,
                                     concurrency=s.concurrency, queue_size=s.queue_size, uploads=plan.uploads,
                                     max_upload_bytes=plan.max_upload_bytes)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    stats, report = answerer.stats, answerer.report
    echo(f"{report.action.capitalize()} the index: {stats['documents']} documents, {stats['passages']} passages"
         f"{f', {len(report.skipped)} skipped (see the page header)' if report.skipped else ''}.")
    try:
        server.launch(demo, plan)
    except KeyboardInterrupt:
        pass


__all__ = ["BUNDLED_EXAMPLES", "QAError", "examples_for", "listen_address", "run_ui"]
