"""Each format's loader on real files made here: the text is what the document shows, every
offset points into it, sections come from headings and pages from the PDF; bad files are
refused with their reason; loaders of your own plug in with ``qa.register_loader``."""

from __future__ import annotations

import subprocess
import sys

import pytest

import qa
from qa.errors import ExtractionError
from qa.ingest.chunking import chunk_documents
from qa.ingest.corpus import document_from_bytes, load_corpus
from qa.ingest.loaders import LOADERS, extract
from tests.conftest import ROOT
from tests.support.documents import (corrupt_docx_bytes, docx_bytes, encrypted_pdf_bytes, html_bytes, pdf_bytes,
                                     scanned_pdf_bytes)

MOON = [[("title", "Moon Base Report"), ("h1", "Water Supply"),
         ("p", "The moon base draws its water from ice mined in the Shackleton crater."),
         ("p", "Each astronaut uses twelve litres of water a day.")],
        [("h1", "Power"), ("p", "Solar panels on the crater rim supply forty kilowatts of power."),
         ("p", "Batteries store energy for the lunar night, which lasts two weeks.")],
        [("p", "The panels were built in Norway and shipped in 2031.")]]


def sections(doc):
    """``{heading: body}`` of the sections that hold text."""
    return {s.heading: doc.text[s.start:s.end].strip() for s in doc.sections if doc.text[s.start:s.end].strip()}


def check_offsets(doc):
    """Every passage is the document's text at its offsets, on the page holding its start."""
    chunks = chunk_documents([doc])
    assert chunks.passages
    for p in chunks.passages:
        assert doc.text[p.start:p.end] == p.text
        assert p.page == doc.page_at(p.start)
        if doc.pages:
            start, end = doc.pages[p.page - 1]
            assert start <= p.start and p.end <= end, "a passage stays on one page"
    return chunks


def test_pdf_text_pages_and_headings():
    doc = document_from_bytes("moon.pdf", pdf_bytes(MOON, title="Moon Base Report"))
    assert doc.title == "Moon Base Report"
    assert len(doc.pages) == 3
    page_text = [doc.text[a:b] for a, b in doc.pages]
    assert "Shackleton crater" in page_text[0] and "forty kilowatts" in page_text[1] and "Norway" in page_text[2]
    assert [s.heading for s in doc.sections if s.heading] == ["Water Supply", "Power"]
    assert "Shackleton" in sections(doc)["Water Supply"] and "Norway" in sections(doc)["Power"]
    at = doc.text.index("forty kilowatts")
    assert doc.page_at(at) == 2 and doc.section_at(at).heading == "Power"
    assert doc.page_at(doc.text.index("Norway")) == 3
    chunks = check_offsets(doc)
    assert {p.page for p in chunks.passages} == {1, 2, 3}


def test_pdf_title_falls_back_to_its_first_heading_and_lists_tables_are_text():
    doc = document_from_bytes("x.pdf", pdf_bytes([[("h1", "Tank Sizes"), ("li", "Large tanks hold water."),
                                                   ("row", "Tank A | 400 litres"), ("p", "All tanks are steel.")]]))
    assert doc.title == "Tank Sizes"
    assert "Large tanks hold water." in doc.text and "400 litres" in doc.text
    assert "\x7f" not in doc.text   # a bullet glyph extracted as a control character becomes a space
    check_offsets(doc)


def test_html_main_content_title_and_headings():
    page = html_bytes("Volcanoes of Italy", [
        ("h1", "Volcanoes of Italy"), ("h2", "Eruptions"),
        ("p", "Mount Vesuvius destroyed Pompeii in the year 79."), ("li", "Etna erupts often."),
        ("h2", "Monitoring"), ("row", "Station | Naples"), ("p", "Sensors watch the crater & the slopes.")])
    doc = document_from_bytes("volcano.html", page)
    assert doc.title == "Volcanoes of Italy"
    assert list(sections(doc)) == ["Eruptions", "Monitoring"]
    assert sections(doc)["Eruptions"] == "Mount Vesuvius destroyed Pompeii in the year 79.\n\n- Etna erupts often."
    assert "Station | Naples" in doc.text and "crater & the slopes" in doc.text
    for junk in ("Home", "About us", "tracker", "Cookie", "Copyright", "color: red"):
        assert junk not in doc.text
    check_offsets(doc)


