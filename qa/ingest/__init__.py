"""Stage 1, ingest: files in, :class:`~qa.ingest.document.Document` s and passages out.

- :mod:`~qa.ingest.text`: offset-preserving normalisation (``fold``), word tokens, sentence splitting;
- :mod:`~qa.ingest.document`: ``Extracted``, ``Document``, ``Section``, ``Corpus``;
- :mod:`~qa.ingest.loaders`: one loader per file format (bytes in, ``Extracted`` out), and
  ``register_loader`` for more; :mod:`~qa.ingest.formats`: PDF, HTML and DOCX;
- :mod:`~qa.ingest.corpus`: reading a folder safely (size limits, links, encodings);
- :mod:`~qa.ingest.chunking`: sentence-aware passages within a section.

Nothing here imports the later stages (search, answering, app, eval).
"""
