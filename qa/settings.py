"""Every setting that comes from the environment, in one table: :class:`Settings`.

Each field of :class:`Settings` is declared once, with :func:`setting`: its
``QA_*`` variable, default, allowed range or choices and a line of help. A bad
value is a :class:`~qa.errors.ConfigError` that names the variable, the value
received and what is allowed::

    >>> Settings.from_env({}).top_k
    4
    >>> Settings.from_env({"QA_TOP_K": "many"})
    Traceback (most recent call last):
    ...
    qa.errors.ConfigError: QA_TOP_K is 'many'; expected a whole number from 1 to 100.
    >>> Settings.get("port", {"QA_PORT": "8080"})
    8080

``Settings.from_env()`` reads every variable (the chat window uses it); the
other edges (the CLI, ``Answerer.from_corpus`` in :mod:`qa.app`) read only the
values they need with :meth:`Settings.get`, so a bad ``QA_PORT`` does not stop
``qa.ask``. The stages below them (ingest, search, answering) never read the
environment: they take these values as arguments. Adding a
setting is one line in the class body; :func:`variables` lists them all
(the settings table of docs/configuration.md is written from it).
"""

from __future__ import annotations

import os
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Mapping

from .errors import ConfigError

MIB = 1024 * 1024
MAX_TOP_K = 100  # passages per question; the CLI option, the retriever and QA_TOP_K share this range
# Defaults the stages take as arguments when no edge (CLI, chat window, Answerer.from_corpus) passes a setting:
DEFAULT_TOP_K = 4
DEFAULT_MAX_FILE_BYTES = 20 * MIB
DEFAULT_STORE_TIMEOUT = 10
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _cpu_default() -> int:
    """Questions answered at once by default: the CPU cores, at most 4."""
    return max(1, min(4, os.cpu_count() or 2))


def default_cache_dir() -> Path:
    """Where the ONNX export of the model is kept when ``QA_CACHE_DIR`` is not passed down: ``~/.cache/qa``."""
    return Path.home() / ".cache" / "qa"


def setting(env: str, default: Any, help: str, *, kind: type = str, low: int | None = None,
            high: int | None = None, choices: tuple[str, ...] = (), same_as: str | None = None,
            fallback: str | None = None, secret: bool = False, allowed: str = "") -> Any:
    """A :class:`Settings` field read from ``env``. ``default`` may be a function (called
    when the variable is unset); ``kind`` is ``int``, ``bool``, ``Path`` or ``str``;
    ``low``/``high`` bound an ``int``; ``choices`` list the allowed strings. ``same_as``
    names the field whose value is the default; ``fallback`` is another variable read when
    ``env`` is unset; a ``secret`` is left out of the settings' ``repr`` (so never logged);
    ``allowed`` describes the values of a text setting that its reader checks (e.g. ``QA_STORE``)."""
    meta = {"env": env, "help": help, "kind": kind, "low": low, "high": high, "choices": choices,
            "default": default, "same_as": same_as, "fallback": fallback, "secret": secret,
            "allowed": allowed}
    if callable(default):
        return field(default_factory=default, metadata=meta, repr=not secret)
    return field(default=default, metadata=meta, repr=not secret)


def _allowed(meta: Mapping) -> str:
    """What a variable may hold, in words."""
    kind, low, high = meta["kind"], meta["low"], meta["high"]
    if meta["allowed"]:
        return meta["allowed"]
    if meta["choices"]:
        return "one of " + ", ".join(meta["choices"])
    if kind is int:
        return f"a whole number from {low if low is not None else 0}" + (f" to {high}" if high is not None else " up")
    if kind is bool:
        return "one of " + ", ".join(_TRUE + _FALSE)
    return "a path" if kind is Path else "text"


def _parse(meta: Mapping, raw: str, name: str | None = None) -> Any:
    """``raw`` (stripped, not empty) as the field's kind, or :class:`ConfigError` naming
    ``name`` (default: the field's variable)."""
    name, kind = name or meta["env"], meta["kind"]
    problem = ConfigError(f"{name} is {raw!r}; expected {_allowed(meta)}.")
    if meta["choices"]:
        if raw.lower() not in meta["choices"]:
            raise problem
        return raw.lower()
    if kind is bool:
        if raw.lower() not in _TRUE + _FALSE:
            raise problem
        return raw.lower() in _TRUE
    if kind is int:
        try:
            value = int(raw)
        except ValueError:
            raise problem from None
        if (meta["low"] is not None and value < meta["low"]) or (meta["high"] is not None and value > meta["high"]):
            raise ConfigError(f"{name} is {value}; expected {_allowed(meta)}.")
        return value
    return Path(raw) if kind is Path else raw


