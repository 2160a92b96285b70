"""What the chat server's API takes, checked at the door (:class:`qa.app.guard.Guard`) before
Gradio sees a call. Gradio answers a call it can't run with ``{"error": null}`` (its
``show_error`` is off here, so that no internal detail leaks) and a traceback in the log, or
with HTTP 500: a call to an endpoint that is not there (``/add_documents`` with uploads off),
one missing a value, a file that was never uploaded. :class:`ApiCalls` refuses those in words
instead (``404``, ``422``, ``403``: what was wrong and what is allowed), and fills in the
optional values left out (``/ask`` without its history).

The table of endpoints comes from the app's event functions (``demo.fns``) by their attributes;
this module imports no Gradio. The checks apply once Gradio would let the caller in
(:meth:`ApiCalls.let_in`): before a log-in every call gets Gradio's own ``401``, so that
nothing of the API shows.
"""

from __future__ import annotations

import inspect
import json
import re
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path

API_CALL = re.compile(r"/gradio_api/(call/v2|call|run|api)/([^/]+)$")
QUEUE_JOIN = "/gradio_api/queue/join"
FILE_TYPE = "gradio.FileData"
FILE_FORM = '{"path": <a path POST /gradio_api/upload returned>, "meta": {"_type": "gradio.FileData"}}'


@dataclass(frozen=True)
class Endpoint:
    """One event function: its ``name`` (``""`` for one without), the names of its inputs,
    the values of the trailing ones that may be left out, and which inputs take files
    (``"multiple"``, ``"single"`` or ``None``)."""

    name: str
    params: tuple[str, ...]
    defaults: tuple = ()
    files: tuple = ()

    @property
    def required(self) -> int:
        return len(self.params) - len(self.defaults)

    def usage(self) -> str:
        """``/ask takes [question, history] (history may be left out)``."""
        if not self.params:
            return f"/{self.name} takes no values"
        optional = self.params[self.required:]
        left_out = f" ({', '.join(optional)} may be left out)" if optional else ""
        return f"/{self.name} takes [{', '.join(self.params)}]{left_out}"

    @classmethod
    def of(cls, fn) -> "Endpoint":
        """The endpoint of a Gradio ``BlockFunction`` (its inputs match the function's first parameters)."""
        n = len(fn.inputs)
        try:
            parameters = list(inspect.signature(fn.fn).parameters.values())[:n]
        except (TypeError, ValueError):
            parameters = []
        names = tuple(p.name for p in parameters) if len(parameters) == n else tuple(f"input {i + 1}" for i in range(n))
        defaults = []
        for p in reversed(parameters if len(parameters) == n else []):
            if p.default is inspect.Parameter.empty:
                break
            defaults.insert(0, p.default)
        files = tuple(getattr(c, "file_count", "single") if type(c).__name__ == "File" else None for c in fn.inputs)
        return cls(fn.api_name or "", names, tuple(defaults), files)


