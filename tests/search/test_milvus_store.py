"""The index in Milvus (Milvus Lite embedded, the real engine; fake embeddings): build, query,
update, rebuild, the manifest checked on connect, readers during alias switches, the engine
going away and coming back."""

from __future__ import annotations

import json
import threading
from dataclasses import replace

import pytest

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from qa.app.api import Answerer  # noqa: E402
from qa.app.documents import document_rows  # noqa: E402
from qa.errors import IndexCorruptError, IndexMismatchError, IndexMissingError, StoreError  # noqa: E402
from qa.search.manifest import FORMAT, FORMAT_VERSION  # noqa: E402
from qa.search.stores.milvus_schema import MANIFEST_KEY, Generation  # noqa: E402
from tests.conftest import CORPUS, SMALL_DOCS  # noqa: E402
from tests.support.fakes import HashEmbeddings  # noqa: E402
from tests.support.milvus import lite_release, lite_store, same_ranking  # noqa: E402

pytestmark = pytest.mark.slow   # each test runs a Milvus Lite engine (a server process)

QUESTIONS = ["Which birds use tools?", "What can ravens mimic?", "When do owls hunt?", "How sharp is their hearing?"]


@pytest.fixture
def store(tmp_path):
    with lite_store(tmp_path / "qa.db") as s:
        yield s


def generations(store) -> set[str]:
    return {g.stamp for g in (Generation.parse(store.alias, n) for n in store.engine.call("list_collections")) if g}


def test_build_query_and_load_again(store, make_corpus, tmp_path):
    root = make_corpus(SMALL_DOCS)
    emb = HashEmbeddings()
    bot = Answerer.from_corpus(root, tmp_path / "unused", embeddings=emb, store=store)
    assert bot.report.action == "built" and emb.texts_embedded == bot.stats["sentences"] > 0
    assert bot.stats["vector_index"] == "milvus flat" and bot.stats["documents"] == 3
    local = Answerer.from_corpus(root, tmp_path / "local", embeddings=HashEmbeddings())
    for q in QUESTIONS:
        got, want = bot.retriever.invoke(q), local.retriever.invoke(q)
        assert same_ranking(got, want) and [d.page_content for d in got] == [d.page_content for d in want]
        assert [d.metadata["sentences"] for d in got] == [d.metadata["sentences"] for d in want]
        assert bot.ask(q).to_dict() == local.ask(q).to_dict()
    before = emb.texts_embedded
    again = Answerer.from_corpus(root, tmp_path / "unused", embeddings=emb, store=store)
    assert again.report.action == "loaded" and emb.texts_embedded == before
    rows = document_rows(again.index)       # the documents panel: passages and date added, from the engine
    assert [(r.name, r.passages) for r in rows] == [(r.name, r.passages) for r in document_rows(local.index)]
    assert rows == document_rows(bot.index) and all(r.added for r in rows)
    assert not (tmp_path / "unused").exists()   # the local folder is not touched


def test_bundled_corpus_retrieves_what_the_local_index_does(store, tmp_path):
    emb = HashEmbeddings()
    remote = Answerer.from_corpus(CORPUS, tmp_path / "unused", embeddings=emb, store=store)
    local = Answerer.from_corpus(CORPUS, tmp_path / "local", embeddings=emb)
    questions = [json.loads(line)["question"] for line in (CORPUS.parent / "evaluation" / "questions.jsonl")
                 .read_text(encoding="utf-8").splitlines()[:40]]
    for q in questions:
        assert same_ranking(remote.retriever.invoke(q), local.retriever.invoke(q)), q


def test_update_embeds_only_the_changed_document(store, make_corpus, tmp_path):
    root = make_corpus(SMALL_DOCS)
    emb = HashEmbeddings()
    before = {r.name: r.added for r in document_rows(Answerer.from_corpus(root, tmp_path / "x", embeddings=emb,
                                                                          store=store).index)}
    first = generations(store)
    (root / "c.txt").write_text("Owls hunt at night. Owls nest in old barns.", encoding="utf-8")
    emb.texts_embedded = 0
    bot = Answerer.from_corpus(root, tmp_path / "x", embeddings=emb, store=store)
    assert bot.report.action == "updated" and "c.txt" in bot.report.reason
    assert bot.report.embedded_sentences == emb.texts_embedded == 2      # the two sentences of c.txt
    assert bot.report.reused_sentences == bot.stats["sentences"] - 2 > 0
    assert "barns" in bot.retriever.invoke("Where do owls nest?")[0].page_content
    assert generations(store) >= first and len(generations(store)) == 2   # the new one and the previous one
    added = {r.name: r.added for r in document_rows(bot.index)}
    undated = [replace(d, added="") for d in bot.index.documents]       # as read from the folder
    assert added == {r.name: r.added for r in document_rows(store.load(emb, bot.index.settings, undated))}
    assert {k: v for k, v in added.items() if k != "c.txt"} == {k: v for k, v in before.items() if k != "c.txt"}
    assert added["c.txt"] >= before["c.txt"]     # unchanged documents keep their date added, c.txt has a new one
    local = Answerer.from_corpus(root, tmp_path / "local", embeddings=HashEmbeddings())
    for q in QUESTIONS + ["Where do owls nest?"]:
        assert same_ranking(bot.retriever.invoke(q), local.retriever.invoke(q)), q


