"""``qa index``: every file not indexed listed with its reason (``--json`` too); a second
build says it waits for the first; the message reads as information; ``-v`` shows logs."""

from __future__ import annotations

import json
import threading

import pytest
from click.testing import CliRunner

import qa.app.api
import qa.search.embeddings
from qa.app.cli import cli
from qa.search.lifecycle import open_or_build_index
from qa.search.index import build_index
from qa.search.storage import build_lock, save_index
from qa.ingest.corpus import load_corpus
from tests.support.documents import corrupt_docx_bytes, pdf_bytes, scanned_pdf_bytes
from tests.support.fakes import HashEmbeddings


class FastEmbeddings(HashEmbeddings):
    def warm_up(self):
        pass


@pytest.fixture
def fast(monkeypatch):
    monkeypatch.setattr(qa.search.embeddings, "MiniLMEmbeddings", FastEmbeddings)


@pytest.fixture
def mixed(make_corpus):
    return make_corpus({"good.md": "# Good\n\nHerons stand still.", "moon.pdf": pdf_bytes([[("p", "Ice is mined.")]]),
                        "scan.pdf": scanned_pdf_bytes(), "broken.docx": corrupt_docx_bytes(), "x.xyz": b"?"})


def test_index_lists_skipped_files_and_reads_as_information(fast, mixed, tmp_path):
    result = CliRunner().invoke(cli, ["index", "--corpus", str(mixed), "--index", str(tmp_path / "idx")])
    assert result.exit_code == 0, result.stderr
    skipped = sorted(line for line in result.stderr.splitlines() if line.startswith("Skipped: "))
    assert [line.split(":")[1].strip() for line in skipped] == ["broken.docx", "scan.pdf", "x.xyz"]
    assert "no text layer" in "".join(skipped) and "not a supported type" in "".join(skipped)
    line = result.stdout.strip()
    assert line.startswith("Built the index in ") and ": 2 documents" in line
    assert "there was no index yet" in line and "3 files skipped" in line
    assert "No index in" not in line and not any(x.startswith("Error") for x in result.output.splitlines())


def test_index_json_has_every_skipped_file_with_its_reason(fast, mixed, tmp_path):
    result = CliRunner().invoke(cli, ["index", "--json", "--corpus", str(mixed), "--index", str(tmp_path / "idx")])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["action"] == "built" and data["documents"] == 2 and data["passages"] >= 2
    assert {s["path"]: s["reason"] for s in data["skipped"]} == {
        "broken.docx": "corrupt", "scan.pdf": "no-text-layer", "x.xyz": "unsupported"}
    assert all(s["message"].startswith(s["path"] + ": ") for s in data["skipped"])


def test_a_second_build_says_it_waits_for_the_first(make_corpus, tmp_path):
    root, index_dir = make_corpus({"a.txt": "Crows use tools."}), tmp_path / "idx"
    heard, held, release = [], threading.Event(), threading.Event()

    def holder():   # the first build, holding the lock
        with build_lock(index_dir):
            held.set()
            release.wait(30)
            save_index(build_index(load_corpus(root), HashEmbeddings())[0], index_dir)

    def building():   # a second one waits, then uses the first one's index
        return open_or_build_index(load_corpus(root), index_dir, HashEmbeddings(), on_wait=heard.append)

    first = threading.Thread(target=holder)
    first.start()
    assert held.wait(10)
    result = {}
    second = threading.Thread(target=lambda: result.update(report=building()[1]))
    second.start()
    for _ in range(100):
        if heard:
            break
        threading.Event().wait(0.05)
    release.set()
    first.join(30)
    second.join(30)
    assert heard and heard[0].startswith("Waiting for another build of the index in") and "process" in heard[0]
    assert result["report"].action == "loaded"   # it used the build it waited for


def test_verbose_flag_shows_library_logs(fast, make_corpus, tmp_path):
    root = make_corpus({"a.txt": "Crows use tools."})
    quiet = CliRunner().invoke(cli, ["index", "--corpus", str(root), "--index", str(tmp_path / "i1")])
    loud = CliRunner().invoke(cli, ["-v", "index", "--corpus", str(root), "--index", str(tmp_path / "i2")])
    assert quiet.exit_code == loud.exit_code == 0
    import logging

    assert logging.getLogger("faiss.loader").getEffectiveLevel() == logging.INFO   # after -v
    CliRunner().invoke(cli, ["index", "--corpus", str(root), "--index", str(tmp_path / "i1")])
    assert logging.getLogger("faiss.loader").getEffectiveLevel() == logging.ERROR and \
        logging.getLogger("bm25s").getEffectiveLevel() == logging.ERROR


def test_ask_says_how_many_files_were_skipped_in_one_line(fast, mixed, tmp_path, monkeypatch):
    monkeypatch.setattr(qa.app.api, "MiniLMEmbeddings", FastEmbeddings)
    args = ["--corpus", str(mixed), "--index", str(tmp_path / "idx")]
    result = CliRunner().invoke(cli, ["ask", *args, "What is mined?"])
    assert result.exit_code == 0, result.stderr
    assert not [line for line in result.stderr.splitlines() if line.startswith("Skipped")]
    assert "3 files were not indexed; `qa index --json` lists them with their reasons." in result.stderr.splitlines()
    assert "broken.docx" not in result.stderr
