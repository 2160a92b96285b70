"""Choosing a reader by name (``QA_READER``).

    >>> make_reader("extractive").kind
    'extractive'
"""

from __future__ import annotations

from ..settings import Settings
from .extractive import ExtractiveReader
from .reader import Reader


def make_reader(kind: str | None = None) -> Reader:
    """The reader called ``kind`` ("span" or "extractive"; default: the ``QA_READER`` setting).
    The span reader loads its model here, once."""
    kind = kind or Settings.get("reader")
    if kind == "span":
        from .span_reader import SpanReader

        return SpanReader()
    if kind == "extractive":
        return ExtractiveReader()
    raise ValueError(f"reader must be 'span' or 'extractive', got {kind!r}")
