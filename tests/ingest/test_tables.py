"""Tables in DOCX, HTML and Markdown: each row is read as one record that carries its header
("Variety: Greyhaven Russet; Harvest month: November"), the record is the document's text
(offsets stay true), the sentence splitter keeps it whole, and the chat highlights it."""

from __future__ import annotations

import io

import pytest

from qa.app import conversation, render
from qa.app.api import Answerer
from qa.ingest.chunking import chunk_documents
from qa.ingest.corpus import document_from_bytes
from tests.support.chat import marked, plain
from tests.support.documents import docx_bytes, html_bytes, markdown_bytes
from tests.support.fakes import HashEmbeddings

MAKERS = {"docx": docx_bytes, "html": lambda blocks: html_bytes("Orchard", blocks), "md": markdown_bytes}
ORCHARD = [("title", "Orchard"), ("p", "The orchard grows three apples."),
           ("head", "Variety | Harvest month | Colour"),
           ("row", "Greyhaven Russet | November | brown"),
           ("row", "Lady Tamsin | September | yellow. Streaked with red"),
           ("row", "Copperbell |  | red"),
           ("p", "Pick apples on a dry day.")]
RECORDS = ["Variety: Greyhaven Russet; Harvest month: November; Colour: brown",
           "Variety: Lady Tamsin; Harvest month: September; Colour: yellow. Streaked with red",
           "Variety: Copperbell; Colour: red"]   # an empty cell is left out


def load(fmt: str, blocks) -> object:
    return document_from_bytes(f"orchard.{fmt}", MAKERS[fmt](blocks))


def record_texts(doc) -> list[str]:
    return [doc.text[a:b] for a, b in doc.records]


def sentence_texts(doc) -> list[str]:
    chunks = chunk_documents([doc])
    for p in chunks.passages:
        assert doc.text[p.start:p.end] == p.text
    return [doc.text[s.start:s.end] for s in chunks.sentences]


@pytest.mark.parametrize("fmt", list(MAKERS))
def test_each_row_is_one_record_carrying_its_header(fmt):
    doc = load(fmt, ORCHARD)
    assert record_texts(doc) == RECORDS
    for record in RECORDS:
        assert f"\n\n{record}\n\n" in doc.text   # a block of its own
    assert "Variety | Harvest month" not in doc.text and "Variety: Variety" not in doc.text
    assert "The orchard grows three apples." in doc.text and "Pick apples on a dry day." in doc.text


@pytest.mark.parametrize("fmt", list(MAKERS))
def test_a_record_is_one_sentence_even_when_a_cell_holds_two(fmt):
    doc = load(fmt, ORCHARD)
    sentences = sentence_texts(doc)
    for record in RECORDS:
        assert record in sentences
    assert "Streaked with red" not in sentences


@pytest.mark.parametrize("fmt", ["docx", "html"])
def test_an_unmarked_first_row_of_labels_is_the_header(fmt):
    doc = load(fmt, [("p", "Tools in the shed."), ("row", "Tool | Shelf"), ("row", "Rake | top"),
                     ("row", "Spade | bottom")])
    assert record_texts(doc) == ["Tool: Rake; Shelf: top", "Tool: Spade; Shelf: bottom"]


@pytest.mark.parametrize("fmt", list(MAKERS))
def test_a_table_without_a_header_keeps_its_rows_as_cells(fmt):
    # a first row holding figures is data, not labels; a Markdown table's header row is empty
    doc = load(fmt, [("p", "Tank sizes."), ("row", "Tank A | 400 litres"), ("row", "Tank B | 650 litres")])
    assert record_texts(doc) == ["Tank A | 400 litres", "Tank B | 650 litres"]
    single = load(fmt, [("p", "Stations."), ("row", "Station | Naples")])
    assert "Station | Naples" in single.text


def test_docx_merged_cells_are_read_once_across_and_repeated_down():
    import docx

    document = docx.Document()
    table = document.add_table(rows=4, cols=3)
    for i, row in enumerate([("Season", "Variety", "Colour"), ("Autumn", "Greyhaven Russet", "brown"),
                             ("", "Lady Tamsin", "yellow"), ("Winter", "Copperbell", "")]):
        for j, text in enumerate(row):
            table.cell(i, j).text = text
    table.cell(1, 0).merge(table.cell(2, 0))       # "Autumn" spans two rows
    table.cell(3, 1).merge(table.cell(3, 2))       # "Copperbell" spans two columns
    out = io.BytesIO()
    document.save(out)
    doc = document_from_bytes("merged.docx", out.getvalue())
    assert record_texts(doc) == ["Season: Autumn; Variety: Greyhaven Russet; Colour: brown",
                                 "Season: Autumn; Variety: Lady Tamsin; Colour: yellow",
                                 "Season: Winter; Variety: Copperbell"]


