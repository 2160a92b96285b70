"""Damaged, foreign or stale index folders.

Every problem is a typed error naming the file (``IndexCorruptError``), the model or
the stale documents (``IndexMismatchError``); ``rebuild="auto"`` rebuilds what is
merely out of date, re-embedding only changed documents. (Pickles: ``test_no_pickles.py``.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.app.api import Answerer
from qa.ingest.chunking import ChunkSettings
from qa.app.cli import cli
from qa.errors import IndexCorruptError, IndexMismatchError, IndexMissingError, IndexProblem
from qa.search.index import IndexSettings
from qa.search.manifest import CURRENT, read_manifest
from qa.search.storage import load_index
from tests.conftest import SMALL_DOCS
from tests.support.fakes import HashEmbeddings
from tests.support.invariants import check_answer

def generation(index_dir: Path) -> Path:
    """The folder of the generation in use."""
    return read_manifest(index_dir)[0]


def one_line(exc: Exception) -> str:
    message = str(exc)
    assert "\n" not in message and len(message) < 400, message
    return message


# --- damaged files ----------------------------------------------------------------------------

def test_truncated_vectors(built_index):
    root, index_dir, emb = built_index
    vectors = generation(index_dir) / "vectors.faiss"
    vectors.write_bytes(vectors.read_bytes()[:100])
    with pytest.raises(IndexCorruptError) as info:
        Answerer.from_corpus(root, index_dir, embeddings=emb, rebuild="never")
    message = one_line(info.value)
    assert "vectors.faiss" in message and "truncated" in message and "qa index --rebuild" in message
    assert info.value.path == str(vectors)
    with pytest.raises(IndexCorruptError, match=r"vectors\.faiss: cannot be read by FAISS"):
        load_index(index_dir, verify=False)    # without the checksums FAISS itself notices
    with pytest.raises(IndexCorruptError):     # "auto" does not overwrite a damaged index silently
        Answerer.from_corpus(root, index_dir, embeddings=emb, rebuild="auto")
    bot = Answerer.from_corpus(root, index_dir, embeddings=emb, rebuild="always")
    check_answer(bot, bot.ask("Which birds use tools?"))


@pytest.mark.parametrize("name,edit,expected", [
    ("documents.json", lambda t: t.replace("Crows are clever", "Crows are stupid"), "checksum"),
    ("passages.json", lambda t: t[:-5], "truncated"),
    ("sentences.json", lambda t: "[]", "truncated"),
    ("bm25/vocab.index.json", lambda t: t.replace("crow", "cr0w"), "checksum"),
    ("manifest.json", lambda t: t[: len(t) // 2], "not valid JSON"),
    ("manifest.json", lambda t: "[1, 2, 3]", "not a JSON object"),
    ("manifest.json", lambda t: json.dumps({**json.loads(t), "model": "MiniLM"}), "malformed 'model'"),
    ("manifest.json", lambda t: json.dumps({**json.loads(t), "settings": [1]}), "malformed 'settings'"),
    ("manifest.json", lambda t: json.dumps({**json.loads(t), "files": {"x.json": 5}}), "malformed 'files'"),
    ("manifest.json", lambda t: json.dumps({**json.loads(t), "files": {}}), "lists no files"),
    ("manifest.json", lambda t: json.dumps({**json.loads(t), "files": {"../../etc/passwd": {"bytes": 1,
                                                                                             "sha256": "0"}}}),
     "outside the index"),
])
def test_hand_edited_file_is_named(built_index, name, edit, expected):
    root, index_dir, emb = built_index
    path = generation(index_dir) / name
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(IndexCorruptError) as info:
        Answerer.from_corpus(root, index_dir, embeddings=emb, rebuild="never")
    message = one_line(info.value)
    assert expected in message
    assert name in message or (name == "manifest.json" and "passwd" in message)


@pytest.mark.parametrize("name", ["documents.json", "passages.json", "sentences.json"])
def test_unreadable_json_is_named_even_without_checksums(built_index, name):
    _, index_dir, emb = built_index
    path = generation(index_dir) / name
    path.write_text('{"not": "what was written"', encoding="utf-8")
    with pytest.raises(IndexCorruptError) as info:
        load_index(index_dir, model=emb.model_info, verify=False)
    assert name in one_line(info.value)


@pytest.mark.parametrize("shape", [[{"source": 1}], [[1, 2, 3]], {"a": 1}, [None], "text", 3])
def test_json_of_the_wrong_shape_without_checksums(built_index, shape):
    _, index_dir, emb = built_index
    (generation(index_dir) / "documents.json").write_text(json.dumps(shape), encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="unexpected shape|cannot be read"):
        load_index(index_dir, model=emb.model_info, verify=False)


@pytest.mark.parametrize("content", [b"\xff\xfe\x00garbage", b"gen-../../etc", b"../../../etc/passwd",
                                     b"/etc/passwd", b"gen-" + b"a" * 5000, b"gen-\x00x", b"gen-x\ngen-y",
                                     b"CURRENT"])
def test_garbage_current_pointer(built_index, content):
    root, index_dir, emb = built_index
    (index_dir / CURRENT).write_bytes(content)
    with pytest.raises(IndexCorruptError) as info:
        Answerer.from_corpus(root, index_dir, embeddings=emb, rebuild="never")
    message = one_line(info.value)
    assert "CURRENT" in message


@pytest.mark.parametrize("content", [None, b"", b"  \n", b"gen-doesnotexist"])
def test_a_missing_empty_or_dangling_pointer_falls_back_to_the_newest_intact_generation(built_index, content, caplog):
    root, index_dir, emb = built_index
    intact = generation(index_dir).name
    if content is None:
        (index_dir / CURRENT).unlink()
    else:
        (index_dir / CURRENT).write_bytes(content)
    embedded = emb.texts_embedded
    with caplog.at_level("WARNING", logger="qa.search.storage"):
        bot = Answerer.from_corpus(root, index_dir, embeddings=emb, rebuild="never")
    assert bot.report.action == "loaded" and emb.texts_embedded == embedded      # nothing embedded again
    assert bot.index.folder.name == intact
    (warning,) = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert CURRENT in warning and f"using the newest intact generation, {intact}" in warning


def test_the_fallback_skips_a_damaged_newer_generation(built_index):
    root, index_dir, emb = built_index
    older = generation(index_dir).name
    (root / "a.txt").write_text("Crows are clever birds. Magpies collect shiny things.", encoding="utf-8")
    Answerer.from_corpus(root, index_dir, embeddings=emb)
    newer = generation(index_dir)
    assert newer.name != older and (index_dir / older).is_dir()
    (newer / "vectors.faiss").write_bytes(b"damaged")
    (index_dir / CURRENT).write_bytes(b"")
    assert load_index(index_dir, model=emb.model_info).folder.name == older
    bot = Answerer.from_corpus(root, index_dir, embeddings=emb)      # the older one is out of date: updated
    assert bot.report.action == "updated"


@pytest.mark.parametrize("content, words", [(None, "no CURRENT file"), (b"", "CURRENT is empty"),
                                            (b"gen-doesnotexist", "CURRENT names gen-doesnotexist, which is not there")])
def test_with_no_intact_generation_a_bad_pointer_means_no_index(built_index, content, words):
    root, index_dir, emb = built_index
    folder = generation(index_dir)
    (folder / "manifest.json").unlink()
    if content is None:
        (index_dir / CURRENT).unlink()
    else:
        (index_dir / CURRENT).write_bytes(content)
    with pytest.raises(IndexMissingError, match="Build one with `qa index`") as info:
        Answerer.from_corpus(root, index_dir, embeddings=emb, rebuild="never")
    assert words in one_line(info.value)
    bot = Answerer.from_corpus(root, index_dir, embeddings=emb)   # "auto" builds it
    assert bot.report.action == "built"


def test_index_folder_that_is_not_writable(make_corpus, tmp_path):
    root = make_corpus(SMALL_DOCS)
    (tmp_path / "a-file").write_text("not a folder")
    for where in (tmp_path / "a-file", tmp_path / "a-file" / "index"):
        with pytest.raises(IndexProblem) as info:
            Answerer.from_corpus(root, where, embeddings=HashEmbeddings())
        assert "Cannot write the index" in one_line(info.value) and "QA_INDEX" in str(info.value)


# --- another model, other settings ---------------------------------------------------------------

@pytest.mark.parametrize("field,value,expected", [
    ("name", "sentence-transformers/all-mpnet-base-v2", "built with model 'sentence-transformers/all-mpnet-base-v2'"),
    ("dimension", 768, "(dimension 768), but the current model is 'fake/hash-bow' (dimension 64)"),
    ("fingerprint", "0123456789abcdef", "other weights"),
])
def test_manifest_of_another_model(built_index, field, value, expected):
    root, index_dir, emb = built_index
    path = generation(index_dir) / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["model"][field] = value
    path.write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError) as info:
        Answerer.from_corpus(root, index_dir, embeddings=emb, rebuild="never")
    assert expected in one_line(info.value) and "qa index --rebuild" in str(info.value)
    emb.texts_embedded = 0
    bot = Answerer.from_corpus(root, index_dir, embeddings=emb, rebuild="auto")
    assert bot.report.action == "built" and expected in bot.report.reason
    assert bot.report.embedded_sentences == bot.stats["sentences"] == emb.texts_embedded   # nothing reused
    check_answer(bot, bot.ask("Which birds hunt at night?"))


def test_index_of_another_real_model_dimension(built_index):
    """Not hand-edited: an index built_index by a 64-d model, opened with a 32-d one."""
    root, index_dir, _ = built_index
    other = HashEmbeddings(dim=32, name="fake/hash-32")
    with pytest.raises(IndexMismatchError, match="dimension 64.*dimension 32"):
        Answerer.from_corpus(root, index_dir, embeddings=other, rebuild="never")
    bot = Answerer.from_corpus(root, index_dir, embeddings=other)
    assert bot.index.vectors.d == 32 and bot.report.action == "built"


def test_other_chunk_settings(built_index):
    root, index_dir, emb = built_index
    settings = IndexSettings(chunking=ChunkSettings(max_chars=300))
    with pytest.raises(IndexMismatchError, match="chunk settings"):
        Answerer.from_corpus(root, index_dir, embeddings=emb, settings=settings, rebuild="never")
    assert Answerer.from_corpus(root, index_dir, embeddings=emb, settings=settings).report.action == "built"


@pytest.mark.parametrize("edit,expected", [
    ({"format": "langchain-faiss"}, "not a qa index"),
    ({"format_version": 99}, "format version 99"),
])
def test_index_of_another_format(built_index, edit, expected):
    root, index_dir, emb = built_index
    path = generation(index_dir) / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **edit}))
    with pytest.raises(IndexMismatchError, match=expected):
        Answerer.from_corpus(root, index_dir, embeddings=emb, rebuild="never")


# --- a corpus that changed since the build ------------------------------------------------------

def sentences_of(bot, source):
    doc = bot.index.by_source[source]
    return sum(1 for s in bot.index.sentences if s.doc == doc)


def test_changed_corpus(built_index):
    root, index_dir, emb = built_index
    (root / "b.md").write_text("# Ravens\n\nRavens are larger than crows. They nest on cliffs. Ravens play.")
    with pytest.raises(IndexMismatchError) as info:
        Answerer.from_corpus(root, index_dir, embeddings=emb, rebuild="never")
    assert "out of date: 1 document(s) changed, added or removed: b.md" in one_line(info.value)
    assert "qa index" in str(info.value)

    emb.texts_embedded = 0
    bot = Answerer.from_corpus(root, index_dir, embeddings=emb, rebuild="auto")
    report = bot.report
    assert report.action == "updated"
    assert report.embedded_sentences == sentences_of(bot, "b.md") == 3 == emb.texts_embedded
    assert report.reused_sentences == sentences_of(bot, "a.txt") + sentences_of(bot, "c.txt") == 6
    answer = bot.ask("Where do ravens nest?")
    check_answer(bot, answer)
    assert "cliffs" in bot.index.documents[bot.index.by_source["b.md"]].text

    # added and removed documents
    (root / "c.txt").unlink()
    (root / "d.txt").write_text("Swifts sleep while flying. They rarely land.")
    with pytest.raises(IndexMismatchError, match="2 document\\(s\\) changed, added or removed: c.txt, d.txt"):
        Answerer.from_corpus(root, index_dir, embeddings=emb, rebuild="never")
    bot = Answerer.from_corpus(root, index_dir, embeddings=emb)
    assert (bot.report.embedded_sentences, bot.report.reused_sentences) == (2, 6)
    assert sorted(bot.index.by_source) == ["a.txt", "b.md", "d.txt"]
    again = Answerer.from_corpus(root, index_dir, embeddings=emb, rebuild="never")
    assert again.report.action == "loaded" and again.report.embedded_sentences == 0


def test_cli_no_rebuild_on_a_stale_index(built_index, monkeypatch):
    import qa.app.api

    root, index_dir, _ = built_index
    monkeypatch.setattr(qa.app.api, "MiniLMEmbeddings", HashEmbeddings)
    (root / "a.txt").write_text("Crows are very clever birds.")
    result = CliRunner().invoke(cli, ["ask", "Which birds are clever?", "--no-rebuild", "--corpus", str(root),
                                      "--index", str(index_dir)])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("Error: The index in") and "out of date" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
