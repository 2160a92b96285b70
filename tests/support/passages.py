"""Retrieved passages as the retriever makes them, for reader tests."""

from __future__ import annotations

from langchain_core.documents import Document

from qa.search.hits import SentenceHit


def passage(text: str, start: int = 0, score: float = 1.0, first_sid: int = 0) -> Document:
    """A retrieved passage as the retriever makes them, its sentences split on ". " and newlines."""
    from qa.ingest.text import split_sentences

    sentences = [SentenceHit(first_sid + i, start + a, start + b, 0.5)
                 for i, (a, b) in enumerate(split_sentences(text))]
    return Document(text, metadata={"source": "doc.txt", "start": start, "end": start + len(text), "score": score,
                                    "dense_score": 0.5, "lexical_score": 0.5, "sentences": sentences})
