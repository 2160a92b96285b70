"""Faults during indexing: a build killed at any point leaves the previous index in use;
a full disk is a clear error; readers never see half an index while it is rebuilt.

The kill tests run a real build in a subprocess (fast hash embeddings, slowed down at
one chosen step so the kill lands there) and SIGKILL it.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from qa.answering.readers import make_reader
from qa.app.api import Answerer
from qa.search.lifecycle import open_or_build_index
from qa.ingest.corpus import load_corpus
from qa.errors import IndexProblem
from qa.search.manifest import CURRENT, read_manifest
from qa.search.storage import load_index
from tests.conftest import ROOT
from tests.support.fakes import HashEmbeddings
from tests.support.invariants import check_answer
from tests.support.threads import Sightings, run_together

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and locks")]


def corpus_files(version: int, sentences: int = 5) -> dict[str, str]:
    """Three documents, every sentence tagged with ``version`` so a mixed index is visible."""
    topics = {"crows.txt": "Crows", "ravens.md": "Ravens", "owls.txt": "Owls"}
    return {name: " ".join(f"{animal} fact {i} of version {version} is about birds number {i}."
                           for i in range(sentences)) for name, animal in topics.items()}


def write_corpus(root: Path, files: dict[str, str]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")


def versions_in(index) -> set[int]:
    import re

    return {int(v) for d in index.documents for v in re.findall(r"of version (\d+)", d.text)}


# A build in a subprocess, slowed at one step: "embed" (each embedding batch), "save" (each
# JSON file written into the new generation) or "switch" (after the generation folder is in
# place, before CURRENT points at it). It writes READY_FILE when it reaches that step.
BUILDER = r"""
import sys, time
from pathlib import Path
import qa.search.storage
from qa.search.lifecycle import open_or_build_index
from qa.ingest.corpus import load_corpus
from qa.search.index import IndexSettings
from tests.support.fakes import HashEmbeddings

corpus, index_dir, step, ready = sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])

def reached():
    ready.write_text("x")
    time.sleep(0.5)

class SlowEmbeddings(HashEmbeddings):
    def embed_array(self, texts):
        if step == "embed":
            reached()
        return super().embed_array(texts)

if step == "save":
    write_json = qa.search.storage._write_json
    def slow_write_json(path, data):
        write_json(path, data)
        reached()
    qa.search.storage._write_json = slow_write_json
if step == "switch":
    fsync_dir, calls = qa.search.storage._fsync_dir, []
    def slow_fsync_dir(path):  # first called right after the generation folder is renamed into place
        calls.append(path)
        if len(calls) == 1:
            reached()
        fsync_dir(path)
    qa.search.storage._fsync_dir = slow_fsync_dir

