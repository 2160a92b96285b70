"""What a retrieved passage carries: :class:`PassageMetadata`, with a :class:`SentenceHit` per sentence.

The retrievers (:mod:`qa.search.retriever`, :mod:`qa.search.stores.milvus_retriever`) build
these once; readers read the fields by name. A hit is a ``NamedTuple``, so the metadata stays
JSON-serialisable as LangChain documents are (a hit is written as ``[sid, start, end, cosine]``),
and :func:`sentence_hits` reads it back from that form too.

    >>> import json
    >>> hit = SentenceHit(sid=7, start=120, end=164, cosine=0.41)
    >>> hit.end - hit.start, json.dumps({"sentences": [hit]})
    (44, '{"sentences": [[7, 120, 164, 0.41]]}')
    >>> sentence_hits(json.loads('{"sentences": [[7, 120, 164, 0.41]]}')) == [hit]
    True
"""

from __future__ import annotations

from typing import Mapping, NamedTuple, TypedDict


class SentenceHit(NamedTuple):
    """A sentence of a retrieved passage: its id in the index, its character offsets in the
    document (``start``/``end``) and its cosine with the question."""

    sid: int
    start: int
    end: int
    cosine: float


class PassageMetadata(TypedDict):
    """The metadata of a passage a retriever returns: its document (``source``, ``title``,
    ``section``, ``page`` from 1 for a PDF, else ``None``), its character offsets ``start``/``end``
    in that document, the fused ``score`` with its parts ``dense_score`` and ``lexical_score``,
    and its ``sentences``."""

    passage_id: int
    source: str
    title: str
    section: str
    page: int | None
    start: int
    end: int
    score: float
    dense_score: float
    lexical_score: float
    sentences: list[SentenceHit]


def sentence_hits(metadata: Mapping) -> list[SentenceHit]:
    """The ``sentences`` of a passage's metadata as :class:`SentenceHit` (none when it has none);
    hits written as JSON lists (a document that was serialised) are read back as hits."""
    return [h if isinstance(h, SentenceHit) else SentenceHit(*h) for h in metadata.get("sentences", [])]
