"""The log-in, uploads switched off and refusals to start, against a real `python ui.py`; and a
handler's crash and Gradio's file deletion, on a server in this process.

The logged-in server listens on 0.0.0.0 with ``QA_AUTH`` set (reached here on 127.0.0.1),
``GRADIO_SHARE=True`` in its environment, and ``QA_UPLOADS`` at its default: off, since it
is not on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from qa.app.guard import UPLOADS_OFF
from tests.conftest import ROOT
from tests.support.routes import CLASSES, MARKER, fill, raw, ui_server, wait_for_routes
from tests.support.ui import free_port, serve

pytestmark = pytest.mark.slow

USERS = {"alice": "s3cret-pw", "bob": "another;pw"}
QA_AUTH = ",".join(f"{u}:{p}" for u, p in USERS.items())


@pytest.fixture(scope="module")
def server(security_site):
    tmpdir = security_site.root / "tmp-login"
    tmpdir.mkdir()
    s = ui_server(security_site, "login", {"QA_AUTH": QA_AUTH, "GRADIO_SHARE": "True", "TMPDIR": tmpdir},
                  host="0.0.0.0")
    with s:
        s.routes = wait_for_routes(s.report)
        s.tmpdir, s.site_corpus = tmpdir, security_site.corpus
        yield s


def logged_in(url: str, user: str = "alice"):
    import httpx

    c = httpx.Client(base_url=url, timeout=30)
    r = c.post("/login", data={"username": user, "password": USERS[user]})
    assert r.status_code == 200 and r.json() == {"success": True}
    return c


def test_every_route_is_classified_with_the_login_on(server):
    missing = sorted({(m, p) for m, p, _ in server.routes} - CLASSES.keys())
    assert not missing, f"classify these routes in tests/support/routes.py CLASSES: {missing}"


def test_the_page_and_every_data_route_need_the_login(server):
    status, page, _ = raw(server.url, "GET", "/")
    assert status == 200 and b"Log in to ask the documents." in page
    assert MARKER.encode() not in page and b"harbour" not in page
    wrong = []
    for method, pattern, _ in server.routes:
        kind = CLASSES[(method, pattern)]
        status, body, _ = raw(server.url, method, fill(pattern), body=b"{}" if method == "POST" else None,
                              headers={"content-type": "application/json"}, timeout=2)
        expected = {"api": {401}, "file": {401}, "upload": {403}, "off": set(range(400, 500))}.get(kind)
        if (expected and status not in expected) or MARKER.encode() in body or b"harbour" in body:
            wrong.append((method, pattern, status, body[:80]))
    assert not wrong, "\n".join(map(str, wrong))


def test_a_logged_in_session_gets_the_app(server):
    c = logged_in(server.url)
    config = c.get("/config")
    assert config.status_code == 200 and "2 documents" in config.text
    assert c.post("/login", data={"username": "alice", "password": "guess"}).status_code == 400
    assert c.post("/login", data={"username": "mallory", "password": USERS["alice"]}).status_code == 400


def test_gradio_client_needs_auth(server):
    from gradio_client import Client

    with pytest.raises(Exception, match="credentials|login|Login"):
        Client(server.url, verbose=False)
    with pytest.raises(Exception, match="login|Login"):
        Client(server.url, auth=("alice", "guess"), verbose=False)
    client = Client(server.url, auth=("bob", USERS["bob"]), verbose=False)
    answer = client.predict("What gate code does the harbour master keep?", api_name="/ask")
    assert any(MARKER in p["text"] for p in answer["passages"])
    client.close()


def test_uploads_are_off_beyond_loopback_even_when_logged_in(server):
    c = logged_in(server.url, "bob")
    for path in ("/gradio_api/upload", "/gradio_api/component_server", "/gradio_api/queue/join"):
        r = c.post(path, files={"files": ("a.txt", b"hello")})
        assert r.status_code == 403 and r.text == UPLOADS_OFF, path
    multipart_login = c.post("/login", files={"username": (None, "bob"), "password": (None, USERS["bob"])})
    assert multipart_login.status_code == 200   # the log-in form itself may be multipart
    assert not [p for p in server.tmpdir.glob("qa-gradio-*/**/*") if p.is_file()]
    config = c.get("/config").json()
    ids = {x.get("props", {}).get("elem_id") for x in config["components"]}
    assert "qa-docs-table" in ids and not ids & {"qa-drop", "qa-docs-pick", "qa-docs-remove"}
    names = {d.get("api_name") for d in config["dependencies"]}
    assert "documents" in names and not names & {"add_documents", "remove_document"}
    cookie = "; ".join(f"{k}={v}" for k, v in c.cookies.items())
    status, body, _ = raw(server.url, "POST", "/gradio_api/call/remove_document", body=b'{"data": ["birds.md"]}',
                          headers={"content-type": "application/json", "cookie": cookie}, timeout=10)
    assert status == 404 and b"Traceback" not in body          # no such endpoint, said in words
    assert (server.site_corpus / "birds.md").is_file()


def test_share_is_never_opened_and_the_summary_says_what_is_on(server):
    out = server.output(20000)
    assert f"Running on http://0.0.0.0:{server.port}/ (log-in required; uploads off)" in out
    assert "public URL" not in out and "share link" not in out and "gradio.live" not in out


def test_the_login_page_shows_nothing_of_the_api(server):
    for path in ("/", "/?all_endpoints=true"):
        status, page, _ = raw(server.url, "GET", path)
        assert status == 200 and b"Log in to ask the documents." in page
        for word in (b'"/ask"', b'"/documents"', b"parameter_name", b"add_documents", b"remove_document"):
            assert word not in page, (path, word)
    c = logged_in(server.url)
    assert '"/ask"' in c.get("/").text        # once logged in, the page describes the API as before


def test_calls_to_endpoints_that_are_off_are_a_404_in_words(server):
    mark = len(server.output(10 ** 8))
    body = b'{"data": ["birds.md"]}'
    status, text, _ = raw(server.url, "POST", "/gradio_api/call/remove_document", body=body,
                          headers={"content-type": "application/json"}, timeout=10)
    assert status == 401 and b"remove_document" not in text and b"/ask" not in text    # nothing before the log-in
    cookie = "; ".join(f"{k}={v}" for k, v in logged_in(server.url).cookies.items())
    for path in ("/gradio_api/call/remove_document", "/gradio_api/run/add_documents", "/gradio_api/call/v2/x"):
        status, text, _ = raw(server.url, "POST", path, body=body, timeout=10,
                              headers={"content-type": "application/json", "cookie": cookie})
        assert status == 404 and text.startswith(b"There is no API endpoint /") and b"/ask" in text, (path, text)
    assert "Traceback" not in server.output(10 ** 8)[mark:]
    assert (server.site_corpus / "birds.md").is_file()


def test_zz_the_private_temporary_folder_goes_at_exit(server):
    folders = list(server.tmpdir.glob("qa-gradio-*"))
    assert len(folders) == 1 and folders[0].is_dir()
    server.stop()
    assert server.proc.returncode == 0
    assert not folders[0].exists()


def run_ui(env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    """``python ui.py`` with only ``env`` of the QA_* and GRADIO_* variables."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(("QA_", "GRADIO_"))}
    full.update(PYTHONPATH=str(ROOT), **env)
    return subprocess.run([sys.executable, str(ROOT / "ui.py")], env=full, capture_output=True, text=True,
                          timeout=timeout, cwd=str(ROOT))


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_no_login_on_all_interfaces_refuses_to_start_in_one_line(host):
    result = run_ui({"QA_HOST": host, "QA_PORT": str(free_port())})
    assert result.returncode == 2
    err = result.stderr
    assert err.count("\n") == 1 and err.startswith("ui: QA_HOST is") and "Traceback" not in err
    assert "QA_AUTH" in err and "QA_ALLOW_ANONYMOUS=1" in err and "share" in err
    assert "Loading" not in result.stdout      # refused before the model or the index is touched


