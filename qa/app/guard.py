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
the headers alone. Gradio's parser deletes its temporary files when the body is malformed (a
``MultiPartException``), not when the client goes away mid-body, so the guard watches an
upload's body (:class:`UploadWatch`) and turns a body cut short, or one carrying more than
``max_files`` files, into that exception: the parser removes what it wrote and answers ``400``.

Calls to the API (``/gradio_api/call/...``, ``queue/join``, ...) are checked by
:class:`qa.app.calls.ApiCalls` when the guard is given one, once Gradio would let the caller in;
and a log-in page is served without Gradio's description of the API (:func:`login_page`).
"""

from __future__ import annotations

import json
import re

UPLOAD_ROUTES = ("/gradio_api/upload", "/gradio_api/component_server")
NEVER_ROUTES = ("/gradio_api/process_recording",)
MAX_REQUEST_BYTES = 1 << 20     # any other body: a question, its history, a log-in form
MULTIPART_OVERHEAD = 64 << 10   # part headers and boundaries around the files of one upload
UPLOADS_OFF = "Uploads are switched off on this server (QA_UPLOADS)."
CUT_SHORT = "The upload was cut short: the body ended before its Content-Length."
PAGE_MAX_BYTES = 1 << 20        # an HTML page read whole to check it for the log-in form
API_INFO = re.compile(rb"window\.gradio_api_info = .*?;</script>", re.S)
NO_API_INFO = b'window.gradio_api_info = {"named_endpoints": {}, "unnamed_endpoints": {}};</script>'

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
    ``None`` when uploads are off; ``body_limit``: the cap on every other request body;
    ``max_files``: the most files one upload may carry; ``calls``: a
    :class:`qa.app.calls.ApiCalls` that checks calls to the API (none: not checked here)."""

    def __init__(self, app, *, upload_limit: int | None = None, body_limit: int = MAX_REQUEST_BYTES,
                 headers=HEADERS, max_files: int | None = None, calls=None):
        self.app, self.upload_limit, self.body_limit = app, upload_limit, body_limit
        self.headers = list(headers)
        self.max_files, self.calls = max_files, calls

    def refusal(self, scope) -> tuple[int, str] | None:
        """``(status, message)`` when the request must be refused before it reaches Gradio."""
        path = normal_path(scope.get("path", "/"))
        headers = dict(scope.get("headers") or [])
        if path.endswith(NEVER_ROUTES):
            return 403, "This server does not take recordings."
        upload = path.endswith(UPLOAD_ROUTES) or (_multipart(headers) and not path.endswith("/login"))
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
        path, headers = normal_path(scope.get("path", "/")), dict(scope.get("headers") or [])
        if path.endswith(UPLOAD_ROUTES) and _multipart(headers):
            receive = UploadWatch(receive, headers[b"content-type"], self.max_files)
        elif self.calls is not None and self.calls.applies(scope.get("method", ""), path) and self.calls.let_in(scope):
            checked = await self._checked_call(scope, receive, send, path)
            if checked is None:
                return
            scope, receive = checked
        await self.app(scope, receive, PageSender(send, self._with_headers, pages=scope.get("method") == "GET").send)

    async def _checked_call(self, scope, receive, send, path):
        """``(scope, receive)`` for a call to the API that :attr:`calls` lets through (its body
        read, maybe completed, and handed on); ``None`` when it was refused or the client left."""
        body = await read_body(receive)
        if body is None:
            return None
        verdict = self.calls.check(path, body)
        if isinstance(verdict, tuple):
            await self._refuse(send, *verdict)
            return None
        if isinstance(verdict, bytes):
            body = verdict
            headers = [(k, v) for k, v in scope.get("headers") or [] if k.lower() != b"content-length"]
            scope = {**scope, "headers": [*headers, (b"content-length", str(len(body)).encode())]}
        return scope, replay(body, receive)

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


def _multipart(headers: dict) -> bool:
    return headers.get(b"content-type", b"").lower().startswith(b"multipart/")


