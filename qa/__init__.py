"""Question answering over a folder of documents, with cited, highlighted sources.

    >>> import qa
    >>> a = qa.ask("When did Iran launch its missile strike on Pakistan?")   # doctest: +SKIP
    >>> print(a.text)                                                           # doctest: +SKIP

The pipeline's stages are subpackages, each importing only the ones before it:
:mod:`qa.ingest` (documents, passages) -> :mod:`qa.search` (index, retriever) ->
:mod:`qa.answering` (readers, ``Answer``) -> :mod:`qa.pipeline` (the stages assembled) ->
:mod:`qa.app` (API, CLI, chat window; the settings are read here); :mod:`qa.eval` scores them. Settings: :mod:`qa.settings`; errors: :mod:`qa.errors`.

Heavy parts (LangChain, FAISS, the model) load on first use, not on ``import qa``.
"""

from .answering.answer import Answer, Citation
from .errors import (BusyError, ConfigError, CorpusError, DocumentError, ExtractionError, IndexCorruptError,
                     IndexMismatchError, IndexMissingError, IndexProblem, ModelError, QAError, QuestionError)
from .ingest.document import Extracted, Section
from .ingest.loaders import register_loader
from .settings import Settings

__version__ = "0.1.0"

__all__ = ["Answer", "Answerer", "Citation", "ask", "QAError", "QuestionError", "CorpusError", "DocumentError",
           "IndexProblem", "IndexMissingError", "IndexCorruptError", "IndexMismatchError", "ModelError",
           "BusyError", "ConfigError", "ExtractionError", "Settings", "register_loader", "Extracted", "Section"]


def __getattr__(name):
    if name in ("Answerer", "ask", "get_answerer"):
        from .app import api

        return getattr(api, name)
    raise AttributeError(f"module 'qa' has no attribute {name!r}")
