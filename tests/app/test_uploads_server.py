"""Uploads through the API of a real Gradio server (gradio_client), with the real model: add a PDF and
ask about its page 2, remove it and it is no longer cited; two uploads at once take turns while
questions go on, and no answer or list ever shows a half-updated index; with uploads off there
are no such endpoints and no upload controls on the page."""

from __future__ import annotations

import threading

import pytest

from qa.answering.answer import Answer
from qa.app.api import Answerer
from qa.app.gradio_app import build_demo
from tests.support.bombs import docx_bomb
from tests.support.documents import html_bytes, pdf_bytes
from tests.support.invariants import check_answer
from tests.support.threads import run_together
from tests.support.ui import serve

pytestmark = pytest.mark.slow

BASE = {
    "birds.md": "# Birds\n\n## Crows\n\nCrows are clever birds that use tools and remember faces.\n",
    "rivers.txt": "Rivers\n\nThe Danube flows through ten countries before it reaches the Black Sea.\n",
}
MOON = pdf_bytes([[("title", "Moon Base Report"), ("h1", "Water Supply"),
                   ("p", "The moon base draws its water from ice mined in the Shackleton crater.")],
                  [("h1", "Power Supply"), ("p", "Solar panels on the crater rim supply forty kilowatts of electricity.")]])
VOLCANO = html_bytes("Volcanoes", [("h1", "Volcanoes"), ("h2", "Etna"),
                                   ("p", "Mount Etna on Sicily is the most active volcano in Europe.")])
POWER_QUESTION = "How much electricity do the solar panels supply?"


@pytest.fixture
def bot(make_corpus, tmp_path, real_embeddings):
    return Answerer.from_corpus(make_corpus(BASE), tmp_path / "index", embeddings=real_embeddings)


def client_of(url):
    from gradio_client import Client

    return Client(url, verbose=False)


