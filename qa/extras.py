"""The optional parts of ``qa`` and the extras that install them (``pip install 'qa[EXTRA]'``,
declared in ``pyproject.toml``): one way to import an optional package, and one error when it is
missing, :class:`~qa.errors.MissingExtraError`, naming the extra and the pip command.

    >>> require("formats", "json", needed_for="Reading JSON").__name__
    'json'
    >>> require("milvus", "no_such_module_here", needed_for="A Milvus store")
    Traceback (most recent call last):
    ...
    qa.errors.MissingExtraError: A Milvus store needs the milvus extra (no_such_module_here is not installed). \
Install the milvus extra: pip install 'qa[milvus]'
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import MissingExtraError

EXTRAS = {
    "formats": "reading PDF, HTML and DOCX files",
    "ui": "the chat window",
    "eval": "qa eval's stock recipe and chart",
    "llm": "written answers (QA_LLM)",
    "ollama": "written answers by an Ollama model",
    "openai": "written answers by an OpenAI-compatible model",
    "gguf": "written answers by a local GGUF model",
    "milvus": "an index in Milvus (QA_STORE)",
    "train": "fine-tuning a reader with LoRA adapters (training/)",
}


def missing(extra: str, module: str, needed_for: str) -> MissingExtraError:
    """The error for ``module`` of ``extra`` not being installed (for code that caught the
    ``ImportError`` itself, e.g. from a library importing it on its own)."""
    if extra not in EXTRAS:
        raise ValueError(f"extra must be one of {', '.join(EXTRAS)}, got {extra!r}")
    return MissingExtraError(needed_for, extra, module)


def require(extra: str, *modules: str, needed_for: str) -> ModuleType:
    """Import ``modules`` (the first one is returned), or :class:`MissingExtraError` saying that
    ``needed_for`` needs ``extra`` and naming the first module that is missing."""
    if extra not in EXTRAS or not modules:
        raise ValueError(f"extra must be one of {', '.join(EXTRAS)}, got {extra!r}, with at least one module")
    imported = []
    for name in modules:
        try:
            imported.append(importlib.import_module(name))
        except ImportError as exc:
            raise missing(extra, (exc.name or name).split(".")[0], needed_for) from None
    return imported[0]
