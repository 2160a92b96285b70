"""Helpers for the chat-window tests: servers on 127.0.0.1, a slow answerer, the browser.

* :class:`UIServer` runs ``python ui.py`` in a subprocess on a free port (from ``benchmarks/load.py``).
* :func:`serve` launches a :func:`qa.chat.build_demo` app in this process on a free port.
* :class:`SlowAnswerer` wraps an answerer so each question takes a known time (for queue tests).
* :data:`CHROMIUM` / :func:`launch_chromium`: Debian's chromium, headless, for Playwright.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.load import UIServer, free_port  # noqa: E402,F401

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]


@contextlib.contextmanager
def serve(demo):
    """Launch ``demo`` on 127.0.0.1 and a free port in this process; yields its URL."""
    from qa.chat import launch_options

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                **launch_options())
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


class SlowAnswerer:
    """``answerer`` whose every ``ask`` takes at least ``delay`` seconds (everything else passes through)."""

    def __init__(self, answerer, delay: float):
        self._answerer = answerer
        self.delay = delay

    def ask(self, question, history=None):
        time.sleep(self.delay)
        return self._answerer.ask(question, history=history)

    def __getattr__(self, name):
        return getattr(self._answerer, name)


def launch_chromium(playwright):
    """Headless Debian chromium through Playwright (no downloaded browser)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
