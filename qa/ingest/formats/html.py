"""HTML: the page's main content as text (BeautifulSoup, with Python's own HTML parser).

The main content is ``<main>`` (or ``role="main"``), else the page's only ``<article>``,
else ``<body>``; navigation, scripts, styles, forms, asides, footers and hidden elements
are dropped. ``<h1>``-``<h6>`` become headings (sections); the title is ``<title>``, else
the first ``<h1>``. Paragraphs and list items (``- item``) are blocks of their own, and so is
each table row, read as a record that carries its header (:mod:`qa.ingest.tables`: ``<thead>``
rows and rows of ``<th>`` are the header, ``rowspan``/``colspan`` are followed); inline markup
is read as the text it shows.

    >>> e = load_html(b"<title>Birds</title><nav>Home</nav><h1>Birds</h1><h2>Crows</h2>"
    ...               b"<p>Crows are <b>clever</b>.</p><ul><li>Tools</li></ul><script>x()</script>")
    >>> e.text
    'Birds\\n\\nCrows\\n\\nCrows are clever.\\n\\n- Tools'
    >>> e.title, [s.heading for s in e.sections]
    ('Birds', ['', 'Crows'])
"""

from __future__ import annotations

from ...errors import ExtractionError
from ..document import Extracted
from ..tables import Cell, Grid
from ..limits import check_markup
from .builder import SPACES, TextBuilder, collapse, require

DROPPED = {"script", "style", "noscript", "template", "nav", "aside", "form", "iframe", "svg", "button", "select",
           "input", "textarea", "object", "embed", "canvas", "head", "title", "meta", "link", "footer", "dialog"}
DROPPED_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "menu", "dialog"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
BLOCKS = {"p", "div", "section", "article", "main", "header", "ul", "ol", "dl", "dt", "dd", "blockquote",
          "figure", "figcaption", "address", "hr", "details", "summary", "caption", "table", "thead", "tbody",
          "tfoot", "body", "html", "center", "fieldset", "legend"}
BINARY_SNIFF_BYTES = 8192
MAX_SPAN = 1000               # a table's columns, and a cell's rowspan, stop here (HTML's own limit for colspan)


def _hidden(tag) -> bool:
    style = (tag.get("style") or "").replace(" ", "").lower()
    return (tag.name in DROPPED or tag.has_attr("hidden") or (tag.get("role") or "").lower() in DROPPED_ROLES
            or (tag.get("aria-hidden") or "").lower() == "true" or "display:none" in style
            or "visibility:hidden" in style)


class _Walker:
    """Turns the element tree into blocks on a :class:`TextBuilder`."""

    def __init__(self):
        self.builder = TextBuilder()
        self.inline: list[str] = []
        self.prefix = ""

    def flush(self) -> None:
        lines = [collapse(line) for line in "".join(self.inline).split("\n")]
        text = "\n".join(line for line in lines if line)
        if text:
            self.builder.paragraph(self.prefix + text)
            self.prefix = ""
        self.inline = []

    def walk(self, node) -> None:
        from bs4 import Comment, NavigableString, Tag

        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                if type(child) is NavigableString or not _is_special(child):
                    self.inline.append(SPACES.sub(" ", str(child)))   # line breaks come from <br> only
            elif isinstance(child, Tag) and not _hidden(child):
                self.element(child)

    def element(self, tag) -> None:
        name = tag.name
        if name in HEADINGS:
            self.flush()
            self.builder.heading(tag.get_text(" "))
        elif name == "br":
            self.inline.append("\n")
        elif name == "pre":
            self.flush()
            self.builder.paragraph(tag.get_text())
        elif name in ("table", "tr"):
            self.flush()
            for caption in (c for c in tag.find_all("caption", recursive=False) if not _hidden(c)):
                self.builder.paragraph(collapse(caption.get_text(" ")))
            rows = [tag] if name == "tr" else [tr for tr in tag.find_all("tr") if tr.find_parent("table") is tag]
            self.builder.table(_grid([tr for tr in rows if not _hidden(tr) and not _hidden(tr.parent)]))
        elif name == "li":
            self.flush()
            self.prefix = "- "
            self.walk(tag)
            self.flush()
        elif name in BLOCKS:
            self.flush()
            self.walk(tag)
            self.flush()
        else:
            self.walk(tag)


def _span(cell, attribute: str, room: int) -> int:
    """``colspan`` or ``rowspan`` of a cell: from 1 to ``room``."""
    try:
        return min(max(int(str(cell.get(attribute, "1")).strip()), 1), room)
    except ValueError:
        return 1


def _grid(rows) -> Grid:
    """The cells of ``rows`` (``<tr>`` tags) by grid column, following ``rowspan`` and ``colspan``
    (up to :data:`MAX_SPAN` columns and rows)."""
    grid: Grid = []
    below: dict[int, tuple[Cell | None, int]] = {}   # column -> (cell spanning down into it, rows left)
    for tr in rows:
        row: dict[int, Cell | None] = {}
        for col, (cell, left) in list(below.items()):
            row[col] = cell
            if left > 1:
                below[col] = (cell, left - 1)
            else:
                del below[col]
        col = 0
        for td in (td for td in tr.find_all(["td", "th"], recursive=False) if not _hidden(td)):
            while col in row:
                col += 1
            if col >= MAX_SPAN:
                break
            cell = Cell(collapse(td.get_text(" ")), td.name == "th")
            across, down = _span(td, "colspan", MAX_SPAN - col), _span(td, "rowspan", MAX_SPAN)
            for k in range(across):
                row[col + k] = cell if k == 0 else None
                if down > 1:
                    below[col + k] = (row[col + k], down - 1)
            col += across
        last = max((c for c, cell in row.items() if cell is not None), default=-1)   # covered columns at the end: none
        grid.append([row.get(c, Cell("")) for c in range(last + 1)])
    return grid


def _is_special(node) -> bool:
    """CDATA, processing instructions, doctypes: not text shown on the page."""
    from bs4 import CData, Declaration, Doctype, ProcessingInstruction

    return isinstance(node, (CData, ProcessingInstruction, Declaration, Doctype))


def _main_content(soup):
    main = soup.find("main") or soup.find(attrs={"role": "main"})
    if main is not None:
        return main
    articles = soup.find_all("article")
    if len(articles) == 1:
        return articles[0]
    return soup.body or soup


def load_html(data: bytes) -> Extracted:
    """Text, title and headings of an HTML page's main content."""
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        raise ExtractionError("is not an HTML file (it contains NUL bytes).", reason="binary")
    check_markup(data)
    bs4 = require("bs4", "HTML")
    try:
        soup = bs4.BeautifulSoup(data, "html.parser")
        title = collapse(soup.title.get_text()) if soup.title else ""
        walker = _Walker()
        walker.walk(_main_content(soup))
        walker.flush()
    except RecursionError:
        raise ExtractionError("is nested too deeply to be read.", reason="corrupt") from None
    if not title:
        first = soup.find("h1")
        title = collapse(first.get_text(" ")) if first else ""
    return walker.builder.extracted(title)
