"""Sentence-aware chunking: passages that never cut a sentence nor cross a section or a page;
a table's row, read as one record (:mod:`qa.ingest.tables`), is one sentence and a passage of its own.

    >>> from qa.ingest.document import Document, Section
    >>> text = "Intro line one. Two here. Three now. Four at last."
    >>> doc = Document("a.txt", "A", text, [Section("", 0, len(text))], "0")
    >>> chunks = chunk_documents([doc], ChunkSettings(max_chars=30, overlap_sentences=1))
    >>> [c.text for c in chunks.passages]
    ['Intro line one. Two here.', 'Two here. Three now.', 'Three now. Four at last.']
    >>> all(text[p.start:p.end] == p.text for p in chunks.passages)
    True

Every passage knows its document, section, page (PDF) and offsets, and which sentences it
holds (ids into ``Chunks.sentences``; a sentence shared by two overlapping
passages is stored, and embedded, once).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .document import Document
from .text import split_sentences


@dataclass(frozen=True)
class ChunkSettings:
    """How documents are cut into passages (stored in the index manifest: a change rebuilds)."""

    max_chars: int = 700        # a passage grows sentence by sentence up to this size
    overlap_sentences: int = 1  # sentences repeated at the start of the next passage
    version: int = 2            # bump when the algorithm changes: old indexes rebuild (2: table records)

    def to_dict(self) -> dict:
        """The manifest's ``chunking`` entry."""
        return asdict(self)


@dataclass(frozen=True)
class Sentence:
    """A sentence's document (index into the document list) and offsets in its text."""

    doc: int    # index into the document list
    start: int
    end: int


@dataclass(frozen=True)
class Passage:
    """A run of whole sentences within one section; ``source`` is the document's path."""

    id: int
    doc: int
    source: str
    title: str
    section: str
    start: int
    end: int
    text: str
    first_sentence: int  # ids into Chunks.sentences, inclusive range
    last_sentence: int
    page: int | None = None  # the page (from 1) of a document with pages, else None

    @property
    def sentence_ids(self) -> range:
        """Ids of the sentences this passage holds."""
        return range(self.first_sentence, self.last_sentence + 1)

    def search_text(self) -> str:
        """What is embedded and matched: the section heading gives the passage context."""
        return f"{self.section}\n{self.text}" if self.section else self.text


@dataclass
class Chunks:
    """The passages of a corpus and the sentences they hold (each stored once)."""

    passages: list[Passage] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)


def _group(spans: list[tuple[int, int]], settings: ChunkSettings) -> list[tuple[int, int]]:
    """Group consecutive sentence spans into (first, last) index ranges."""
    groups = []
    i = 0
    n = len(spans)
    while i < n:
        j = i
        while j + 1 < n and spans[j + 1][1] - spans[i][0] <= settings.max_chars:
            j += 1
        groups.append((i, j))
        if j + 1 >= n:
            break
        i = max(j + 1 - settings.overlap_sentences, i + 1)
    return groups


def _groups(spans: list[tuple[int, int]], alone: set[tuple[int, int]], settings: ChunkSettings) -> list[tuple[int, int]]:
    """:func:`_group` of the runs of spans between those in ``alone``, which are groups of their own."""
    groups: list[tuple[int, int]] = []
    run = 0
    for i, span in enumerate([*spans, None]):
        if span is None or span in alone:
            groups.extend((run + a, run + b) for a, b in _group(spans[run:i], settings))
            if span is not None:
                groups.append((i, i))
            run = i + 1
    return groups


def chunk_documents(documents: list[Document], settings: ChunkSettings = ChunkSettings()) -> Chunks:
    """Split documents into passages; ids are assigned in document order."""
    chunks = Chunks()
    for doc_index, doc in enumerate(documents):
        append_document(chunks, doc_index, doc, settings)
    return chunks


def append_document(chunks: Chunks, doc_index: int, doc: Document, settings: ChunkSettings) -> None:
    """Add the passages and sentences of ``doc`` (number ``doc_index``) to ``chunks``
    (a section that runs over pages is cut where each page begins; a table's record is one sentence)."""
    records = set(doc.records)
    for section in doc.sections:
        for lo, hi in doc.page_spans(section.start, section.end):
            spans = split_sentences(doc.text, lo, hi, doc.records)
            if not spans:
                continue
            base = len(chunks.sentences)
            chunks.sentences.extend(Sentence(doc_index, a, b) for a, b in spans)
            page = doc.page_at(spans[0][0])
            for first, last in _groups(spans, records, settings):
                start, end = spans[first][0], spans[last][1]
                chunks.passages.append(Passage(
                    id=len(chunks.passages), doc=doc_index, source=doc.source, title=doc.title,
                    section=section.heading, start=start, end=end, text=doc.text[start:end],
                    first_sentence=base + first, last_sentence=base + last, page=page))
