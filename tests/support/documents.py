"""Real files of every format, made in the test: PDF (reportlab), DOCX (python-docx), HTML,
Markdown and text; and bad ones (a scan with no text layer, an encrypted PDF, a corrupt DOCX).

A page or a document is a list of ``(kind, text)`` blocks: ``"title"``, ``"h1"``, ``"h2"``,
``"p"`` (a paragraph), ``"li"`` (a list item), or ``"row"`` (a table row, cells split on ``|``).
"""

from __future__ import annotations

import io

Block = tuple[str, str]


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
            elif kind == "row":
                story.append(Table([[cell.strip() for cell in text.split("|")]]))
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
    rows: list[list[str]] = []

    def flush_rows():
        if rows:
            table = document.add_table(rows=len(rows), cols=max(len(r) for r in rows))
            for i, row in enumerate(rows):
                for j, cell in enumerate(row):
                    table.cell(i, j).text = cell
            rows.clear()

    for kind, text in blocks:
        if kind == "row":
            rows.append([cell.strip() for cell in text.split("|")])
            continue
        flush_rows()
        if kind in ("title", "h1", "h2"):
            document.add_heading(text, {"title": 0, "h1": 1, "h2": 2}[kind])
        else:
            document.add_paragraph(text, style="List Bullet" if kind == "li" else None)
    flush_rows()
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


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
    for kind, text in blocks:
        if kind == "li":
            body.append(f"<ul><li>{escape(text)}</li></ul>")
        elif kind == "row":
            cells = "".join(f"<td>{escape(c.strip())}</td>" for c in text.split("|"))
            body.append(f"<table><tr>{cells}</tr></table>")
        else:
            body.append(f"<{tags[kind]}>{escape(text)}</{tags[kind]}>")
    around = ('<nav><a href="/">Home</a> <a href="/about">About us</a></nav>'
              '<script>var tracker = "Cookie consent banner text";</script>') if chrome else ""
    footer = "<footer>Copyright notice and site map</footer>" if chrome else ""
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<style>p {{ color: red; }}</style></head><body>{around}<main>{''.join(body)}</main>{footer}"
            f"</body></html>").encode("utf-8")
