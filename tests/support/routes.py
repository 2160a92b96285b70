"""The chat server's HTTP routes, read from the running app, and the checked-in table that
classifies each one (the security tests fail on a route missing from it).

:func:`make_site` writes a corpus holding a secret fact and a link out of it; :func:`ui_server`
starts ``python ui.py`` on it through ``python -m tests.support.routes OUT.json ui.py``, which
runs ``ui.py`` unchanged except that, once the server listens, the routes of the live app
(``demo.app``, routers and mounts expanded) are written to ``OUT.json`` as
``[method, path, [path parameters]]`` rows. :func:`raw` sends a path exactly as written.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import runpy
import socket
import sys
import time
from pathlib import Path
from types import SimpleNamespace

from tests.support.ui import UIServer

# Route parameters that carry a path or a file name.
PATH_PARAMS = {"path", "path_or_url", "url_path", "file_name"}

# What each route is, and so what it must do:
#   page    the login page or the app's page and its small public files (anyone may GET them);
#   static  Gradio's own packaged assets, by path (traversal-probed);
#   file    files by path or URL: only Gradio's uploads, never the corpus or the index (traversal-probed);
#   meta    public facts about the app and the session (no document data), answered without a log-in;
#   api     the app's data: a log-in is required when one is set;
#   session acts on one session or event named by its random id (heartbeat, cancel, reset, media
#           streams): Gradio asks no log-in, and they carry no document data;
#   upload  parses a multipart body: refused when uploads are off, size-capped when on;
#   auth    log-in and log-out;
#   off     switched off here (monitoring, run history, vibe editor, recording, ...): always 4xx.
CLASSES: dict[tuple[str, str], str] = {
    ("GET", "/"): "page",
    ("GET", "/favicon.ico"): "page",
    ("GET", "/manifest.json"): "page",
    ("GET", "/robots.txt"): "page",
    ("GET", "/theme.css"): "page",
    ("GET", "/gradio_api/theme.css"): "page",
    ("GET", "/pwa_icon"): "page",
    ("GET", "/pwa_icon/{size}"): "page",
    ("GET", "/assets/{path:path}"): "static",
    ("GET", "/static/{path:path}"): "static",
    ("GET", "/svelte/{path:path}"): "static",
    ("GET", "/gradio_api/custom_component/{id}/{environment}/{type}/{file_name}"): "static",
    ("GET", "/gradio_api/file={path_or_url:path}"): "file",
    ("GET", "/gradio_api/file/{path:path}"): "file",
    ("GET", "/gradio_api/proxy={url_path:path}"): "file",
    ("GET", "/gradio_api/app_id"): "meta",
    ("GET", "/gradio_api/app_id/"): "meta",
    ("GET", "/gradio_api/token"): "meta",
    ("GET", "/gradio_api/token/"): "meta",
    ("GET", "/gradio_api/user"): "meta",
    ("GET", "/gradio_api/user/"): "meta",
    ("GET", "/gradio_api/startup-events"): "meta",
    ("GET", "/gradio_api/login_check"): "auth",
    ("GET", "/gradio_api/login_check/"): "auth",
    ("POST", "/login"): "auth",
    ("POST", "/login/"): "auth",
    ("GET", "/logout"): "auth",
    ("GET", "/config"): "api",
    ("GET", "/config/"): "api",
    ("GET", "/gradio_api/info"): "api",
    ("GET", "/gradio_api/info/"): "api",
    ("GET", "/gradio_api/openapi.json"): "api",
    ("GET", "/gradio_api/deep_link"): "api",
    ("POST", "/gradio_api/queue/join"): "api",
    ("GET", "/gradio_api/queue/data"): "api",
    ("GET", "/gradio_api/queue/status"): "api",
    ("GET", "/gradio_api/heartbeat/{session_hash}"): "session",
    ("POST", "/gradio_api/cancel"): "session",
    ("POST", "/gradio_api/reset"): "session",
    ("POST", "/gradio_api/reset/"): "session",
    ("POST", "/gradio_api/api/{api_name}"): "api",
    ("POST", "/gradio_api/api/{api_name}/"): "api",
    ("POST", "/gradio_api/run/{api_name}"): "api",
    ("POST", "/gradio_api/run/{api_name}/"): "api",
    ("POST", "/gradio_api/call/{api_name}"): "api",
    ("POST", "/gradio_api/call/{api_name}/"): "api",
    ("GET", "/gradio_api/call/{api_name}/{event_id}"): "api",
    ("POST", "/gradio_api/call/v2/{api_name}"): "api",
    ("POST", "/gradio_api/call/v2/{api_name}/"): "api",
    ("GET", "/gradio_api/call/v2/{api_name}/{event_id}"): "api",
    ("POST", "/gradio_api/stream/{event_id}"): "session",
    ("POST", "/gradio_api/stream/{event_id}/close"): "session",
    ("GET", "/gradio_api/stream/{session_hash}/{run}/{component_id}/playlist-file"): "session",
    ("GET", "/gradio_api/stream/{session_hash}/{run}/{component_id}/playlist.m3u8"): "session",
    ("GET", "/gradio_api/stream/{session_hash}/{run}/{component_id}/{segment_id}.{ext}"): "session",
    ("GET", "/gradio_api/upload_progress"): "api",
    ("GET", "/gradio_api/dev/reload"): "api",
    ("POST", "/gradio_api/upload"): "upload",
    ("POST", "/gradio_api/component_server"): "upload",
    ("POST", "/gradio_api/component_server/"): "upload",
    ("POST", "/gradio_api/process_recording"): "off",
    ("GET", "/gradio_api/runs"): "off",
    ("GET", "/gradio_api/runs/"): "off",
    ("GET", "/monitoring"): "off",
    ("GET", "/monitoring/summary"): "off",
    ("GET", "/monitoring/{key}"): "off",
    ("GET", "/gradio_api/vibe-code"): "off",
    ("GET", "/gradio_api/vibe-code/"): "off",
    ("POST", "/gradio_api/vibe-code"): "off",
    ("POST", "/gradio_api/vibe-code/"): "off",
    ("POST", "/gradio_api/vibe-edit"): "off",
    ("POST", "/gradio_api/vibe-edit/"): "off",
    ("POST", "/gradio_api/undo-vibe-edit"): "off",
    ("POST", "/gradio_api/undo-vibe-edit/"): "off",
    ("POST", "/gradio_api/vibe-starter-queries"): "off",
    ("POST", "/gradio_api/vibe-starter-queries/"): "off",
}


MARKER = "Q7X3-MARLIN"          # a fact of the corpus: only an answer may carry it
OUTSIDE = "OUTSIDE-SECRET-5521"  # a file outside the corpus that a link inside points to
CORPUS = {
    "harbour.md": "# The harbour\n\nThe harbour master keeps the gate code " + MARKER + " in the blue ledger. "
                  "Ferries leave the north pier every hour from six in the morning.\n",
    "birds.md": "# Birds\n\nCrows are clever birds that use tools. Herons wade in shallow water and eat fish.\n",
}


def make_site(root: Path) -> SimpleNamespace:
    """A corpus with a secret fact and a link out of it, an index folder, a temp folder for Gradio."""
    corpus, outside = root / "docs", root / "outside"
    corpus.mkdir()
    outside.mkdir()
    for name, text in CORPUS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    (outside / "secret.txt").write_text(OUTSIDE + "\n", encoding="utf-8")
    (corpus / "leak.md").symlink_to(outside / "secret.txt")
    return SimpleNamespace(root=root, corpus=corpus, index=root / "index", outside=outside / "secret.txt")


def ui_server(site, name: str, env: dict, **kw) -> UIServer:
    """``python ui.py`` on the site's corpus, started through the route-reporting wrapper."""
    report = site.root / f"{name}-routes.json"
    server = UIServer(env={"QA_CORPUS": site.corpus, "QA_INDEX": site.index, **env},
                      python_args=("-m", "tests.support.routes", report), **kw)
    server.report = report
    return server


