"""What ingestion produces: a :class:`Document` (its text, title and :class:`Section` s)
and a :class:`Corpus` (the documents of a folder, and the files passed over).

A ``Document``'s ``text`` is what every offset in this package points into
(sections, passages, citations); ``source`` is always the document's path
relative to the corpus folder, with forward slashes.

    >>> doc = Document("birds.md", "Birds", "Crows are clever.", [Section("", 0, 17)], "0")
    >>> doc.section_at(5).heading
    ''
"""

from __future__ import annotations

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
class Document:
    """One loaded file: ``source`` (path relative to the corpus folder), title, text, sections
    and the SHA-256 of the file's bytes (an unchanged file keeps its vectors on re-index)."""

    source: str
    title: str
    text: str
    sections: list[Section]
    sha256: str

    def section_at(self, offset: int) -> Section:
        """The section holding character ``offset`` (the last one past the end)."""
        for section in self.sections:
            if section.start <= offset < section.end:
                return section
        return self.sections[-1]


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
