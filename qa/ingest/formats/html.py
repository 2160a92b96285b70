"""HTML: the page's main content as text (BeautifulSoup, with Python's own HTML parser).

The main content is ``<main>`` (or ``role="main"``), else the page's only ``<article>``,
else ``<body>``; navigation, scripts, styles, forms, asides, footers and hidden elements
are dropped. ``<h1>``-``<h6>`` become headings (sections); the title is ``<title>``, else
the first ``<h1>``. Paragraphs, list items (``- item``) and table rows (cells joined by
`` | ``) are blocks of their own; inline markup is read as the text it shows.

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
from ..limits import check_markup
from .builder import SPACES, TextBuilder, collapse, require

DROPPED = {"script", "style", "noscript", "template", "nav", "aside", "form", "iframe", "svg", "button", "select",
           "input", "textarea", "object", "embed", "canvas", "head", "title", "meta", "link", "footer", "dialog"}
DROPPED_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "menu", "dialog"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
BLOCKS = {"p", "div", "section", "article", "main", "header", "ul", "ol", "dl", "dt", "dd", "blockquote",
          "figure", "figcaption", "address", "hr", "details", "summary", "caption", "table", "thead", "tbody",
          "tfoot", "body", "html", "center", "fieldset", "legend"}
CELL_SEPARATOR = " | "
BINARY_SNIFF_BYTES = 8192


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
        elif name == "tr":
            self.flush()
            cells = [collapse(c.get_text(" ")) for c in tag.find_all(["td", "th"], recursive=False)]
            self.builder.paragraph(CELL_SEPARATOR.join(c for c in cells if c))
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
