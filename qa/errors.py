"""Typed errors raised by the ``qa`` library.

The library never prints and never returns ``None`` for bad input: it raises one
of these. Only the CLI and the UI turn them into messages for people.

Every message says what was received and what is expected, e.g.::

    >>> from qa.errors import QuestionError
    >>> str(QuestionError("The question is empty.", hint="Type a question of 1 to 2000 characters."))
    'The question is empty. Type a question of 1 to 2000 characters.'
"""

from __future__ import annotations


class QAError(Exception):
    """Base class of every error this package raises on purpose."""

    def __init__(self, message: str, *, hint: str | None = None):
        self.message = message
        self.hint = hint
        super().__init__(f"{message} {hint}" if hint else message)


class QuestionError(QAError, ValueError):
    """The question cannot be asked as given (empty, too long, not text)."""


class CorpusError(QAError):
    """The corpus folder is missing, empty, or holds no readable document."""


class DocumentError(QAError):
    """One document could not be read or decoded.  ``path`` names the file; ``reason`` is a
    short code for programs (``"unsupported"``, ``"too-large"``, ``"empty"``, ``"not-utf8"``,
    ``"no-text-layer"``, ``"encrypted"``, ``"corrupt"``, ``"duplicate"``, ...). ``sha256``: the
    content hash of the bytes refused, when they were read (the same bytes are refused again
    without being read again)."""

    def __init__(self, path, message: str, *, hint: str | None = None, reason: str = "unreadable",
                 sha256: str | None = None):
        self.path = str(path)
        self.reason = reason
        self.sha256 = sha256
        super().__init__(f"{self.path}: {message}", hint=hint)

    def to_dict(self) -> dict:
        """``{"path", "reason", "message"}`` (what ``qa index --json`` lists)."""
        return {"path": self.path, "reason": self.reason, "message": str(self)}


class ExtractionError(QAError):
    """A loader could not get text out of a file's bytes (raised by loaders, which don't know
    the file's name; the corpus turns it into a :class:`DocumentError` naming the file).
    ``reason`` is one of :class:`DocumentError`'s codes."""

    def __init__(self, message: str, *, hint: str | None = None, reason: str = "corrupt"):
        self.reason = reason
        super().__init__(message, hint=hint)


class IndexProblem(QAError):
    """Base class of index problems (not named ``IndexError``: that would shadow the builtin)."""


class IndexMissingError(IndexProblem):
    """There is no index where one was expected."""


class IndexCorruptError(IndexProblem):
    """An index file is truncated, edited or unreadable.  ``path`` names it."""

    def __init__(self, path, message: str, *, hint: str | None = None):
        self.path = str(path)
        super().__init__(f"{self.path}: {message}", hint=hint or "Rebuild it with `qa index --rebuild`.")


class IndexMismatchError(IndexProblem):
    """The index was built from another corpus, model or settings."""


class ConfigError(QAError, ValueError):
    """A setting (environment variable or option) has a value that is not allowed."""


class ModelError(QAError):
    """The embedding model (or an optional dependency) is not available."""


class MissingExtraError(ModelError):
    """An optional part of ``qa`` needs a package its extra installs, and it is not installed.
    ``extra`` names the extra (``formats``, ``ui``, ``eval``, ``llm``, ``gguf``, ``milvus``, ...),
    ``module`` the module that is missing; the hint is the pip command (:func:`qa.extras.require`)."""

    def __init__(self, needed_for: str, extra: str, module: str):
        self.extra, self.module = extra, module
        super().__init__(f"{needed_for} needs the {extra} extra ({module} is not installed).",
                         hint=f"Install the {extra} extra: pip install 'qa[{extra}]'")


class StoreError(QAError):
    """The vector database named by ``QA_STORE`` could not be reached, did not answer in time,
    or refused a request. ``store`` names it as people see it, never with credentials."""

    def __init__(self, store: str, message: str, *, hint: str | None = None):
        self.store = store
        super().__init__(f"{store}: {message}", hint=hint)


class BusyError(QAError):
    """The service is at capacity; try again shortly."""


class ServerError(QAError):
    """The chat window cannot listen where it was asked to (port in use, unknown host)."""


class LLMError(QAError):
    """The chat model that writes answers failed or gave no answer in time (the answerer then
    falls back to the quoted answer, with a note)."""


class LLMTimeoutError(LLMError):
    """The chat model gave no answer within ``QA_LLM_TIMEOUT`` seconds."""
