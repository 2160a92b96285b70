"""The ``QA_*`` settings turned into the arguments the stages take.

The stages (:mod:`qa.ingest`, :mod:`qa.search`, :mod:`qa.answering`) never read the
environment; the edges (the CLI, the chat window's launch, ``Answerer.from_corpus``) read
it here and pass the values down.

    >>> credentials({"QA_MILVUS_USER": "reader", "QA_MILVUS_PASSWORD": "pw"}).client_kwargs()
    {'user': 'reader', 'password': 'pw'}
    >>> open_configured_store(index_dir="idx", environ={}).name
    'idx'
"""

from __future__ import annotations

from typing import Mapping

from ..ingest.limits import Limits
from ..search.stores import Store, StoreSpec, open_store, parse_store
from ..search.stores.uri import Credentials
from ..settings import Settings


def credentials(environ: Mapping[str, str] | None = None) -> Credentials:
    """``QA_MILVUS_TOKEN``, or ``QA_MILVUS_USER`` and ``QA_MILVUS_PASSWORD``, from ``environ``
    (default ``os.environ``)."""
    get = lambda name: Settings.get(name, environ)  # noqa: E731
    return Credentials(get("milvus_token"), get("milvus_user"), get("milvus_password"))


def open_configured_store(store=None, index_dir=None, environ: Mapping[str, str] | None = None) -> Store:
    """:func:`~qa.search.stores.open_store` with the settings: ``store`` (default ``QA_STORE``),
    ``index_dir`` (default ``QA_INDEX``), and for a database ``QA_STORE_TIMEOUT`` and the
    :func:`credentials`, all read from ``environ`` (default ``os.environ``). ``store`` may also be
    a parsed :class:`~qa.search.stores.StoreSpec` or a :class:`~qa.search.stores.Store` (returned as it is)."""
    if isinstance(store, Store):
        return store
    spec = store if isinstance(store, StoreSpec) else parse_store(
        store if store is not None else Settings.get("store", environ))
    if spec.kind == "local":
        return open_store(spec, index_dir if index_dir is not None else Settings.get("index", environ))
    return open_store(spec, credentials=credentials(environ), timeout=Settings.get("store_timeout", environ))


def document_limits() -> Limits:
    """What one document may unpack to, from the settings (``QA_MAX_DOC_CHARS``, ``QA_MAX_DOC_SENTENCES``,
    ``QA_MAX_UNPACKED_BYTES``, ``QA_MAX_UNPACK_RATIO``, ``QA_MAX_HTML_ELEMENTS``)."""
    return Limits(max_chars=Settings.get("max_doc_chars"), max_sentences=Settings.get("max_doc_sentences"),
                  max_unpacked_bytes=Settings.get("max_unpacked_bytes"), max_unpack_ratio=Settings.get("max_unpack_ratio"),
                  max_html_elements=Settings.get("max_html_elements"))
