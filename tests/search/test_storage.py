import json
import os

import pytest

from qa.search.lifecycle import open_or_build_index
from qa.ingest.corpus import load_corpus
from qa.search.embeddings import ModelInfo
from qa.errors import IndexCorruptError, IndexMismatchError, IndexMissingError
from qa.search.index import IndexSettings, build_index
from qa.ingest.chunking import ChunkSettings
from qa.search.manifest import FORMAT_VERSION, read_manifest
from qa.search.storage import load_index, save_index
from tests.support.fakes import HashEmbeddings

DOCS = {"birds.txt": "Birds\n\nCrows are clever birds. They use tools to get food.\n\nOwls hunt at night.",
        "trade.md": "# Trade\n\nIran exports fuel. Pakistan exports rice and fruit.\n\n## Borders\n\nThree border points exist."}


@pytest.fixture
def built(make_corpus, tmp_path, fake_embeddings):
    corpus = load_corpus(make_corpus(DOCS))
    index, _ = build_index(corpus, fake_embeddings)
    path = tmp_path / "idx"
    save_index(index, path)
    return corpus, index, path


def test_round_trip(built, fake_embeddings):
    corpus, index, path = built
    loaded = load_index(path, model=fake_embeddings.model_info, settings=IndexSettings())
    assert [p.text for p in loaded.passages] == [p.text for p in index.passages]
    assert loaded.vectors.ntotal == len(index.sentences)
    assert (loaded.all_sentence_vectors() == index.all_sentence_vectors()).all()
    folder, manifest = read_manifest(path)
    assert manifest["format"] == "qa-index" and manifest["format_version"] == FORMAT_VERSION
    assert manifest["model"]["name"] == "fake/hash-bow" and manifest["model"]["dimension"] == 64
    assert manifest["settings"]["chunking"] == ChunkSettings().to_dict()
    assert manifest["documents"] == corpus.hashes
    assert set(manifest["files"]) >= {"documents.json", "passages.json", "sentences.json", "vectors.faiss"}


def test_no_pickle_is_written(built):
    _, _, path = built
    for root, _, files in os.walk(path):
        for name in files:
            assert not name.endswith((".pkl", ".pickle"))
            with open(os.path.join(root, name), "rb") as f:
                assert not f.read(2).startswith(b"\x80\x04"), name  # pickle protocol 4 header


def test_missing_index(tmp_path, fake_embeddings):
    with pytest.raises(IndexMissingError, match="qa index"):
        load_index(tmp_path / "none", model=fake_embeddings.model_info)


def test_model_mismatch(built):
    _, _, path = built
    other = ModelInfo("other/model", 128, "x")
    with pytest.raises(IndexMismatchError, match="other/model"):
        load_index(path, model=other)


def test_settings_mismatch(built, fake_embeddings):
    _, _, path = built
    with pytest.raises(IndexMismatchError, match="chunk settings"):
        load_index(path, model=fake_embeddings.model_info, settings=IndexSettings(chunking=ChunkSettings(max_chars=123)))


def test_format_version_mismatch(built):
    _, _, path = built
    folder, manifest = read_manifest(path)
    manifest["format_version"] = 99
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="version 99"):
        load_index(path)


def test_truncated_faiss_file_names_the_file(built):
    _, _, path = built
    folder, _ = read_manifest(path)
    f = folder / "vectors.faiss"
    f.write_bytes(f.read_bytes()[:100])
    with pytest.raises(IndexCorruptError) as info:
        load_index(path)
    assert "vectors.faiss" in str(info.value) and "truncated" in str(info.value)


def test_hand_edited_json_is_detected(built):
    _, _, path = built
    folder, _ = read_manifest(path)
    f = folder / "passages.json"
    data = json.loads(f.read_text())
    data[0][2] += 1
    f.write_text(json.dumps(data, separators=(",", ":")).ljust(f.stat().st_size))
    with pytest.raises(IndexCorruptError, match="passages.json.*checksum"):
        load_index(path)


def test_stale_index_rebuilds_only_changed_documents(make_corpus, tmp_path):
    emb = HashEmbeddings()
    root = make_corpus(DOCS)
    idx = tmp_path / "idx"
    _, report = open_or_build_index(load_corpus(root), idx, emb)
    assert report.action == "built" and report.reused_sentences == 0
    _, report = open_or_build_index(load_corpus(root), idx, emb)
    assert report.action == "loaded"
    (root / "birds.txt").write_text(DOCS["birds.txt"] + " Ravens too.", encoding="utf-8")
    with pytest.raises(IndexMismatchError, match="birds.txt"):
        open_or_build_index(load_corpus(root), idx, emb, rebuild="never")
    before = emb.texts_embedded
    index, report = open_or_build_index(load_corpus(root), idx, emb)
    assert report.action == "updated"
    trade_sentences = sum(1 for s in index.sentences if index.documents[s.doc].source == "trade.md")
    assert report.reused_sentences == trade_sentences
    assert emb.texts_embedded - before == report.embedded_sentences == len(index.sentences) - trade_sentences
    # vectors of reused sentences are the ones a fresh embedding gives
    fresh, _ = build_index(load_corpus(root), HashEmbeddings())
    assert (abs(index.all_sentence_vectors() - fresh.all_sentence_vectors()) < 1e-6).all()


def test_new_generation_replaces_old_atomically(built, fake_embeddings):
    corpus, index, path = built
    first = (path / "CURRENT").read_text().strip()
    save_index(index, path)
    second = (path / "CURRENT").read_text().strip()
    assert first != second and (path / second / "manifest.json").is_file()
    save_index(index, path)
    gens = sorted(p.name for p in path.glob("gen-*"))
    assert len(gens) == 2 and first not in gens  # the previous one is kept for readers mid-load


def test_hnsw_above_threshold(make_corpus, fake_embeddings):
    corpus = load_corpus(make_corpus(DOCS))
    index, _ = build_index(corpus, fake_embeddings, IndexSettings(hnsw_threshold=2))
    assert index.kind == "hnsw"
    ids, scores = index.search_sentences(fake_embeddings.query_array("crows tools"), 3)
    assert len(ids) == 3 and scores[0] >= scores[-1]


def test_a_load_that_loses_its_generation_to_a_rebuild_reads_the_new_one(built, fake_embeddings, monkeypatch):
    """A reader in another process checks a generation's files while a second change prunes it:
    the file it was about to hash is gone. That is the rebuild's doing, not corruption: the load
    reads the generation CURRENT names now (before, a bare FileNotFoundError escaped)."""
    import qa.search.manifest as manifest

    corpus, index, path = built
    first = read_manifest(path)[0].name
    real, gone = manifest.sha256_file, []

    def pruned_mid_read(file):
        if not gone:                        # the first file hashed vanishes, and a newer build is current
            gone.append(file)
            save_index(index, path)
            raise FileNotFoundError(2, "No such file or directory", str(file))
        return real(file)

    monkeypatch.setattr(manifest, "sha256_file", pruned_mid_read)
    loaded = load_index(path, model=fake_embeddings.model_info)
    assert gone and first in gone[0].parts
    assert loaded.folder.name == read_manifest(path)[0].name != first
    assert [p.text for p in loaded.passages] == [p.text for p in index.passages]
