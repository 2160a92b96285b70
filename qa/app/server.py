"""Starting the chat server safely: where it listens, who may log in, what it accepts.

:func:`plan` turns the settings into a :class:`ServerPlan` and refuses what would expose the
documents by accident (another interface with no log-in, ``GRADIO_ALLOWED_PATHS``);
:func:`check_address` says in one line why the port can't be used; :func:`prepare_process`
gives Gradio a private temporary folder and makes SIGTERM a clean shutdown;
:func:`launch_kwargs` is every argument of ``demo.launch``, a fresh dict each call (Gradio
changes the ``app_kwargs`` it is given)::

    >>> p = ServerPlan(host="0.0.0.0", port=7860, uploads=False, max_upload_bytes=1000)
    >>> summary(p)
    'Running on http://0.0.0.0:7860/ (no log-in; uploads off)'
    >>> launch_kwargs(p)["share"], launch_kwargs(p)["max_file_size"]    # doctest: +SKIP
    (False, 1000)
"""

from __future__ import annotations

import atexit
import errno
import ipaddress
import os
import shutil
import signal
import socket
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, ServerError
from ..settings import Settings
from . import auth as auth_mod
from .calls import ApiCalls
from .guard import MAX_REQUEST_BYTES, MULTIPART_OVERHEAD, Guard

FILES_PER_UPLOAD = 10     # one upload request carries at most this many largest-allowed files
AUTH_MESSAGE = "Log in to ask the documents."


def is_loopback(host: str) -> bool:
    """Whether ``host`` can be reached only from this machine: ``127.0.0.1``, ``::1``,
    ``localhost``; not ``0.0.0.0``, ``::`` or an empty host (every interface).

    >>> [is_loopback(h) for h in ("127.0.0.1", "[::1]", "localhost", "0.0.0.0", "::", "", "192.168.1.5")]
    [True, True, True, False, False, False, False]
    """
    name = host.strip().strip("[]")
    if not name:
        return False
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(name, None)
    except (socket.gaierror, UnicodeError):
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0].split("%")[0]).is_loopback for i in infos)


@dataclass(frozen=True)
class ServerPlan:
    """Where and how the chat server runs. ``auth`` is an async ``(user, password) -> bool`` or
    ``None``; ``uploads`` whether upload requests are taken at all; ``blocked`` folders that
    Gradio must never serve a file from (the corpus and the index)."""

    host: str
    port: int
    auth: auth_mod.Verifier | None = None
    uploads: bool = True
    max_upload_bytes: int = field(default_factory=lambda: Settings.get("max_upload_bytes"))
    root_path: str = ""
    blocked: tuple[str, ...] = ()

    @property
    def upload_limit(self) -> int | None:
        """The most bytes one upload request may carry (``None``: uploads refused)."""
        return self.max_upload_bytes * FILES_PER_UPLOAD + MULTIPART_OVERHEAD if self.uploads else None


def exposure_message(host: str) -> str:
    """Why the server won't listen on ``host`` with no log-in, and the two ways out, in one line."""
    return (f"QA_HOST is {host!r}, not a loopback address, so other machines can reach it, and no log-in is set: set "
            "QA_AUTH=user:password (or QA_AUTH_FILE) to require one, or QA_ALLOW_ANONYMOUS=1 to serve "
            "every document to anyone who reaches the port. (Gradio's share= tunnel is never opened.)")


def uploads_on(settings: Settings) -> bool:
    """Whether the chat server takes uploads: ``QA_UPLOADS=on|off``, or ``auto`` (the default),
    on only when listening on loopback. The guard and any upload feature read this one answer."""
    return settings.uploads == "on" or (settings.uploads == "auto" and is_loopback(settings.host))


def plan(settings: Settings, *, blocked: tuple[Path, ...] = ()) -> ServerPlan:
    """The :class:`ServerPlan` for ``settings``, or :class:`ConfigError` when serving as set would
    expose the documents by accident or a log-in can't be read."""
    if os.environ.get("GRADIO_ALLOWED_PATHS", "").strip():
        raise ConfigError("GRADIO_ALLOWED_PATHS is set, which lets anyone who reaches the port download "
                          "files from those folders; this app serves none, so unset it.")
    users = auth_mod.load_users(settings)
    if not is_loopback(settings.host) and not users and not settings.allow_anonymous:
        raise ConfigError(exposure_message(settings.host))
    return ServerPlan(host=settings.host, port=settings.port, auth=auth_mod.verifier(users) if users else None,
                      uploads=uploads_on(settings), max_upload_bytes=settings.max_upload_bytes, root_path=settings.root_path,
                      blocked=tuple(str(Path(b).resolve()) for b in blocked))


def check_address(host: str, port: int) -> None:
    """:class:`ServerError` in one line when ``host:port`` can't be listened on (busy port,
    unknown host, not an address of this machine); nothing when it can."""
    name = host.strip().strip("[]")
    try:
        infos = socket.getaddrinfo(name or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError):
        raise ServerError(f"Cannot listen on {host!r}: no such host name. Set QA_HOST to an address of "
                          "this machine (127.0.0.1 for this machine only).") from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(address)
        except OSError as exc:
            raise ServerError(address_problem(host, port, exc)) from None


