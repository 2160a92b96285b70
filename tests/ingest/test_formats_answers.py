"""A folder holding PDF, HTML, DOCX, Markdown and text, made here, answers a question about
each format with the real model, citing the right file, section and (for the PDF) page; the
CLI prints the page; the files it could not use are listed with their reason."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from qa.app.api import Answerer
from qa.app.cli import cli
from tests.support.documents import docx_bytes, encrypted_pdf_bytes, html_bytes, pdf_bytes, scanned_pdf_bytes
from tests.support.invariants import ask_answered

pytestmark = pytest.mark.slow

FILES = {
    "moon-base.pdf": pdf_bytes([
        [("title", "Moon Base Report"), ("h1", "Water Supply"),
         ("p", "The moon base draws its water from ice mined in the Shackleton crater."),
         ("p", "Each astronaut uses twelve litres of water a day.")],
        [("h1", "Power Supply"), ("p", "Solar panels on the crater rim supply forty kilowatts of electricity."),
         ("p", "Batteries keep the base running through the two-week lunar night.")]], title="Moon Base Report"),
    "volcanoes.html": html_bytes("Volcanoes of Italy", [
        ("h1", "Volcanoes of Italy"), ("h2", "Vesuvius"),
        ("p", "Mount Vesuvius buried the Roman city of Pompeii in the year 79."),
        ("h2", "Etna"), ("p", "Mount Etna on Sicily is the most active volcano in Europe.")]),
    "garden.docx": docx_bytes([
        ("title", "Garden Guide"), ("h1", "Roses"), ("p", "Roses need six hours of direct sunlight every day."),
        ("li", "Prune roses in early March."), ("h1", "Tulips"), ("row", "Bulb | Planting month"),
        ("row", "Tulip | October")]),
    "bees.md": "# Bees\n\n## Communication\n\nHoney bees tell each other where flowers are by dancing.\n",
    "glaciers.txt": "Glaciers\n\nGlaciers flow slowly downhill under their own enormous weight.\n",
    "scan.pdf": scanned_pdf_bytes(),
    "locked.pdf": encrypted_pdf_bytes(),
    "photo.jpg": b"\xff\xd8\xff\xe0 not indexed",
}

QUESTIONS = [   # question, file, section, page, words of the answer
    ("How much electricity do the solar panels supply?", "moon-base.pdf", "Power Supply", 2, "forty kilowatts"),
    ("Where does the moon base get its water?", "moon-base.pdf", "Water Supply", 1, "Shackleton"),
    ("Which Roman city did Mount Vesuvius bury?", "volcanoes.html", "Vesuvius", None, "Pompeii"),
    ("How many hours of sunlight do roses need?", "garden.docx", "Roses", None, "six hours"),
    ("How do honey bees tell each other where flowers are?", "bees.md", "Communication", None, "dancing"),
    ("How do glaciers move?", "glaciers.txt", "", None, "downhill"),
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("formats") / "docs"
    root.mkdir()
    for name, content in FILES.items():
        (root / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return root


@pytest.fixture(scope="module")
def bot(folder, real_embeddings, tmp_path_factory):
    return Answerer.from_corpus(folder, tmp_path_factory.mktemp("formats-index"), embeddings=real_embeddings)


@pytest.mark.parametrize("question, source, section, page, words", QUESTIONS)
def test_each_format_is_answered_with_its_page_and_section(bot, question, source, section, page, words):
    answer = ask_answered(bot, question)
    top = answer.citations[0]
    assert (top.source, top.section, top.page) == (source, section, page), top
    assert words in answer.text
    doc = bot.index.documents[bot.index.by_source[source]]
    assert doc.text[top.start:top.end] == top.text
    if page is not None:
        start, end = doc.pages[page - 1]
        assert start <= top.start and top.end <= end


def test_the_files_it_could_not_use_are_listed(bot):
    assert {e.path: e.reason for e in bot.report.skipped} == {
        "scan.pdf": "no-text-layer", "locked.pdf": "encrypted", "photo.jpg": "unsupported"}
    assert bot.stats["documents"] == 5


def test_the_index_keeps_pages_after_reload(bot, folder, real_embeddings):
    again = Answerer.from_corpus(folder, bot.index_dir, embeddings=real_embeddings)
    assert again.report.action == "loaded"
    answer = again.ask(QUESTIONS[0][0])
    assert answer.citations[0].page == 2 and answer.to_dict()["citations"][0]["page"] == 2


def test_the_cli_prints_the_page_and_section(bot, folder):
    runner = CliRunner()
    args = ["--corpus", str(folder), "--index", str(bot.index_dir)]
    plain = runner.invoke(cli, ["ask", *args, QUESTIONS[0][0]])
    assert plain.exit_code == 0, plain.stderr
    assert "[1] moon-base.pdf, p. 2 \u00a7 Power Supply" in plain.stdout
    data = json.loads(runner.invoke(cli, ["ask", "--json", *args, QUESTIONS[0][0]]).stdout)
    assert data["citations"][0]["page"] == 2 and data["citations"][0]["section"] == "Power Supply"