class ApiCalls:
    """The checks, over ``endpoints`` (by name: those callable by name) and ``functions`` (by
    Gradio's function index, for ``queue/join``); a file given to any of them must lie in
    ``upload_dir`` (Gradio's upload folder), the place an upload puts it."""

    def __init__(self, endpoints: dict[str, Endpoint], functions: dict[int, Endpoint], upload_dir: str | Path):
        self.endpoints, self.functions = endpoints, functions
        self.upload_dir = Path(upload_dir).resolve()

    @classmethod
    def of(cls, demo, upload_dir: str | Path) -> "ApiCalls":
        """The checks for a Gradio ``Blocks`` app."""
        functions = {fn_id: Endpoint.of(fn) for fn_id, fn in demo.fns.items() if fn.fn is not None}
        named = {functions[i].name: functions[i] for i, fn in demo.fns.items()
                 if i in functions and fn.api_name and getattr(fn, "api_visibility", "public") != "private"}
        return cls(named, functions, upload_dir)

    def applies(self, method: str, path: str) -> bool:
        """Whether a request is a call this checks."""
        return method == "POST" and (API_CALL.search(path) is not None or path.endswith(QUEUE_JOIN))

    @staticmethod
    def let_in(scope) -> bool:
        """Whether Gradio will take the request as from someone logged in (or no log-in is set): its
        own test (a cookie ``access-token-<app's cookie id>`` naming a token it handed out)."""
        app = scope.get("app")
        if getattr(app, "auth", None) is None and getattr(app, "auth_dependency", None) is None:
            return True
        cookies = SimpleCookie()
        for name, value in scope.get("headers") or []:
            if name.lower() == b"cookie":
                cookies.load(value.decode("latin-1"))
        cookie_id = getattr(app, "cookie_id", "")
        token = cookies.get(f"access-token-{cookie_id}") or cookies.get(f"access-token-unsecure-{cookie_id}")
        return token is not None and token.value in getattr(app, "tokens", {})

    def check(self, path: str, body: bytes) -> tuple[int, str] | bytes | None:
        """``(status, message)`` to refuse the call; the body completed with the values left out;
        or ``None`` to pass it on as it is (a body that is not JSON is Gradio's to refuse)."""
        try:
            call = json.loads(body)
        except ValueError:
            return None
        if not isinstance(call, dict):
            return None
        match, fn_index = API_CALL.search(path), call.get("fn_index")
        if match is None or fn_index is not None:      # the page's calls name a function index (the name is ignored)
            endpoint = self.functions.get(fn_index) if isinstance(fn_index, int) else None
            if endpoint is None:
                return 404, f"There is no function {str(fn_index)[:20]!r} on this server."
            return self._files(endpoint, call.get("data"))
        endpoint = self.endpoints.get(match.group(2))
        if endpoint is None:
            names = ", ".join(f"/{n}" for n in sorted(self.endpoints))
            return 404, f"There is no API endpoint /{match.group(2)[:80]} on this server; the endpoints are {names}."
        if match.group(1) == "call/v2":      # values by name: Gradio fills in the defaults
            return self._files(endpoint, [call.get(p) for p in endpoint.params])
        return self._values(endpoint, call)

    def _values(self, endpoint: Endpoint, call: dict) -> tuple[int, str] | bytes | None:
        data = call.get("data")
        if not isinstance(data, list):
            return 422, f'{endpoint.usage()}, as {{"data": [...]}}; got {type(data).__name__} for "data".'
        if len(data) < endpoint.required:
            return 422, f"{endpoint.usage()}; got {len(data)} value{'' if len(data) == 1 else 's'}."
        refused = self._files(endpoint, data)
        if refused is not None or len(data) >= len(endpoint.params):
            return refused
        missing = len(endpoint.params) - len(data)
        try:
            return json.dumps({**call, "data": data + list(endpoint.defaults[-missing:])}).encode()
        except TypeError:    # a default that is not JSON: Gradio's to refuse
            return None

    def _files(self, endpoint: Endpoint, data) -> tuple[int, str] | None:
        """A refusal when a file input holds anything but files uploaded to this server."""
        if not isinstance(data, list):
            return None
        for kind, value in zip(endpoint.files, data):
            if kind is None or value is None:
                continue
            given = value if kind == "multiple" and isinstance(value, list) else [value]
            for item in given:
                problem = self._file_problem(item)
                if problem:
                    return problem[0], (f"/{endpoint.name or 'this function'} takes files uploaded to this server "
                                        f"first, each as {FILE_FORM}{' in a list' if kind == 'multiple' else ''}; "
                                        f"{problem[1]}")
        return None

    def _file_problem(self, item) -> tuple[int, str] | None:
        path, meta = (item.get("path"), item.get("meta")) if isinstance(item, dict) else (None, None)
        if not (isinstance(path, str) and isinstance(meta, dict) and meta.get("_type") == FILE_TYPE):
            return 422, f"got {json.dumps(item)[:80]}."
        try:
            inside = Path(path).resolve().is_relative_to(self.upload_dir)
        except (OSError, ValueError):    # a NUL byte, a loop of links
            inside = False
        return None if inside else (403, f"{path[:120]!r} was not uploaded here.")
