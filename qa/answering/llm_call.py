"""Calling a chat model with a deadline and a retry limit, streaming its text.

Any LangChain ``BaseChatModel`` works: the model's ``stream`` runs in a worker thread that
hands text pieces over a queue, so the caller can stop waiting when the deadline passes,
whatever the model's own client does. A call that fails or times out before its first
piece is tried again (at most ``retries`` times, within the same deadline); after that, or
once text has been handed out, the failure is raised as :class:`~qa.errors.LLMError`
(:class:`~qa.errors.LLMTimeoutError` for the deadline, its message with secrets redacted:
:mod:`qa.answering.redaction`) and the reader falls back.

    >>> from langchain_core.language_models import GenericFakeChatModel
    >>> model = GenericFakeChatModel(messages=iter(["Crows use tools. [1]"]))
    >>> list(stream_text(model, [], timeout_s=5))
    ['Crows', ' ', 'use', ' ', 'tools.', ' ', '[1]']
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator

from ..errors import LLMError, LLMTimeoutError
from .redaction import redact

_DONE = object()


def _text_of(chunk) -> str:
    """A message chunk's text (content given as a list of blocks included)."""
    text = getattr(chunk, "text", None)
    if isinstance(text, str):
        return text
    content = getattr(chunk, "content", "")
    return content if isinstance(content, str) else ""


def _pump(model, messages, out: queue.Queue, stop: threading.Event) -> None:
    """Worker: the model's stream into ``out``, then ``_DONE`` (or the exception)."""
    try:
        for chunk in model.stream(messages):
            if stop.is_set():
                return
            out.put(_text_of(chunk))
        out.put(_DONE)
    except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
        out.put(exc)


def _one_call(model, messages, deadline: float, timeout_s: float) -> Iterator[str]:
    """The text pieces of one call, until it ends, fails or ``deadline`` passes."""
    out: queue.Queue = queue.Queue()
    stop = threading.Event()
    threading.Thread(target=_pump, args=(model, messages, out, stop), daemon=True, name="qa-llm").start()
    try:
        while True:
            try:
                item = out.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise LLMTimeoutError(f"The chat model gave no answer within {timeout_s:g} s.") from None
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                kind = LLMTimeoutError if "timeout" in type(item).__name__.lower() else LLMError   # the client's own
                # the client's text may hold its key or a user:password@ URL: never passed on as it is
                raise kind(f"The chat model failed: {type(item).__name__}: {redact(str(item))[:300]}") from item
            if item:
                yield item
    finally:
        stop.set()   # a worker still running drops what comes next


def stream_text(model, messages, *, timeout_s: float, retries: int = 0) -> Iterator[str]:
    """The model's reply to ``messages``, piece by piece, within ``timeout_s`` seconds in all;
    a call that fails before its first piece is tried again up to ``retries`` times."""
    deadline = time.monotonic() + timeout_s
    for attempt in range(retries + 1):
        started = False
        try:
            for piece in _one_call(model, messages, deadline, timeout_s):
                started = True
                yield piece
            return
        except LLMError:
            if started or attempt == retries or time.monotonic() >= deadline:
                raise
