"""The chat window's uploads and removals as plain functions (qa.app.documents), with the fake
embeddings: one message per file, the limits, the document list, and the page refreshed after a
change (header and examples). The real server and browser: test_uploads_server.py and
test_browser_uploads.py."""

from __future__ import annotations

import pytest

from qa.app import documents as docs
from qa.app.api import Answerer
from qa.app.documents_panel import PageState
from qa.errors import IndexProblem
from tests.support.documents import docx_bytes, html_bytes, pdf_bytes
from tests.support.invariants import check_answer

PDF = pdf_bytes([[("h1", "Moon Water"), ("p", "The moon base mines ice in the Shackleton crater.")],
                 [("h1", "Moon Power"), ("p", "Solar panels supply forty kilowatts of power.")]])


@pytest.fixture
def bot(built_index):
    root, index_dir, emb = built_index
    return Answerer.from_corpus(root, index_dir, embeddings=emb)


@pytest.fixture
def uploaded(tmp_path):
    """Write ``{name: bytes}`` as Gradio keeps uploads (``<upload root>/<hash>/<name>``); return the paths."""
    root = tmp_path / "gradio-uploads"

    def put(files: dict) -> list[str]:
        paths = []
        for i, (name, data) in enumerate(files.items()):
            folder = root / f"{i:064x}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
            paths.append(str(folder / name))
        return paths

    put.root = root
    return put


def kinds(outcome):
    return [kind for kind, _ in outcome.lines]


def test_each_file_gets_a_message_and_good_ones_are_answered_at_once(bot, uploaded):
    paths = uploaded({"moon.pdf": PDF, "evil.exe": b"MZ\x90\x00", "empty.txt": b"  \n",
                      "notes.md": b"# Notes\n\nHerons wade in shallow water and eat small fish.\n"})
    seen = []
    outcome = docs.upload(bot, paths, max_bytes=10**6, upload_root=uploaded.root,
                          progress=lambda stage, done, total: seen.append((stage, done, total)))
    text = dict((m.split(":")[0], (k, m)) for k, m in outcome.lines)
    assert text["moon.pdf"][0] == "added" and "2 passages" in text["moon.pdf"][1]
    assert text["notes.md"][0] == "added"
    assert text["evil.exe"] == ("rejected", "evil.exe: is not a supported type (.exe). Supported: .docx, .htm, "
                                            ".html, .markdown, .md, .pdf, .txt.")
    assert text["empty.txt"] == ("rejected", "empty.txt: is empty.")
    assert {e.reason for e in outcome.rejected} == {"unsupported", "empty"}
    assert [s for s, *_ in seen].count("Reading") == 4 and seen[-1][0] == "Embedding" and seen[-1][1] == seen[-1][2] > 0
    answer = bot.ask("How much power do the solar panels supply?")
    check_answer(bot, answer)
    assert answer.citations[0].source == "moon.pdf" and answer.citations[0].page == 2


def test_size_count_and_origin_limits_are_messages_too(bot, uploaded, tmp_path):
    paths = uploaded({f"n{i}.txt": f"Bird number {i} sings at dawn.".encode() for i in range(4)})
    big = uploaded({"big.txt": b"Crows sing. " * 100})[0]
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("A file that was never uploaded.", encoding="utf-8")
    outcome = docs.upload(bot, [big, str(outside), *paths], max_bytes=1000, max_files=4, upload_root=uploaded.root)
    assert outcome.lines[0] == ("added", "n0.txt: added; 1 passage.") and kinds(outcome).count("added") == 2
    rejected = {e.path: (e.reason, str(e)) for e in outcome.rejected}
    assert rejected["big.txt"] == ("too-large", "big.txt: is 1,200 bytes; the limit is 1,000 (QA_MAX_UPLOAD_BYTES). "
                                                "Split it into smaller files.")
    assert rejected["elsewhere.txt"][0] == "unreadable" and "not uploaded to this server" in rejected["elsewhere.txt"][1]
    assert rejected["n2.txt"][1] == "n2.txt: was not added: one upload takes at most 4 files. Add it in another upload."
    assert set(rejected) == {"big.txt", "elsewhere.txt", "n2.txt", "n3.txt"}
    assert not (bot.corpus_dir / "elsewhere.txt").exists() and not (bot.corpus_dir / "big.txt").exists()


