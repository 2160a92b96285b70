"""Real files of every format, made in the test: PDF (reportlab), DOCX (python-docx), HTML,
Markdown and text; and bad ones (a scan with no text layer, an encrypted PDF, a corrupt DOCX).

A page or a document is a list of ``(kind, text)`` blocks: ``"title"``, ``"h1"``, ``"h2"``,
``"p"`` (a paragraph), ``"li"`` (a list item), ``"head"`` (a table's header row, marked as one: a DOCX
row repeated as header, HTML ``<th>`` cells, a Markdown table's first row) or ``"row"`` (a table row);
a row's cells are split on ``|``, and consecutive rows make one table.
"""

from __future__ import annotations

import io

Block = tuple[str, str]
ROWS = ("head", "row")


def cells(text: str) -> list[str]:
    """The cells of a ``"head"`` or ``"row"`` block."""
    return [cell.strip() for cell in text.split("|")]


def tables(blocks: list[Block]) -> list[Block | list[Block]]:
    """``blocks`` with each run of consecutive rows gathered into one list (a table)."""
    out: list = []
    for kind, text in blocks:
        if kind in ROWS:
            if not out or not isinstance(out[-1], list):
                out.append([])
            out[-1].append((kind, text))
        else:
            out.append((kind, text))
    return out


def pdf_bytes(pages: list[list[Block]], title: str = "") -> bytes:
    """A PDF with a text layer, one page per list (reportlab's Platypus)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import ListFlowable, PageBreak, Paragraph, SimpleDocTemplate, Table

    styles = getSampleStyleSheet()
    kinds = {"title": styles["Title"], "h1": styles["Heading1"], "h2": styles["Heading2"], "p": styles["BodyText"]}
    story = []
    for n, page in enumerate(pages):
        if n:
            story.append(PageBreak())
        for kind, text in page:
            if kind == "li":
                story.append(ListFlowable([Paragraph(text, styles["BodyText"])], bulletType="bullet"))
            elif kind in ROWS:
                story.append(Table([cells(text)]))
            else:
                story.append(Paragraph(text, kinds[kind]))
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=title or "", author="qa tests").build(story)
    return out.getvalue()


def scanned_pdf_bytes(pages: int = 2) -> bytes:
    """A PDF whose pages hold only drawings (as a scan holds only images): no text layer."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    for _ in range(pages):
        c.rect(72, 72, 300, 400, fill=1)
        c.showPage()
    c.save()
    return out.getvalue()


def encrypted_pdf_bytes(password: str = "secret") -> bytes:
    """A PDF that needs ``password`` to be opened."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(pdf_bytes([[("p", "A secret sentence about the vault.")]]))).pages:
        writer.add_page(page)
    writer.encrypt(user_password=password, owner_password=password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_bytes(blocks: list[Block], title: str = "") -> bytes:
    """A Word document: headings, paragraphs, bulleted items and table rows, in order."""
    import docx

    document = docx.Document()
    if title:
        document.core_properties.title = title
    for block in tables(blocks):
        if isinstance(block, list):
            _docx_table(document, block)
            continue
        kind, text = block
        if kind in ("title", "h1", "h2"):
            document.add_heading(text, {"title": 0, "h1": 1, "h2": 2}[kind])
        else:
            document.add_paragraph(text, style="List Bullet" if kind == "li" else None)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _docx_table(document, rows: list[Block]) -> None:
    """One Word table of ``rows``; a ``"head"`` row is marked as a header row (repeated on each page)."""
    from docx.oxml import OxmlElement

    table = document.add_table(rows=len(rows), cols=max(len(cells(text)) for _, text in rows))
    for i, (kind, text) in enumerate(rows):
        for j, cell in enumerate(cells(text)):
            table.cell(i, j).text = cell
        if kind == "head":
            table.rows[i]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))


def corrupt_docx_bytes() -> bytes:
    """A zip file named .docx that holds no Word document."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("word/document.xml", "<w:document><w:body><w:p>broken")
    return out.getvalue()


def html_bytes(title: str, blocks: list[Block], chrome: bool = True) -> bytes:
    """An HTML page: the blocks in ``<main>``, with navigation, a script and a footer around it."""
    from html import escape

    tags = {"title": "h1", "h1": "h1", "h2": "h2", "p": "p"}
    body = []
    for block in tables(blocks):
        if isinstance(block, list):
            tag = {"head": "th", "row": "td"}
            rows = ("".join(f"<{tag[kind]}>{escape(c)}</{tag[kind]}>" for c in cells(text)) for kind, text in block)
            body.append("<table>" + "".join(f"<tr>{row}</tr>" for row in rows) + "</table>")
            continue
        kind, text = block
        if kind == "li":
            body.append(f"<ul><li>{escape(text)}</li></ul>")
        else:
            body.append(f"<{tags[kind]}>{escape(text)}</{tags[kind]}>")
    around = ('<nav><a href="/">Home</a> <a href="/about">About us</a></nav>'
              '<script>var tracker = "Cookie consent banner text";</script>') if chrome else ""
    footer = "<footer>Copyright notice and site map</footer>" if chrome else ""
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<style>p {{ color: red; }}</style></head><body>{around}<main>{''.join(body)}</main>{footer}"
            f"</body></html>").encode("utf-8")


def markdown_bytes(blocks: list[Block]) -> bytes:
    """A Markdown file: ``#`` title, ``##``/``###`` headings, paragraphs, ``-`` items and pipe tables
    (a table whose first row is a ``"row"`` gets an empty header row)."""
    marks = {"title": "# ", "h1": "## ", "h2": "### ", "p": "", "li": "- "}
    parts = []
    for block in tables(blocks):
        if isinstance(block, list):
            width = max(len(cells(text)) for _, text in block)
            head = block.pop(0) if block[0][0] == "head" else ("head", " | ".join([""] * width))
            lines = [head[1], " | ".join(["---"] * width), *(text for _, text in block)]
            parts.append("\n".join(f"| {line} |" for line in lines))
        else:
            parts.append(marks[block[0]] + block[1])
    return ("\n\n".join(parts) + "\n").encode("utf-8")