def test_rebuild_writes_a_new_generation_and_drops_the_old_ones(store, make_corpus, tmp_path):
    root = make_corpus(SMALL_DOCS)
    emb = HashEmbeddings()
    seen = []
    for _ in range(3):
        bot = Answerer.from_corpus(root, tmp_path / "x", embeddings=emb, store=store, rebuild="always")
        assert bot.report.action == "built" and bot.report.embedded_sentences == bot.stats["sentences"]
        seen.append(store.live().stamp)
    assert len(set(seen)) == 3 and generations(store) == set(seen[1:])   # the live one and the one before
    assert "Ravens" in bot.ask("What can ravens mimic?").citations[0].text


def test_a_missing_index_is_built_or_reported(store, make_corpus, tmp_path):
    root = make_corpus(SMALL_DOCS)
    with pytest.raises(IndexMissingError, match=r"No index in milvus-lite:.*qa\.db \(no alias 'qa'\)"):
        Answerer.from_corpus(root, tmp_path / "x", embeddings=HashEmbeddings(), store=store, rebuild="never")
    with pytest.raises(IndexMissingError, match="Build one with `qa index`"):
        store.retriever(None, HashEmbeddings(), 4).invoke("Which birds use tools?")


def test_the_manifest_is_checked_on_connect(store, make_corpus, tmp_path):
    root = make_corpus(SMALL_DOCS)
    Answerer.from_corpus(root, tmp_path / "x", embeddings=HashEmbeddings(), store=store)
    other = HashEmbeddings(dim=32, name="fake/other")
    with pytest.raises(IndexMismatchError, match="built with model 'fake/hash-bow' .*current model is 'fake/other'"):
        Answerer.from_corpus(root, tmp_path / "x", embeddings=other, store=store, rebuild="never")
    bot = Answerer.from_corpus(root, tmp_path / "x", embeddings=other, store=store)
    assert bot.report.action == "built" and bot.report.reused_sentences == 0 and "fake/other" in bot.report.reason
    (root / "a.txt").write_text("Crows are clever.", encoding="utf-8")
    with pytest.raises(IndexMismatchError, match="is out of date: 1 document"):
        Answerer.from_corpus(root, tmp_path / "x", embeddings=other, store=store, rebuild="never")


@pytest.mark.parametrize("value, problem", [
    ("{not json", "is not valid JSON"), ("[1, 2]", "is not a JSON object"),
    (json.dumps({"format": FORMAT, "format_version": FORMAT_VERSION}), "malformed"),
    (json.dumps({"format": FORMAT, "format_version": FORMAT_VERSION, "layout": "milvus"}), "malformed")])
def test_a_damaged_manifest_is_reported_not_replaced(store, make_corpus, tmp_path, value, problem):
    root = make_corpus(SMALL_DOCS)
    Answerer.from_corpus(root, tmp_path / "x", embeddings=HashEmbeddings(), store=store)
    live = store.live()
    store.engine.call("alter_collection_properties", live.sentences, properties={MANIFEST_KEY: value})
    store._manifests.clear()
    with pytest.raises(IndexCorruptError, match=problem) as info:
        Answerer.from_corpus(root, tmp_path / "x", embeddings=HashEmbeddings(), store=store)
    assert live.sentences in str(info.value) and store.live() == live   # nothing was rebuilt over it


@pytest.mark.parametrize("edit, problem", [
    (lambda m: m["vector_index"].update(kind="diskann"), "a malformed 'vector_index' entry"),
    (lambda m: m["counts"].update(passages="35"), "a malformed 'counts' entry"),
    (lambda m: m.update(generation="20990101T000000_000000"), "a layout or generation other than"),
    (lambda m: m["model"].pop("fingerprint"), "a malformed 'model' entry"),
])
def test_an_edited_manifest_is_reported(store, make_corpus, tmp_path, edit, problem):
    root = make_corpus(SMALL_DOCS)
    Answerer.from_corpus(root, tmp_path / "x", embeddings=HashEmbeddings(), store=store)
    live = store.live()
    manifest = json.loads(json.dumps(store.manifest(live)))
    edit(manifest)
    store.engine.call("alter_collection_properties", live.sentences, properties={MANIFEST_KEY: json.dumps(manifest)})
    store._manifests.clear()
    with pytest.raises(IndexCorruptError, match=problem):
        Answerer.from_corpus(root, tmp_path / "x", embeddings=HashEmbeddings(), store=store)


