"""PDF: the text layer of each page (pypdf), page numbers kept, headings found by font size.

A line set in a larger type than the body text (:data:`HEADING_SIZE_RATIO`) is a heading;
the title is the document's own (its metadata) or, failing that, its first heading. Pages
are joined by a blank line; ``Extracted.pages`` holds where each page's text begins and
ends, so any offset maps to its page. A PDF whose pages hold no text (a scan) is refused
with that reason, as is an encrypted one.

    >>> load_pdf(b"not a pdf")
    Traceback (most recent call last):
    ...
    qa.errors.ExtractionError: is not a PDF file (it does not start with %PDF).
"""

from __future__ import annotations

import io
import logging
from collections import Counter

from ...errors import ExtractionError
from ..document import Extracted
from ..limits import pdf_limits, read_pdf_pages
from .builder import TextBuilder, collapse, require

HEADER_WINDOW = 1024          # "%PDF-" must appear within the first this-many bytes
HEADING_SIZE_RATIO = 1.15     # a line this much larger than the body's type is a heading
HEADING_MAX_CHARS = 120
_META_TITLES_IGNORED = {"", "untitled", "(anonymous)", "(unspecified)", "title"}

Line = tuple[str, float]      # a line of a page's text and the size of most of its characters


def _page_lines(page) -> list[Line]:
    """The lines of a page's text layer, each with its dominant font size (in points)."""
    chunks: list[tuple[str, float]] = []

    def visit(text, cm, tm, font, size):
        scale = (abs(tm[0] * tm[3] - tm[1] * tm[2]) * abs(cm[0] * cm[3] - cm[1] * cm[2])) ** 0.5
        chunks.append((text, float(size or 0) * (scale or 1.0)))

    page.extract_text(visitor_text=visit)
    lines: list[Line] = []
    text, sizes = [], Counter()
    for chunk, size in chunks:
        pieces = chunk.split("\n")
        for i, piece in enumerate(pieces):
            if i:
                lines.append(("".join(text), _dominant(sizes)))
                text, sizes = [], Counter()
            text.append(piece)
            sizes[round(size, 1)] += len(piece.strip())
    lines.append(("".join(text), _dominant(sizes)))
    return [(t.rstrip(), s) for t, s in lines if t.strip()]


def _dominant(sizes: Counter) -> float:
    return sizes.most_common(1)[0][0] if sizes and sizes.most_common(1)[0][1] else 0.0


def _body_size(pages: list[list[Line]]) -> float:
    """The font size of most of the document's characters."""
    sizes = Counter()
    for lines in pages:
        for text, size in lines:
            sizes[size] += len(text)
    return _dominant(sizes)


def _is_heading(line: Line, body: float) -> bool:
    text, size = line
    return (body > 0 and size >= body * HEADING_SIZE_RATIO and len(text.strip()) <= HEADING_MAX_CHARS
            and any(ch.isalpha() for ch in text))


def _write_page(builder: TextBuilder, lines: list[Line], body: float) -> None:
    """A page's lines as paragraphs and headings (a heading line starting in lower case
    continues the heading before it)."""
    builder.start_page()
    para: list[str] = []
    heading: list[str] = []
    for line in lines:
        if _is_heading(line, body):
            builder.paragraph("\n".join(para))
            para = []
            if heading and not line[0].lstrip()[:1].islower():
                builder.heading(" ".join(heading))
                heading = []
            heading.append(line[0])
            continue
        if heading:
            builder.heading(" ".join(heading))
            heading = []
        para.append(line[0])
    if heading:
        builder.heading(" ".join(heading))
    builder.paragraph("\n".join(para))
    builder.end_page()


def _open(pypdf, data: bytes):
    """The ``PdfReader`` of ``data``, decrypted when it opens without a password."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        try:
            unlocked = reader.decrypt("")
        except pypdf.errors.DependencyError:
            unlocked = 0
        if not unlocked:
            raise ExtractionError("is encrypted (it needs a password to be read).", reason="encrypted",
                                  hint="Save a copy without the password (and, for AES, install `cryptography`).")
    return reader


def _metadata_title(reader) -> str:
    try:
        title = collapse(str((reader.metadata or {}).get("/Title") or ""))
    except Exception:  # noqa: BLE001 - a broken info dictionary only costs the title
        return ""
    return "" if title.lower() in _META_TITLES_IGNORED else title


def load_pdf(data: bytes) -> Extracted:
    """Text, title, headings and pages of a PDF's text layer."""
    if b"%PDF-" not in data[:HEADER_WINDOW]:
        raise ExtractionError("is not a PDF file (it does not start with %PDF).", reason="corrupt")
    pypdf = require("pypdf", "PDF")
    logging.getLogger("pypdf").setLevel(logging.ERROR)   # damaged-but-readable files: no warning spam
    try:
        with pdf_limits(pypdf):
            reader = _open(pypdf, data)
            pages = read_pdf_pages(reader.pages, _page_lines)
            title = _metadata_title(reader)
    except ExtractionError:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on a damaged file
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise ExtractionError(f"could not be read as a PDF ({first}).", reason="corrupt",
                              hint="It may be damaged; open and save it again.") from None
    if not any(lines for lines in pages):
        raise ExtractionError(f"has no text layer on any of its {len(pages)} page(s) (a scanned PDF?).",
                              reason="no-text-layer", hint="Run OCR on it (e.g. ocrmypdf) and index the result.")
    body = _body_size(pages)
    builder = TextBuilder()
    for lines in pages:
        _write_page(builder, lines, body)
    if not title:
        headings = builder.headings
        title = headings[0] if headings else ""
    return builder.extracted(title)
