import pytest

from qa.ingest.corpus import load_corpus
from qa.ingest.loaders import LOADERS, register_loader
from qa.errors import CorpusError, DocumentError
from qa.ingest.text import split_sentences
from tests.conftest import CORPUS


def test_bundled_article_title_and_sections():
    doc = load_corpus(CORPUS).documents[0]
    assert doc.title.startswith("Iran-Pakistan Relations")
    headings = [s.heading for s in doc.sections]
    assert "Security Factor" in headings and "Economic and Energy Cooperation" in headings
    for s in doc.sections:
        body = doc.text[s.start:s.end]
        # a heading is not part of any sentence of the body
        for a, b in split_sentences(doc.text, s.start, s.end):
            for h in headings:
                if h:
                    assert not doc.text[a:b].startswith(h + " ")
        assert s.heading == "" or s.heading not in body.split("\n\n")[0:1]


def test_plain_text_headings_and_markdown(make_corpus):
    root = make_corpus({
        "a.txt": "My Title\n\nIntro sentence here.\n\nFirst Part\n\nBody of part one. More.\n\nNot a heading.\n\nEnd.",
        "sub/b.md": "# Doc B\n\nLead.\n\n## Part Two\n\nText two.\n\n```\n# not a heading\n```\n",
    })
    corpus = load_corpus(root)
    a, b = corpus.documents
    assert (a.source, a.title) == ("a.txt", "My Title")
    assert [s.heading for s in a.sections] == ["", "First Part"]
    assert a.text[a.sections[1].start:a.sections[1].end].strip().startswith("Body of part one.")
    assert (b.source, b.title) == ("sub/b.md", "Doc B")
    assert [s.heading for s in b.sections] == ["", "Part Two"]


def test_bad_files_are_reported_by_name_and_others_load(make_corpus):
    root = make_corpus({"good.txt": "A fine sentence.", "latin.txt": "caf\xe9".encode("latin-1"),
                        "bin.md": b"\x00\x01\x02", "empty.txt": "", "copy.txt": "A fine sentence.",
                        "ignored.pdf": b"%PDF", ".hidden.txt": "secret"})
    corpus = load_corpus(root)
    assert [d.source for d in corpus.documents] == ["copy.txt"]   # of identical files, the first in sorted order
    reasons = {e.path: str(e) for e in corpus.skipped}
    assert "UTF-8" in reasons["latin.txt"] and "offset 3" in reasons["latin.txt"]
    assert "binary" in reasons["bin.md"]
    assert "empty" in reasons["empty.txt"]
    assert "duplicate of copy.txt" in reasons["good.txt"]
    assert "not a PDF" in reasons["ignored.pdf"] and ".hidden.txt" not in reasons
    with pytest.raises(DocumentError, match="bin.md|latin.txt"):
        load_corpus(root, strict=True)


def test_missing_or_empty_corpus_is_a_clear_error(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match="No usable documents"):
        load_corpus(tmp_path / "empty")


def test_crlf_is_unified_and_bom_dropped(make_corpus):
    root = make_corpus({"w.txt": "\ufeffLine one.\r\nLine two.\r\n".encode("utf-8")})
    doc = load_corpus(root).documents[0]
    assert doc.text == "Line one.\nLine two.\n"


def test_register_loader_adds_a_format(make_corpus):
    import qa

    def load_rst(data: bytes) -> qa.Extracted:
        text = data.decode("utf-8")
        return qa.Extracted(text, "RST title", [qa.Section("Only", 0, len(text))])

    register_loader(".rst", load_rst)
    try:
        corpus = load_corpus(make_corpus({"x.rst": "Hello there."}))
        assert corpus.documents[0].title == "RST title"
        assert corpus.documents[0].sections[0].heading == "Only"
    finally:
        LOADERS.pop(".rst")
