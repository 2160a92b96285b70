"""Bad corpus folders and files: clear errors, or the bad files skipped by name and the rest indexed.

Covers a missing or empty folder, empty, binary, non-UTF-8, oversized and duplicate
files, links leading outside the folder (never followed), links inside (fine), odd
file names, named pipes and link loops.
"""

from __future__ import annotations

import os
import sys

import pytest
from click.testing import CliRunner

from qa.app.api import Answerer
from qa.app.cli import cli
from qa.ingest.corpus import load_corpus
from qa.errors import ConfigError, CorpusError, DocumentError
from tests.support.fakes import HashEmbeddings
from tests.support.invariants import check_answer

SECRET = "The vault password is hunter2-zebra."


def reasons(corpus) -> dict[str, str]:
    return {e.path: str(e) for e in corpus.skipped}


def test_missing_folder(tmp_path):
    with pytest.raises(CorpusError) as info:
        load_corpus(tmp_path / "no-such-folder")
    message = str(info.value)
    assert "no-such-folder" in message and "does not exist" in message and "QA_CORPUS" in message


def test_a_file_is_not_a_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("A sentence.")
    with pytest.raises(CorpusError, match="is not a folder"):
        load_corpus(tmp_path / "notes.txt")


def test_empty_folder_says_what_files_are_wanted(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError) as info:
        Answerer.from_corpus(tmp_path / "empty", tmp_path / "index", embeddings=HashEmbeddings())
    assert "No usable documents" in str(info.value) and ".md" in str(info.value) and ".txt" in str(info.value)
    assert not (tmp_path / "index" / "CURRENT").exists()


def test_folder_of_bad_files_names_one_of_them(make_corpus):
    root = make_corpus({"empty.txt": "", "blank.md": " \n\t\n", "bom-only.txt": b"\xef\xbb\xbf",
                        "bin.txt": b"PK\x03\x04\x00\x00binary"})
    with pytest.raises(CorpusError) as info:
        load_corpus(root)
    assert "4 file(s) skipped" in str(info.value) and "bin.txt" in str(info.value)


def test_each_bad_file_is_reported_by_name(make_corpus):
    root = make_corpus({
        "good.txt": "Crows are clever birds. They use tools to get food.",
        "notes with spaces.md": "# Ravens\n\nRavens are large black birds that live in cold places.",
        "\u65e5\u672c\u8a9e \u00fcml\u00e4ut.txt": "Owls hunt at night. Their hearing is sharp.",
        "sub/dir/deep.md": "Magpies collect shiny objects, people say.",
        "empty.txt": "",
        "binary.md": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "latin1.txt": "Caf\u00e9 cr\u00e8me is served.".encode("latin-1"),
        "huge.txt": "Big file sentence. " * 200,
        "later-copy.txt": "Crows are clever birds. They use tools to get food.",
        "title-only.txt": "Just A Title",
    })
    corpus = load_corpus(root, max_file_bytes=2000)
    assert sorted(d.source for d in corpus.documents) == [
        "good.txt", "notes with spaces.md", "sub/dir/deep.md", "\u65e5\u672c\u8a9e \u00fcml\u00e4ut.txt"]
    why = reasons(corpus)
    assert set(why) == {"empty.txt", "binary.md", "latin1.txt", "huge.txt", "later-copy.txt", "title-only.txt"}
    assert "is empty" in why["empty.txt"]
    assert "binary" in why["binary.md"] and "UTF-8" in why["binary.md"]
    assert "not valid UTF-8 (byte 0xe9 at offset 3)" in why["latin1.txt"] and "Save it as UTF-8" in why["latin1.txt"]
    assert "3,800 bytes; the limit is 2,000 (QA_MAX_FILE_BYTES)" in why["huge.txt"]
    assert "duplicate of good.txt" in why["later-copy.txt"]
    assert "no text besides its title" in why["title-only.txt"]
    assert all(isinstance(e, DocumentError) and "\n" not in str(e) for e in corpus.skipped)