def test_html_without_main_hidden_parts_and_inline_markup():
    page = (b"<html><body><header><nav>Menu</nav></header><div hidden>Secret draft</div>"
            b"<p style='display: none'>Invisible text.</p><h1>Owls</h1><p>Owls&nbsp;hunt <em>at</em>\n night."
            b"<br>They see well.</p><aside>Related links</aside><!-- a comment --></body></html>")
    doc = document_from_bytes("owls.htm", page)
    assert doc.title == "Owls"   # no <title>: the first <h1>
    assert doc.text == "Owls\n\nOwls\u00a0hunt at night.\nThey see well."
    assert sections(doc) == {"": "Owls\u00a0hunt at night.\nThey see well."}


def test_docx_headings_lists_and_tables():
    data = docx_bytes([("title", "Garden Guide"), ("h1", "Roses"), ("p", "Roses need six hours of sun each day."),
                       ("li", "Prune them in March."), ("h1", "Watering"), ("row", "Plant | Water"),
                       ("row", "Tulip | Weekly"), ("p", "Water early in the morning.")])
    doc = document_from_bytes("garden.docx", data)
    assert doc.title == "Garden Guide" and doc.pages == []
    assert sections(doc)["Roses"] == "Roses need six hours of sun each day.\n\n- Prune them in March."
    assert "Plant: Tulip; Water: Weekly" in sections(doc)["Watering"]   # a table row carries its header
    check_offsets(doc)
    assert document_from_bytes("g.docx", docx_bytes([("p", "Just text here.")], title="Props Title")).title \
        == "Props Title"


def test_markdown_and_text_are_kept_as_written():
    md = document_from_bytes("bees.md", "# Bees\n\n## Dance\n\nHoney bees dance \u201cwaggles\u201d.\n".encode())
    assert md.text == "# Bees\n\n## Dance\n\nHoney bees dance \u201cwaggles\u201d.\n" and md.pages == []
    assert (md.title, [s.heading for s in md.sections]) == ("Bees", ["", "Dance"])
    txt = document_from_bytes("notes/ice_age-notes.txt", b"glaciers move slowly downhill.")
    assert txt.title == "ice age notes"   # no title line: made from the file name
    check_offsets(md)


