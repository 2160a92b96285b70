"""A decompression bomb uploaded, or found in the corpus folder at start-up: refused within
seconds, nothing of it left on disk, questions answered meanwhile; a large legitimate document
is read and embedded outside the build lock, so other changes don't wait for it."""

from __future__ import annotations

import threading
import time

import pytest

from qa.app.api import Answerer
from qa.app.documents import upload
from qa.ingest.limits import Limits
from qa.search.changes import add_documents
from tests.support.bombs import docx_bomb
from tests.support.fakes import HashEmbeddings
from tests.support.threads import run_together

BOMB_SECONDS = 10   # the target on a 2-core machine
BASE = {"birds.md": "# Birds\n\n## Crows\n\nCrows are clever birds that use tools and remember faces.\n",
        "rivers.txt": "Rivers\n\nThe Danube flows through ten countries before it reaches the Black Sea.\n"}
QUESTION = "Which river flows through ten countries?"


def files_under(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


class SlowEmbeddings(HashEmbeddings):
    """The fake embeddings, ``delay`` seconds per batch: a long build without a long test corpus."""

    def __init__(self, delay: float):
        super().__init__()
        self.delay = delay

    def embed_array(self, texts):
        time.sleep(self.delay)
        return super().embed_array(texts)


@pytest.fixture
def bot(make_corpus, tmp_path):
    return Answerer.from_corpus(make_corpus(BASE), tmp_path / "index", embeddings=HashEmbeddings())


def test_an_uploaded_bomb_is_refused_in_seconds_and_nothing_is_written(bot):
    before = files_under(bot.corpus_dir)
    start = time.perf_counter()
    change = bot.add_documents([("report.docx", docx_bomb()), ("herons.txt", b"Herons stand in shallow water.")])
    elapsed = time.perf_counter() - start
    assert [(e.path, e.reason) for e in change.rejected] == [("report.docx", "too-large")]
    assert change.added == ["herons.txt"]
    assert files_under(bot.corpus_dir) == sorted(before + ["herons.txt"])   # no bomb, no temporary file
    assert elapsed < BOMB_SECONDS


def test_a_bomb_is_refused_through_the_upload_path_of_the_documents_panel(bot, tmp_path):
    path = tmp_path / "upload" / "report.docx"
    path.parent.mkdir()
    path.write_bytes(docx_bomb())
    before = files_under(bot.corpus_dir)
    start = time.perf_counter()
    outcome = upload(bot, [str(path)], max_bytes=20 * 1024 * 1024)
    elapsed = time.perf_counter() - start
    assert [(e.path, e.reason) for e in outcome.rejected] == [("report.docx", "too-large")]
    assert "(QA_MAX_UNPACK_RATIO)" in str(outcome.rejected[0])
    assert [kind for kind, _ in outcome.lines] == ["rejected"]
    assert files_under(bot.corpus_dir) == before
    assert elapsed < BOMB_SECONDS


def test_questions_are_answered_while_a_bomb_is_refused(bot):
    bot.limits = Limits(max_unpack_ratio=10_000)   # the slow way: parsed until the text limit
    latencies: list[float] = []
    done = threading.Event()

    def refuse():
        try:
            change = bot.add_documents([("report.docx", docx_bomb())])
            assert [e.reason for e in change.rejected] == ["too-large"]
        finally:
            done.set()

    def ask():
        while not done.is_set():
            start = time.perf_counter()
            answer = bot.ask(QUESTION)
            latencies.append(time.perf_counter() - start)
            assert "Danube" in answer.text

    run_together(refuse, ask, timeout=60)
    assert len(latencies) >= 3 and max(latencies) < BOMB_SECONDS / 2


def test_a_bomb_in_the_corpus_folder_is_skipped_at_start_up(make_corpus, tmp_path):
    root = make_corpus(BASE)
    (root / "report.docx").write_bytes(docx_bomb())
    emb = HashEmbeddings()
    start = time.perf_counter()
    bot = Answerer.from_corpus(root, tmp_path / "index", embeddings=emb)
    assert time.perf_counter() - start < BOMB_SECONDS
    assert [(e.path, e.reason) for e in bot.report.skipped] == [("report.docx", "too-large")]
    assert bot.stats["documents"] == 2
    assert "Danube" in bot.ask(QUESTION).text


def test_a_refused_file_is_not_read_again_by_each_change(make_corpus, tmp_path, monkeypatch):
    root = make_corpus(BASE)
    (root / "report.docx").write_bytes(docx_bomb())
    bot = Answerer.from_corpus(root, tmp_path / "index", embeddings=HashEmbeddings())
    import qa.ingest.formats.docx as docx_format

    reads = []
    original = docx_format.load_docx
    monkeypatch.setattr(docx_format, "load_docx", lambda data: reads.append(1) or original(data))
    bot.add_documents([("herons.txt", b"Herons stand in shallow water.")])
    bot.remove_document("herons.txt")
    assert reads == []
    assert [(e.path, e.reason) for e in bot.report.skipped] == [("report.docx", "too-large")]


def test_a_long_build_does_not_make_other_changes_wait(make_corpus, tmp_path):
    root = make_corpus(BASE)
    bot = Answerer.from_corpus(root, tmp_path / "index", embeddings=SlowEmbeddings(delay=0.0))
    bot.embeddings.delay = 0.5   # each batch of the large document's sentences takes half a second
    large = "".join(f"Owl number {i} hunts mice in the barn at night. " for i in range(1_500)).encode()
    finished: dict[str, float] = {}
    large_started = threading.Event()

    def add_large():
        large_started.set()
        bot.add_documents([("owls.txt", large)])
        finished["large"] = time.perf_counter()

    def add_small():
        large_started.wait()
        time.sleep(0.3)   # the large document is being embedded now
        bot.add_documents([("herons.txt", b"Herons stand in shallow water.")])
        finished["small"] = time.perf_counter()

    run_together(add_large, add_small, timeout=120)
    assert finished["small"] < finished["large"], "the small change waited for the large one's embedding"
    assert sorted(d.source for d in bot.index.documents) == ["birds.md", "herons.txt", "owls.txt", "rivers.txt"]
    assert sorted(files_under(root)) == ["birds.md", "herons.txt", "owls.txt", "rivers.txt"]


def test_the_library_step_checks_before_it_takes_the_lock(built_index):
    root, index_dir, emb = built_index
    before = files_under(root)
    change = add_documents(root, index_dir, [("report.docx", docx_bomb())], emb, limits=Limits())
    assert [e.reason for e in change.rejected] == ["too-large"] and files_under(root) == before


def test_the_settings_are_read_at_the_edge_and_passed_down(make_corpus, tmp_path, monkeypatch):
    monkeypatch.setenv("QA_MAX_DOC_CHARS", "70")
    bot = Answerer.from_corpus(make_corpus({**BASE, "owls.txt": "Owls hunt at night."}), tmp_path / "index",
                               embeddings=HashEmbeddings())
    assert bot.limits == Limits(max_chars=70)
    assert {e.path: e.reason for e in bot.report.skipped} == {"birds.md": "too-large", "rivers.txt": "too-large"}
    change = bot.add_documents([("long.txt", b"Herons stand still in shallow water and wait a long time for small fish to pass by.")])
    assert [e.reason for e in change.rejected] == ["too-large"] and "(QA_MAX_DOC_CHARS)" in str(change.rejected[0])
