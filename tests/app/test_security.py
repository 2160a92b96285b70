"""The safety parts of the chat server, without a server: log-ins (qa.app.auth), the guard
middleware (qa.app.guard, on a tiny ASGI app), and the start-up decisions (qa.app.server).
The same things against a real `python ui.py` are in tests/app/test_security_server.py."""

from __future__ import annotations

import asyncio
import io
import socket

import pytest

from qa.app import auth, server
from qa.app.guard import CSP, UPLOADS_OFF, Guard
from qa.errors import ConfigError, ServerError
from qa.settings import Settings, variables
from tests.conftest import ROOT

SALT = b"0123456789abcdef"


# --- settings ---------------------------------------------------------------------------------

def test_security_settings_have_safe_defaults():
    s = Settings.from_env({})
    assert (s.uploads, s.auth, s.auth_file, s.allow_anonymous, s.root_path) == ("auto", "", None, False, "")
    assert s.max_upload_bytes == s.max_file_bytes
    assert Settings.from_env({"QA_MAX_FILE_BYTES": "5000"}).max_upload_bytes == 5000
    assert Settings.from_env({"QA_MAX_FILE_BYTES": "5000", "QA_MAX_UPLOAD_BYTES": "7"}).max_upload_bytes == 7
    rows = {v.name: v for v in variables()}
    assert rows["QA_MAX_UPLOAD_BYTES"].default == "as QA_MAX_FILE_BYTES"
    with pytest.raises(ConfigError, match="QA_UPLOADS is 'maybe'; expected one of auto, on, off"):
        Settings.from_env({"QA_UPLOADS": "maybe"})


def test_the_password_never_shows_in_the_settings():
    s = Settings.from_env({"QA_AUTH": "alice:hunter2-secret"})
    assert s.auth == "alice:hunter2-secret"
    assert "hunter2" not in repr(s) and "hunter2" not in str(s)


def test_gradio_server_variables_are_honoured_when_qa_ones_are_unset():
    assert Settings.from_env({"GRADIO_SERVER_PORT": "8123"}).port == 8123
    assert Settings.from_env({"GRADIO_SERVER_PORT": "8123", "QA_PORT": "9000"}).port == 9000
    assert Settings.from_env({"GRADIO_SERVER_NAME": "0.0.0.0"}).host == "0.0.0.0"
    with pytest.raises(ConfigError, match="^GRADIO_SERVER_PORT is 'x'; expected a whole number"):
        Settings.from_env({"GRADIO_SERVER_PORT": "x"})


# --- log-ins ----------------------------------------------------------------------------------

def test_a_hash_line_round_trips_and_checks_the_password():
    line = auth.hash_line("alice", "s3cret", salt=SALT)
    user, _, hashed = line.partition(":")
    assert user == "alice" and hashed.startswith("scrypt$16384$8$1$")
    assert str(auth.Password.parse(hashed)) == hashed
    assert auth.hash_line("alice", "s3cret", salt=SALT) == line       # deterministic for a given salt
    assert auth.hash_line("alice", "s3cret") != line                  # a fresh salt otherwise
    users = auth.parse_auth_file(f"# team\n\n{line}\nbob:{auth.Password.hash('pw2')}\n", "users.txt")
    assert users["alice"].matches("s3cret") and not users["alice"].matches("s3cret ")
    assert users["bob"].matches("pw2") and not users["bob"].matches("s3cret")
    assert "s3cret" not in repr(users) and "scrypt" in repr(users["alice"])


@pytest.mark.parametrize("line, words", [
    ("alice", "line 1 has no ':'"),
    ("alice:s3cret", "line 1 (alice): the hash is not of the form"),
    ("alice:scrypt$16384$8$1$AAAA", "the hash is not of the form"),
    ("alice:scrypt$1000$8$1$MDEyMzQ1Njc4OWFiY2RlZg$MDEyMzQ1Njc4OWFiY2RlZg", "N must be a power of 2"),
    ("alice:scrypt$16384$x$1$MDEy$MDEy", "whole numbers"),
    ("al ice:scrypt$16384$8$1$MDEy$MDEy", "user name"),
])
def test_a_bad_auth_file_line_says_which_and_why_without_the_secret(line, words):
    with pytest.raises(ConfigError) as info:
        auth.parse_auth_file(line, "users.txt")
    message = str(info.value)
    assert message.startswith("QA_AUTH_FILE users.txt line 1") and words in message
    assert "s3cret" not in message and "\n" not in message