def test_lost_document_rows_are_corruption(store, make_corpus, tmp_path):
    root = make_corpus(SMALL_DOCS)
    Answerer.from_corpus(root, tmp_path / "x", embeddings=HashEmbeddings(), store=store)
    store.engine.call("delete", store.live().documents, filter='source == "b.md"')
    with pytest.raises(IndexCorruptError, match="holds 2 documents, but the manifest says 3"):
        Answerer.from_corpus(root, tmp_path / "x", embeddings=HashEmbeddings(), store=store)


def versioned(round_no: int) -> dict:
    return {name: text.replace(".", f" in round {round_no}.") for name, text in SMALL_DOCS.items()}


def test_readers_never_see_a_half_built_or_mixed_generation(store, make_corpus, tmp_path):
    """Reader threads ask questions while the index is rebuilt three times (every passage changes
    each time): every answer comes whole from one generation."""
    emb = HashEmbeddings()
    root = make_corpus(versioned(0))
    Answerer.from_corpus(root, tmp_path / "x", embeddings=emb, store=store)
    retriever = store.retriever(None, emb, 3)
    stop, errors, seen = threading.Event(), [], []

    def read(question):
        while not stop.is_set():
            try:
                docs = retriever.invoke(question)
                rounds = {d.page_content.split("in round ")[1][0] for d in docs}
                seen.append((len(docs), frozenset(rounds)))
            except Exception as exc:  # noqa: BLE001 - every failure is recorded and fails the test
                errors.append(repr(exc))

    readers = [threading.Thread(target=read, args=(q,)) for q in QUESTIONS[:3]]
    for t in readers:
        t.start()
    try:
        for round_no in (1, 2, 3):
            make_corpus(versioned(round_no))
            Answerer.from_corpus(root, tmp_path / "x", embeddings=emb, store=store)
    finally:
        stop.set()
        for t in readers:
            t.join()
    assert errors == []
    assert all(n == 3 and len(rounds) == 1 for n, rounds in seen)
    assert {next(iter(r)) for _, r in seen} >= {"0", "3"} and len(seen) > 10


def test_the_engine_going_away_is_a_clear_error_then_questions_work_again(store, make_corpus, tmp_path,
                                                                          monkeypatch):
    """Milvus Lite stopped under a running answerer: while it can't start, a StoreError names the
    store; once it can, the next question reconnects, reloads the collections and answers."""
    from milvus_lite.server_manager import server_manager_instance

    root = make_corpus(SMALL_DOCS)
    bot = Answerer.from_corpus(root, tmp_path / "x", embeddings=HashEmbeddings(), store=store)
    expected = bot.ask("What can ravens mimic?").to_dict()
    lite_release(store.spec.uri)                                      # the engine stops
    monkeypatch.setattr(server_manager_instance, "start_and_get_uri", lambda *a, **k: None)   # and can't restart
    with pytest.raises(StoreError, match=r"^milvus-lite:.*qa\.db: cannot open the Milvus Lite database"):
        bot.ask("What can ravens mimic?")
    monkeypatch.undo()                                                # it can again
    assert bot.ask("What can ravens mimic?").to_dict() == expected
    lite_release(store.spec.uri)                                      # a restart between two questions
    assert bot.ask("What can ravens mimic?").to_dict() == expected


def test_a_damaged_live_alias_is_corruption(store, make_corpus, tmp_path):
    root = make_corpus(SMALL_DOCS)
    Answerer.from_corpus(root, tmp_path / "x", embeddings=HashEmbeddings(), store=store)
    store.engine.call("create_collection", "stranger", dimension=4)
    store.engine.call("alter_alias", "stranger", store.alias)
    with pytest.raises(IndexCorruptError, match="points at 'stranger', which is not a qa index generation"):
        store.retriever(None, HashEmbeddings(), 4).invoke("Which birds use tools?")



def test_a_lite_folder_is_made_where_it_is_asked_for(make_corpus, tmp_path):
    with lite_store(tmp_path / "new" / "deeper" / "qa.db") as store:
        bot = Answerer.from_corpus(make_corpus(SMALL_DOCS), tmp_path / "x", embeddings=HashEmbeddings(), store=store)
        assert bot.report.action == "built" and (tmp_path / "new" / "deeper" / "qa.db").is_dir()
    (tmp_path / "file").write_text("not a folder", encoding="utf-8")
    with lite_store(tmp_path / "file" / "qa.db") as store:
        with pytest.raises(StoreError, match=r"qa\.db: cannot create its folder"):
            Answerer.from_corpus(make_corpus(SMALL_DOCS), tmp_path / "x", embeddings=HashEmbeddings(), store=store)
