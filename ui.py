"""The chat window: ``python ui.py`` (or ``make run``) opens it at http://127.0.0.1:7860.

The model and the index are loaded once, here, and shared by every session; the
app itself is :func:`qa.app.gradio_app.build_demo`. Settings come from the environment
(:class:`qa.settings.Settings`; the README lists them): ``QA_CORPUS`` and ``QA_INDEX``
(default: ``corpus/`` and ``index/`` beside this file), ``QA_HOST``, ``QA_PORT``,
``QA_CONCURRENCY``, ``QA_QUEUE_SIZE``.

The API endpoint ``/ask`` answers with ``Answer.to_dict()``::

    from gradio_client import Client
    answer = Client("http://127.0.0.1:7860/").predict("Who visited Pakistan in April?", api_name="/ask")
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

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


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # gradio's own start-up probes
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from qa.app import gradio_app
    from qa.app.api import Answerer
    from qa.errors import QAError

    try:
        s = settings()
    except QAError as exc:
        print(f"ui: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    print(f"Loading {s.corpus} (index in {s.index}) ...", flush=True)
    try:
        answerer = Answerer.from_corpus(s.corpus, s.index, k=s.top_k)
        answerer.warm_up()
        bundled = s.corpus.resolve() == (HERE / "corpus").resolve()
        demo = gradio_app.build_demo(answerer, examples=BUNDLED_EXAMPLES if bundled else [],
                                     corpus_name=s.corpus.resolve().name, concurrency=s.concurrency,
                                     queue_size=s.queue_size)
    except (QAError, ValueError) as exc:
        print(f"ui: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    stats = answerer.stats
    print(f"{answerer.report.action} index: {stats['documents']} documents, {stats['passages']} passages", flush=True)
    demo.launch(server_name=s.host, server_port=s.port, **gradio_app.launch_options())


if __name__ == "__main__":
    main()
