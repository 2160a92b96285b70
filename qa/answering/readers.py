"""Choosing a reader by name (the edges pass ``QA_READER``).

    >>> make_reader("extractive").kind
    'extractive'

``fast`` (alias ``span``) is the learned MiniLM span reader; ``mpnet`` lets it rank the passages and
an MPNet-base span model read the best few (:mod:`qa.answering.mpnet_reader`; its model must be built).
"""

from __future__ import annotations

from .extractive import ExtractiveReader
from .reader import Reader

READERS = ("fast", "span", "mpnet", "extractive")


def make_reader(kind: str = "span") -> Reader:
    """The reader called ``kind`` (one of :data:`READERS`; default ``span``, the edges pass ``QA_READER``).
    A learned reader loads its model(s) here, once."""
    if kind in ("fast", "span"):
        from .span_reader import SpanReader

        return SpanReader()
    if kind == "mpnet":
        from .mpnet_reader import MpnetReader

        return MpnetReader()
    if kind == "extractive":
        return ExtractiveReader()
    raise ValueError(f"reader must be one of {', '.join(READERS)}; got {kind!r}")
