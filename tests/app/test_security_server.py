"""The route audit and the limits, against a real `python ui.py` on 127.0.0.1 (no log-in, uploads on).

The routes come from the running server (tests/support/routes.py runs ui.py unchanged and
reads ``demo.app`` once it listens); every one must be in the checked-in table ``CLASSES``.
Every route that takes a path or a file name is probed with traversal; the corpus, a file
outside it that a link in it points to, and the index must never come back except as the
passages of an answer. The log-in, uploads off and refusals to start: test_security_login.py."""

from __future__ import annotations

import json
import socket
import time
import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from qa.app.guard import CSP
from tests.conftest import ROOT
from tests.support.routes import CLASSES, MARKER, OUTSIDE, PATH_PARAMS, fill, raw, ui_server, wait_for_routes

pytestmark = pytest.mark.slow

MAX_UPLOAD = 4096

@pytest.fixture(scope="module")
def site(security_site):
    return security_site


@pytest.fixture(scope="module")
def server(site):
    temp, tmpdir = site.root / "gradio-temp", site.root / "tmp"
    temp.mkdir()
    tmpdir.mkdir()
    s = ui_server(site, "open", {"GRADIO_TEMP_DIR": temp, "TMPDIR": tmpdir, "QA_MAX_UPLOAD_BYTES": MAX_UPLOAD})
    with s:
        s.routes = wait_for_routes(s.report)
        s.temp, s.tmpdir = temp, tmpdir
        (temp / "planted.md").symlink_to(site.corpus / "harbour.md")   # a link in Gradio's own folder
        yield s