def test_html_rowspan_colspan_thead_and_hidden_rows():
    page = (b"<main><table><caption>Apples by season</caption><thead><tr><th>Season</th><th>Variety</th>"
            b"<th>Colour</th></tr></thead><tbody><tr><td rowspan=2>Autumn</td><td>Greyhaven Russet</td>"
            b"<td>brown</td></tr><tr><td>Lady Tamsin</td><td>yellow</td></tr>"
            b"<tr style='display:none'><td>Secret</td><td>x</td><td>y</td></tr>"
            b"<tr><td>Winter</td><td colspan=2>Copperbell</td></tr></tbody></table></main>")
    doc = document_from_bytes("apples.html", page)
    assert record_texts(doc) == ["Season: Autumn; Variety: Greyhaven Russet; Colour: brown",
                                 "Season: Autumn; Variety: Lady Tamsin; Colour: yellow",
                                 "Season: Winter; Variety: Copperbell"]
    assert "Apples by season" in doc.text and "Secret" not in doc.text


def test_html_row_headers_label_their_row_without_a_header_row():
    doc = document_from_bytes("p.html", b"<p>Facts.</p><table><tr><th>Height</th><td>12 m</td></tr>"
                                        b"<tr><th>Age</th><td>40 years</td></tr></table>")
    assert record_texts(doc) == ["Height: 12 m", "Age: 40 years"]


def test_markdown_outside_tables_is_kept_as_written():
    md = ("# Orchard\n\nApples *grow* here.\n| Variety | Month |\n|:--|--:|\n| Greyhaven \\| Russet | November |\n"
          "| Lady Tamsin |\n\n```\n| not | a table |\n|---|---|\n| x | y |\n```\n\n## Notes\n\nDone.\n")
    doc = document_from_bytes("o.md", md.encode())
    assert record_texts(doc) == ["Variety: Greyhaven | Russet; Month: November", "Variety: Lady Tamsin"]
    assert doc.text.startswith("# Orchard\n\nApples *grow* here.\n\nVariety: Greyhaven")
    assert doc.text.endswith("Variety: Lady Tamsin\n\n```\n| not | a table |\n|---|---|\n| x | y |\n```\n\n## Notes\n\nDone.\n")
    assert doc.title == "Orchard" and [s.heading for s in doc.sections] == ["", "Notes"]
    assert document_from_bytes("p.md", b"a | b\nc | d\n").text == "a | b\nc | d\n"   # pipes, but no table


def test_records_survive_the_stored_index(make_corpus, tmp_path):
    folder = make_corpus({"orchard.docx": docx_bytes(ORCHARD)})
    bot = Answerer.from_corpus(folder, tmp_path / "index", embeddings=HashEmbeddings())
    again = Answerer.from_corpus(folder, tmp_path / "index", embeddings=HashEmbeddings())
    assert again.report.action == "loaded"
    assert record_texts(again.index.documents[0]) == RECORDS == record_texts(bot.index.documents[0])
    assert [again.index.documents[0].text[s.start:s.end] for s in again.index.sentences] == \
        [bot.index.documents[0].text[s.start:s.end] for s in bot.index.sentences]


@pytest.mark.parametrize("fmt", list(MAKERS))
def test_the_chat_highlights_the_row(fmt, make_corpus, tmp_path):
    folder = make_corpus({f"orchard.{fmt}": MAKERS[fmt](ORCHARD)})
    bot = Answerer.from_corpus(folder, tmp_path / "index", embeddings=HashEmbeddings())
    turn = conversation.respond(bot, "When is the Greyhaven Russet harvested?")
    assert turn.kind == "answer", turn
    top = turn.answer.citations[0]
    assert top.highlighted_text()[0] == RECORDS[0]
    sources = render.render_sources_html(turn, bot.index.documents)
    assert marked(sources)[0] == RECORDS[0]
    message = render.render_message_html(turn)
    assert plain(message).startswith(RECORDS[0] + " 1")   # the answer is the row, then its [1] badge


def test_html_spans_beyond_the_limit_are_capped():
    page = ("<table><tr><th>Variety</th><th colspan=99999>Colour</th></tr><tr>"
            + "<td colspan=1000 rowspan=99999>Copperbell</td>" * 3000 + "</tr></table>").encode()
    doc = document_from_bytes("wide.html", page)
    assert record_texts(doc) == ["Variety: Copperbell"]   # the rest of the row lies past the last column


def test_a_header_repeated_inside_a_table_and_a_table_of_headers():
    from qa.ingest.tables import Cell, table_records

    head = [Cell("Variety", True), Cell("Colour", True)]
    assert table_records([head, [Cell("Copperbell"), Cell("red")], [Cell("Variety"), Cell("Colour")],
                          [Cell("Lady Tamsin"), Cell("yellow")]]) == \
        ["Variety: Copperbell; Colour: red", "Variety: Lady Tamsin; Colour: yellow"]
    assert table_records([head, [Cell("Tank", True), Cell("Size", True)]]) == ["Variety | Colour", "Tank | Size"]
