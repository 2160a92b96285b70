"""Adding files to the corpus and removing documents (the library step the chat's upload
will call): names sanitised, types and sizes checked, nothing written for a refused file,
the index switched atomically (readers see before or after), changes taking turns."""

from __future__ import annotations

import threading

import pytest

from qa.app.api import Answerer
from qa.errors import CorpusError, DocumentError
from qa.search.changes import add_documents, remove_document, safe_name
from qa.search.storage import load_index
from tests.conftest import SMALL_DOCS
from tests.support.documents import encrypted_pdf_bytes, html_bytes, pdf_bytes
from tests.support.fakes import HashEmbeddings
from tests.support.invariants import check_answer
from tests.support.threads import run_together

PDF = pdf_bytes([[("h1", "Moon Water"), ("p", "The moon base mines ice in the Shackleton crater.")],
                 [("h1", "Moon Power"), ("p", "Solar panels supply forty kilowatts of power.")]])


def files_under(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def sources(index):
    return sorted(d.source for d in index.documents)


def test_add_indexes_new_files_and_embeds_only_them(built_index):
    root, index_dir, _ = built_index
    emb = HashEmbeddings()
    change = add_documents(root, index_dir, [("moon.pdf", PDF), ("volcano.html", html_bytes(
        "Volcanoes", [("h2", "Eruptions"), ("p", "Vesuvius destroyed Pompeii in 79.")]))], emb)
    assert change.added == ["moon.pdf", "volcano.html"] and change.rejected == [] and change.replaced == []
    assert sources(load_index(index_dir)) == ["a.txt", "b.md", "c.txt", "moon.pdf", "volcano.html"]
    assert (root / "moon.pdf").read_bytes() == PDF
    assert change.report.action == "updated" and change.report.reused_sentences > 0
    assert emb.texts_embedded == change.report.embedded_sentences == 3   # the new documents' sentences only
    pages = {p.page for p in change.index.passages if p.source == "moon.pdf"}
    assert pages == {1, 2}


def test_refused_files_are_listed_and_nothing_of_them_is_written(built_index):
    root, index_dir, emb = built_index
    before = files_under(root)
    change = add_documents(root, index_dir, [
        ("tool.exe", b"MZ..."), ("big.txt", b"Long sentence here. " * 200), ("empty.md", b""),
        ("locked.pdf", encrypted_pdf_bytes()), ("copy.txt", SMALL_DOCS["a.txt"].encode()), ("..", b"x"),
        ("", b"Some text."), ("ok.txt", b"Herons stand still in shallow water.")], emb, max_file_bytes=3000)
    assert change.added == ["ok.txt"]
    assert {e.path: e.reason for e in change.rejected} == {
        "tool.exe": "unsupported", "big.txt": "too-large", "empty.md": "empty", "locked.pdf": "encrypted",
        "copy.txt": "duplicate", "..": "bad-name", "": "bad-name"}
    assert all(isinstance(e, DocumentError) and str(e).startswith(e.path) for e in change.rejected)
    assert files_under(root) == sorted(before + ["ok.txt"])


@pytest.mark.parametrize("name, saved", [
    ("../../escape.txt", "escape.txt"), ("/etc/cron.d/evil.txt", "evil.txt"), ("C:\\Users\\x\\..\\win.txt", "win.txt"),
    ("sub/dir/deep.txt", "deep.txt"), (".hidden.txt", "hidden.txt"), ("a<b>|c?.txt", "a_b__c_.txt"),
    ("..\\..\\up.md", "up.md"), ("x" * 300 + ".txt", "x" * 116 + ".txt"), ("caf\u00e9 menu.txt", "caf\u00e9 menu.txt"),
    ("nul\x00byte.txt", "nul_byte.txt")])
def test_names_are_sanitised_and_land_in_the_corpus_folder(built_index, tmp_path, name, saved):
    root, index_dir, emb = built_index
    outside = files_under(tmp_path)
    change = add_documents(root, index_dir, [(name, b"Kestrels hover over fields.")], emb)
    assert change.added == [saved] and (root / saved).is_file()
    assert safe_name(name) == saved
    new = sorted(set(files_under(tmp_path)) - set(outside))
    assert [p for p in new if not p.startswith("index/")] == [f"docs/{saved}"]


def test_the_first_documents_can_be_added_to_an_empty_folder(tmp_path):
    emb = HashEmbeddings()
    with pytest.raises(CorpusError, match=r"None of the 1 file\(s\) could be added \(x.exe: is not a supported"):
        add_documents(tmp_path / "docs", tmp_path / "index", [("x.exe", b"MZ")], emb)
    change = add_documents(tmp_path / "docs", tmp_path / "index", [("first.md", b"# Kites\n\nKites hover.")], emb)
    assert change.added == ["first.md"] and change.report.action == "built" and sources(change.index) == ["first.md"]


def test_same_name_replaces_the_document(built_index):
    root, index_dir, emb = built_index
    change = add_documents(root, index_dir, [("a.txt", b"Crows are now said to be shy.")], emb)
    assert change.replaced == ["a.txt"] and change.added == []
    doc = next(d for d in load_index(index_dir).documents if d.source == "a.txt")
    assert doc.text == "Crows are now said to be shy."
    assert not [p for p in root.iterdir() if p.name.startswith(".")]   # no backup left behind


def test_remove_takes_the_document_out_of_folder_and_index(built_index):
    root, index_dir, emb = built_index
    change = remove_document(root, index_dir, "b.md", emb)
    assert change.removed == ["b.md"] and not (root / "b.md").exists()
    index = load_index(index_dir)
    assert sources(index) == ["a.txt", "c.txt"] and all(p.source != "b.md" for p in index.passages)
    assert not [p for p in root.iterdir() if p.name.startswith(".")]
    for bad in ("b.md", "../docs/a.txt", "/etc/passwd", "nope.txt", ""):
        with pytest.raises(DocumentError) as info:
            remove_document(root, index_dir, bad, emb)
        assert info.value.reason == "not-found"
    remove_document(root, index_dir, "a.txt", emb)
    with pytest.raises(DocumentError, match="only document") as info:
        remove_document(root, index_dir, "c.txt", emb)
    assert info.value.reason == "last-document" and (root / "c.txt").exists()


def test_a_failed_update_puts_the_folder_back(built_index, monkeypatch):
    import qa.search.changes

    root, index_dir, emb = built_index
    before, generation = files_under(root), (index_dir / "CURRENT").read_text()

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(qa.search.changes, "save_index", fail)
    with pytest.raises(OSError):
        add_documents(root, index_dir, [("new.txt", b"Swans mate for life."), ("a.txt", b"Replaced text.")], emb)
    with pytest.raises(OSError):
        remove_document(root, index_dir, "b.md", emb)
    assert files_under(root) == before and (root / "a.txt").read_text() == SMALL_DOCS["a.txt"]
    assert (index_dir / "CURRENT").read_text() == generation


def test_readers_see_the_index_before_or_after_a_change(built_index):
    """Loads in a loop while documents are added and removed: each load is one whole state."""
    root, index_dir, emb = built_index
    states = [{"a.txt", "b.md", "c.txt"}]
    done, errors, seen = threading.Event(), [], []

    def writer():
        try:
            for i in range(6):
                add_documents(root, index_dir, [(f"n{i}.txt", f"Bird number {i} sings at dawn.".encode())], emb)
                states.append(states[-1] | {f"n{i}.txt"})
                if i % 2:
                    remove_document(root, index_dir, f"n{i - 1}.txt", emb)
                    states.append(states[-1] - {f"n{i - 1}.txt"})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            done.set()

    def reader():
        while not done.is_set():
            try:
                index = load_index(index_dir, model=emb.model_info)
                seen.append(set(sources(index)))
                assert index.vectors.ntotal == len(index.sentences)
                assert all(index.documents[p.doc].text[p.start:p.end] == p.text for p in index.passages)
            except BaseException as exc:  # noqa: BLE001
                errors.append(repr(exc))
                return

    run_together(writer, reader, reader)
    assert errors == [] and seen
    assert all(s in states for s in seen), [s for s in seen if s not in states]
    assert len({frozenset(s) for s in seen}) >= 2, "the loads overlapped several changes"


def test_concurrent_changes_take_turns(built_index):
    root, index_dir, _ = built_index
    errors = []

    def add(i):
        try:
            add_documents(root, index_dir, [(f"t{i}.txt", f"Thrush {i} nests in hedges.".encode())], HashEmbeddings())
        except BaseException as exc:  # noqa: BLE001
            errors.append(repr(exc))

    threads = [threading.Thread(target=add, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sources(load_index(index_dir)) == ["a.txt", "b.md", "c.txt", "t0.txt", "t1.txt", "t2.txt", "t3.txt"]


def test_an_answerer_answers_from_added_documents_and_forgets_removed_ones(built_index):
    root, index_dir, emb = built_index
    bot = Answerer.from_corpus(root, index_dir, embeddings=emb)
    question = "How much power do the solar panels supply?"
    change = bot.add_documents([("moon.pdf", PDF)])
    assert change.added == ["moon.pdf"] and bot.stats["documents"] == 4
    answer = bot.ask(question)
    check_answer(bot, answer)
    assert answer.citations and answer.citations[0].source == "moon.pdf" and answer.citations[0].page == 2
    bot.remove_document("moon.pdf")
    answer = bot.ask(question)
    check_answer(bot, answer)
    assert all(c.source != "moon.pdf" for c in answer.citations + answer.passages)


def test_the_date_added_is_stored_and_kept_while_the_file_is_unchanged(built_index, monkeypatch):
    """Each document's date added is kept in the index (documents.json): a restart or an update
    keeps it, a new or replaced file gets the time of its change, and an index written before
    dates were kept loads with none."""
    import json

    from qa.search import index as index_mod
    from qa.search.manifest import read_manifest

    root, index_dir, emb = built_index
    first = {d.source: d.added for d in load_index(index_dir, model=emb.model_info).documents}
    assert set(first) == set(SMALL_DOCS) and all(first.values())
    later = "2031-05-06T07:08:09+00:00"
    real_dated = index_mod.dated
    monkeypatch.setattr(index_mod, "dated", lambda docs, previous, now=None: real_dated(docs, previous, later))
    add_documents(root, index_dir, [("moon.pdf", PDF), ("a.txt", b"Crows are clever. They dance at dawn.")], emb)
    after = {d.source: d.added for d in load_index(index_dir, model=emb.model_info).documents}
    assert after == {**first, "moon.pdf": later, "a.txt": later}        # b.md and c.txt keep theirs
    restarted = Answerer.from_corpus(root, index_dir, embeddings=emb)     # a restart loads them
    assert restarted.report.action == "loaded"
    assert {d.source: d.added for d in restarted.index.documents} == after
    (root / "c.txt").write_text("Owls hunt at night. They fly without a sound.", encoding="utf-8")
    Answerer.from_corpus(root, index_dir, embeddings=emb)                # an edit found at start-up
    assert {d.source: d.added for d in load_index(index_dir, model=emb.model_info).documents}["c.txt"] == later
    folder, _ = read_manifest(index_dir)                                  # an index from before dates
    stored = json.loads((folder / "documents.json").read_text(encoding="utf-8"))
    assert {d["source"] for d in stored if d.pop("added")} == set(after)
    (folder / "documents.json").write_text(json.dumps(stored), encoding="utf-8")
    assert {d.added for d in load_index(index_dir, model=emb.model_info, verify=False).documents} == {""}