@pytest.mark.parametrize("value, words", [
    ("hunter2", "entry 1 has no ':'"),
    ("alice:hunter2,hunter2", "entry 2 has no ':'"),
    ("alice:", "entry 1 (alice) has an empty password"),
    (":hunter2", "entry 1's user name is ''"),
    ("alice:hunter2,alice:hunter2", "names user 'alice' twice"),
])
def test_a_bad_qa_auth_names_the_entry_never_the_password(value, words):
    with pytest.raises(ConfigError) as info:
        auth.parse_auth(value)
    assert words in str(info.value) and "hunter2" not in str(info.value)


def test_logins_come_from_both_variables(tmp_path):
    f = tmp_path / "users.txt"
    f.write_text(auth.hash_line("bob", "pw2") + "\n", encoding="utf-8")
    users = auth.load_users(Settings.from_env({"QA_AUTH": "alice:pw1", "QA_AUTH_FILE": str(f)}))
    assert sorted(users) == ["alice", "bob"]
    assert users["alice"].matches("pw1") and users["bob"].matches("pw2")
    assert auth.load_users(Settings.from_env({})) == {}
    with pytest.raises(ConfigError, match="'bob' is in both QA_AUTH and QA_AUTH_FILE"):
        auth.load_users(Settings.from_env({"QA_AUTH": "bob:x", "QA_AUTH_FILE": str(f)}))
    with pytest.raises(ConfigError, match="cannot be read"):
        auth.load_users(Settings.from_env({"QA_AUTH_FILE": str(tmp_path / "missing.txt")}))
    (tmp_path / "empty.txt").write_text("# nobody\n")
    with pytest.raises(ConfigError, match="holds no log-in"):
        auth.load_users(Settings.from_env({"QA_AUTH_FILE": str(tmp_path / "empty.txt")}))


def test_the_verifier_is_async_and_refuses_unknown_users():
    check = auth.verifier({"alice": auth.Password.hash("s3cret"), "bob": auth.Password(plain="pw2")})
    assert asyncio.iscoroutinefunction(check)

    async def run():
        return [await check(u, p) for u, p in [("alice", "s3cret"), ("alice", "nope"), ("bob", "pw2"),
                                                 ("bob", "pw3"), ("carol", "s3cret"), ("alice", None)]]

    assert asyncio.run(run()) == [True, False, True, False, False, False]


def test_the_hash_command_prints_a_line_that_verifies(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse\n"))
    assert auth.main(["alice"]) == 0
    line = capsys.readouterr().out.strip()
    users = auth.parse_auth_file(line, "-")
    assert users["alice"].matches("correct horse")
    assert auth.main([]) == 2 and "usage" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert auth.main(["alice"]) == 2 and "empty" in capsys.readouterr().err


# --- where the server listens -----------------------------------------------------------------

def test_loopback_addresses():
    assert all(server.is_loopback(h) for h in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"))
    assert not any(server.is_loopback(h) for h in ("0.0.0.0", "::", "", " ", "192.168.1.5", "no-such-host.invalid"))


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5"])
def test_no_login_beyond_loopback_refuses_to_start_in_one_line(host):
    with pytest.raises(ConfigError) as info:
        server.plan(Settings.from_env({"QA_HOST": host}))
    message = str(info.value)
    assert "\n" not in message and host in message
    assert "QA_AUTH" in message and "QA_ALLOW_ANONYMOUS=1" in message and "share" in message


def test_a_login_or_the_explicit_opt_out_lets_it_start():
    with_login = server.plan(Settings.from_env({"QA_HOST": "0.0.0.0", "QA_AUTH": "alice:pw"}))
    assert with_login.auth is not None and not with_login.uploads       # auto: uploads only on loopback
    anonymous = server.plan(Settings.from_env({"QA_HOST": "0.0.0.0", "QA_ALLOW_ANONYMOUS": "1"}))
    assert anonymous.auth is None and not anonymous.uploads
    local = server.plan(Settings.from_env({}))
    assert local.auth is None and local.uploads
    assert not server.plan(Settings.from_env({"QA_UPLOADS": "off"})).uploads
    assert server.uploads_on(Settings.from_env({"QA_HOST": "localhost"}))
    assert not server.uploads_on(Settings.from_env({"QA_HOST": "0.0.0.0"}))
    assert server.plan(Settings.from_env({"QA_HOST": "0.0.0.0", "QA_AUTH": "a:b", "QA_UPLOADS": "on"})).uploads


def test_gradio_allowed_paths_is_refused(monkeypatch):
    monkeypatch.setenv("GRADIO_ALLOWED_PATHS", "/etc")
    with pytest.raises(ConfigError, match="GRADIO_ALLOWED_PATHS is set"):
        server.plan(Settings.from_env({}))


def test_a_busy_port_is_one_line_naming_qa_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(ServerError) as info:
            server.check_address("127.0.0.1", port)
    assert str(info.value) == f"Port {port} on 127.0.0.1 is already in use. Set QA_PORT to a free port."
    with pytest.raises(ServerError, match="no such host name. Set QA_HOST"):
        server.check_address("no-such-host.invalid", port)
    server.check_address("127.0.0.1", port)   # free again: no error


def test_launch_arguments_are_fresh_and_never_share(monkeypatch):
    pytest.importorskip("gradio")
    monkeypatch.setenv("GRADIO_SHARE", "True")
    monkeypatch.setenv("GRADIO_MCP_SERVER", "True")
    plan = server.ServerPlan(host="127.0.0.1", port=7860, uploads=False, max_upload_bytes=1000,
                             blocked=("/srv/corpus",))
    first, second = server.launch_kwargs(plan), server.launch_kwargs(plan)
    assert first["app_kwargs"] is not second["app_kwargs"]
    assert first["app_kwargs"]["middleware"] is not second["app_kwargs"]["middleware"]
    assert (first["share"], first["show_error"], first["debug"], first["mcp_server"]) == (False, False, False, False)
    assert first["enable_monitoring"] is False and first["app_kwargs"]["openapi_url"] is None
    assert first["max_file_size"] == 1000 and first["blocked_paths"] == ["/srv/corpus"]
    assert first["auth"] is None and first["server_name"] == "127.0.0.1" and first["server_port"] == 7860
    assert first["app_kwargs"]["middleware"][0].kwargs["upload_limit"] is None
    assert first["root_path"] is None       # unset: Gradio's own GRADIO_ROOT_PATH still applies
    proxied = server.ServerPlan(host="127.0.0.1", port=7860, root_path="/qa", max_upload_bytes=1000)
    assert server.launch_kwargs(proxied)["root_path"] == "/qa"
    assert server.summary(proxied) == ("Running on http://127.0.0.1:7860/ (no log-in; uploads up to 1,000 bytes "
                                       "a file; served as /qa behind the proxy)")
    assert proxied.upload_limit == 10 * 1000 + 64 * 1024


# --- the guard --------------------------------------------------------------------------------

async def _ok_app(scope, receive, send):
    """Reads the whole body and answers 200 with its length."""
    size = 0
    while True:
        message = await receive()
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"x-frame-options", b"SAMEORIGIN")]})
    await send({"type": "http.response.body", "body": str(size).encode()})


