"""Questions about one row of a table (in DOCX, HTML and Markdown, made here) are answered
with the real models from that row: the answer is the row's record, its exact answer the
asked-for cell, and its citation highlights exactly that row."""

from __future__ import annotations

import pytest

from qa.app.api import Answerer
from tests.support.documents import cells, docx_bytes, html_bytes, markdown_bytes
from tests.support.invariants import ask_answered

pytestmark = pytest.mark.slow

APPLES = ["Variety | Harvest month | Colour", "Greyhaven Russet | November | brown",
          "Lady Tamsin | September | yellow", "Marrowfield Pippin | August | green", "Copperbell | October | crimson"]
LIGHTHOUSES = ["Lighthouse | Keeper | Height", "Gannet Point | Ellis Varro | 34 metres",
               "Hollow Ness | Mira Quell | 21 metres", "Skerrow Rock | Tobin Hale | 48 metres"]
HUTS = ["Hut | Altitude | Beds", "Cairnlee Hut | 2,140 m | 24", "Vossberg Refuge | 2,860 m | 40",
        "Tarnwick Bothy | 1,310 m | 8"]


def table(rows: list[str]) -> list[tuple[str, str]]:
    return [("head", rows[0]), *(("row", row) for row in rows[1:])]


FILES = {
    "orchard.docx": docx_bytes([("title", "Orchard Guide"), ("p", "The orchard grows four apple varieties."),
                                *table(APPLES), ("p", "Apples are picked by hand on dry days.")]),
    "lighthouses.html": html_bytes("Lighthouses of the Coast", [
        ("h1", "Lighthouses of the Coast"), ("p", "Three lighthouses guard the coast, each with its own keeper."),
        *table(LIGHTHOUSES), ("p", "The lamps are lit at dusk.")]),
    "huts.md": markdown_bytes([("title", "Mountain Huts"), ("p", "Walkers can sleep in three huts on the ridge."),
                               *table(HUTS), ("p", "Book a bed before the season starts.")]),
}

QUESTIONS = [   # question, file, the row asked about, the column of the answer
    ("When are Greyhaven Russet apples harvested?", "orchard.docx", APPLES, 1, 1),
    ("What colour is the Lady Tamsin apple?", "orchard.docx", APPLES, 2, 2),
    ("Who is the keeper of the Hollow Ness lighthouse?", "lighthouses.html", LIGHTHOUSES, 2, 1),
    ("How tall is the Skerrow Rock lighthouse?", "lighthouses.html", LIGHTHOUSES, 3, 2),
    ("How many beds does the Vossberg Refuge have?", "huts.md", HUTS, 2, 2),
    ("At what altitude is the Tarnwick Bothy?", "huts.md", HUTS, 3, 1),
    ("Which apple variety is harvested in August?", "orchard.docx", APPLES, 3, 0),
]


def record(rows: list[str], row: int) -> str:
    return "; ".join(f"{label}: {value}" for label, value in zip(cells(rows[0]), cells(rows[row])))


@pytest.fixture(scope="module")
def bot(tmp_path_factory, real_embeddings):
    root = tmp_path_factory.mktemp("tables") / "docs"
    root.mkdir()
    for name, data in FILES.items():
        (root / name).write_bytes(data)
    return Answerer.from_corpus(root, tmp_path_factory.mktemp("tables-index"), embeddings=real_embeddings)


@pytest.mark.parametrize("question, source, rows, row, column", QUESTIONS)
def test_a_question_about_a_row_is_answered_from_that_row(bot, question, source, rows, row, column):
    answer = ask_answered(bot, question)
    top = answer.citations[0]
    expected = record(rows, row)
    assert top.source == source and top.highlighted_text()[0] == expected, (answer.text, top.highlighted_text())
    assert answer.text.startswith(expected + " [1]"), answer.text
    value = cells(rows[row])[column]
    assert value in answer.text.split(" [1]")[0]
    assert answer.short_answer == value
    others = [record(rows, n) for n in range(1, len(rows)) if n != row]
    assert not any(other in answer.text for other in others), answer.text   # no other row is offered
