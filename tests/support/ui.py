"""Real servers on 127.0.0.1 and the browser, for the chat-window tests (and the benchmarks).

* :class:`UIServer` runs ``python ui.py`` in a subprocess on a free port.
* :func:`serve` launches a :func:`qa.app.gradio_app.build_demo` app in this process on a free port.
* :class:`SlowAnswerer` wraps an answerer so each question takes a known time (for queue tests).
* :data:`CHROMIUM` / :func:`launch_chromium`: Debian's chromium, headless, for Playwright;
  :func:`watched_page`: a page that must stay on 127.0.0.1 under the app's CSP, unbroken;
  :func:`open_page` and :func:`ask`: the chat window's steps.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
POLL_SECONDS = 0.1
STOP_TIMEOUT_S = 15
ANSWER_TIMEOUT_MS = 30_000


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class UIServer:
    """``python ui.py`` in a subprocess on 127.0.0.1 and a free port; a context manager.

        with UIServer(env={"QA_INDEX": "/tmp/idx"}) as server:
            Client(server.url).predict("...", api_name="/ask")

    ``env`` adds to this process's environment. Start-up waits until ``GET /`` answers
    200 (or raises ``RuntimeError`` with the end of the server's output); ``startup_s``
    is how long that took. ``host`` is where it listens (it is reached on 127.0.0.1);
    ``python_args`` come before ``ui.py`` on the command line (e.g. ``-m`` a wrapper)."""

    def __init__(self, env: dict | None = None, *, port: int | None = None, timeout: float = 240.0,
                 ui_path: Path = ROOT / "ui.py", host: str = "127.0.0.1", python_args: tuple = ()):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.timeout = timeout
        self.ui_path = Path(ui_path)
        self.python_args = [str(a) for a in python_args]
        self.env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                    "GRADIO_ANALYTICS_ENABLED": "False",
                    **{k: str(v) for k, v in (env or {}).items()}, "QA_HOST": host, "QA_PORT": str(self.port)}
        self.proc: subprocess.Popen | None = None
        self.log = tempfile.TemporaryFile()
        self.startup_s: float | None = None

    def output(self, last: int = 2000) -> str:
        """The end of the server's stdout and stderr."""
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-last:]

    def start(self) -> "UIServer":
        """Start the server and wait until it serves its page."""
        t0 = time.perf_counter()
        command = [sys.executable, *self.python_args, str(self.ui_path)]
        self.proc = subprocess.Popen(command, cwd=str(self.ui_path.parent),
                                     env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        while time.perf_counter() - t0 < self.timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ui.py exited with status {self.proc.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as r:
                    if r.status == 200:
                        self.startup_s = time.perf_counter() - t0
                        return self
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(POLL_SECONDS)
        self.stop()
        raise RuntimeError(f"ui.py did not serve {self.url} within {self.timeout:.0f} s:\n{self.output()}")

    def stop(self) -> None:
        """Stop the server's process group (the one it was started in, nothing else)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def __enter__(self) -> "UIServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        self.log.close()


@contextlib.contextmanager
def serve(demo, **plan):
    """Launch ``demo`` on 127.0.0.1 and a free port in this process, as ``ui.py`` does (the same
    guard, headers and limits); ``plan`` sets other fields of :class:`qa.app.server.ServerPlan`
    (``auth=``, ``uploads=``, ...). Yields its URL."""
    from qa.app import server

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    port = free_port()
    server.launch(demo, server.ServerPlan(host="127.0.0.1", port=port, **plan), block=False)
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


@contextlib.contextmanager
def watched_page(browser, **context_options):
    """A new page (its own context) that must stay on 127.0.0.1, be served under the app's
    Content-Security-Policy and never break it (chromium logs every violation to the console);
    checked when the block ends."""
    from qa.app.guard import CSP

    context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **context_options})
    page = context.new_page()
    outside, policies, violations = [], [], []
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)
    page.on("response", lambda r: policies.append(r.headers.get("content-security-policy"))
            if r.request.resource_type == "document" else None)
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        yield page
    finally:
        context.close()
    assert not outside, f"the page reached beyond 127.0.0.1: {outside[:5]}"
    assert policies and set(policies) == {CSP}, policies
    assert not violations, violations[:5]


def squash(text: str) -> str:
    return " ".join(text.split())


def ask(page, question: str, n: int) -> None:
    """Type ``question``, press Enter, and wait for the n-th answer bubble."""
    page.fill("#qa-input textarea", question)
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.querySelectorAll('#qa-chat [data-testid=bot]').length >= {n}",
                           timeout=ANSWER_TIMEOUT_MS)
    page.wait_for_function(f"(document.querySelector('#qa-sources') || {{}}).innerText?.includes({question[:30]!r})",
                           timeout=ANSWER_TIMEOUT_MS)


def open_page(page, url):
    page.goto(url)
    page.wait_for_selector("#qa-input textarea", timeout=ANSWER_TIMEOUT_MS)
