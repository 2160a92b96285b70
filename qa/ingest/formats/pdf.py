"""PDF: the text layer of each page (pypdf), page numbers kept, headings found by font size.

A line set in a larger type than the body text (:data:`HEADING_SIZE_RATIO`) is a heading;
the title is the document's own (its metadata) or, failing that, its first heading. A short
line without final punctuation (a heading set in the body's type, a paragraph's last line)
followed by a blank line or a gap larger than the body's line spacing (:data:`GAP_RATIO`) ends
its block, and standing alone between such gaps, is a block of its own. Pages
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
from typing import NamedTuple

from ...errors import ExtractionError
from ..document import Extracted
from ..limits import pdf_limits, read_pdf_pages
from .builder import TextBuilder, collapse, require

HEADER_WINDOW = 1024          # "%PDF-" must appear within the first this-many bytes
HEADING_SIZE_RATIO = 1.15     # a line this much larger than the body's type is a heading
HEADING_MAX_CHARS = 120
GAP_RATIO = 1.25              # a gap between lines this much larger than the body's line spacing parts blocks
LEADING = 1.2                 # line spacing to type size, when no paragraph of the document wraps
FULL_LINE = 0.6               # a line this long, as a share of the page's longest, is one a paragraph wrapped
SHORT_LINE_CHARS = 90         # a line without final punctuation this short, before such a gap, ends its block
SHORT_LINE_WORDS = 12
_FINAL_PUNCTUATION = ".!?:;,\u2026"
_CLOSING = "\"'\u201d\u2019)]"
_META_TITLES_IGNORED = {"", "untitled", "(anonymous)", "(unspecified)", "title"}


class Line(NamedTuple):
    """A line of a page's text: the size of most of its characters, where its baseline is
    (``None``: unknown) and whether a blank line follows it."""

    text: str
    size: float
    y: float | None = None
    blank_after: bool = False


def _page_lines(page) -> list[Line]:
    """The lines of a page's text layer, each with its dominant font size (in points)."""
    chunks: list[tuple[str, float, float]] = []

    def visit(text, cm, tm, font, size):
        scale = (abs(tm[0] * tm[3] - tm[1] * tm[2]) * abs(cm[0] * cm[3] - cm[1] * cm[2])) ** 0.5
        chunks.append((text, float(size or 0) * (scale or 1.0), cm[1] * tm[4] + cm[3] * tm[5] + cm[5]))

    page.extract_text(visitor_text=visit)
    lines: list[Line] = []
    text, sizes, y = [], Counter(), None
    for chunk, size, baseline in chunks:
        pieces = chunk.split("\n")
        for i, piece in enumerate(pieces):
            if i:
                lines.append(Line("".join(text), _dominant(sizes), y))
                text, sizes, y = [], Counter(), None
            text.append(piece)
            sizes[round(size, 1)] += len(piece.strip())
            y = baseline if y is None and piece.strip() else y
    lines.append(Line("".join(text), _dominant(sizes), y))
    kept: list[Line] = []
    for line in lines:
        if line.text.strip():
            kept.append(line._replace(text=line.text.rstrip()))
        elif kept:
            kept[-1] = kept[-1]._replace(blank_after=True)
    return kept


def _dominant(sizes: Counter) -> float:
    return sizes.most_common(1)[0][0] if sizes and sizes.most_common(1)[0][1] else 0.0


def _body_size(pages: list[list[Line]]) -> float:
    """The font size of most of the document's characters."""
    sizes = Counter()
    for lines in pages:
        for line in lines:
            sizes[line.size] += len(line.text)
    return _dominant(sizes)


def _line_spacing(pages: list[list[Line]], body: float) -> float:
    """The body's line spacing: the most common drop from a full line's baseline to the next's
    in the same type (a line that wraps), else :data:`LEADING` times the body's type size."""
    gaps = Counter()
    for lines in pages:
        full = FULL_LINE * max((len(line.text) for line in lines), default=0)
        for above, below in zip(lines, lines[1:]):
            if above.y is not None and below.y is not None and above.y > below.y and \
                    above.size == below.size and len(above.text) >= full:
                gaps[round((above.y - below.y) * 2) / 2] += 1
    return _dominant(gaps) or body * LEADING


def _ends_block(lines: list[Line], i: int, spacing: float) -> bool:
    """Does line ``i`` end its block: short, without final punctuation, and followed by a
    blank line or a gap larger than the body's line spacing?"""
    text = lines[i].text.strip()
    last = text.rstrip(_CLOSING)[-1:]
    short = len(text) <= SHORT_LINE_CHARS and len(text.split()) <= SHORT_LINE_WORDS
    return short and last not in ("", *_FINAL_PUNCTUATION) and any(ch.isalpha() for ch in text) and \
        _gap_after(lines, i, spacing)


def _gap_after(lines: list[Line], i: int, spacing: float) -> bool:
    """Is line ``i`` followed (on its page) by a blank line or a gap larger than the body's line spacing?"""
    if i + 1 >= len(lines):
        return False
    if lines[i].blank_after:
        return True
    above, below = lines[i].y, lines[i + 1].y
    return spacing > 0 and above is not None and below is not None and above - below > spacing * GAP_RATIO


def _is_heading(line: Line, body: float) -> bool:
    text, size = line.text, line.size
    return (body > 0 and size >= body * HEADING_SIZE_RATIO and len(text.strip()) <= HEADING_MAX_CHARS
            and any(ch.isalpha() for ch in text))


def _write_page(builder: TextBuilder, lines: list[Line], body: float, spacing: float) -> None:
    """A page's lines as paragraphs and headings (a heading line starting in lower case
    continues the heading before it; a short unfinished line before a gap ends its paragraph,
    :func:`_ends_block`, and is one of its own after a gap too)."""
    builder.start_page()
    para: list[str] = []
    heading: list[str] = []
    for i, line in enumerate(lines):
        if _is_heading(line, body):
            builder.paragraph("\n".join(para))
            para = []
            if heading and not line.text.lstrip()[:1].islower():
                builder.heading(" ".join(heading))
                heading = []
            heading.append(line.text)
            continue
        if heading:
            builder.heading(" ".join(heading))
            heading = []
        ends = _ends_block(lines, i, spacing)
        if ends and i and _gap_after(lines, i - 1, spacing):   # standing alone between gaps
            builder.paragraph("\n".join(para))
            para = []
        para.append(line.text)
        if ends:
            builder.paragraph("\n".join(para))
            para = []
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
    spacing = _line_spacing(pages, body)
    builder = TextBuilder()
    for lines in pages:
        _write_page(builder, lines, body, spacing)
    if not title:
        headings = builder.headings
        title = headings[0] if headings else ""
    return builder.extracted(title)