def put(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / "to-upload" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    return str(path)


def test_upload_ask_and_remove_through_the_api(bot, tmp_path):
    from gradio_client import handle_file

    with serve(build_demo(bot, uploads=True)) as url:
        client = client_of(url)
        files = [handle_file(put(tmp_path, "moon.pdf", MOON)), handle_file(put(tmp_path, "run.sh", b"rm -rf /"))]
        result = client.predict(files, api_name="/add_documents")
        assert result["added"] == ["moon.pdf"] and [r["reason"] for r in result["rejected"]] == ["unsupported"]
        assert [m["kind"] for m in result["messages"]] == ["added", "rejected"]
        assert {"name": "moon.pdf", "format": "PDF", "passages": 2} in [
            {k: d[k] for k in ("name", "format", "passages")} for d in client.predict(api_name="/documents")]
        answer = Answer.from_dict(client.predict(POWER_QUESTION, api_name="/ask"))
        check_answer(bot, answer)
        top = answer.citations[0]
        assert (top.source, top.page, top.section) == ("moon.pdf", 2, "Power Supply") and "forty kilowatts" in answer.text
        removed = client.predict("moon.pdf", api_name="/remove_document")
        assert removed["removed"] == ["moon.pdf"] and "moon.pdf" not in [d["name"] for d in removed["documents"]]
        after = Answer.from_dict(client.predict(POWER_QUESTION, api_name="/ask"))
        assert all(c.source != "moon.pdf" for c in after.citations + after.passages) and "kilowatts" not in after.text
        assert client.predict("birds.md", api_name="/remove_document")["removed"] == ["birds.md"]
        last = client.predict("rivers.txt", api_name="/remove_document")
        assert last["messages"] == [{"kind": "error", "message": "Nothing was removed: rivers.txt: is the only "
                                                                 "document; an index needs at least one. Add another "
                                                                 "document first."}]
        client.close()


def test_a_docx_bomb_uploaded_to_the_server_is_refused_at_once_and_leaves_nothing(bot, tmp_path):
    """Issue 20's bomb through the real server: a ~100 KB DOCX that unpacks to over 20 MB is refused as
    too-large within seconds, nothing of it reaches the corpus folder, and questions are answered
    while it is sent."""
    import time

    from gradio_client import handle_file

    before = sorted(p.name for p in bot.corpus_dir.iterdir())
    bomb = put(tmp_path, "bomb.docx", docx_bomb())
    with serve(build_demo(bot, uploads=True)) as url:
        client, asker = client_of(url), client_of(url)
        answers: list[Answer] = []

        def ask_meanwhile():
            answers.append(Answer.from_dict(asker.predict("Which river flows through ten countries?", api_name="/ask")))

        questions = threading.Thread(target=ask_meanwhile)
        started = time.perf_counter()
        questions.start()
        result = client.predict([handle_file(bomb)], api_name="/add_documents")
        refused_in = time.perf_counter() - started
        questions.join(timeout=60)
    assert result["added"] == [] and [r["reason"] for r in result["rejected"]] == ["too-large"]
    assert refused_in < 10, f"the bomb took {refused_in:.1f} s to refuse"
    assert sorted(p.name for p in bot.corpus_dir.iterdir()) == before
    assert answers and "Danube" in answers[0].text and not answers[0].abstained


def test_uploads_at_once_take_turns_and_questions_never_see_half_an_index(bot, tmp_path):
    from gradio_client import handle_file

    states = [{"birds.md", "rivers.txt"}, {"birds.md", "rivers.txt", "moon.pdf"},
              {"birds.md", "rivers.txt", "volcano.html"}, {"birds.md", "rivers.txt", "moon.pdf", "volcano.html"}]
    seen, errors, done = [], [], threading.Event()
    with serve(build_demo(bot, uploads=True)) as url:
        def uploader(name, data):
            def run():
                try:
                    out = client_of(url).predict([handle_file(put(tmp_path, name, data))], api_name="/add_documents")
                    assert out["added"] == [name], out
                except BaseException as exc:  # noqa: BLE001 - reported below
                    errors.append(repr(exc))
            return run

        def reader():
            client = client_of(url)
            while not done.is_set():
                try:
                    seen.append({d["name"] for d in client.predict(api_name="/documents")})
                    answer = Answer.from_dict(client.predict(POWER_QUESTION, api_name="/ask"))
                    check_answer(bot, answer)     # every citation a true slice of a document it knows
                except BaseException as exc:  # noqa: BLE001
                    errors.append(repr(exc))
                    return

        watcher = threading.Thread(target=reader)
        watcher.start()
        run_together(uploader("moon.pdf", MOON), uploader("volcano.html", VOLCANO))
        done.set()
        watcher.join(timeout=120)
        final = {d["name"] for d in client_of(url).predict(api_name="/documents")}
    assert errors == [] and seen
    assert final == states[-1]
    assert all(s in states for s in seen), [s for s in seen if s not in states]
    assert sorted(p.name for p in bot.corpus_dir.iterdir()) == sorted(states[-1])


def test_with_uploads_off_there_is_no_upload_control_or_endpoint(bot, tmp_path):
    from gradio_client import handle_file

    with serve(build_demo(bot, uploads=False), uploads=False) as url:
        client = client_of(url)
        endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
        assert "/documents" in endpoints and "/ask" in endpoints
        assert "/add_documents" not in endpoints and "/remove_document" not in endpoints
        assert [d["name"] for d in client.predict(api_name="/documents")] == ["birds.md", "rivers.txt"]
        with pytest.raises(Exception):
            client.predict("birds.md", api_name="/remove_document")
        with pytest.raises(Exception):     # the guard refuses the upload itself (403)
            client.predict([handle_file(put(tmp_path, "moon.pdf", MOON))], api_name="/add_documents")
        ids = {c.get("props", {}).get("elem_id") for c in client.config["components"]}
        assert "qa-docs-table" in ids and not ids & {"qa-drop", "qa-docs-pick", "qa-docs-remove"}
        client.close()
    assert sorted(p.name for p in bot.corpus_dir.iterdir()) == ["birds.md", "rivers.txt"]