@pytest.mark.parametrize("name, data, reason, words", [
    ("scan.pdf", scanned_pdf_bytes(), "no-text-layer", "no text layer"),
    ("locked.pdf", encrypted_pdf_bytes(), "encrypted", "encrypted"),
    ("broken.pdf", pdf_bytes(MOON)[:300], "corrupt", "could not be read as a PDF"),
    ("fake.pdf", b"GIF89a not a pdf", "corrupt", "not a PDF"),
    ("broken.docx", corrupt_docx_bytes(), "corrupt", "could not be read as DOCX"),
    ("notzip.docx", b"plain words, not a zip", "corrupt", "not a readable DOCX"),
    ("locked.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "encrypted", "password-protected"),
    ("empty.html", b"<html><body><nav>Only navigation</nav></body></html>", "empty", "empty"),
    ("blank.pdf", b"   \n", "empty", "is empty"),
    ("latin.txt", "caf\xe9".encode("latin-1"), "not-utf8", "UTF-8"),
])
def test_bad_files_are_refused_with_their_reason(name, data, reason, words):
    with pytest.raises(qa.DocumentError) as info:
        document_from_bytes(name, data)
    assert info.value.reason == reason and words in str(info.value) and str(info.value).startswith(name + ": ")
    assert info.value.to_dict() == {"path": name, "reason": reason, "message": str(info.value)}


def test_a_folder_lists_every_file_it_does_not_index(make_corpus):
    root = make_corpus({"good.md": "# Good\n\nA fine sentence.", "moon.pdf": pdf_bytes(MOON),
                        "scan.pdf": scanned_pdf_bytes(), "locked.pdf": encrypted_pdf_bytes(),
                        "broken.docx": corrupt_docx_bytes(), "data.xyz": b"whatever", "empty.txt": b"",
                        "huge.txt": b"Big sentence here. " * 2000, "noext": b"text"})
    corpus = load_corpus(root, max_file_bytes=20000)
    assert [d.source for d in corpus.documents] == ["good.md", "moon.pdf"]
    assert {e.path: e.reason for e in corpus.skipped} == {
        "scan.pdf": "no-text-layer", "locked.pdf": "encrypted", "broken.docx": "corrupt", "data.xyz": "unsupported",
        "empty.txt": "empty", "huge.txt": "too-large", "noext": "unsupported"}


def test_register_loader_with_a_custom_format(make_corpus):
    def load_csv(data: bytes) -> qa.Extracted:
        rows = [line.split(",") for line in data.decode("utf-8").splitlines() if line]
        text, headings = "", []
        for city, fact in rows:
            start = len(text)
            text += f"{city}\n\n{fact}.\n\n"
            headings.append((start, start + len(city), city))
        from qa.ingest.loaders import sections_from_headings
        return qa.Extracted(text, "Cities", sections_from_headings(text, headings))

    qa.register_loader(".CSV", load_csv)
    try:
        corpus = load_corpus(make_corpus({"cities.csv": "Paris,Paris is the capital of France\nOslo,Oslo has fjords\n"}))
        (doc,) = corpus.documents
        assert doc.title == "Cities" and sections(doc) == {"Paris": "Paris is the capital of France.",
                                                          "Oslo": "Oslo has fjords."}
        check_offsets(doc)
    finally:
        LOADERS.pop(".csv")


def test_a_misbehaving_loader_is_a_listed_file_not_a_crash():
    qa.register_loader(".bad", lambda data: "not Extracted")
    qa.register_loader(".oob", lambda data: qa.Extracted("short", pages=[(0, 99)]))
    qa.register_loader(".boom", lambda data: 1 / 0)
    try:
        for suffix, reason, words in [(".bad", "loader-error", "returned str"), (".oob", "loader-error", "pages"),
                                      (".boom", "corrupt", "ZeroDivisionError")]:
            with pytest.raises(ExtractionError) as info:
                extract(suffix, b"data")
            assert info.value.reason == reason and words in str(info.value)
    finally:
        for suffix in (".bad", ".oob", ".boom"):
            LOADERS.pop(suffix)
    with pytest.raises(ValueError, match="suffix"):
        qa.register_loader("csv", lambda data: qa.Extracted(""))
    with pytest.raises(TypeError, match="function"):
        qa.register_loader(".csv", "not a function")


def test_without_the_formats_extra_text_works_and_a_pdf_says_what_to_install(tmp_path):
    """A fresh interpreter where pypdf, bs4 and docx can't be imported."""
    (tmp_path / "a.txt").write_text("Crows use tools.")
    (tmp_path / "b.pdf").write_bytes(pdf_bytes([[("p", "Owls hunt at night.")]]))
    code = ("import sys; sys.modules.update({m: None for m in ('pypdf', 'bs4', 'docx')})\n"
            "import qa\nfrom qa.ingest.corpus import load_corpus\n"
            f"c = load_corpus({str(tmp_path)!r})\n"
            "print([d.source for d in c.documents]); print(c.skipped[0].reason); print(c.skipped[0])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    docs, reason, message = out.stdout.splitlines()
    assert docs == "['a.txt']" and reason == "missing-extra"
    assert "pip install 'qa[formats]'" in message and "-e" not in message.split("pip install")[1]


def test_citation_page_round_trips_and_old_json_loads():
    c = qa.Citation(source="moon.pdf", text="x", start=0, end=1, highlights=[(0, 1)], score=0.5, page=2)
    assert qa.Citation.from_dict(c.to_dict()) == c and c.to_dict()["page"] == 2
    old = {k: v for k, v in c.to_dict().items() if k != "page"}
    assert qa.Citation.from_dict(old).page is None


def test_pdf_heading_in_the_body_font_is_a_block_of_its_own():
    doc = document_from_bytes("ferry.pdf", pdf_bytes([[
        ("title", "Ferry Timetable"), ("p", "Summer service"),
        ("p", "In summer the ferry runs every hour from seven in the morning until ten at night, and on Sundays "
              "it starts an hour later"),
        ("p", "Winter service"), ("p", "In winter the last ferry leaves the harbour at six in the evening."),
        ("p", "Harbour office<br/>Quay Street<br/>Open daily from nine.")]]))
    assert "\n\nWinter service\n\nIn winter the last ferry" in doc.text
    assert "Ferry Timetable\n\nSummer service\n\nIn summer the ferry" in doc.text
    assert "hour later\n\nWinter service" in doc.text   # a paragraph's short last line ends it, too
    assert "Harbour office\nQuay Street\nOpen daily from nine." in doc.text   # short lines set close stay together
    sentences = [doc.text[s.start:s.end] for s in check_offsets(doc).sentences]
    assert "In winter the last ferry leaves the harbour at six in the evening." in sentences
    assert "Winter service" in sentences
