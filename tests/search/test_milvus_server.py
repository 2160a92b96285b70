"""Milvus as a separate process (``milvus-lite server``, the same client code as for a cluster):
killed mid-question, hung, restarted; ``qa index --store`` and ``qa ask --store``; credentials
from the environment never shown."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time

import pytest

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from qa.app.api import Answerer  # noqa: E402
from qa.errors import StoreError  # noqa: E402
from tests.conftest import ROOT, SMALL_DOCS  # noqa: E402
from tests.support.fakes import HashEmbeddings  # noqa: E402
from tests.support.milvus import LiteServer, milvus_lite_binary  # noqa: E402

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not milvus_lite_binary().exists(), reason="milvus-lite server is not installed")]

SECRET = "root:s3cret-Tok3n-never-shown"
QUESTION = "What can ravens mimic?"


@pytest.fixture
def server(tmp_path):
    with LiteServer(tmp_path / "milvus-data") as s:
        yield s


def answerer(server, root, tmp_path, timeout=5):
    from qa.app.configured import open_configured_store

    env = {"QA_STORE_TIMEOUT": str(timeout), "QA_MILVUS_TOKEN": SECRET}
    store = open_configured_store(server.store_uri(), environ=env)
    return Answerer.from_corpus(root, tmp_path / "unused", embeddings=HashEmbeddings(), store=store)


def test_killed_mid_question_then_restarted(server, make_corpus, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    bot = answerer(server, make_corpus(SMALL_DOCS), tmp_path)
    expected = bot.ask(QUESTION).to_dict()
    server.freeze()                      # the next question is in flight when the engine dies
    result = {}
    asking = threading.Thread(target=lambda: result.setdefault("error", _error_of(bot.ask, QUESTION)))
    asking.start()
    time.sleep(0.5)
    server.kill()
    asking.join(30)
    error = result["error"]
    assert isinstance(error, StoreError) and str(error).startswith(f"{server.store_uri()}: cannot reach Milvus")
    with pytest.raises(StoreError, match="cannot reach Milvus"):   # while it is down: at once, same error
        bot.ask(QUESTION)
    server.start()                       # same port, same data; it comes back with nothing loaded
    assert bot.ask(QUESTION).to_dict() == expected
    assert SECRET not in caplog.text and SECRET.split(":")[1] not in caplog.text


def _error_of(fn, *args):
    try:
        fn(*args)
    except Exception as exc:  # noqa: BLE001 - returned to the test, which checks its type
        return exc
    return None


def test_a_hung_engine_times_out_then_recovers(server, make_corpus, tmp_path):
    bot = answerer(server, make_corpus(SMALL_DOCS), tmp_path, timeout=2)
    expected = bot.ask(QUESTION).to_dict()
    server.freeze()
    t0 = time.monotonic()
    with pytest.raises(StoreError, match=r"Milvus did not answer within 2 s \(describe_alias\)"):
        bot.ask(QUESTION)
    assert time.monotonic() - t0 < 10
    server.thaw()
    assert bot.ask(QUESTION).to_dict() == expected


def qa_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "qa", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def test_cli_index_and_ask_with_a_store(server, make_corpus, tmp_path):
    root = make_corpus(SMALL_DOCS)
    env = {"QA_MILVUS_TOKEN": SECRET, "QA_CORPUS": str(root), "QA_INDEX": str(tmp_path / "unused")}
    built = qa_cli("index", "--store", server.store_uri("birds"), env=env)
    assert built.returncode == 0, built.stderr
    assert built.stdout.startswith(f"Built the index in {server.store_uri('birds')}: 3 documents")
    again = qa_cli("index", env={**env, "QA_STORE": server.store_uri("birds")})
    assert again.returncode == 0 and again.stdout.startswith(f"Loaded the index in {server.store_uri('birds')}")
    asked = qa_cli("ask", QUESTION, "--no-rebuild", "--json", env={**env, "QA_STORE": server.store_uri("birds")})
    assert asked.returncode == 0, asked.stderr
    assert "mimic human speech" in asked.stdout and not (tmp_path / "unused").exists()
    server.kill()
    down = qa_cli("ask", QUESTION, env={**env, "QA_STORE": server.store_uri("birds"), "QA_STORE_TIMEOUT": "3"})
    assert down.returncode == 1 and down.stderr.startswith(f"Error: {server.store_uri('birds')}: cannot reach Milvus")
    for out in (built, again, asked, down):
        assert SECRET.split(":")[1] not in out.stdout + out.stderr


def test_a_second_process_on_a_lite_folder_is_told_what_to_do(make_corpus, tmp_path):
    """Milvus Lite locks its folder: while this process has it open, `qa ask` elsewhere gets a
    StoreError that says so and names the way out (a server)."""
    from tests.support.milvus import lite_store

    root = make_corpus(SMALL_DOCS)
    with lite_store(tmp_path / "qa.db") as store:
        Answerer.from_corpus(root, tmp_path / "unused", embeddings=HashEmbeddings(), store=store)
        other = qa_cli("ask", QUESTION, "--corpus", str(root), "--store", f"milvus-lite:{tmp_path / 'qa.db'}")
    assert other.returncode == 1
    assert other.stderr.startswith(f"Error: milvus-lite:{tmp_path / 'qa.db'}: cannot open the Milvus Lite database")
    assert "another process holds the lock" in other.stderr and "milvus-lite server" in other.stderr
    assert "Traceback" not in other.stderr