@dataclass(frozen=True)
class Settings:
    """The ``QA_*`` environment, checked. Build it with :meth:`from_env`."""

    corpus: Path = setting("QA_CORPUS", Path("corpus"), "folder of documents", kind=Path)
    index: Path = setting("QA_INDEX", Path("index"), "folder of the index (built or updated when out of date)",
                          kind=Path)
    top_k: int = setting("QA_TOP_K", DEFAULT_TOP_K, "passages retrieved per question", kind=int, low=1, high=MAX_TOP_K)
    reader: str = setting("QA_READER", "span", "how answers are found: span or fast (the learned MiniLM reader), "
                          "mpnet (MiniLM ranks, MPNet-base reads the best passages; needs its model built), or "
                          "extractive (sentence scoring alone)", choices=("span", "fast", "mpnet", "extractive"))
    max_question_chars: int = setting("QA_MAX_QUESTION_CHARS", 1000, "longest question accepted, in characters",
                                      kind=int, low=1, high=100_000)
    max_file_bytes: int = setting("QA_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES,
                                  "largest document file indexed, in bytes",
                                  kind=int, low=1)
    max_doc_chars: int = setting("QA_MAX_DOC_CHARS", 5_000_000, "most characters of text one document may hold "
                                 "(more is refused as too-large, while it is read)", kind=int, low=1)
    max_doc_sentences: int = setting("QA_MAX_DOC_SENTENCES", 100_000, "most sentences one document may hold (each "
                                     "is embedded)", kind=int, low=1)
    max_unpacked_bytes: int = setting("QA_MAX_UNPACKED_BYTES", 100 * MIB, "most bytes a DOCX archive or a PDF's "
                                      "streams may unpack to", kind=int, low=1)
    max_unpack_ratio: int = setting("QA_MAX_UNPACK_RATIO", 100, "most times its packed size a DOCX member may "
                                    "unpack to (more is a zip bomb)", kind=int, low=1)
    max_html_elements: int = setting("QA_MAX_HTML_ELEMENTS", 100_000, "most tags an HTML page may hold (its "
                                     "parser's time grows with them)", kind=int, low=1)
    cache_dir: Path = setting("QA_CACHE_DIR", default_cache_dir, "where the ONNX export of the model is kept",
                              kind=Path)
    questions: Path = setting("QA_QUESTIONS", Path("evaluation/questions.jsonl"), "question set of `qa eval`",
                              kind=Path)
    host: str = setting("QA_HOST", "127.0.0.1", "address the chat window listens on", fallback="GRADIO_SERVER_NAME")
    port: int = setting("QA_PORT", 7860, "port of the chat window", kind=int, low=1, high=65535,
                        fallback="GRADIO_SERVER_PORT")
    concurrency: int = setting("QA_CONCURRENCY", _cpu_default, "questions the chat window answers at once",
                               kind=int, low=1, high=64)
    queue_size: int = setting("QA_QUEUE_SIZE", 32, "questions waiting beyond those; more are told it is busy",
                              kind=int, low=1, high=10_000)
    max_upload_bytes: int = setting("QA_MAX_UPLOAD_BYTES", None, "largest file the chat window accepts, in bytes",
                                    kind=int, low=1, same_as="max_file_bytes")
    uploads: str = setting("QA_UPLOADS", "auto", "file uploads to the chat window (auto: on only on loopback)",
                           choices=("auto", "on", "off"))
    auth: str = setting("QA_AUTH", "", "log-ins of the chat window, `user:password[,user2:password2]`",
                        secret=True)
    auth_file: Path | None = setting("QA_AUTH_FILE", None, "file of `user:password-hash` lines "
                                     "(`python -m qa.app.auth USER` writes one)", kind=Path)
    allow_anonymous: bool = setting("QA_ALLOW_ANONYMOUS", False, "serve beyond loopback without a log-in",
                                    kind=bool)
    root_path: str = setting("QA_ROOT_PATH", "", "URL path the chat window is served under behind a reverse "
                             "proxy (e.g. `/qa`)")
    llm: str = setting("QA_LLM", "", "chat model that writes answers, as provider:model (e.g. ollama:llama3.2, "
                       "openai:gpt-4o-mini, gguf:path/to/model.gguf); empty: answers quoted from the documents")
    llm_unverified: str = setting("QA_LLM_UNVERIFIED", "drop", "a written sentence its cited passages don't "
                                  "support: drop it, or mark it as unverified", choices=("drop", "mark"))
    llm_timeout: int = setting("QA_LLM_TIMEOUT", 120, "seconds a written answer may take before the quoted "
                               "answer is given instead", kind=int, low=1, high=3600)
    llm_retries: int = setting("QA_LLM_RETRIES", 1, "times a failed call to the chat model is tried again",
                               kind=int, low=0, high=5)
    store: str = setting("QA_STORE", "local", "where the index lives: the QA_INDEX folder (local) or Milvus "
                         "(docs/scaling.md)",
                         allowed="local, milvus://HOST:PORT/COLLECTION, milvus+https://HOST:PORT/COLLECTION, "
                                 "or a Milvus Lite folder: milvus-lite:PATH.db (or PATH.db)")
    store_timeout: int = setting("QA_STORE_TIMEOUT", DEFAULT_STORE_TIMEOUT,
                                 "seconds one request to a QA_STORE database may take",
                                 kind=int, low=1, high=3600)
    milvus_token: str = setting("QA_MILVUS_TOKEN", "", "Milvus token (or USER:PASSWORD); never logged",
                                secret=True)
    milvus_user: str = setting("QA_MILVUS_USER", "", "Milvus user name, with QA_MILVUS_PASSWORD")
    milvus_password: str = setting("QA_MILVUS_PASSWORD", "", "Milvus password; never logged", secret=True)

    @classmethod
    def get(cls, name: str, environ: Mapping[str, str] | None = None, default: Any = MISSING) -> Any:
        """The one setting ``name`` (a field name) from ``environ`` (default ``os.environ``);
        ``default`` replaces the table's default when the variable is unset or empty."""
        meta = _FIELDS[name].metadata
        environ = os.environ if environ is None else environ
        for var in (meta["env"], meta["fallback"]):
            raw = (environ.get(var) or "").strip() if var else ""
            if raw:
                return _parse(meta, raw, var)
        if default is not MISSING:
            return default
        if meta["same_as"]:
            return cls.get(meta["same_as"], environ)
        return meta["default"]() if callable(meta["default"]) else meta["default"]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **defaults: Any) -> "Settings":
        """Every setting from ``environ`` (default ``os.environ``); ``defaults`` replace the
        table's defaults by field name, e.g. ``from_env(corpus=here / "corpus")``."""
        unknown = set(defaults) - set(_FIELDS)
        if unknown:
            raise TypeError(f"unknown settings {sorted(unknown)}; expected some of {sorted(_FIELDS)}")
        return cls(**{name: cls.get(name, environ, defaults.get(name, MISSING)) for name in _FIELDS})