def test_names_are_sanitised_replacements_said_and_nothing_given_is_an_error(bot, uploaded):
    outcome = docs.upload(bot, uploaded({"My report (v2) <final>.md": b"# R\n\nThe report is final.\n",
                                         "a.txt": b"Crows are clever. They dance at dawn."}), max_bytes=10**6)
    assert outcome.lines == [("added", "My report (v2) <final>.md (saved as My report (v2) _final_.md): added; "
                                       "1 passage."),
                             ("replaced", "a.txt: replaced the earlier file of that name; 1 passage.")]
    assert docs.upload(bot, [], max_bytes=10).lines == [("error", "No files were given.")]


def test_a_failed_change_says_so_and_changes_nothing(bot, uploaded, monkeypatch, caplog):
    before = [d.source for d in bot.index.documents]

    def refuse(files, progress=None):
        raise IndexProblem("Cannot write the index in 'idx' (No space left on device).")

    monkeypatch.setattr(bot, "add_documents", refuse)
    outcome = docs.upload(bot, uploaded({"moon.pdf": PDF}), max_bytes=10**6)
    assert outcome.lines == [("error", "Nothing was added: Cannot write the index in 'idx' (No space left on device).")]
    monkeypatch.setattr(bot, "remove_document", lambda name, progress=None: 1 / 0)
    outcome = docs.remove(bot, "a.txt")
    assert outcome.lines == [("error", docs.GENERIC_ERROR)] and "ZeroDivisionError" in caplog.text
    assert [d.source for d in bot.index.documents] == before


def test_remove_takes_a_document_out_and_the_last_one_stays(bot):
    outcome = docs.remove(bot, "a.txt")
    assert outcome.lines == [("removed", "a.txt: removed, with its 1 passage.")]
    assert "a.txt" not in [d.source for d in bot.index.documents] and not (bot.corpus_dir / "a.txt").exists()
    assert docs.remove(bot, "nope.txt").lines == [("error", "Nothing was removed: nope.txt: is not a document of this "
                                                            "corpus.")]
    assert docs.remove(bot, " ").lines == [("error", "Choose a document to remove.")]
    docs.remove(bot, "b.md")
    last = docs.remove(bot, "c.txt")
    assert last.lines == [("error", "Nothing was removed: c.txt: is the only document; an index needs at least one. "
                                    "Add another document first.")]
    assert [d.source for d in bot.index.documents] == ["c.txt"] and (bot.corpus_dir / "c.txt").exists()


def test_the_list_shows_name_format_passages_and_date(bot, uploaded):
    docs.upload(bot, uploaded({"moon.pdf": PDF, "page.html": html_bytes("Volcanoes", [("p", "Etna erupts often.")]),
                               "garden.docx": docx_bytes([("h1", "Roses"), ("p", "Roses need sun.")])}), max_bytes=10**6)
    rows = {r.name: r for r in docs.document_rows(bot.index)}
    assert {n: (r.format, r.passages) for n, r in rows.items()} == {
        "a.txt": ("Text", 1), "b.md": ("Markdown", 1), "c.txt": ("Text", 1), "moon.pdf": ("PDF", 2),
        "page.html": ("HTML", 1), "garden.docx": ("DOCX", 1)}
    assert rows["moon.pdf"].added >= rows["a.txt"].added
    assert docs.shown_date(rows["moon.pdf"].added).endswith(" UTC") and docs.shown_date("") == "—"
    out = docs.Outcome([("added", "x")], rejected=[]).to_dict(bot.index)
    assert {"name": "moon.pdf", "format": "PDF", "passages": 2, "added": rows["moon.pdf"].added} in out["documents"]


def test_the_page_refreshes_header_and_examples_after_changes(bot, uploaded):
    page = PageState(bot, ["Do crows use tools?"], "docs")
    assert "3 documents" in page.header() and page.current_examples() == [{"text": "Do crows use tools?"}]
    docs.upload(bot, uploaded({"moon.pdf": PDF}), max_bytes=10**6)
    assert "4 documents" in page.header() and page.current_examples() == []   # the examples were for 3 documents
    assert "moon.pdf" in page.names() and ["moon.pdf", "PDF", 2] in [row[:3] for row in page.rows()]
    docs.remove(bot, "moon.pdf")
    assert "3 documents" in page.header() and page.current_examples() == [{"text": "Do crows use tools?"}]


def test_outcome_html_escapes_file_names():
    html = docs.outcome_html(docs.Outcome([("rejected", '<img src=x onerror="alert(1)">.exe: is not supported.')]))
    assert "<img" not in html and "&#60;img" in html and 'class="qa-rejected"' in html
    assert docs.outcome_html(docs.Outcome()) == ""
