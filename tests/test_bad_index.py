"""Damaged, foreign, stale or booby-trapped index folders.

Every problem is a typed error naming the file (``IndexCorruptError``), the model or
the stale documents (``IndexMismatchError``); ``rebuild="auto"`` rebuilds what is
merely out of date, re-embedding only changed documents. Nothing in an index folder
is ever unpickled, and no build writes a pickle.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from qa.app.api import Answerer
from qa.search.lifecycle import open_or_build_index
from qa.ingest.chunking import ChunkSettings
from qa.app.cli import cli
from qa.ingest.corpus import load_corpus
from qa.errors import IndexCorruptError, IndexProblem, IndexMismatchError, IndexMissingError, QAError
from qa.search.index import IndexSettings
from qa.search.manifest import CURRENT, read_manifest
from qa.search.storage import load_index
from tests.conftest import CORPUS
from tests.support.fakes import HashEmbeddings
from tests.support.invariants import check_answer

DOCS = {
    "a.txt": "Crows are clever birds. They use tools to get food. Crows live in large groups.",
    "b.md": "# Ravens\n\nRavens are larger than crows. Ravens can mimic human speech.",
    "c.txt": "Owls hunt at night. Their hearing is very sharp. Owls can turn their heads far.",
}


@pytest.fixture
def built(make_corpus, tmp_path):
    """(corpus folder, index folder, embeddings) with an up-to-date index."""
    root = make_corpus(DOCS)
    emb = HashEmbeddings()
    Answerer.from_corpus(root, tmp_path / "index", embeddings=emb)
    return root, tmp_path / "index", emb


def generation(index_dir: Path) -> Path:
    return read_manifest(index_dir)[0]


def one_line(exc: Exception) -> str:
    message = str(exc)
    assert "\n" not in message and len(message) < 400, message
    return message


# --- damaged files ----------------------------------------------------------------------------

def test_truncated_vectors(built):
    root, index_dir, emb = built
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
def test_hand_edited_file_is_named(built, name, edit, expected):
    root, index_dir, emb = built
    path = generation(index_dir) / name
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(IndexCorruptError) as info:
        Answerer.from_corpus(root, index_dir, embeddings=emb, rebuild="never")
    message = one_line(info.value)
    assert expected in message
    assert name in message or (name == "manifest.json" and "passwd" in message)


@pytest.mark.parametrize("name", ["documents.json", "passages.json", "sentences.json"])
def test_unreadable_json_is_named_even_without_checksums(built, name):
    _, index_dir, emb = built
    path = generation(index_dir) / name
    path.write_text('{"not": "what was written"', encoding="utf-8")
    with pytest.raises(IndexCorruptError) as info:
        load_index(index_dir, model=emb.model_info, verify=False)
    assert name in one_line(info.value)


@pytest.mark.parametrize("shape", [[{"source": 1}], [[1, 2, 3]], {"a": 1}, [None], "text", 3])
def test_json_of_the_wrong_shape_without_checksums(built, shape):
    _, index_dir, emb = built
    (generation(index_dir) / "documents.json").write_text(json.dumps(shape), encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="unexpected shape|cannot be read"):
        load_index(index_dir, model=emb.model_info, verify=False)


@pytest.mark.parametrize("content", [b"\xff\xfe\x00garbage", b"gen-../../etc", b"../../../etc/passwd",
                                     b"/etc/passwd", b"gen-" + b"a" * 5000, b"gen-\x00x", b"gen-x\ngen-y",
                                     b"CURRENT", b"gen-doesnotexist"])
def test_garbage_current_pointer(built, content):
    root, index_dir, emb = built
    (index_dir / CURRENT).write_bytes(content)
    with pytest.raises(IndexCorruptError) as info:
        Answerer.from_corpus(root, index_dir, embeddings=emb, rebuild="never")
    message = one_line(info.value)
    assert "CURRENT" in message or "gen-doesnotexist/manifest.json: is missing" in message


@pytest.mark.parametrize("content", [None, b"", b"  \n"])
def test_missing_or_empty_pointer_means_no_index(built, content):
    root, index_dir, emb = built
    if content is None:
        (index_dir / CURRENT).unlink()
    else:
        (index_dir / CURRENT).write_bytes(content)
    with pytest.raises(IndexMissingError, match="Build one with `qa index`"):
        Answerer.from_corpus(root, index_dir, embeddings=emb, rebuild="never")
    bot = Answerer.from_corpus(root, index_dir, embeddings=emb)   # "auto" builds it
    assert bot.report.action == "built"


def test_index_folder_that_is_not_writable(make_corpus, tmp_path):
    root = make_corpus(DOCS)
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
def test_manifest_of_another_model(built, field, value, expected):
    root, index_dir, emb = built
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


def test_index_of_another_real_model_dimension(built):
    """Not hand-edited: an index built by a 64-d model, opened with a 32-d one."""
    root, index_dir, _ = built
    other = HashEmbeddings(dim=32, name="fake/hash-32")
    with pytest.raises(IndexMismatchError, match="dimension 64.*dimension 32"):
        Answerer.from_corpus(root, index_dir, embeddings=other, rebuild="never")
    bot = Answerer.from_corpus(root, index_dir, embeddings=other)
    assert bot.index.vectors.d == 32 and bot.report.action == "built"


def test_other_chunk_settings(built):
    root, index_dir, emb = built
    settings = IndexSettings(chunking=ChunkSettings(max_chars=300))
    with pytest.raises(IndexMismatchError, match="chunk settings"):
        Answerer.from_corpus(root, index_dir, embeddings=emb, settings=settings, rebuild="never")
    assert Answerer.from_corpus(root, index_dir, embeddings=emb, settings=settings).report.action == "built"


@pytest.mark.parametrize("edit,expected", [
    ({"format": "langchain-faiss"}, "not a qa index"),
    ({"format_version": 99}, "format version 99"),
])
def test_index_of_another_format(built, edit, expected):
    root, index_dir, emb = built
    path = generation(index_dir) / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **edit}))
    with pytest.raises(IndexMismatchError, match=expected):
        Answerer.from_corpus(root, index_dir, embeddings=emb, rebuild="never")


# --- a corpus that changed since the build ------------------------------------------------------

def sentences_of(bot, source):
    doc = bot.index.by_source[source]
    return sum(1 for s in bot.index.sentences if s.doc == doc)


def test_changed_corpus(built):
    root, index_dir, emb = built
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


def test_cli_no_rebuild_on_a_stale_index(built, monkeypatch):
    import qa.app.api

    root, index_dir, _ = built
    monkeypatch.setattr(qa.app.api, "MiniLMEmbeddings", HashEmbeddings)
    (root / "a.txt").write_text("Crows are very clever birds.")
    result = CliRunner().invoke(cli, ["ask", "Which birds are clever?", "--no-rebuild", "--corpus", str(root),
                                      "--index", str(index_dir)])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("Error: The index in") and "out of date" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


# --- pickles are never loaded nor written ---------------------------------------------------------

def pickle_payload(marker: Path) -> bytes:
    """Protocol-0 pickle bytes that, if unpickled, create ``marker`` (calls ``open(marker, "w")``)."""
    assert "\n" not in str(marker)
    return b"cbuiltins\nopen\n(V" + str(marker).encode() + b"\nVw\ntR."


def object_npy(payload: bytes) -> bytes:
    """An .npy file of one Python object: ``np.load(..., allow_pickle=True)`` would unpickle ``payload``."""
    import io

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "|O", "fortran_order": False, "shape": (1,)})
    return buf.getvalue() + payload


def test_the_planted_payloads_are_live(tmp_path):
    """Sanity check of the booby traps below: unpickling them really creates the marker file."""
    marker_pkl, marker_npy = tmp_path / "from-pkl", tmp_path / "from-npy"
    (tmp_path / "evil.pkl").write_bytes(pickle_payload(marker_pkl))
    (tmp_path / "evil.npy").write_bytes(object_npy(pickle_payload(marker_npy)))
    code = ("import pickle, sys, numpy as np\n"
            "pickle.load(open(sys.argv[1], 'rb'))\n"
            "try:\n    np.load(sys.argv[2], allow_pickle=True)\nexcept Exception:\n    pass\n")
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "evil.pkl"), str(tmp_path / "evil.npy")],
                   check=True, timeout=60)
    assert marker_pkl.exists() and marker_npy.exists()


def test_planted_pickles_are_never_loaded(built, tmp_path, monkeypatch):
    root, index_dir, emb = built
    marker = tmp_path / "PWNED"
    gen = generation(index_dir)
    # names other tools load: LangChain's FAISS store (index.pkl), pickled retrievers and BM25 models
    for folder in (index_dir, gen, gen / "bm25"):
        for name in ("index.pkl", "evil.pkl", "retriever.pickle", "bm25.pkl", "docstore.pkl", "vectors.pkl"):
            (folder / name).write_bytes(pickle_payload(marker))
    (index_dir / "index.faiss").write_bytes(b"\x00" * 64)

    bot = Answerer.from_corpus(root, index_dir, embeddings=emb, rebuild="never")
    for q in ("Which birds use tools?", "Who can mimic human speech?"):
        check_answer(bot, bot.ask(q))
    load_index(index_dir, verify=False)
    assert not marker.exists()

    # and nothing on the load and ask path unpickles anything at all
    calls = []

    def no_unpickling(*args, **kwargs):
        calls.append(args)
        raise AssertionError("something tried to unpickle")

    monkeypatch.setattr(pickle, "load", no_unpickling)
    monkeypatch.setattr(pickle, "loads", no_unpickling)
    monkeypatch.setattr(pickle, "Unpickler", no_unpickling)
    bot = Answerer.from_corpus(root, index_dir, embeddings=emb, rebuild="never")
    check_answer(bot, bot.ask("Which birds hunt at night?"))
    assert calls == []
    monkeypatch.undo()

    # an array file swapped for a pickled object: refused, not unpickled
    npy = gen / "bm25" / "data.csc.index.npy"
    npy.write_bytes(object_npy(pickle_payload(marker)))
    with pytest.raises(IndexCorruptError, match="data.csc.index.npy"):
        load_index(index_dir, model=emb.model_info)
    with pytest.raises(IndexCorruptError, match="bm25"):
        load_index(index_dir, model=emb.model_info, verify=False)
    assert not marker.exists()


def test_builds_write_no_pickle(built):
    root, index_dir, emb = built
    (root / "a.txt").write_text("Crows are very clever birds.")
    Answerer.from_corpus(root, index_dir, embeddings=emb)                    # update
    Answerer.from_corpus(root, index_dir, embeddings=emb, rebuild="always")  # full rebuild
    files = [p for p in index_dir.rglob("*") if p.is_file()]
    assert files
    assert not [p for p in files if p.suffix in (".pkl", ".pickle", ".pck", ".joblib", ".dill")]
    for p in files:
        head = p.read_bytes()[:2]
        assert head not in (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05"), f"{p} looks like a pickle"
        if p.suffix == ".npy":
            np.load(p, allow_pickle=False)   # no object arrays
