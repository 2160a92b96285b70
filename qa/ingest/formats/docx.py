"""DOCX: a Word document's paragraphs, lists and tables in order (python-docx).

Paragraphs in a "Heading" style become headings (sections); the title is the document's
own (its properties), else its "Title" paragraph, else its first heading. List items are
``- item`` blocks; a table's rows are records that carry its header (:mod:`qa.ingest.tables`:
rows marked "repeat as header row" are the header; a merged cell is read once across, and in
every row it spans down). A DOCX is a zip archive: one that unpacks to too much, or is packed
as tightly as a zip bomb, is refused before it is parsed (:func:`~qa.ingest.limits.check_zip`),
and a password-protected one (stored as an OLE file, not a zip) is named as such.
"""

from __future__ import annotations

import io
import zipfile
import zlib

from ...errors import ExtractionError
from ..document import Extracted
from ..limits import check_zip
from ..tables import Cell, Grid
from .builder import TextBuilder, collapse, require

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"   # encrypted Office files (and old .doc) are OLE files


def _check_archive(data: bytes) -> None:
    if data.startswith(OLE_MAGIC):
        raise ExtractionError("is password-protected (or an old Word .doc file), not a DOCX.", reason="encrypted",
                              hint="Save it as .docx without a password.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            check_zip(archive)   # a zip bomb is refused before it is parsed (qa.ingest.limits)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error) as exc:
        raise ExtractionError(f"is not a readable DOCX (zip) file ({exc}).", reason="corrupt") from None


def _style(paragraph, names: dict) -> str:
    """The name of the paragraph's style, looked up once per style id in ``names`` (python-docx
    scans every style for the default one at each lookup: milliseconds a paragraph)."""
    style_id = paragraph._p.style
    if style_id not in names:
        try:
            names[style_id] = (paragraph.style.name or "") if paragraph.style is not None else ""
        except (KeyError, AttributeError):
            names[style_id] = ""
    return names[style_id]


def _is_list_item(paragraph, style: str) -> bool:
    ppr = paragraph._p.pPr
    return style.startswith("List") or (ppr is not None and ppr.numPr is not None)


def _is_header_row(row) -> bool:
    """Is the row marked "repeat as header row at the top of each page" (``w:tblHeader``)?"""
    from docx.oxml.ns import qn

    properties = row._tr.trPr
    mark = properties.find(qn("w:tblHeader")) if properties is not None else None
    return mark is not None and mark.get(qn("w:val"), "true").lower() not in ("0", "false", "off")


def _grid(table) -> Grid:
    """The table's cells by grid column (python-docx lists a merged cell in each grid column it
    spans, and a cell merged down in each row it spans)."""
    rows: Grid = []
    for row in table.rows:
        header = _is_header_row(row)
        cells: list[Cell | None] = []
        seen: set[int] = set()
        for cell in row.cells:
            cells.append(None if id(cell._tc) in seen else Cell(collapse(cell.text), header))
            seen.add(id(cell._tc))
        rows.append(cells)
    return rows


def _write(builder: TextBuilder, document) -> str:
    """The body's blocks onto ``builder``; returns the text of a "Title" paragraph, if any."""
    from docx.table import Table

    title, names = "", {}
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            builder.table(_grid(block))
            continue
        style, text = _style(block, names), block.text
        if style == "Title" or style.startswith("Heading"):
            title = title or (collapse(text) if style == "Title" else "")
            builder.heading(text)
        elif _is_list_item(block, style):
            builder.paragraph("- " + collapse(text) if text.strip() else "")
        else:
            builder.paragraph(text)
    return title


def load_docx(data: bytes) -> Extracted:
    """Text, title and headings of a Word document."""
    _check_archive(data)
    docx = require("docx", "DOCX")
    builder = TextBuilder()
    try:
        document = docx.Document(io.BytesIO(data))
        title_paragraph = _write(builder, document)
        title = collapse(document.core_properties.title or "")
    except ExtractionError:
        raise
    except Exception as exc:  # noqa: BLE001 - python-docx and lxml raise many kinds on a damaged file
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise ExtractionError(f"could not be read as DOCX ({first or type(exc).__name__}).", reason="corrupt",
                              hint="It may be damaged; open and save it again.") from None
    headings = builder.headings
    return builder.extracted(title or title_paragraph or (headings[0] if headings else ""))
