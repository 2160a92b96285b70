"""``QA_STORE``: where the index lives, parsed and checked.

    >>> parse_store("local").kind
    'local'
    >>> spec = parse_store("milvus://db.example.org:19530/handbook")
    >>> spec.kind, spec.uri, spec.collection, spec.name
    ('milvus', 'http://db.example.org:19530', 'handbook', 'milvus://db.example.org:19530/handbook')
    >>> parse_store("milvus-lite:index/qa.db").uri
    'index/qa.db'
    >>> parse_store("qdrant://localhost:6333/qa")
    Traceback (most recent call last):
    ...
    qa.errors.ConfigError: QA_STORE is 'qdrant://localhost:6333/qa'; expected local, milvus://HOST:PORT/COLLECTION, ...

Credentials never go in ``QA_STORE``: they come from ``QA_MILVUS_TOKEN`` (or
``QA_MILVUS_USER`` and ``QA_MILVUS_PASSWORD``), and a value holding ``user:password@``
is refused without being repeated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ...errors import ConfigError
from ...settings import variable

DEFAULT_COLLECTION = "qa"
DEFAULT_PORT = 19530
LITE_PREFIX = "milvus-lite:"
SCHEMES = {"milvus": "http", "milvus+https": "https"}
# Milvus names: a letter or "_", then letters, digits, "_" (255 at most; generations add ~30 characters).
COLLECTION = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,199}")
ALLOWED = variable("store").allowed


@dataclass(frozen=True)
class Credentials:
    """A token, or a user and password (the edges read them from the environment:
    :func:`qa.app.configured.credentials`). Their ``repr`` hides them."""

    token: str = field(default="", repr=False)
    user: str = ""
    password: str = field(default="", repr=False)

    def secrets(self) -> list[str]:
        """The values that must never appear in a message or a log line."""
        return [s for s in (self.token, self.password) if s]

    def client_kwargs(self) -> dict:
        """Keyword arguments of ``pymilvus.MilvusClient``."""
        if self.token:
            return {"token": self.token}
        if self.user or self.password:
            return {"user": self.user, "password": self.password}
        return {}


@dataclass(frozen=True)
class StoreSpec:
    """A parsed ``QA_STORE``: ``kind`` is "local" or "milvus"; ``uri`` is what pymilvus connects
    to (``http(s)://host:port``, or the folder of a Milvus Lite database); ``name`` is how
    messages show it."""

    kind: str
    uri: str = ""
    collection: str = DEFAULT_COLLECTION
    name: str = "local"

    @property
    def lite(self) -> bool:
        """Milvus Lite, embedded in this process (one process per folder)."""
        return self.kind == "milvus" and not self.uri.startswith(("http://", "https://"))


def _refuse(raw: str) -> ConfigError:
    shown = re.sub(r"//[^/@]*@", "//***@", raw)
    return ConfigError(f"QA_STORE is {shown!r}; expected {ALLOWED}.")


def _server(raw: str) -> StoreSpec:
    parts = urlsplit(raw)
    if "@" in parts.netloc:
        raise ConfigError("QA_STORE holds credentials (user:password@ in the address); they are not allowed there.",
                          hint="Put them in QA_MILVUS_TOKEN, or QA_MILVUS_USER and QA_MILVUS_PASSWORD.")
    try:
        host, port = parts.hostname, parts.port or DEFAULT_PORT
    except ValueError:
        raise _refuse(raw) from None
    collection = parts.path.strip("/") or DEFAULT_COLLECTION
    if not host or parts.query or parts.fragment or not COLLECTION.fullmatch(collection):
        raise _refuse(raw)
    scheme = parts.scheme.lower()
    return StoreSpec("milvus", f"{SCHEMES[scheme]}://{host}:{port}", collection,
                     f"{scheme}://{host}:{port}/{collection}")


def parse_store(raw: str | None) -> StoreSpec:
    """The store ``raw`` names (a ``QA_STORE`` value), or :class:`ConfigError` saying what is allowed."""
    raw = (raw or "").strip()
    if raw in ("", "local"):
        return StoreSpec("local")
    scheme = raw.split("://", 1)[0].lower() if "://" in raw else ""
    if scheme in SCHEMES:
        return _server(raw)
    path = raw[len(LITE_PREFIX):] if raw.startswith(LITE_PREFIX) else raw
    if path.endswith(".db") and len(path) > 3 and "://" not in path:
        return StoreSpec("milvus", path, DEFAULT_COLLECTION, f"{LITE_PREFIX}{path}")
    if raw.startswith(LITE_PREFIX):
        raise ConfigError(f"QA_STORE is {raw!r}; a Milvus Lite database is a folder whose name ends in .db, "
                          f"e.g. milvus-lite:index/qa.db.")
    raise _refuse(raw)