def address_problem(host: str, port: int, exc: OSError) -> str:
    """One line for a failed bind (also used when ``launch`` itself fails)."""
    if exc.errno == errno.EADDRINUSE:
        return f"Port {port} on {host} is already in use. Set QA_PORT to a free port."
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine. Set QA_HOST (127.0.0.1 for this machine only)."
    if exc.errno == errno.EACCES:
        return f"Port {port} needs privileges this process lacks. Set QA_PORT to 1024 or above."
    return f"Cannot listen on {host}:{port} ({exc.strerror or exc}). Set QA_HOST and QA_PORT."


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def prepare_process() -> Path | None:
    """Before Gradio is imported: a private ``GRADIO_TEMP_DIR`` (unless one is set), removed at
    exit, and SIGTERM handled like Ctrl-C so Gradio shuts down and deletes its files.
    Returns the private folder (``None`` when ``GRADIO_TEMP_DIR`` was set)."""
    signal.signal(signal.SIGTERM, _interrupt)
    if os.environ.get("GRADIO_TEMP_DIR"):
        return None
    folder = Path(tempfile.mkdtemp(prefix="qa-gradio-"))
    os.environ["GRADIO_TEMP_DIR"] = str(folder)  # Gradio reads it at import, at launch and per request
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def launch_kwargs(p: ServerPlan, demo=None) -> dict[str, Any]:
    """Every keyword argument of ``demo.launch`` for plan ``p``: a new dict (and a new
    ``app_kwargs``) each call. Environment variables that would widen exposure
    (``GRADIO_SHARE``, ``GRADIO_MCP_SERVER``, ``GRADIO_SSR_MODE``, ...) are overridden.
    Given ``demo``, the guard also checks the calls to its API (:mod:`qa.app.calls`)."""
    from starlette.middleware import Middleware

    from .gradio_app import launch_options

    calls = None
    if demo is not None:
        from gradio.utils import get_upload_folder

        calls = ApiCalls.of(demo, get_upload_folder())
    middleware = [Middleware(Guard, upload_limit=p.upload_limit, body_limit=MAX_REQUEST_BYTES,
                             max_files=FILES_PER_UPLOAD, calls=calls)]
    return {**launch_options(), "server_name": p.host, "server_port": p.port, "share": False,
            "auth": p.auth, "auth_message": AUTH_MESSAGE if p.auth else None,
            "max_file_size": p.max_upload_bytes, "show_error": False, "debug": False,
            "enable_monitoring": False, "run_history": False, "mcp_server": False, "ssr_mode": False,
            "pwa": False, "num_workers": 0, "strict_cors": True, "blocked_paths": list(p.blocked),
            "root_path": p.root_path or None,
            "app_kwargs": {"openapi_url": None, "docs_url": None, "redoc_url": None, "middleware": middleware}}


def summary(p: ServerPlan) -> str:
    """The line printed once the server listens: where, and what it lets in."""
    host = f"[{p.host}]" if ":" in p.host else p.host
    login = "log-in required" if p.auth else "no log-in"
    uploads = f"uploads up to {p.max_upload_bytes:,} bytes a file" if p.uploads else "uploads off"
    proxied = f"; served as {p.root_path} behind the proxy" if p.root_path else ""
    return f"Running on http://{host}:{p.port}/ ({login}; {uploads}{proxied})"


def launch(demo, p: ServerPlan, *, block: bool = True, **extra: Any) -> None:
    """``demo.launch`` with :func:`launch_kwargs` (``extra`` adds to them), then wait for Ctrl-C
    or SIGTERM when ``block``; a failure to listen is a one-line :class:`ServerError`."""
    try:
        demo.launch(**{**launch_kwargs(p, demo), "quiet": True, **extra, "prevent_thread_lock": True})
    except OSError as exc:
        if exc.errno is None:   # Gradio's own "Cannot find empty port in range" OSError
            raise ServerError(f"Cannot listen on {p.host}:{p.port}: the port is busy or the host is not "
                              "of this machine. Set QA_PORT (and QA_HOST).") from None
        raise ServerError(address_problem(p.host, p.port, exc)) from None
    print(summary(p), flush=True)
    if block:
        wait_until_stopped(demo)


def wait_until_stopped(demo) -> None:
    """Serve until Ctrl-C (or SIGTERM, see :func:`prepare_process`), then close the app: that ends
    open event streams (a browser tab, a gradio_client) first, so the server's shutdown runs and
    deletes Gradio's temporary files. (Gradio's own ``block_thread`` skips that step.)"""
    try:
        while demo.is_running:
            time.sleep(0.1)
    except KeyboardInterrupt:
        print("Stopping the server ...", flush=True)
    finally:
        demo.close(verbose=False)
