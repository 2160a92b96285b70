"""Writing an extracted document's text while recording where its headings, pages and table
records are.

Blocks (paragraphs, list items, table records, headings) are separated by a blank line, which
the sentence splitter always treats as a boundary; a heading is a line of its own, and a
table's rows are records (:mod:`qa.ingest.tables`) the splitter keeps whole.

    >>> b = TextBuilder()
    >>> b.heading("Moon Base")
    >>> b.start_page()
    >>> b.paragraph("Water comes from ice.")
    >>> b.heading("Power")
    >>> b.paragraph("Solar panels.")
    >>> b.end_page()
    >>> e = b.extracted(title="Moon Base")
    >>> e.text
    'Moon Base\\n\\nWater comes from ice.\\n\\nPower\\n\\nSolar panels.'
    >>> [(s.heading, e.text[s.start:s.end].strip()) for s in e.sections]
    [('', 'Water comes from ice.'), ('Power', 'Solar panels.')]
    >>> [e.text[a:b] for a, b in e.pages]
    ['Water comes from ice.\\n\\nPower\\n\\nSolar panels.']
"""

from __future__ import annotations

import re

from ... import extras
from ...errors import ExtractionError, MissingExtraError
from ..document import Extracted
from ..limits import charge_chars
from ..loaders import sections_from_headings
from ..tables import Grid, table_records

BLOCK_SEPARATOR = "\n\n"
SPACES = re.compile(r"[ \t\r\n\f\v]+")


def collapse(text: str) -> str:
    """White space runs (not no-break spaces) as one space, stripped: how HTML and Word show text."""
    return SPACES.sub(" ", text).strip()


def same_words(a: str, b: str) -> bool:
    """Do two strings read the same, ignoring case and spacing? (A title and a heading.)"""
    return collapse(a).casefold() == collapse(b).casefold()


def require(module: str, what: str):
    """Import the parsing library ``module`` (of the ``formats`` extra), or :class:`ExtractionError`
    (reason ``missing-extra``: the file is listed as skipped) saying how to install it."""
    try:
        return extras.require("formats", module, needed_for=f"Reading {what} files")
    except MissingExtraError as exc:
        raise ExtractionError(exc.message, hint=exc.hint, reason="missing-extra") from None


class TextBuilder:
    """Accumulates blocks of text; :meth:`extracted` returns them with sections and pages."""

    def __init__(self):
        self._parts: list[str] = []
        self._length = 0
        self._headings: list[tuple[int, int, str]] = []
        self._pages: list[tuple[int, int]] = []
        self._page_start: int | None = None
        self._records: list[tuple[int, int]] = []

    def _block(self, text: str) -> tuple[int, int]:
        charge_chars(len(text) + len(BLOCK_SEPARATOR))   # a document's text limit, checked as it grows
        if self._length:
            self._parts.append(BLOCK_SEPARATOR)
            self._length += len(BLOCK_SEPARATOR)
        start = self._length
        self._parts.append(text)
        self._length += len(text)
        return start, self._length

    def paragraph(self, text: str) -> None:
        """A block of body text (kept as given, only stripped; empty text adds nothing)."""
        text = text.strip()
        if text:
            self._block(text)

    def table(self, rows: Grid) -> None:
        """A table: one block per row, read as a record that carries its header."""
        for record in table_records(rows):
            self._records.append(self._block(record))

    def heading(self, text: str) -> None:
        """A heading line; the body after it, up to the next heading, is its section."""
        text = collapse(text)
        if text:
            start, end = self._block(text)
            self._headings.append((start, end, text))

    def start_page(self) -> None:
        """The next block begins a new page."""
        self._page_start = self._length + (len(BLOCK_SEPARATOR) if self._length else 0)

    def end_page(self) -> None:
        """The page begun by :meth:`start_page` ends here (an empty page still counts)."""
        start = min(self._page_start if self._page_start is not None else self._length, self._length)
        self._pages.append((start, max(start, self._length)))
        self._page_start = None

    @property
    def headings(self) -> list[str]:
        """The headings so far, in order."""
        return [h for _, _, h in self._headings]

    def extracted(self, title: str = "") -> Extracted:
        """The text, its sections (a first heading that is the title is the title line, not a
        section) and pages."""
        text = "".join(self._parts)
        headings = list(self._headings)
        if headings and title and same_words(headings[0][2], title):
            headings[0] = (headings[0][0], headings[0][1], "")
        return Extracted(text, collapse(title), sections_from_headings(text, headings), list(self._pages),
                         list(self._records))
