"""The real server: `python ui.py` in a subprocess, called with gradio_client on 127.0.0.1."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from qa.answering.answer import Answer
from tests.conftest import CORPUS
from tests.support.invariants import check_answer, check_citations
from tests.support.ui import UIServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(bundled, bundled_index_dir):
    # `bundled` has built the index in bundled_index_dir: the server only loads it.
    with UIServer(env={"QA_CORPUS": CORPUS, "QA_INDEX": bundled_index_dir}) as s:
        yield s


@pytest.fixture(scope="module")
def client(server):
    from gradio_client import Client

    c = Client(server.url, verbose=False)
    yield c
    c.close()


def test_page_is_served_with_the_app(server, bundled):
    with urllib.request.urlopen(server.url, timeout=10) as r:
        assert r.status == 200
    with urllib.request.urlopen(server.url + "config", timeout=10) as r:
        config = json.load(r)
    assert config["title"] == "Ask the documents" and config["analytics_enabled"] is False
    header = next(c for c in config["components"] if c.get("props", {}).get("elem_id") == "qa-header")
    stats = bundled.stats
    assert f"{stats['documents']} document" in header["props"]["value"]
    assert f"{stats['passages']} passages" in header["props"]["value"]


def test_ask_endpoint_returns_the_structured_answer(client, bundled):
    d = client.predict("When did Iran launch its missile strike on Pakistan?", api_name="/ask")
    answer = Answer.from_dict(d)
    assert not answer.abstained and answer.citations and 0 <= answer.confidence <= 1
    check_answer(bundled, answer)
    assert answer.passages
    check_citations(bundled, answer.passages)


def test_ask_endpoint_takes_the_conversation(client, bundled):
    first = Answer.from_dict(client.predict("What is the Zeynabiyoun Brigade?", api_name="/ask"))
    follow = Answer.from_dict(client.predict("When was it formally organized?",
                                             [[first.question, first.text]], api_name="/ask"))
    assert "Zeynabiyoun" in follow.query
    assert not follow.abstained
    check_answer(bundled, follow)
    alone = Answer.from_dict(client.predict("When was it formally organized?", api_name="/ask"))
    assert alone.query == "When was it formally organized?"


def test_ask_endpoint_abstains_plainly(client):
    d = client.predict("What is the boiling point of liquid nitrogen?", api_name="/ask")
    assert d["abstained"] is True and d["citations"] == []


@pytest.mark.parametrize("question, words", [("", "empty"), ("x" * 5000, "limit"), ("?!?", "no words")])
def test_bad_questions_get_a_clear_error_not_a_crash(client, question, words):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError) as info:
        client.predict(question, api_name="/ask")
    assert "QuestionError" in str(info.value) and words in str(info.value)
    assert "Traceback" not in str(info.value)
    # the server is still up and answering
    assert client.predict("Who visited Pakistan in April?", api_name="/ask")["citations"]


def test_bad_history_gets_a_clear_error(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="history"):
        client.predict("When was it formally organized?", [["only one item"]], api_name="/ask")


def test_the_public_endpoints_are_ask_and_the_documents(client):
    """/ask and /documents; on loopback uploads are on, so /add_documents and /remove_document too
    (with uploads off there are none: test_uploads_server.py, test_security_login.py)."""
    api = client.view_api(return_format="dict", print_info=False)
    assert sorted(api["named_endpoints"]) == ["/add_documents", "/ask", "/documents", "/remove_document"]
    params = {name: [p["parameter_name"] for p in e["parameters"]] for name, e in api["named_endpoints"].items()}
    assert params == {"/ask": ["question", "history"], "/documents": [], "/add_documents": ["paths"],
                      "/remove_document": ["name"]}
    assert not api["unnamed_endpoints"]


def test_answers_are_fast_once_loaded(client):
    t0 = time.perf_counter()
    for _ in range(5):
        client.predict("Which three border points facilitate commerce?", api_name="/ask")
    assert (time.perf_counter() - t0) / 5 < 5.0  # generous: the model and index load once, not per question
