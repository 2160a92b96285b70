"""Question answering over a folder of documents, with cited, highlighted sources.

    >>> import qa
    >>> a = qa.ask("When did Iran launch its missile strike on Pakistan?")   # doctest: +SKIP
    >>> print(a.text)                                                           # doctest: +SKIP

Heavy parts (LangChain, FAISS, the model) load on first use, not on ``import qa``.
"""

from .answer import Answer, Citation
from .errors import (BusyError, ConfigError, CorpusError, DocumentError, IndexCorruptError, IndexMismatchError,
                     IndexMissingError, ModelError, QAError, QuestionError)
from .errors import IndexError_ as IndexProblem

__version__ = "0.1.0"

__all__ = ["Answer", "Answerer", "Citation", "ask", "QAError", "QuestionError", "CorpusError", "DocumentError",
           "IndexProblem", "IndexMissingError", "IndexCorruptError", "IndexMismatchError", "ModelError",
           "BusyError", "ConfigError"]


def __getattr__(name):
    if name in ("Answerer", "ask", "open_index", "get_answerer"):
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'qa' has no attribute {name!r}")
