"""What ingestion produces: :class:`Extracted` (what a format's loader gets out of a file's
bytes), a :class:`Document` (its text, title, :class:`Section` s and pages) and a
:class:`Corpus` (the documents of a folder, and the files passed over).

A ``Document``'s ``text`` is the extracted text, and what every offset in this package
points into (sections, pages, passages, citations); ``source`` is always the document's
path relative to the corpus folder, with forward slashes.

    >>> doc = Document("birds.pdf", "Birds", "Crows are clever.\\n\\nOwls hunt.", [Section("", 0, 29)], "0",
    ...                pages=[(0, 17), (19, 29)])
    >>> doc.section_at(5).heading, doc.page_at(5), doc.page_at(20)
    ('', 1, 2)
    >>> doc.page_spans(0, 29)
    [(0, 19), (19, 29)]
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DocumentError


@dataclass(frozen=True)
class Section:
    """A run of a document under one heading. ``start``/``end`` bound the body
    (the heading line itself is outside it); ``heading`` is ``""`` before the first heading."""

    heading: str
    start: int
    end: int


@dataclass
class Extracted:
    """What a loader gets out of a file's bytes: the ``text`` (every offset points into it),
    the ``title`` (``""``: one is made from the file name), the ``sections`` (empty: the
    whole text is one section), the ``pages``, ``(start, end)`` offsets of each page's
    text in order (empty for formats without pages), and the ``records``, ``(start, end)`` of
    each table row read as one record (:mod:`qa.ingest.tables`), in order: the sentence
    splitter keeps each whole."""

    text: str
    title: str = ""
    sections: list[Section] = field(default_factory=list)
    pages: list[tuple[int, int]] = field(default_factory=list)
    records: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Document:
    """One loaded file: ``source`` (path relative to the corpus folder), title, text, sections,
    the SHA-256 of the file's bytes (an unchanged file keeps its vectors on re-index),
    ``pages``: ``(start, end)`` of each page's text (PDF; empty for formats without pages), and
    ``added``: when this content of the file entered the index (ISO 8601, UTC; ``""`` until
    the index stamps it, see :func:`qa.search.index.build_index`), and ``records``: ``(start, end)``
    of each table row read as one record (kept whole as one sentence)."""

    source: str
    title: str
    text: str
    sections: list[Section]
    sha256: str
    pages: list[tuple[int, int]] = field(default_factory=list)
    added: str = field(default="", compare=False)
    records: list[tuple[int, int]] = field(default_factory=list)

    def section_at(self, offset: int) -> Section:
        """The section holding character ``offset`` (the last one past the end)."""
        for section in self.sections:
            if section.start <= offset < section.end:
                return section
        return self.sections[-1]

    def page_at(self, offset: int) -> int | None:
        """The number (from 1) of the page holding character ``offset``: the last page
        starting at or before it; ``None`` for a document without pages."""
        if not self.pages:
            return None
        return max(1, bisect_right([start for start, _ in self.pages], offset))

    def page_spans(self, start: int, end: int) -> list[tuple[int, int]]:
        """``text[start:end]`` cut where pages begin (one span without pages)."""
        cuts = [s for s, _ in self.pages if start < s < end]
        bounds = [start, *cuts, end]
        return [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]


@dataclass
class Corpus:
    """The documents loaded from a folder, and the files passed over with the reason."""

    root: Path
    documents: list[Document]
    skipped: list[DocumentError] = field(default_factory=list)

    @property
    def hashes(self) -> dict[str, str]:
        """``{source: sha256}`` of every document."""
        return {d.source: d.sha256 for d in self.documents}