def test_file_size_limit_is_an_argument_and_the_edges_read_it(make_corpus, monkeypatch, tmp_path):
    root = make_corpus({"a.txt": "Exactly one hundred bytes. " * 3 + "x" * 19, "b.txt": "Short one."})
    assert (root / "a.txt").stat().st_size == 100
    assert [d.source for d in load_corpus(root, max_file_bytes=100).documents] == ["a.txt", "b.txt"]   # at the limit
    assert "is 100 bytes; the limit is 99" in reasons(load_corpus(root, max_file_bytes=99))["a.txt"]
    monkeypatch.setenv("QA_MAX_FILE_BYTES", "99")
    assert len(load_corpus(root).documents) == 2          # the library takes the limit; it never reads the variable
    bot = Answerer.from_corpus(root, tmp_path / "idx", embeddings=HashEmbeddings())   # the edge reads it
    assert [d.source for d in bot.index.documents] == ["b.txt"] and bot.max_file_bytes == 99
    assert "the limit is 99" in str(bot.report.skipped[0])
    assert [e.reason for e in bot.add_documents([("c.txt", (root / "a.txt").read_bytes())]).rejected] == ["too-large"]
    monkeypatch.setenv("QA_MAX_FILE_BYTES", "lots")
    with pytest.raises(ConfigError, match="QA_MAX_FILE_BYTES is 'lots'; expected a whole number from 1 up"):
        Answerer.from_corpus(root, tmp_path / "idx", embeddings=HashEmbeddings())