_FIELDS = {f.name: f for f in fields(Settings)}


@dataclass(frozen=True)
class Variable:
    """One row of the settings table, for documentation."""

    name: str
    field: str
    default: str
    allowed: str
    help: str


def variable(name: str) -> Variable:
    """The row of field ``name``: ``variable("top_k").name == "QA_TOP_K"``."""
    return next(v for v in variables() if v.field == name)


def variables() -> list[Variable]:
    """The table of ``QA_*`` variables, in declaration order.

    >>> [v.name for v in variables()][:3]
    ['QA_CORPUS', 'QA_INDEX', 'QA_TOP_K']
    """
    rows = []
    for f in _FIELDS.values():
        meta = f.metadata
        default: Callable | Any = meta["default"]
        shown = {_cpu_default: "CPU cores, at most 4", default_cache_dir: "~/.cache/qa"}.get(default, default)
        if isinstance(shown, int) and shown >= MIB and shown % MIB == 0:
            shown = f"{shown // MIB} MiB"
        if meta["same_as"]:
            shown = "as " + _FIELDS[meta["same_as"]].metadata["env"]
        elif isinstance(shown, bool):
            shown = int(shown)
        elif shown is None or shown == "":
            shown = "unset"
        help_text = meta["help"] + (f" (else `{meta['fallback']}`)" if meta["fallback"] else "")
        rows.append(Variable(meta["env"], f.name, str(shown), _allowed(meta), help_text))
    return rows