open_or_build_index(load_corpus(corpus), index_dir, SlowEmbeddings(), IndexSettings(embed_batch=2))
print("finished")
"""


def start_builder(corpus: Path, index_dir: Path, step: str, ready: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", BUILDER, str(corpus), str(index_dir), step, str(ready)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for(condition, proc: subprocess.Popen, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            raise AssertionError(f"builder ended early: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("builder never reached the step")
        time.sleep(0.02)


@pytest.mark.parametrize("step", ["embed", "save", "switch"])
def test_killed_build_leaves_the_previous_index_in_use(tmp_path, step):
    corpus, index_dir, ready = tmp_path / "corpus", tmp_path / "index", tmp_path / "ready"
    write_corpus(corpus, corpus_files(1))
    emb = HashEmbeddings()
    first = Answerer.from_corpus(corpus, index_dir, embeddings=emb)
    first_gen = read_manifest(index_dir)[0].name

    write_corpus(corpus, corpus_files(2, sentences=40))   # changed: the next build has work to do
    proc = start_builder(corpus, index_dir, step, ready)
    try:
        if step == "save":   # wait until the new generation is half written
            wait_for(lambda: ready.exists() and list(index_dir.glob("gen-*.tmp")), proc)
        else:
            wait_for(ready.exists, proc)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    if step == "save":
        assert list(index_dir.glob("gen-*.tmp")), "the kill should have landed mid-save"
    if step == "switch":
        assert len([p for p in index_dir.glob("gen-*") if not p.name.endswith(".tmp")]) == 2

    # the previous generation is still the one in use, whole, and answers
    index = load_index(index_dir, model=emb.model_info)
    assert index.folder.name == first_gen and versions_in(index) == {1}
    bot = Answerer(index, emb)
    answer = bot.ask("What is crows fact 3 about?")
    check_answer(bot, answer)
    assert [c.text for c in answer.citations] == [c.text for c in first.ask("What is crows fact 3 about?").citations]

    # the lock died with the process: the next build goes through and switches over
    bot = Answerer.from_corpus(corpus, index_dir, embeddings=emb)
    assert bot.report.action == "updated" and versions_in(bot.index) == {2}
    assert versions_in(load_index(index_dir, model=emb.model_info)) == {2}


def test_stale_temporary_generations_are_cleaned_up(tmp_path):
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    write_corpus(corpus, corpus_files(1))
    emb = HashEmbeddings()
    Answerer.from_corpus(corpus, index_dir, embeddings=emb)
    fresh, stale = index_dir / "gen-20990101T000000-aaaaaa.tmp", index_dir / "gen-20000101T000000-bbbbbb.tmp"
    for folder in (fresh, stale):
        folder.mkdir()
        (folder / "documents.json").write_text("[")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    write_corpus(corpus, corpus_files(2))
    Answerer.from_corpus(corpus, index_dir, embeddings=emb)
    assert fresh.exists()        # maybe another builder's work in progress: kept
    assert not stale.exists()    # left by a crash hours ago: removed
    assert versions_in(load_index(index_dir, model=emb.model_info)) == {2}


def test_full_disk_is_a_clear_error_and_keeps_the_previous_index(tmp_path, monkeypatch):
    import qa.search.storage

    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    write_corpus(corpus, corpus_files(1))
    emb = HashEmbeddings()
    Answerer.from_corpus(corpus, index_dir, embeddings=emb)
    before = sorted(p.name for p in index_dir.iterdir())
    write_json = qa.search.storage._write_json

    def full_disk(path, data):
        if path.name == "passages.json":
            raise OSError(errno.ENOSPC, "No space left on device")
        write_json(path, data)

    monkeypatch.setattr(qa.search.storage, "_write_json", full_disk)
    write_corpus(corpus, corpus_files(2))
    with pytest.raises(IndexProblem) as info:
        Answerer.from_corpus(corpus, index_dir, embeddings=emb)
    assert "Cannot write the index" in str(info.value) and "No space left on device" in str(info.value)
    assert sorted(p.name for p in index_dir.iterdir()) == before   # the half-written generation is gone
    assert versions_in(load_index(index_dir, model=emb.model_info)) == {1}


def test_readers_never_see_a_half_built_index(tmp_path):
    """One thread rebuilds the index again and again (every document changes each time); others load
    it and ask in a loop. Every load succeeds and holds one version only; every version is loaded."""
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    write_corpus(corpus, corpus_files(0))
    emb = HashEmbeddings()
    Answerer.from_corpus(corpus, index_dir, embeddings=emb)
    rounds, done, errors = 8, threading.Event(), []
    seen = Sightings(errors)   # the writer waits on it, not on wall time, so a slow machine sees every rebuild

    def writer():
        try:
            for version in range(1, rounds + 1):
                write_corpus(corpus, corpus_files(version, sentences=30))
                index, report = open_or_build_index(load_corpus(corpus), index_dir, emb)
                assert report.action == "updated"
                assert seen.wait_for(version) or errors, f"no reader loaded version {version}"
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(("writer", repr(exc)))
        finally:
            done.set()

    answering = make_reader()   # loaded once: the loads and questions below are what is tested

    def reader():
        while not done.is_set() or len(seen.values) < 3:
            try:
                index = load_index(index_dir, model=emb.model_info)
                versions = versions_in(index)
                assert len(versions) == 1, f"mixed versions {versions}"
                assert index.vectors.ntotal == len(index.sentences)
                for p in index.passages:
                    assert index.documents[p.doc].text[p.start:p.end] == p.text
                bot = Answerer(index, emb, reader=answering)
                check_answer(bot, bot.ask("What is owls fact 2 about?"))
                seen.add(versions.pop())
            except BaseException as exc:  # noqa: BLE001 - reported below
                seen.fail(("reader", repr(exc)))
                return

    run_together(writer, reader, reader, timeout=600)
    assert errors == []
    assert len(seen.values) >= rounds and set(seen.values) >= set(range(1, rounds + 1)), seen.values   # every rebuild
    assert versions_in(load_index(index_dir, model=emb.model_info)) == {rounds}


def test_two_builders_at_once_take_turns(tmp_path):
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    write_corpus(corpus, corpus_files(1, sentences=20))
    errors = []

    def build():
        try:
            Answerer.from_corpus(corpus, index_dir, embeddings=HashEmbeddings())
        except BaseException as exc:  # noqa: BLE001
            errors.append(repr(exc))

    threads = [threading.Thread(target=build) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert versions_in(load_index(index_dir)) == {1}
    assert (index_dir / CURRENT).read_text().strip() == read_manifest(index_dir)[0].name


def test_a_load_outlived_by_its_generation_reads_the_new_one(tmp_path, monkeypatch):
    """A reader reads CURRENT, stalls; two rebuilds replace and prune the generation it was
    reading. Its load must not fail as "corrupt": it reads the generation now current."""
    import qa.search.storage

    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    write_corpus(corpus, corpus_files(1))
    emb = HashEmbeddings()
    Answerer.from_corpus(corpus, index_dir, embeddings=emb)
    first_gen = read_manifest(index_dir)[0]
    stalled, resume, result = threading.Event(), threading.Event(), {}
    verify = qa.search.storage.verify_files

    def stalling_verify(folder, manifest):
        if threading.current_thread().name == "reader" and not stalled.is_set():
            stalled.set()
            assert resume.wait(30)
        verify(folder, manifest)

    monkeypatch.setattr(qa.search.storage, "verify_files", stalling_verify)

    def reader():
        try:
            result["index"] = load_index(index_dir, model=emb.model_info)
        except BaseException as exc:  # noqa: BLE001 - checked below
            result["error"] = exc

    thread = threading.Thread(target=reader, name="reader")
    thread.start()
    assert stalled.wait(30)
    for version in (2, 3):
        write_corpus(corpus, corpus_files(version))
        Answerer.from_corpus(corpus, index_dir, embeddings=emb)
    assert not first_gen.exists()   # pruned under the reader's feet
    resume.set()
    thread.join(30)
    assert "error" not in result, result.get("error")
    assert versions_in(result["index"]) == {3}
