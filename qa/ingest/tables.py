"""Tables as records: each row of a table is read as one line that carries its header.

A table of apple varieties reads, row by row, ``Variety: Greyhaven Russet; Harvest month:
November; Colour: brown``: every value keeps the label of its column, so a row answers a
question on its own. The record is what the document's text holds (offsets and citations
point into it), and each record is one block that the sentence splitter keeps whole
(``Extracted.records``).

The formats' loaders hand over a table as a grid of :class:`Cell` s, one per grid column:

* The header is the leading rows marked as such (HTML ``<th>`` cells, a Word row repeated
  as header, a Markdown table's first row); in a table with no marks, the first row when it
  holds only short labels (no figures, no sentence ending) and more rows follow.
* A cell merged across columns is ``None`` in the columns it covers (its label is the first
  column's); a cell merged down is repeated in each row it covers.
* An empty cell is left out of its record; a row with no header keeps its cells joined by
  `` | ``, or, when it starts with a header cell (an HTML ``<th>`` row label), reads
  ``Label: value``.

    >>> table_records([[Cell("Variety", True), Cell("Colour", True)],
    ...                [Cell("Greyhaven Russet"), Cell("brown")], [Cell("Copperbell"), Cell("")]])
    ['Variety: Greyhaven Russet; Colour: brown', 'Variety: Copperbell']
    >>> table_records([[Cell("Tank A"), Cell("400 litres")], [Cell("Tank B"), Cell("650 litres")]])
    ['Tank A | 400 litres', 'Tank B | 650 litres']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CELL_SEPARATOR = " | "      # cells of a row without a header
FIELD_SEPARATOR = "; "      # "label: value" fields of a record
LABEL_SEPARATOR = ": "
LABEL_MAX_CHARS = 60        # an unmarked first row is a header only if every cell is a label this short
_NOT_A_LABEL = re.compile(r"\d|[.!?]$")
# A pipe table's delimiter row ("| --- | :-: |"); a Markdown file without one is not parsed at all.
_DELIMITER_ROW = re.compile(r"^[ \t]*(?=[^\n]*\|)\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class Cell:
    """A table cell's text (white space collapsed) and whether it is marked as a header cell."""

    text: str
    header: bool = False


Grid = list[list["Cell | None"]]   # rows of grid columns; None: covered by a cell merged from the left


def _is_label(cell: Cell | None) -> bool:
    return cell is None or (0 < len(cell.text) <= LABEL_MAX_CHARS and not _NOT_A_LABEL.search(cell.text))


def _header_rows(rows: Grid) -> int:
    """How many leading rows are the header: the marked ones, else a first row of labels."""
    marked = 0
    while marked < len(rows) and all(c is None or c.header for c in rows[marked]):
        marked += 1
    if marked == len(rows):   # every row marked: a table of headers is read as data
        return 0
    if marked or any(c is not None and c.header for row in rows for c in row):
        return marked
    return 1 if len(rows) > 1 and all(_is_label(c) for c in rows[0]) else 0


def _labels(header: Grid, width: int) -> list[str]:
    """Each column's label: the header rows' texts over it (a merged header cell labels every
    column it covers), distinct ones joined by a space."""
    labels: list[list[str]] = [[] for _ in range(width)]
    for row in header:
        text = ""
        for col in range(width):
            cell = row[col] if col < len(row) else Cell("")
            text = text if cell is None else cell.text
            if text and text not in labels[col]:
                labels[col].append(text)
    return [" ".join(parts) for parts in labels]


def _record(row: list[Cell | None], labels: list[str]) -> str:
    cells = [(labels[col] if col < len(labels) else "", cell) for col, cell in enumerate(row)
             if cell is not None and cell.text]
    if any(label for label, _ in cells):
        if all(label == cell.text for label, cell in cells):   # the header repeated inside the table
            return ""
        return FIELD_SEPARATOR.join(f"{label}{LABEL_SEPARATOR}{cell.text}" if label else cell.text
                                    for label, cell in cells)
    if len(cells) > 1 and cells[0][1].header and not any(cell.header for _, cell in cells[1:]):
        return f"{cells[0][1].text}{LABEL_SEPARATOR}{CELL_SEPARATOR.join(cell.text for _, cell in cells[1:])}"
    return CELL_SEPARATOR.join(cell.text for _, cell in cells)


def table_records(rows: Grid) -> list[str]:
    """One record per row of a table that holds any text (the header rows make none)."""
    rows = [row for row in rows if any(c is not None for c in row)]
    head = _header_rows(rows)
    labels = _labels(rows[:head], max((len(row) for row in rows), default=0))
    return [record for record in (_record(row, labels) for row in rows[head:]) if record]


def _markdown_grids(text: str) -> list[tuple[int, int, Grid]]:
    """``(first line, end line, grid)`` of each top-level pipe table (markdown-it-py, GFM tables;
    a cell is its Markdown source, so inline parsing is skipped)."""
    from markdown_it import MarkdownIt

    found: list[tuple[int, int, Grid]] = []
    grid: Grid | None = None
    header = False
    for token in MarkdownIt("commonmark").enable("table").disable("inline").parse(text):
        if token.type == "table_open" and token.level == 0:
            grid = []
            found.append((token.map[0], token.map[1], grid))
        elif token.type == "table_close" and token.level == 0:
            grid = None
        elif grid is None:
            continue
        elif token.type in ("thead_open", "tbody_open"):
            header = token.type == "thead_open"
        elif token.type == "tr_open":
            grid.append([])
        elif token.type == "inline":
            grid[-1].append(Cell(" ".join(token.content.split()), header))
    return found


def markdown_tables(text: str) -> tuple[str, list[tuple[int, int]]]:
    """``text`` with each top-level pipe table replaced by its rows' records, a block each,
    and the records' ``(start, end)`` in the new text; the rest is kept as written.

    >>> markdown_tables("Apples.\\n| Variety | Colour |\\n|---|---|\\n| Copperbell | red |\\n")
    ('Apples.\\n\\nVariety: Copperbell; Colour: red\\n', [(9, 41)])
    """
    if not _DELIMITER_ROW.search(text):
        return text, []
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    length, tail, pos = 0, "", 0

    def put(piece: str, blank_line_before: bool = False) -> None:
        nonlocal length, tail
        if blank_line_before and length:
            piece = "\n" * (2 - (len(tail) - len(tail.rstrip("\n")))) + piece
        out.append(piece)
        length += len(piece)
        tail = (tail + piece)[-2:]

    for first, end, grid in _markdown_grids(text):
        put(text[pos:starts[first]])
        for record in table_records(grid):
            put(record, blank_line_before=True)
            spans.append((length - len(record), length))
        pos = starts[end] if end < len(starts) else len(text)
        if pos < len(text) and text[pos] != "\n":
            put("", blank_line_before=True)   # the next block starts on the line after the table
        elif text[:pos].endswith("\n"):
            put("\n")
    put(text[pos:])
    return "".join(out), spans
