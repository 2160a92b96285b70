"""Secrets never reach the log: API keys, tokens and the password of a ``user:password@`` URL are
redacted from every log line, whichever logger wrote it, in its arguments and in its traceback."""

from __future__ import annotations

import io
import logging

import pytest
from langchain_core.documents import Document

from qa.answering.redaction import redact

KEY = "sk-proj-4f9XkQ2bV7mN1pL8rT3sW6yZ0aC5dE"
URL = "https://alice:hunter2-pw@llm.example.com:8443/v1"


@pytest.mark.parametrize("text, expected", [
    (f"bad key {KEY} given", "bad key [REDACTED] given"),
    (f"POST {URL}/chat failed", "POST https://alice:[REDACTED]@llm.example.com:8443/v1/chat failed"),
    ("headers {'Authorization': 'Bearer abc.DEF-123_xyz'}", "headers {'Authorization': 'Bearer [REDACTED]'}"),
    ("GET /v1?api_key=AbC123xyz&model=m", "GET /v1?api_key=[REDACTED]&model=m"),
    ('{"password": "s3cret!", "user": "bob"}', '{"password": "[REDACTED]", "user": "bob"}'),
    ("token=hf_abcdefghijklmnopqrstuvwxyz1234", "token=[REDACTED]"),
    ("AWS key AKIAIOSFODNN7EXAMPLE", "AWS key [REDACTED]"),
    ("Owls hunt at night; see https://example.com/owls?page=2", "Owls hunt at night; see https://example.com/owls?page=2"),
    ("basic information about the token limit", "basic information about the token limit"),
    ("Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l", "Authorization: Basic [REDACTED]"),
])
def test_secrets_are_redacted_and_the_rest_is_kept(text, expected):
    assert redact(text) == expected


@pytest.fixture
def configured():
    """The app's logging, put back as it was afterwards."""
    from qa.app.logs import configure_logging

    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging.getLogRecordFactory())
    configure_logging(0)
    yield root
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    logging.setLogRecordFactory(saved[2])


def test_every_logger_args_and_tracebacks_are_redacted(configured):
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    other = logging.getLogger("some.library")
    other.addHandler(handler)                 # a handler the app did not configure, on a library's logger
    try:
        other.warning("calling %s with key %s", URL, KEY)
        try:
            raise RuntimeError(f"401 from {URL}: invalid api key {KEY}")
        except RuntimeError:
            logging.getLogger("qa.anything").addHandler(handler)
            logging.getLogger("qa.anything").exception("the model failed")
    finally:
        other.removeHandler(handler)
        logging.getLogger("qa.anything").removeHandler(handler)
    text = out.getvalue()
    assert "hunter2" not in text and KEY not in text
    assert "some.library calling https://alice:[REDACTED]@llm.example.com:8443/v1 with key [REDACTED]" in text
    assert "RuntimeError: 401 from https://alice:[REDACTED]@llm.example.com:8443/v1: invalid api key [REDACTED]" in text


def test_the_root_handlers_filter_records_made_before_the_factory(configured):
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "key %s", (KEY,), None)
    out = io.StringIO()
    configured.handlers[0].setStream(out)
    configured.handlers[0].handle(record)
    assert out.getvalue().strip().endswith("key [REDACTED]")


def test_a_failing_chat_model_leaves_no_secret_in_the_log_or_the_error(caplog):
    from langchain_core.language_models import FakeListChatModel

    from qa.answering.generative import GenerativeReader
    from qa.answering.reader import Reader

    class Leaky(FakeListChatModel):
        def _stream(self, *a, **kw):
            raise ConnectionError(f"cannot reach {URL} with api_key={KEY}")

    class Quoted(Reader):
        def read(self, question, passages, *, query=None, history=None):
            from qa.answering.reader import abstain

            return abstain(question, query or question, 0.0, [])

    p = Document("Owls hunt at night.", metadata={"source": "owls.md", "start": 0, "end": 19, "score": 1.0})
    reader = GenerativeReader(Leaky(responses=["x"]), fallback=Quoted(), retries=0, timeout_s=5)
    with caplog.at_level(logging.WARNING, logger="qa.answering.generative"):
        answer = reader.read("When do owls hunt?", [p])
    assert answer.note and "hunter2" not in answer.note
    [record] = [r for r in caplog.records if r.name == "qa.answering.generative"]
    assert "ConnectionError: cannot reach https://alice:[REDACTED]@llm.example.com:8443/v1 with api_key=[REDACTED]" \
        in record.getMessage()
    assert "hunter2" not in caplog.text and KEY not in caplog.text
    assert record.exc_info is None or "hunter2" not in logging.Formatter().formatException(record.exc_info)
