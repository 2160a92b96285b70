"""Starting the chat window: ``qa ui`` (and ``python ui.py``, a thin shell over :func:`run_ui`).

The model and the index are loaded once and shared by every session; the page is
:func:`qa.app.gradio_app.build_demo`. Where it listens comes from :func:`listen_address`:
an option, else ``QA_HOST``/``QA_PORT``, else Gradio's own ``GRADIO_SERVER_NAME``/
``GRADIO_SERVER_PORT``, else 127.0.0.1:7860. A port already in use is one line naming
the variable to set, before anything is loaded.

    >>> listen_address(environ={"GRADIO_SERVER_PORT": "8000"})
    ('127.0.0.1', 8000)
    >>> listen_address(port=9000, environ={"QA_PORT": "8000"})
    ('127.0.0.1', 9000)
"""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path
from typing import Mapping

from ..errors import ConfigError, QAError
from ..settings import Settings

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
    ``QA_PORT``, else ``GRADIO_SERVER_NAME`` / ``GRADIO_SERVER_PORT``, else the defaults."""
    env = os.environ if environ is None else environ
    if host is None:
        host = Settings.get("host", env, default=None) or (env.get("GRADIO_SERVER_NAME") or "").strip() or None
        host = host or Settings.get("host", {})
    if port is None:
        port = Settings.get("port", env, default=None)
        raw = (env.get("GRADIO_SERVER_PORT") or "").strip()
        if port is None and raw:
            if not raw.isdigit() or not 1 <= int(raw) <= 65535:
                raise ConfigError(f"GRADIO_SERVER_PORT is {raw!r}; expected a whole number from 1 to 65535.")
            port = int(raw)
        port = port or Settings.get("port", {})
    return host, port


def check_port_free(host: str, port: int) -> None:
    """:class:`ConfigError` (one line, naming ``QA_PORT``) when ``host:port`` is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigError(f"Port {port} on {host} is already in use.",
                                  hint="Set QA_PORT (or --port) to a free port, or stop what is using it.") from None
            raise ConfigError(f"Cannot listen on {host}:{port} ({exc.strerror or exc}).",
                              hint="Set QA_HOST (or --host) to an address of this machine.") from None


def examples_for(answerer) -> list[str]:
    """The clickable examples: the bundled article's, for a corpus that is just that article."""
    sources = [d.source for d in answerer.index.documents]
    return BUNDLED_EXAMPLES if sources == [BUNDLED_SOURCE] else []


def run_ui(corpus: Path, index: Path, host: str, port: int, echo=print) -> None:
    """Load the answerer for ``corpus`` (index in ``index``, built or updated when needed)
    and serve the chat window on ``host:port`` until stopped. Raises :class:`QAError`
    (:class:`ConfigError` for a busy port) before anything is loaded when it can't start."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    check_port_free(host, port)
    from . import gradio_app
    from .api import Answerer

    s = Settings.from_env()
    echo(f"Loading {corpus} (index in {index}) ...")
    answerer = Answerer.from_corpus(corpus, index, k=s.top_k, on_wait=echo)
    answerer.warm_up()
    try:
        demo = gradio_app.build_demo(answerer, examples=examples_for(answerer), corpus_name=Path(corpus).resolve().name,
                                     concurrency=s.concurrency, queue_size=s.queue_size)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    stats, report = answerer.stats, answerer.report
    echo(f"{report.action.capitalize()} the index: {stats['documents']} documents, {stats['passages']} passages"
         f"{f', {len(report.skipped)} skipped (see the page header)' if report.skipped else ''}.")
    try:
        demo.launch(server_name=host, server_port=port, **gradio_app.launch_options())
    except OSError as exc:   # taken between the check and the launch
        raise ConfigError(f"Cannot listen on {host}:{port} ({str(exc).splitlines()[0]}).",
                          hint="Set QA_PORT (or --port) to a free port.") from None


__all__ = ["BUNDLED_EXAMPLES", "QAError", "check_port_free", "examples_for", "listen_address", "run_ui"]
