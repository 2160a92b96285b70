"""Starting the chat window like a Python tool: ``qa ui`` from any folder, where it listens
(options, QA_HOST/QA_PORT, then Gradio's GRADIO_SERVER_NAME/GRADIO_SERVER_PORT), and a busy
port as one line naming the variable to set."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from qa.app.launch import examples_for, listen_address
from qa.errors import ConfigError
from tests.conftest import CORPUS, ROOT
from tests.support.ui import free_port


@pytest.mark.parametrize("kwargs, env, expected", [
    ({}, {}, ("127.0.0.1", 7860)),
    ({}, {"GRADIO_SERVER_PORT": "8001", "GRADIO_SERVER_NAME": "0.0.0.0"}, ("0.0.0.0", 8001)),
    ({}, {"GRADIO_SERVER_PORT": "8001", "QA_PORT": "8002", "GRADIO_SERVER_NAME": "x", "QA_HOST": "y"}, ("y", 8002)),
    ({"host": "h", "port": 9000}, {"QA_PORT": "8002", "QA_HOST": "y"}, ("h", 9000)),
])
def test_listen_address_precedence(kwargs, env, expected):
    assert listen_address(**kwargs, environ=env) == expected


@pytest.mark.parametrize("env, name", [({"GRADIO_SERVER_PORT": "http"}, "GRADIO_SERVER_PORT"),
                                       ({"QA_PORT": "99999", "GRADIO_SERVER_PORT": "80"}, "QA_PORT")])
def test_a_bad_port_variable_is_named(env, name):
    with pytest.raises(ConfigError, match=name):
        listen_address(environ=env)


def run_qa(*args, env=None, cwd=None, timeout=120):
    environ = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "qa", *args], capture_output=True, text=True, env=environ,
                          cwd=cwd, timeout=timeout)


@pytest.mark.parametrize("how", ["option", "QA_PORT", "GRADIO_SERVER_PORT"])
def test_a_busy_port_is_one_line_naming_the_variable(tmp_path, how):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        args, env = (["--port", port], {}) if how == "option" else ([], {how: port, "QA_PORT": "" if how != "QA_PORT"
                                                                        else port})
        done = run_qa("ui", "--corpus", str(tmp_path / "nowhere"), *args, env=env, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr == f"Error: Port {port} on 127.0.0.1 is already in use. Set QA_PORT to a free port.\n"
    assert not (tmp_path / "index").exists()   # refused before anything was loaded


def test_examples_only_for_the_bundled_article(fake_bundled, xss_bot):
    assert examples_for(fake_bundled) and examples_for(xss_bot) == []


@pytest.mark.slow
def test_qa_ui_serves_the_chat_from_any_folder(tmp_path, bundled, bundled_index_dir):
    """``python -m qa ui`` started in an unrelated folder: page 200, then stopped."""
    port = free_port()
    log = open(tmp_path / "ui.log", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "qa", "ui", "--corpus", str(CORPUS), "--index",
                             str(bundled_index_dir), "--port", str(port)], cwd=tmp_path, stdout=log,
                            stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            start_new_session=True)
    try:
        deadline, status = time.time() + 240, None
        while time.time() < deadline and proc.poll() is None and status is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    status = r.status
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        log.seek(0)
        output = log.read()
        assert status == 200, output
        assert "Loading" in output and "Loading weights" not in output and "AVX512" not in output
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(30)
        log.close()
