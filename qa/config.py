"""Settings that come from the environment (and feed the CLI's options).

| variable              | meaning                                   | default   |
|-----------------------|-------------------------------------------|-----------|
| ``QA_CORPUS``         | folder of documents                       | ``corpus``|
| ``QA_INDEX``          | folder of the persisted index             | ``index`` |
| ``QA_TOP_K``          | passages retrieved per question           | ``4``     |
| ``QA_MAX_QUESTION_CHARS`` | longest question accepted             | ``1000``  |
| ``QA_CACHE_DIR``      | where the ONNX export of the model is kept| ``~/.cache/qa`` |
| ``QA_MAX_FILE_BYTES`` | largest document file indexed             | 20 MiB    |
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import ConfigError


def integer(name: str, default: int, low: int = 1, high: int | None = None) -> int:
    """The whole number in environment variable ``name`` (``default`` when unset),
    or :class:`ConfigError` saying what was received and what is allowed.

    >>> integer("QA_TEST_UNSET_VARIABLE", 4)
    4
    """
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return default
    allowed = f"a whole number from {low}" + (f" to {high}" if high is not None else " up")
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} is {raw!r}; expected {allowed}.") from None
    if value < low or (high is not None and value > high):
        raise ConfigError(f"{name} is {value}; expected {allowed}.")
    return value


def corpus_dir(default="corpus") -> Path:
    return Path(os.environ.get("QA_CORPUS") or default)


def index_dir(default="index") -> Path:
    return Path(os.environ.get("QA_INDEX") or default)


def top_k() -> int:
    return integer("QA_TOP_K", 4, 1, 100)


def max_question_chars() -> int:
    return integer("QA_MAX_QUESTION_CHARS", 1000, 1, 100_000)
