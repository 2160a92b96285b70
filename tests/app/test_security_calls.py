"""The API's call checks (qa.app.calls), the upload watch and the log-in page (qa.app.guard),
without a server; the same against a real `python ui.py`: tests/app/test_security_server.py and
tests/app/test_security_login.py."""

from __future__ import annotations

import asyncio

import pytest


def _calls(tmp_path):
    from qa.app.calls import ApiCalls, Endpoint

    ask = Endpoint("ask", ("question", "history"), (None,))
    add = Endpoint("add_documents", ("files",), (), ("multiple",))
    return ApiCalls({"ask": ask, "add_documents": add}, {6: ask, 10: add}, tmp_path)


def test_api_calls_are_checked_and_optional_values_filled_in(tmp_path):
    import json

    calls = _calls(tmp_path)
    assert calls.applies("POST", "/qa/gradio_api/call/ask") and calls.applies("POST", "/gradio_api/queue/join")
    assert not calls.applies("GET", "/gradio_api/call/ask/123") and not calls.applies("POST", "/gradio_api/upload")
    assert json.loads(calls.check("/gradio_api/call/ask", b'{"data": ["Who?"]}')) == {"data": ["Who?", None]}
    assert calls.check("/gradio_api/call/ask", b'{"data": ["Who?", []]}') is None
    assert calls.check("/gradio_api/run/ask", b'{"data": []}') == (
        422, "/ask takes [question, history] (history may be left out); got 0 values.")
    assert calls.check("/gradio_api/call/nope", b'{"data": []}') == (
        404, "There is no API endpoint /nope on this server; the endpoints are /add_documents, /ask.")
    assert calls.check("/gradio_api/run/predict", b'{"fn_index": 6, "data": ["Who?", []]}') is None   # the page's way
    assert calls.check("/gradio_api/queue/join", b'{"fn_index": 99, "data": []}')[0] == 404
    assert calls.check("/gradio_api/call/ask", b"{not json") is None          # Gradio's own 422


def test_api_calls_take_only_files_uploaded_to_the_server(tmp_path):
    import json

    calls = _calls(tmp_path / "uploads")
    (tmp_path / "uploads" / "abc").mkdir(parents=True)
    (tmp_path / "uploads" / "abc" / "a.txt").write_text("x")
    (tmp_path / "uploads" / "link.txt").symlink_to(tmp_path / "secret.txt")

    def add(*files):
        return calls.check("/gradio_api/call/add_documents", json.dumps({"data": [list(files)]}).encode())

    def file(path):
        return {"path": str(path), "meta": {"_type": "gradio.FileData"}}

    assert add(file(tmp_path / "uploads" / "abc" / "a.txt")) is None
    for bad in (file("/etc/passwd"), file(tmp_path / "uploads" / "link.txt"), file(tmp_path / "uploads" / ".." / "x")):
        status, message = add(bad)
        assert status == 403 and "was not uploaded here" in message and "POST /gradio_api/upload" in message
    for bad in ("/etc/passwd", {"path": "/etc/passwd"}, {"path": 1, "meta": {"_type": "gradio.FileData"}}):
        status, message = add(bad)
        assert status == 422 and message.startswith("/add_documents takes files uploaded to this server first")
    body = json.dumps({"fn_index": 10, "data": [[file("/etc/passwd")]]}).encode()
    assert calls.check("/gradio_api/queue/join", body)[0] == 403


def test_api_checks_wait_for_gradios_log_in():
    from types import SimpleNamespace

    from qa.app.calls import ApiCalls

    assert ApiCalls.let_in({"headers": []})                          # no app, no log-in: checked
    app = SimpleNamespace(auth=object(), auth_dependency=None, cookie_id="c1", tokens={"tok": "alice"})
    assert not ApiCalls.let_in({"app": app, "headers": []})         # Gradio answers 401 itself
    assert not ApiCalls.let_in({"app": app, "headers": [(b"cookie", b"access-token-c1=guess")]})
    assert ApiCalls.let_in({"app": app, "headers": [(b"cookie", b"a=b; access-token-c1=tok")]})


def _upload_messages(body: bytes, sizes):
    out, at = [], 0
    for n in sizes:
        out.append({"type": "http.request", "body": body[at:at + n], "more_body": True})
        at += n
    return out


@pytest.mark.parametrize("files, cut, error", [(2, True, "cut short"), (11, False, "at most 10 files"),
                                                (10, False, None)])
def test_the_upload_watch_turns_a_cut_or_crowded_body_into_a_parse_error(files, cut, error):
    from starlette.formparsers import MultiPartException

    from qa.app.guard import UploadWatch

    parts = b"".join(b'--b\r\nContent-Disposition: form-data; name="files"; filename="f%d.txt"\r\n\r\nhello\r\n' % i
                     for i in range(files)) + b"--b--\r\n"
    messages = _upload_messages(parts, [50] * (len(parts) // 50 + 1))
    messages[-1]["more_body"] = cut
    messages.append({"type": "http.disconnect"})

    async def receive():
        return messages.pop(0)

    async def drain():
        watch = UploadWatch(receive, b"multipart/form-data; boundary=b", 10)
        while (await watch())["type"] != "http.disconnect":
            pass

    if error is None:
        asyncio.run(drain())
    else:
        with pytest.raises(MultiPartException, match=error):
            asyncio.run(drain())


def test_the_login_page_loses_the_api_description_and_no_other_page_does():
    from qa.app.guard import login_page

    info = b'<script>window.gradio_api_info = {"named_endpoints": {"/ask": {}}};</script>'
    login = b'<script>window.gradio_config = {"auth_required": true, "components": []};</script>' + info
    app = b'<script>window.gradio_config = {"components": [1]};</script>' + info
    assert b"/ask" not in login_page(login) and b'"named_endpoints": {}' in login_page(login)
    assert login_page(app) == app and login_page(b"<p>x</p>") == b"<p>x</p>"
