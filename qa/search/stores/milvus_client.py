"""One connection to Milvus, with every failure turned into a typed error.

:class:`Engine` calls ``pymilvus.MilvusClient`` methods with a per-request timeout
(``QA_STORE_TIMEOUT``) and translates what goes wrong:

* nothing listening, or the engine went away mid-request -> a new client and one retry, then
  :class:`~qa.errors.StoreError` ("cannot reach ...");
* no answer within the timeout (a hung engine) -> ``StoreError`` ("did not answer within ...");
* a collection that a restarted engine has not loaded yet -> ``load_collection`` and one retry;
* a collection or alias that does not exist -> :class:`~qa.errors.IndexMissingError`.

Messages name the store as ``milvus://host:port/collection`` (or ``milvus-lite:PATH``), and any
credential is masked out of them. pymilvus is imported on first use only, so nothing changes
for people who don't set ``QA_STORE``; without it installed, a :class:`~qa.errors.MissingExtraError`
says ``pip install 'qa[milvus]'``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from pathlib import Path
from typing import Any

from ...errors import IndexMissingError, ModelError, StoreError
from ...extras import missing, require
from .uri import Credentials, StoreSpec

UNAVAILABLE, NOT_FOUND, NOT_LOADED = 2, 100, 101    # pymilvus MilvusException codes
BUILD_TIMEOUT_S = 3600.0   # one request of a build (an insert batch, a flush that builds HNSW, a load)
MESSAGE_CHARS = 300


def _pymilvus():
    """The pymilvus module, imported now (seconds), its RPC error log quietened (errors are raised)."""
    pymilvus = require("milvus", "pymilvus", needed_for="A Milvus store (QA_STORE)")
    # pymilvus logs every failed request with a traceback; each one is raised here as a typed error.
    logging.getLogger("pymilvus").setLevel(logging.CRITICAL)
    return pymilvus


def _is_deadline(exc: BaseException) -> bool:
    """A gRPC deadline, raw (``grpc.RpcError``) or wrapped by pymilvus."""
    code = getattr(exc, "code", None)
    if callable(code):
        try:
            return getattr(code(), "name", "") == "DEADLINE_EXCEEDED"
        except Exception:  # noqa: BLE001 - a broken error object is not a deadline
            return False
    return "DEADLINE_EXCEEDED" in str(exc).upper().replace(" ", "_")


class _Collect(logging.Handler):
    def __init__(self, reasons: list[str]):
        super().__init__(logging.ERROR)
        self.reasons = reasons

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        self.reasons.append(f"{type(exc).__name__}: {exc}" if exc else record.getMessage())


@contextlib.contextmanager
def _lite_start_failures(reasons: list[str]):
    """Milvus Lite logs why it could not start (with a traceback) and pymilvus then raises a bare
    "Open local milvus failed": keep the reason for the error, and the traceback off stderr."""
    logger = logging.getLogger("milvus_lite.server_manager")
    handler, propagate = _Collect(reasons), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


class Engine:
    """A lazily opened ``MilvusClient`` for ``spec``; thread-safe; :meth:`call` runs one request."""

    def __init__(self, spec: StoreSpec, credentials: Credentials | None = None, timeout: float = 10.0):
        self.spec = spec
        self.credentials = credentials or Credentials()
        self.timeout = timeout
        self._client = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Engine({self.spec.name!r}, timeout={self.timeout})"

    def clean(self, text: str) -> str:
        """``text`` with every credential masked, cut to a readable length."""
        for secret in self.credentials.secrets():
            text = text.replace(secret, "***")
        return " ".join(text.split())[:MESSAGE_CHARS]

    def client(self):
        """The client, opened on first use (for Milvus Lite, this starts the embedded engine)."""
        with self._lock:
            if self._client is None:
                self._client = self._open()
            return self._client

    def _open(self):
        pymilvus = _pymilvus()
        kwargs = {} if self.spec.lite else self.credentials.client_kwargs()
        if self.spec.lite:   # like an index folder, a Lite database's folder is made when first used
            try:
                Path(self.spec.uri).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(self.spec.name, f"cannot create its folder ({exc.strerror or exc}).") from None
        reasons: list[str] = []
        try:
            with _lite_start_failures(reasons):
                return pymilvus.MilvusClient(uri=self.spec.uri, timeout=self.timeout, **kwargs)
        except pymilvus.exceptions.MilvusException as exc:
            raise self._open_error(exc, reasons) from None

    def _open_error(self, exc, reasons: list[str]) -> StoreError | ModelError:
        message = self.clean(str(getattr(exc, "message", exc)))
        if "milvus-lite is required" in message:
            return missing("milvus", "milvus_lite", "A milvus-lite store (QA_STORE)")
        if self.spec.lite:
            return StoreError(self.spec.name, f"cannot open the Milvus Lite database "
                                              f"({self.clean(reasons[-1]) if reasons else message}).",
                              hint="Only one process at a time can open a Milvus Lite folder: stop the other one, "
                                   "or run `milvus-lite server` and set QA_STORE=milvus://HOST:PORT/COLLECTION.")
        return self._unreachable(message)

    def _unreachable(self, reason: str) -> StoreError:
        return StoreError(self.spec.name, f"cannot reach Milvus ({reason}).",
                          hint="Check that the server runs and that QA_STORE names it; questions work again once "
                               "it is back.")

    def reset(self) -> None:
        """Forget the client: the next request opens a new one."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            try:
                client.close()
            except Exception:  # noqa: BLE001 - closing a broken channel may fail; it is dropped either way
                pass

    def call(self, method: str, *args, slow: bool = False, **kwargs) -> Any:
        """``MilvusClient.<method>(*args, **kwargs)`` within the timeout (``BUILD_TIMEOUT_S`` when
        ``slow``: the requests of a build), with the retries above."""
        loaded = reconnected = False
        timeout = max(self.timeout, BUILD_TIMEOUT_S) if slow else self.timeout
        while True:
            try:
                return getattr(self.client(), method)(*args, timeout=timeout, **kwargs)
            except Exception as exc:  # noqa: BLE001 - sorted below; anything unknown is re-raised
                action, failure = self._classify(exc), exc
            if action == "load" and not loaded and args:
                loaded = True
                self.call("load_collection", args[0], slow=slow)
            elif action == "reconnect" and not reconnected:
                reconnected = True
                self.reset()
            else:
                raise self._error(action, failure, method, args, timeout) from None

    def _classify(self, exc: Exception) -> str:
        if isinstance(exc, (StoreError, ModelError, IndexMissingError)):
            raise exc
        if _is_deadline(exc):
            return "timeout"
        code = getattr(exc, "code", None)
        if code == NOT_LOADED:
            return "load"
        if code == NOT_FOUND:
            return "missing"
        if code == UNAVAILABLE or type(exc).__name__ in ("_InactiveRpcError", "_MultiThreadedRendezvous"):
            return "reconnect"
        if hasattr(exc, "code"):
            return "refused"
        raise exc

    def _error(self, action: str, exc: Exception, method: str, args: tuple, timeout: float) -> Exception:
        message = self.clean(str(getattr(exc, "message", None) or exc))
        if action == "timeout":
            self.reset()
            return StoreError(self.spec.name, f"Milvus did not answer within {timeout:g} s ({method}).",
                              hint="The engine may be overloaded or hung; raise QA_STORE_TIMEOUT if it is just slow.")
        if action == "missing":
            return IndexMissingError(f"{self.spec.name}: {message}.", hint="Build the index with `qa index`.")
        if action == "reconnect":
            return self._unreachable(message)
        if action == "load":
            return StoreError(self.spec.name, f"the collection {args[0]!r} stays unloaded ({message}).")
        return StoreError(self.spec.name, f"Milvus refused {method} ({message}).")
