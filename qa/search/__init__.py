"""Stage 2, search: passages in, an index and a retriever out.

- :mod:`~qa.search.embeddings`, :mod:`~qa.search.onnx_encoder`: all-MiniLM-L6-v2 behind LangChain's
  ``Embeddings`` (sentence-transformers for documents, an ONNX export for questions);
- :mod:`~qa.search.lexical`: BM25 over passages;
- :mod:`~qa.search.index`: sentence vectors in FAISS plus BM25, built incrementally;
- :mod:`~qa.search.manifest`, :mod:`~qa.search.storage`: generations on disk, checked on load, switched atomically;
- :mod:`~qa.search.lifecycle`: ``open_or_build_index``, which loads an index or brings it up to date;
- :mod:`~qa.search.retriever`: ``HybridRetriever``, dense and BM25 scores fused, a LangChain ``BaseRetriever``;
- :mod:`~qa.search.stores`: where the index lives (``QA_STORE``): the local folder, or Milvus.

Imports only :mod:`qa.ingest` among the stages.
"""