def walk(app, prefix: str = "") -> list[tuple[str, str, list[str]]]:
    """``(method, path, path parameters)`` for every HTTP route of ``app`` (HEAD left out: it
    shares its GET's handler), included routers and mounted apps expanded."""
    from starlette.routing import Mount, Route

    out: list[tuple[str, str, list[str]]] = []
    for r in app.routes:
        if hasattr(r, "original_router"):        # FastAPI >= 0.16x keeps include_router() lazy
            out += walk(r.original_router, prefix + r.include_context.prefix)
        elif isinstance(r, Mount):
            if hasattr(r.app, "routes"):
                out += walk(r.app, prefix + r.path)
            else:                                 # StaticFiles and other plain ASGI apps
                out.append(("GET", prefix + r.path + "/{path:path}", ["path"]))
        elif isinstance(r, Route):
            params = list(r.param_convertors)
            out += [(m, prefix + r.path, params) for m in sorted(r.methods or {"GET"}) if m != "HEAD"]
        else:                                     # a websocket or an unknown kind: never unclassified silently
            out.append((type(r).__name__, prefix + getattr(r, "path", "?"), []))
    return out


def fill(pattern: str, value: str = "x") -> str:
    """A URL path for route ``pattern``: path parameters become ``value``, others ``x``
    (``environment`` the one value it allows)."""
    def one(m: re.Match) -> str:
        name = m.group(1)
        return value if name in PATH_PARAMS else {"environment": "client"}.get(name, "x")
    return re.sub(r"\{(\w+)(?::\w+)?\}", one, pattern)


def raw(url: str, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None,
        timeout: float = 5.0, limit: int = 1 << 20) -> tuple[int, bytes, dict]:
    """``(status, body, headers)`` for ``path`` sent exactly as written (no ``..`` folding, no
    re-encoding, unlike httpx or urllib); a stream is read until ``timeout`` or ``limit`` bytes."""
    host, port = url.split("//", 1)[1].strip("/").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data, deadline = b"", time.monotonic() + timeout
        with contextlib.suppress(TimeoutError, socket.timeout, http.client.IncompleteRead, ConnectionError):
            while len(data) < limit and time.monotonic() < deadline:
                chunk = r.read1(65536)
                if not chunk:
                    break
                data += chunk
        return r.status, data, {k.lower(): v for k, v in r.getheaders()}
    finally:
        conn.close()


def wait_for_routes(path: Path, timeout: float = 30.0) -> list[tuple[str, str, list[str]]]:
    """The rows written by :func:`main`, once the file is there."""
    deadline = time.monotonic() + timeout
    while not path.is_file():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path} was not written: the server did not report its routes")
        time.sleep(0.1)
    return [tuple(r) for r in json.loads(path.read_text(encoding="utf-8"))]


def main(argv: list[str]) -> None:
    """Run ``ui.py`` (``argv[1]``), writing the live routes to ``argv[0]`` once it listens."""
    out, ui = Path(argv[0]), argv[1]
    from qa.app import server

    original = server.launch

    def launch(demo, plan, *, block: bool = True, **extra):
        original(demo, plan, block=False, **extra)
        part = out.with_name(out.name + ".part")
        part.write_text(json.dumps(walk(demo.app)), encoding="utf-8")
        part.replace(out)    # whole or absent
        if block:
            server.wait_until_stopped(demo)

    server.launch = launch
    sys.argv = [ui]
    runpy.run_path(ui, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