@pytest.fixture
def linked_corpus(tmp_path, make_corpus):
    """A corpus with links: out of the folder (file and folder), inside it, dangling, looping."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET)
    (outside / "more.md").write_text("# Secrets\n\n" + SECRET)
    root = make_corpus({"good.txt": "Crows are clever birds. They use tools to get food.",
                        "real/inner.md": "Ravens are large black birds."})
    os.symlink(outside / "secret.txt", root / "leak.txt")
    os.symlink("../outside/secret.txt", root / "relative-leak.md")
    os.symlink(outside, root / "outdir")                      # a linked folder outside
    os.symlink(root / "real" / "inner.md", root / "inner-link.md")   # inside: fine
    os.symlink(root / "real", root / "linked-real")           # a linked folder inside: not entered
    os.symlink(root / "nothing.txt", root / "dangling.txt")
    os.symlink(root / "loop-b.txt", root / "loop-a.txt")
    os.symlink(root / "loop-a.txt", root / "loop-b.txt")
    return root


def test_links_out_of_the_folder_are_not_followed(linked_corpus, tmp_path):
    corpus = load_corpus(linked_corpus)
    # the link inside is read like a file (found first, it is kept; its target is the duplicate)
    assert sorted(d.source for d in corpus.documents) == ["good.txt", "inner-link.md"]
    assert all("hunter2" not in d.text for d in corpus.documents)
    why = reasons(corpus)
    for name in ("leak.txt", "relative-leak.md"):
        assert "link to a file outside the corpus folder; it is not followed" in why[name]
    assert "duplicate of inner-link.md" in why["real/inner.md"]
    assert "broken link" in why["dangling.txt"]
    assert "loop" in why["loop-a.txt"] and "loop" in why["loop-b.txt"]
    assert not any(name.startswith(("outdir", "linked-real")) for name in why)

    bot = Answerer.from_corpus(linked_corpus, tmp_path / "index", embeddings=HashEmbeddings())
    assert all("hunter2" not in d.text for d in bot.index.documents)
    answer = bot.ask("What is the vault password?")
    check_answer(bot, answer)
    assert "hunter2" not in answer.to_json()
    assert {e.path for e in bot.report.skipped} >= {"leak.txt", "relative-leak.md", "dangling.txt"}


def test_a_link_inside_the_folder_is_read(make_corpus):
    root = make_corpus({"drafts/swifts.text": "Swifts sleep while flying."})   # .text: not indexed itself
    os.symlink(root / "drafts" / "swifts.text", root / "swifts.md")
    os.symlink("drafts/swifts.text", root / "drafts" / "..swifts-relative.md")   # hidden: passed over
    corpus = load_corpus(root)
    assert [(d.source, d.text) for d in corpus.documents] == [("swifts.md", "Swifts sleep while flying.")]
    assert [(e.path, e.reason) for e in corpus.skipped] == [("drafts/swifts.text", "unsupported")]   # listed, not hidden


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_does_not_hang_the_load(make_corpus):
    root = make_corpus({"good.txt": "Crows are clever birds."})
    os.mkfifo(root / "pipe.txt")
    corpus = load_corpus(root)   # opening a pipe for reading would block forever
    assert [d.source for d in corpus.documents] == ["good.txt"]
    assert "not a regular file" in reasons(corpus)["pipe.txt"]


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS refuses file names that are not UTF-8")
def test_a_file_name_that_is_not_utf8(make_corpus, tmp_path):
    root = make_corpus({"good.txt": "Crows are clever birds."})
    (root / os.fsdecode(b"bad-\xff-name.txt")).write_text("Owls hunt at night.")
    corpus = load_corpus(root)
    assert [d.source for d in corpus.documents] == ["good.txt"]
    (problem,) = corpus.skipped
    assert "bad-\ufffd-name.txt" in str(problem) and "not valid UTF-8" in str(problem)
    str(problem).encode("utf-8")   # printable
    bot = Answerer.from_corpus(root, tmp_path / "index", embeddings=HashEmbeddings())   # and the index saves
    assert bot.stats["documents"] == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file(make_corpus):
    root = make_corpus({"good.txt": "Crows are clever birds.", "locked.txt": "Secret."})
    (root / "locked.txt").chmod(0)
    try:
        assert "cannot be read (Permission denied)" in reasons(load_corpus(root))["locked.txt"]
    finally:
        (root / "locked.txt").chmod(0o644)


def test_cli_index_reports_skipped_files_and_indexes_the_rest(linked_corpus, tmp_path, monkeypatch):
    import qa.search.embeddings

    class FastEmbeddings(HashEmbeddings):
        def warm_up(self):
            pass

    monkeypatch.setattr(qa.search.embeddings, "MiniLMEmbeddings", FastEmbeddings)
    (linked_corpus / "latin1.txt").write_bytes("Caf\u00e9.".encode("latin-1"))
    result = CliRunner().invoke(cli, ["index", "--corpus", str(linked_corpus), "--index", str(tmp_path / "index")])
    assert result.exit_code == 0, result.stderr
    skipped = [line for line in result.stderr.splitlines() if line.startswith("Skipped: ")]
    named = {line.split(":")[1].strip() for line in skipped}
    assert named == {"leak.txt", "relative-leak.md", "dangling.txt", "loop-a.txt", "loop-b.txt", "real/inner.md",
                     "latin1.txt"}
    assert "Traceback" not in result.stderr
    assert result.stdout.startswith("Built ") and ": 2 documents" in result.stdout


def test_cli_index_of_a_missing_folder(tmp_path):
    result = CliRunner().invoke(cli, ["index", "--corpus", str(tmp_path / "nope"), "--index", str(tmp_path / "i")])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Corpus folder") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_terminal_escapes_in_documents_never_reach_the_terminal(make_corpus, tmp_path, monkeypatch):
    """ANSI/OSC escape sequences in a document (clear screen, set the clipboard, ...) are
    neutralised at load: the CLI prints answers and sources without them."""
    import qa.app.api

    root = make_corpus({
        "evil.txt": "The \x1b[2J\x1b[31mtreaty\x1b[0m was signed in 1950.\x1b]52;c;cm0gLXJmIH4=\x07 "
                    "Trade grew\x08\x08\x7f fast.\x0c\n\nBorder posts\x9b opened in 1960.",
        "file\x1b[31mname.txt": "A name with an escape sequence.",
    })
    corpus = load_corpus(root)
    (doc,) = corpus.documents
    assert not any(ch in doc.text for ch in "\x1b\x07\x08\x7f\x0c\x9b")
    assert "treaty" in doc.text and len(doc.text) == len((root / "evil.txt").read_text())   # offsets keep
    assert "has control characters in its file name" in str(corpus.skipped[0])
    assert "\x1b" not in str(corpus.skipped[0])

    monkeypatch.setattr(qa.app.api, "MiniLMEmbeddings", HashEmbeddings)
    runner = CliRunner()
    question = "treaty was signed in 1950"
    for args in (["ask", question], ["ask", question, "--json"]):
        result = runner.invoke(cli, args + ["--corpus", str(root), "--index", str(tmp_path / "index")])
        assert result.exit_code == 0, result.stderr
        assert "1950" in result.stdout
        assert not any(ch in result.stdout + result.stderr for ch in "\x1b\x07\x08\x9b")
