"""Where the index lives (``QA_STORE``): the local folder (default), or a vector database.

    >>> store = open_store("local", index_dir="index")
    >>> store.name
    'index'

- :mod:`~qa.search.stores.base`: the :class:`Store` interface, :class:`LocalStore` and :func:`open_store`;
- :mod:`~qa.search.stores.uri`: ``QA_STORE`` parsed (:class:`StoreSpec`), credentials from the environment;
- Milvus (Milvus Lite embedded, or a server), imported only when ``QA_STORE`` names it:
  :mod:`~qa.search.stores.milvus_client` (one connection, typed errors),
  :mod:`~qa.search.stores.milvus_schema` and :mod:`~qa.search.stores.milvus_write` (a generation's collections),
  :mod:`~qa.search.stores.milvus_store` (the index lifecycle on the engine),
  :mod:`~qa.search.stores.milvus_retriever` (hybrid retrieval on the engine).
"""

from .base import LocalStore, Store, open_store
from .uri import StoreSpec, parse_store

__all__ = ["LocalStore", "Store", "StoreSpec", "open_store", "parse_store"]