def files_under(folder: Path) -> set[str]:
    """The files (not links, not folders) under ``folder``."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and not p.is_symlink()}


def secrets_of(site) -> list[bytes]:
    """Bytes that must not come back: the corpus fact, the outside file, the index (its manifest and
    CURRENT's content as a line), /etc/passwd, the environment. (A refusal may echo the path asked for.)"""
    current = (site.index / "CURRENT").read_bytes()
    return [MARKER.encode(), OUTSIDE.encode(), b"qa-index", b"format_version", current, b"root:x:0:0",
            b"HF_HUB_OFFLINE", b"harbour master"]


def probes(site, server) -> list[str]:
    """Traversal attempts at the corpus, a file outside it, the index and system files."""
    gen = (site.index / "CURRENT").read_text().strip()
    rel = os.path.relpath(site.corpus / "harbour.md", ROOT)
    targets = [str(site.corpus / "harbour.md"), str(site.corpus / "leak.md"), str(site.outside),
               str(site.index / "CURRENT"), str(site.index / gen / "manifest.json"),
               str(site.index / gen / "documents.json"), str(server.temp / "planted.md"), "/etc/passwd",
               "/proc/self/environ"]
    encoded = [t.replace("/", "%2F") for t in targets]
    climbs = ["../" * 12 + t.lstrip("/") for t in targets] + ["..%2F" * 12 + t.lstrip("/") for t in targets]
    dotted = ["%2e%2e/" * 12 + "etc/passwd", "%2E%2E%2F" * 12 + "etc/passwd", "....//" * 12 + "etc/passwd",
              "..\\..\\..\\etc\\passwd", rel, "./" + rel, "file://" + str(site.corpus / "harbour.md"),
              "docs/harbour.md", "index/CURRENT", "ui.py", "../ui.py"]
    return targets + encoded + climbs + dotted


def test_every_route_is_classified(server):
    seen = {(m, p) for m, p, _ in server.routes}
    assert len(seen) > 40, server.routes     # the app's whole route table, not a stub
    missing = sorted(seen - CLASSES.keys())
    assert not missing, f"classify these routes in tests/support/routes.py CLASSES: {missing}"


def test_path_routes_refuse_traversal_and_leak_nothing(server, site):
    path_routes = [(m, p) for m, p, params in server.routes if PATH_PARAMS & set(params)]
    assert {CLASSES[r] for r in path_routes} <= {"static", "file"}
    assert ("GET", "/gradio_api/file={path_or_url:path}") in path_routes
    bad = []
    for method, pattern in path_routes:
        for probe in probes(site, server):
            status, body, _ = raw(server.url, method, fill(pattern, probe))
            leaked = [s for s in secrets_of(site) if s in body]
            if status not in (400, 403, 404, 422) or leaked:
                bad.append((pattern, probe, status, leaked))
    assert not bad, bad[:10]


def test_corpus_and_index_come_back_only_as_answer_passages(server, site):
    for method, pattern, _ in server.routes:
        if method != "GET" or CLASSES[(method, pattern)] == "off":
            continue
        status, body, _ = raw(server.url, "GET", fill(pattern), timeout=2)
        leaked = [s for s in secrets_of(site) if s in body]
        assert not leaked, (pattern, status, leaked)
    from gradio_client import Client

    answer = Client(server.url, verbose=False).predict("What gate code does the harbour master keep?",
                                                       api_name="/ask")
    assert any(MARKER in p["text"] for p in answer["passages"])
    assert OUTSIDE not in json.dumps(answer)


def test_switched_off_routes_answer_4xx(server):
    off = [(m, p) for m, p, _ in server.routes if CLASSES[(m, p)] == "off"]
    assert ("GET", "/monitoring") in off and ("POST", "/gradio_api/process_recording") in off
    for method, pattern in off:
        status, _, _ = raw(server.url, method, fill(pattern), body=b"{}" if method == "POST" else None,
                           headers={"content-type": "application/json"} if method == "POST" else None)
        assert 400 <= status < 500, (method, pattern, status)
    assert raw(server.url, "GET", "/openapi.json")[0] == 404


def test_every_kind_of_response_carries_the_security_headers(server):
    page = raw(server.url, "GET", "/")
    asset = re.search(r"/assets/[\w.-]+\.(?:css|js)", page[1].decode("utf-8", "replace"))
    assert asset, "the page names no asset"
    responses = [page, raw(server.url, "GET", asset.group(0)), raw(server.url, "GET", "/config"),
                 raw(server.url, "GET", "/no-such-page"), raw(server.url, "GET", "/gradio_api/file=/etc/passwd"),
                 raw(server.url, "GET", "/gradio_api/queue/data?session_hash=x", timeout=1),
                 raw(server.url, "POST", "/gradio_api/upload", body=b"x" * 10, headers={"content-type": "text/plain"})]
    for status, _, headers in responses:
        assert headers["x-content-type-options"] == "nosniff", status
        assert headers["content-security-policy"] == CSP, status
        assert headers["x-frame-options"] == "DENY" and headers["referrer-policy"] == "no-referrer"


def upload(url: str, name: str, data: bytes):
    import httpx

    return httpx.post(url + "gradio_api/upload", files={"files": (name, data)}, timeout=30)


def test_an_oversize_upload_is_refused_and_leaves_nothing_on_disk(server):
    before, before_tmp = files_under(server.temp), files_under(server.tmpdir)
    over_file = upload(server.url, "big.txt", b"a" * (MAX_UPLOAD + 1))          # Gradio's per-file limit
    assert over_file.status_code == 413 and f"{MAX_UPLOAD} bytes" in over_file.text
    over_body = upload(server.url, "huge.txt", b"b" * (MAX_UPLOAD * 40))        # the guard's per-request cap
    assert over_body.status_code == 413 and "over the limit" in over_body.text
    assert files_under(server.temp) == before and files_under(server.tmpdir) == before_tmp
    ok = upload(server.url, "small.txt", b"c" * MAX_UPLOAD)
    assert ok.status_code == 200
    stored = Path(ok.json()[0])
    assert stored.is_relative_to(server.temp) and stored.read_bytes() == b"c" * MAX_UPLOAD


def test_bad_requests_get_short_answers_never_a_traceback(server):
    import httpx

    attempts = [
        httpx.post(server.url + "gradio_api/queue/join", content=b"{not json", timeout=10),
        httpx.post(server.url + "gradio_api/call/ask", json={"data": [{"q": 1}, "not a history"]}, timeout=10),
        httpx.post(server.url + "gradio_api/call/ask", json={"data": ["Who?", [[1, 2, 3]] * 5]}, timeout=10),
        httpx.post(server.url + "gradio_api/run/ask", json={"data": [None]}, timeout=10),
        httpx.get(server.url + "gradio_api/file=" + str(server.temp / "planted.md"), timeout=10),
    ]
    bodies = [r.text for r in attempts]
    for r in attempts[1:3]:
        event = r.json()["event_id"]
        bodies.append(httpx.get(f"{server.url}gradio_api/call/ask/{event}", timeout=30).text)
    assert "event: error" in bodies[-1] or "event: error" in bodies[-2]
    for body in bodies:
        assert "Traceback" not in body and 'File "' not in body and len(body) < 2000, body[:300]
    assert upload(server.url, "after.txt", b"still up").status_code == 200


def call(url: str, api_name: str, data: list, client=None) -> str:
    """The event stream's text of a raw ``/gradio_api/call/<api_name>`` (no gradio_client checks)."""
    import httpx

    c = client or httpx.Client(timeout=60)
    r = c.post(f"{url}gradio_api/call/{api_name}", json={"data": data})
    if r.status_code != 200:
        return f"status {r.status_code}: {r.text}"
    return c.get(f"{url}gradio_api/call/{api_name}/{r.json()['event_id']}").text


def test_the_documents_panel_takes_only_files_uploaded_to_it(server, site):
    """Uploads are on (loopback): the page has the drop zone and Remove; /add_documents takes files
    Gradio stored from an upload, never a path of the server's own (a system file, a link planted
    in Gradio's folder that leads into the corpus), and nothing is added or leaks."""
    import httpx

    ids = {c.get("props", {}).get("elem_id") for c in httpx.get(server.url + "config", timeout=10).json()["components"]}
    assert {"qa-drop", "qa-docs-remove", "qa-docs-table"} <= ids
    before = sorted(p.name for p in site.corpus.iterdir())
    for path in ("/etc/passwd", str(server.temp / "planted.md"), str(site.corpus / "harbour.md")):
        body = call(server.url, "add_documents", [[{"path": path, "meta": {"_type": "gradio.FileData"}}]])
        assert '"added": ["' not in body and "Traceback" not in body, body[:300]
        assert not any(s in body.encode() for s in secrets_of(site)), body[:300]
    assert sorted(p.name for p in site.corpus.iterdir()) == before


def _output_after(server, mark: int) -> str:
    return server.output(10 ** 8)[mark:]


def _wait(condition, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


def test_an_upload_cut_short_leaves_no_temporary_file(server):
    before, mark = files_under(server.temp), len(server.output(10 ** 8))
    boundary = "qa-cut-short"
    part = (f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="cut.txt"\r\n'
            "Content-Type: text/plain\r\n\r\n").encode() + b"x" * 1500
    head = (f"POST /gradio_api/upload HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {len(part) + 2000}\r\n\r\n")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head.encode() + part)
        assert _wait(lambda: files_under(server.temp) - before), "the upload never began a temporary file"
    # the client is gone, 2,000 bytes short of what it announced
    assert _wait(lambda: not files_under(server.temp) - before), files_under(server.temp) - before
    assert "Traceback" not in _output_after(server, mark)


def test_one_upload_takes_at_most_the_documented_number_of_files(server):
    import httpx

    from qa.app.server import FILES_PER_UPLOAD

    before = files_under(server.temp)
    many = [("files", (f"f{i}.txt", b"file %d" % i)) for i in range(FILES_PER_UPLOAD + 1)]
    r = httpx.post(server.url + "gradio_api/upload", files=many, timeout=30)
    assert r.status_code == 400 and f"One upload takes at most {FILES_PER_UPLOAD} files" in r.text, r.text
    assert files_under(server.temp) == before          # the files it began are gone too
    r = httpx.post(server.url + "gradio_api/upload", files=many[:FILES_PER_UPLOAD], timeout=30)
    assert r.status_code == 200 and len(r.json()) == FILES_PER_UPLOAD


def test_api_refusals_are_a_4xx_saying_what_is_allowed_with_no_traceback(server, site):
    import httpx

    mark = len(server.output(10 ** 8))

    def post(name, data):
        return httpx.post(f"{server.url}gradio_api/call/{name}", json={"data": data}, timeout=30)

    local = {"path": str(site.corpus / "harbour.md"), "meta": {"_type": "gradio.FileData"}}
    r = post("add_documents", [[local]])
    assert r.status_code == 403 and "was not uploaded here" in r.text and "POST /gradio_api/upload" in r.text
    r = post("add_documents", [["/etc/passwd"]])
    assert r.status_code == 422 and '{"path": <a path POST /gradio_api/upload returned>' in r.text
    r = post("ask", [])
    assert r.status_code == 422 and r.text == "/ask takes [question, history] (history may be left out); got 0 values."
    r = post("nope", ["x"])
    assert r.status_code == 404 and "There is no API endpoint /nope" in r.text and "/ask" in r.text
    r = post("ask", ["What gate code does the harbour master keep?"])      # history left out: it is optional
    assert r.status_code == 200
    stream = httpx.get(f"{server.url}gradio_api/call/ask/{r.json()['event_id']}", timeout=60).text
    assert "event: complete" in stream and MARKER in stream
    assert "Traceback" not in _output_after(server, mark)
    assert (site.corpus / "harbour.md").is_file() and not (site.corpus / "passwd").exists()


def test_zz_shutdown_deletes_gradios_files(server):
    """Last in this module: SIGTERM stops the server, with a client still connected (as a browser
    tab would be), and the temporary files go with it."""
    from gradio_client import Client

    ok = upload(server.url, "to-delete.txt", b"bye")
    stored = Path(ok.json()[0])
    assert stored.is_file()
    client = Client(server.url, verbose=False)     # keeps a heartbeat stream open
    assert client.predict("What do crows use?", api_name="/ask")["citations"]
    server.stop()
    assert server.proc.returncode == 0, server.output()
    assert not stored.exists()
    assert not files_under(server.temp)