async def read_body(receive) -> bytes | None:
    """The whole request body (already capped by :meth:`Guard.refusal`); ``None`` if the client left."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def replay(body: bytes, receive):
    """A ``receive`` that hands on ``body`` whole, then waits on the client (for its disconnect)."""
    sent = False

    async def again():
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return again


class UploadWatch:
    """The ``receive`` of a multipart upload, watched: a disconnect before the body ended, or a
    part beyond ``max_files`` files, raises starlette's ``MultiPartException`` where Gradio's
    parser reads the body, so that it deletes the temporary files it began and answers 400."""

    def __init__(self, receive, content_type: bytes, max_files: int | None):
        from python_multipart.multipart import MultipartParser, parse_options_header

        self.receive, self.max_files, self.done, self.files = receive, max_files, False, 0
        self.disposition, self.field, self.value = b"", b"", b""
        boundary = parse_options_header(content_type)[1].get(b"boundary")
        callbacks = {"on_header_field": self._field, "on_header_value": self._value,
                     "on_header_end": self._header_end, "on_headers_finished": self._headers_finished}
        self.parser = MultipartParser(boundary, callbacks) if boundary and max_files else None

    async def __call__(self):
        from starlette.formparsers import MultiPartException

        message = await self.receive()
        if message["type"] == "http.disconnect" and not self.done:
            raise MultiPartException(CUT_SHORT)
        if message["type"] == "http.request":
            self.done = not message.get("more_body", False)
            self._count(message.get("body", b""))
            if self.max_files and self.files > self.max_files:
                raise MultiPartException(f"One upload takes at most {self.max_files} files; this one has more. "
                                         "Send the others in another upload.")
        return message

    def _count(self, chunk: bytes) -> None:
        from python_multipart.exceptions import MultipartParseError

        if self.parser is None or not chunk:
            return
        try:
            self.parser.write(chunk)
        except MultipartParseError:   # malformed: Gradio's own parser says so
            self.parser = None

    def _field(self, data: bytes, start: int, end: int) -> None:
        self.field += data[start:end]

    def _value(self, data: bytes, start: int, end: int) -> None:
        self.value += data[start:end]

    def _header_end(self) -> None:
        if self.field.strip().lower() == b"content-disposition":
            self.disposition = self.value
        self.field, self.value = b"", b""

    def _headers_finished(self) -> None:
        from python_multipart.multipart import parse_options_header

        if b"filename" in parse_options_header(self.disposition)[1]:
            self.files += 1
        self.disposition = b""


class PageSender:
    """``send`` with the security headers added; with ``pages`` (a GET), Gradio's log-in page is
    served without its description of the API (Gradio puts every endpoint's name and parameters in it)."""

    def __init__(self, send, with_headers, *, pages: bool = True):
        self.inner, self.with_headers, self.pages = send, with_headers, pages
        self.start, self.chunks = None, None

    async def send(self, message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": self.with_headers(message.get("headers") or [])}
            if self.pages and _small_html(message["headers"]):
                self.start, self.chunks = message, []
                return
        elif message["type"] == "http.response.body" and self.chunks is not None:
            self.chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = login_page(b"".join(self.chunks))
            headers = [(k, v) for k, v in self.start["headers"] if bytes(k).lower() != b"content-length"]
            await self.inner({**self.start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
            self.chunks = None
            message = {"type": "http.response.body", "body": body}
        await self.inner(message)


def _small_html(headers) -> bool:
    found = {bytes(k).lower(): bytes(v) for k, v in headers}
    length = found.get(b"content-length", b"")
    return (found.get(b"content-type", b"").startswith(b"text/html") and length.isdigit()
            and int(length) <= PAGE_MAX_BYTES)


def login_page(html: bytes) -> bytes:
    """``html`` without the API's description when it is Gradio's log-in page (its config says
    ``auth_required``); any other page as it is."""
    config = re.search(rb"window\.gradio_config = (.*?);</script>", html, re.S)
    try:
        login = config is not None and json.loads(config.group(1)).get("auth_required") is True
    except (ValueError, AttributeError):
        login = False
    return API_INFO.sub(NO_API_INFO, html, count=1) if login else html
