"""Choosing a reader by name (the edges pass ``QA_READER``).

    >>> make_reader("extractive").kind
    'extractive'
"""

from __future__ import annotations

from .extractive import ExtractiveReader
from .reader import Reader


def make_reader(kind: str = "span") -> Reader:
    """The reader called ``kind`` ("span", the default, or "extractive").
    The span reader loads its model here, once."""
    if kind == "span":
        from .span_reader import SpanReader

        return SpanReader()
    if kind == "extractive":
        return ExtractiveReader()
    raise ValueError(f"reader must be 'span' or 'extractive', got {kind!r}")
