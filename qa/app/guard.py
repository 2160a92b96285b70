"""The chat server's front door: a pure-ASGI middleware that refuses uploads when they are off,
caps request bodies before a byte is read, and adds security headers to every response.

Gradio builds its FastAPI app inside ``launch()``, so the guard goes in through FastAPI's own
``middleware=`` argument (:func:`qa.app.server.launch_kwargs` does this)::

    from starlette.middleware import Middleware
    demo.launch(app_kwargs={"middleware": [Middleware(Guard, upload_limit=None)]})

Every Gradio 6 route that parses a multipart body (and so writes a temporary file):

* ``/gradio_api/upload``: ``GRADIO_TEMP_DIR/<sha256>/<name>``, kept until ``delete_cache``;
* ``/gradio_api/component_server``: a temporary file, read into memory, then deleted;
* ``/gradio_api/process_recording`` (the screen-recording helper): a file in the system temporary
  folder that is never deleted. This app records nothing, so it is always refused.

A body over its cap gets ``413`` and a chunked one (no ``Content-Length``) ``411``, decided from
the headers alone: a body refused half-read would leave a partial temporary file behind.
"""

from __future__ import annotations

import re

UPLOAD_ROUTES = ("/gradio_api/upload", "/gradio_api/component_server")
NEVER_ROUTES = ("/gradio_api/process_recording",)
MAX_REQUEST_BYTES = 1 << 20     # any other body: a question, its history, a log-in form
MULTIPART_OVERHEAD = 64 << 10   # part headers and boundaries around the files of one upload
UPLOADS_OFF = "Uploads are switched off on this server (QA_UPLOADS)."

CSP = ("default-src 'self'; "
       # Gradio's page has inline <script>s whose content changes per request (no hashes, no nonces),
       # and gr.HTML renders its template and runs its js_on_load with Function(): 'unsafe-eval'.
       "script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
       "style-src 'self' 'unsafe-inline'; "         # Svelte components set inline styles
       "img-src 'self' data: blob:; font-src 'self' data:; media-src 'self' data: blob:; "
       "connect-src 'self'; worker-src 'self' blob:; "   # fetch and the event stream are same-origin
       "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'")

HEADERS = ((b"x-content-type-options", b"nosniff"),
           (b"content-security-policy", CSP.encode()),
           (b"referrer-policy", b"no-referrer"),
           (b"x-frame-options", b"DENY"))


def normal_path(path: str) -> str:
    """``path`` with repeated slashes folded and no trailing slash: ``//a//b/`` -> ``/a/b``."""
    return re.sub(r"/{2,}", "/", path).rstrip("/") or "/"


class Guard:
    """ASGI middleware. ``upload_limit``: the most bytes one upload request may carry, or
    ``None`` when uploads are off; ``body_limit``: the cap on every other request body."""

    def __init__(self, app, *, upload_limit: int | None = None, body_limit: int = MAX_REQUEST_BYTES,
                 headers=HEADERS):
        self.app, self.upload_limit, self.body_limit = app, upload_limit, body_limit
        self.headers = list(headers)

    def refusal(self, scope) -> tuple[int, str] | None:
        """``(status, message)`` when the request must be refused before it reaches Gradio."""
        path = normal_path(scope.get("path", "/"))
        headers = dict(scope.get("headers") or [])
        multipart = headers.get(b"content-type", b"").lower().startswith(b"multipart/")
        if path.endswith(NEVER_ROUTES):
            return 403, "This server does not take recordings."
        upload = path.endswith(UPLOAD_ROUTES) or (multipart and not path.endswith("/login"))
        if upload and self.upload_limit is None:
            return 403, UPLOADS_OFF
        if scope.get("method") not in ("POST", "PUT", "PATCH"):
            return None
        limit = self.upload_limit if upload else self.body_limit
        length = headers.get(b"content-length")
        if length is None:
            if b"transfer-encoding" in headers:
                return 411, "A request body needs a Content-Length header."
            return None     # no body at all
        if not length.isdigit() or int(length) > limit:
            return 413, f"The request body is over the limit of {limit:,} bytes."
        return None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        refused = self.refusal(scope)
        if refused is not None:
            return await self._refuse(send, *refused)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": self._with_headers(message.get("headers") or [])}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _with_headers(self, headers) -> list:
        names = {bytes(k).lower() for k, _ in headers}
        return [*headers, *[(k, v) for k, v in self.headers if k not in names]]

    async def _refuse(self, send, status: int, text: str) -> None:
        body = text.encode("utf-8")
        await send({"type": "http.response.start", "status": status,
                    "headers": self._with_headers([(b"content-type", b"text/plain; charset=utf-8"),
                                                   (b"content-length", str(len(body)).encode()),
                                                   (b"connection", b"close")])})
        await send({"type": "http.response.body", "body": body})