def _client(**guard):
    testclient = pytest.importorskip("starlette.testclient")
    return testclient.TestClient(Guard(_ok_app, **guard), base_url="http://127.0.0.1")


def test_uploads_off_refuses_every_upload_route_and_any_multipart_body():
    c = _client(upload_limit=None)
    for path in ["/gradio_api/upload", "//gradio_api//upload/", "/gradio_api/component_server",
                 "/gradio_api/process_recording", "/gradio_api/queue/join"]:
        r = c.post(path, files={"files": ("a.txt", b"hello")})
        assert r.status_code == 403 and r.text in (UPLOADS_OFF, "This server does not take recordings."), path
    assert c.post("/gradio_api/upload", content=b"x").status_code == 403
    assert c.post("/login", files={"username": (None, "a"), "password": (None, "b")}).status_code == 200
    assert c.post("/gradio_api/queue/join", json={"data": []}).status_code == 200


def test_uploads_on_are_capped_before_the_body_is_read():
    c = _client(upload_limit=1000, body_limit=200)
    assert c.post("/gradio_api/upload", files={"files": ("a.txt", b"x" * 500)}).status_code == 200
    big = c.post("/gradio_api/upload", files={"files": ("a.txt", b"x" * 2000)})
    assert big.status_code == 413 and "1,000 bytes" in big.text
    assert c.post("/gradio_api/queue/join", content=b"x" * 300).status_code == 413
    assert c.post("/gradio_api/queue/join", content=b"x" * 100).text == "100"
    chunked = c.post("/gradio_api/upload", content=iter([b"x" * 10, b"y" * 10]))
    assert chunked.status_code == 411
    assert c.post("/gradio_api/process_recording", files={"f": ("a.mp4", b"x")}).status_code == 403


def test_every_response_carries_the_security_headers():
    c = _client(upload_limit=None)
    for r in (c.get("/"), c.post("/gradio_api/upload", content=b"x")):
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["content-security-policy"] == CSP
        assert r.headers["referrer-policy"] == "no-referrer"
    assert c.get("/").headers.get_list("x-frame-options") == ["SAMEORIGIN"]   # a handler's own value is kept
    assert "frame-ancestors 'none'" in CSP and "http" not in CSP            # no other origin is allowed


def test_the_guard_module_and_the_server_module_stay_free_of_gradio():
    import subprocess
    import sys

    code = "import sys, qa.app.server, qa.app.guard, qa.app.auth; print('gradio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=str(ROOT))
    assert out.stdout.strip() == "False", out.stderr