def test_a_busy_port_is_one_line_naming_qa_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        result = run_ui({"QA_HOST": "127.0.0.1", "QA_PORT": "", "GRADIO_SERVER_PORT": str(port)})
    assert result.returncode == 1
    assert result.stderr == f"ui: Port {port} on 127.0.0.1 is already in use. Set QA_PORT to a free port.\n"


class FailingAnswerer:
    """An answerer whose every question fails with an unexpected error holding a secret."""

    def __init__(self, answerer):
        self._answerer = answerer

    def ask(self, question, history=None):
        raise RuntimeError("SECRET-DETAIL /etc/shadow at 0xdeadbeef")

    def __getattr__(self, name):
        return getattr(self._answerer, name)


def test_an_unexpected_error_is_a_short_message_never_a_traceback(fake_bundled):
    import httpx
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    from qa.app.conversation import GENERIC_ERROR
    from qa.app.gradio_app import build_demo

    with serve(build_demo(FailingAnswerer(fake_bundled))) as url:
        with pytest.raises(AppError) as info:
            Client(url, verbose=False).predict("Who?", api_name="/ask")
        event = httpx.post(url + "gradio_api/call/ask", json={"data": ["Who?", None]}, timeout=10).json()
        stream = httpx.get(f"{url}gradio_api/call/ask/{event['event_id']}", timeout=30).text
    assert GENERIC_ERROR in str(info.value) and "event: error" in stream and GENERIC_ERROR in stream
    for text in (str(info.value), stream):
        assert "SECRET" not in text and "Traceback" not in text and "RuntimeError" not in text


def test_gradios_files_are_deleted_on_a_schedule(fake_bundled):
    import httpx

    from qa.app.gradio_app import TEMP_FILE_SCHEDULE, build_demo

    demo = build_demo(fake_bundled)
    assert demo.delete_cache == TEMP_FILE_SCHEDULE and all(TEMP_FILE_SCHEDULE)
    demo.delete_cache = (1, 1)     # the same mechanism, on a schedule a test can wait for
    with serve(demo) as url:
        path = httpx.post(url + "gradio_api/upload", files={"files": ("a.txt", b"temporary")}).json()[0]
        assert os.path.isfile(path)
        deadline = time.monotonic() + 30
        while os.path.exists(path) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not os.path.exists(path)
