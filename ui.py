"""The chat window: ``python ui.py`` (or ``make run``) opens it at http://127.0.0.1:7860.

The model and the index are loaded once, here, and shared by every session; the
app itself is :func:`qa.app.gradio_app.build_demo`. Settings come from the environment
(:class:`qa.settings.Settings`; the README lists them): ``QA_CORPUS`` and ``QA_INDEX``
(default: ``corpus/`` and ``index/`` beside this file), ``QA_HOST``, ``QA_PORT``,
``QA_CONCURRENCY``, ``QA_QUEUE_SIZE``, and the safety settings of :mod:`qa.app.server`
(``QA_AUTH``, ``QA_AUTH_FILE``, ``QA_ALLOW_ANONYMOUS``, ``QA_UPLOADS``, ``QA_MAX_UPLOAD_BYTES``;
docs/security.md). It refuses to listen beyond loopback without a log-in, in one line.

The API endpoint ``/ask`` answers with ``Answer.to_dict()``::

    from gradio_client import Client
    answer = Client("http://127.0.0.1:7860/").predict("Who visited Pakistan in April?", api_name="/ask")
    # with QA_AUTH or QA_AUTH_FILE set, log in first: Client(url, auth=("alice", "s3cret"))
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import NoReturn

HERE = Path(__file__).resolve().parent

# Shown as clickable examples only for the bundled corpus (any other corpus gets none).
BUNDLED_EXAMPLES = [
    "When did Iran launch its missile strike on Pakistan?",
    "What is the Zeynabiyoun Brigade?",
    "Which three border points facilitate commerce?",
    "How many agreements did Iran and Pakistan sign during Raisi's visit?",
]


def settings():
    """The settings, with the corpus and the index beside this file unless the environment says otherwise."""
    from qa.settings import Settings

    return Settings.from_env(corpus=HERE / "corpus", index=HERE / "index")


def fail(exc: Exception, status: int = 1) -> NoReturn:
    """One line on stderr, then exit: the library's errors are never shown as a traceback."""
    print(f"ui: {exc}", file=sys.stderr)
    raise SystemExit(status)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # gradio's own start-up probes
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from qa.app import server  # imports no gradio
    from qa.errors import ConfigError, QAError

    try:
        s = settings()
        plan = server.plan(s, blocked=(s.corpus, s.index))   # refuses to expose the documents by accident
        server.check_address(s.host, s.port)
    except ConfigError as exc:
        fail(exc, 2)
    except QAError as exc:
        fail(exc)
    server.prepare_process()  # before gradio is imported: its own temporary folder; SIGTERM = Ctrl-C
    try:
        demo = load(s)
        server.launch(demo, plan)
    except KeyboardInterrupt:
        raise SystemExit(0) from None
    except (QAError, ValueError) as exc:
        fail(exc)


def load(s):
    """The model, the index and the app, loaded once and shared by every session."""
    from qa.app import gradio_app
    from qa.app.api import Answerer

    print(f"Loading {s.corpus} (index in {s.index}) ...", flush=True)
    answerer = Answerer.from_corpus(s.corpus, s.index, k=s.top_k)
    answerer.warm_up()
    bundled = s.corpus.resolve() == (HERE / "corpus").resolve()
    demo = gradio_app.build_demo(answerer, examples=BUNDLED_EXAMPLES if bundled else [],
                                 corpus_name=s.corpus.resolve().name, concurrency=s.concurrency,
                                 queue_size=s.queue_size)
    stats = answerer.stats
    print(f"{answerer.report.action} index: {stats['documents']} documents, {stats['passages']} passages", flush=True)
    return demo


if __name__ == "__main__":
    main()
