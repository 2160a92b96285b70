"""The chat window: ``python ui.py`` (or ``make run``) opens it at http://127.0.0.1:7860.

The model and the index are loaded once, here, and shared by every session; the
app itself is :func:`qa.chat.build_demo`. Settings come from the environment:

| variable          | meaning                                                | default                |
|-------------------|--------------------------------------------------------|------------------------|
| ``QA_CORPUS``     | folder of documents                                    | ``corpus/`` beside this file |
| ``QA_INDEX``      | folder of the index (built or updated on start)        | ``index/`` beside this file  |
| ``QA_HOST``       | address to listen on                                   | ``127.0.0.1``          |
| ``QA_PORT``       | port                                                   | ``7860``               |
| ``QA_CONCURRENCY``| questions answered at the same time                    | CPU cores (max 4)      |
| ``QA_QUEUE_SIZE`` | questions waiting beyond those; more get "busy" at once| ``32``                 |

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


def settings() -> dict:
    """Where to read the documents, keep the index and listen, from the environment."""
    from qa import config

    return {
        "corpus": config.corpus_dir(HERE / "corpus"),
        "index": config.index_dir(HERE / "index"),
        "host": os.environ.get("QA_HOST") or "127.0.0.1",
        "port": config.integer("QA_PORT", 7860, 1, 65535),
    }


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # gradio's own start-up probes
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from qa import chat
    from qa.api import Answerer
    from qa.errors import QAError

    try:
        s = settings()
    except QAError as exc:
        print(f"ui: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    print(f"Loading {s['corpus']} (index in {s['index']}) ...", flush=True)
    try:
        answerer = Answerer.from_corpus(s["corpus"], s["index"])
        answerer.warm_up()
        bundled = s["corpus"].resolve() == (HERE / "corpus").resolve()
        demo = chat.build_demo(answerer, examples=BUNDLED_EXAMPLES if bundled else [],
                               corpus_name=s["corpus"].resolve().name)
    except (QAError, ValueError) as exc:
        print(f"ui: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    stats = answerer.stats
    print(f"{answerer.report.action} index: {stats['documents']} documents, {stats['passages']} passages", flush=True)
    demo.launch(server_name=s["host"], server_port=s["port"], **chat.launch_options())


if __name__ == "__main__":
    main()
