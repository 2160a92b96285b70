"""The chat window: ``python ui.py`` (or ``make run``) opens it at http://127.0.0.1:7860.

A thin shell over :func:`qa.app.launch.run_ui`, which ``qa ui`` runs too; here the corpus
and the index default to ``corpus/`` and ``index/`` beside this file. Settings come from the
environment (:class:`qa.settings.Settings`; docs/configuration.md lists them): ``QA_CORPUS``,
``QA_INDEX`` (or ``QA_STORE``: a vector database instead of the index folder), ``QA_HOST``,
``QA_PORT`` (or Gradio's ``GRADIO_SERVER_NAME``/``GRADIO_SERVER_PORT``), ``QA_CONCURRENCY``, ``QA_QUEUE_SIZE``.
The safety settings of :mod:`qa.app.server` apply (``QA_AUTH``, ``QA_AUTH_FILE``,
``QA_ALLOW_ANONYMOUS``, ``QA_UPLOADS``, ``QA_MAX_UPLOAD_BYTES``; docs/security.md): it refuses to
listen beyond loopback without a log-in, in one line. ``QA_LLM`` (or ``--llm provider:model``) names a
chat model that writes the answers, streamed into the window and checked sentence by sentence.

The API endpoint ``/ask`` answers with ``Answer.to_dict()``::

    from gradio_client import Client
    answer = Client("http://127.0.0.1:7860/").predict("Who visited Pakistan in April?", api_name="/ask")
    # with QA_AUTH or QA_AUTH_FILE set, log in first: Client(url, auth=("alice", "s3cret"))

``/documents`` lists the documents; with uploads on (``QA_UPLOADS``), the page's Documents panel and
``/add_documents`` / ``/remove_document`` add and remove them (:mod:`qa.app.documents_panel`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def arguments(argv=None) -> argparse.Namespace:
    """``--llm provider:model`` (default: ``QA_LLM``)."""
    parser = argparse.ArgumentParser(description="Open the chat window over a folder of documents.")
    parser.add_argument("--llm", default=None, help="chat model that writes the answers, as provider:model "
                        "(ollama:llama3.2, openai:gpt-4o-mini, gguf:PATH) [default: QA_LLM; unset: quoted answers]")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = arguments(argv)
    from qa.app.launch import listen_address, run_ui
    from qa.app.logs import configure_logging
    from qa.errors import ConfigError, QAError
    from qa.settings import Settings

    configure_logging(verbose=0)
    try:
        host, port = listen_address()
        run_ui(Settings.get("corpus", default=HERE / "corpus"), Settings.get("index", default=HERE / "index"),
               host, port, echo=lambda m: print(m, flush=True), llm=args.llm)
    except QAError as exc:   # one line on stderr: the library's errors are never shown as a traceback
        print(f"ui: {exc}", file=sys.stderr)
        raise SystemExit(2 if isinstance(exc, ConfigError) else 1) from None


if __name__ == "__main__":
    main()
