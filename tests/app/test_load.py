"""Load: concurrent API users against real servers on 127.0.0.1; a full queue says "busy" at once."""

from __future__ import annotations

import concurrent.futures as cf
import threading
import time

import pytest

from qa.answering.answer import Answer
from tests.conftest import CORPUS
from tests.support.invariants import check_answer
from tests.support.load import QUESTION_MIX, is_busy, run_level
from tests.support.routes import raw
from tests.support.ui import SlowAnswerer, UIServer, serve

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("login", [False, True], ids=["open", "login"])
def test_concurrent_users_are_all_answered(bundled, bundled_index_dir, tmp_path, login):
    """Also with the log-in on (a QA_AUTH_FILE of scrypt hashes): every user logs in, then asks."""
    from qa.app.auth import hash_line

    env, auth = {"QA_CORPUS": CORPUS, "QA_INDEX": bundled_index_dir}, None
    if login:
        auth = ("load-user", "load-pw-123")
        (tmp_path / "users.txt").write_text(hash_line(*auth) + "\n", encoding="utf-8")
        env["QA_AUTH_FILE"] = tmp_path / "users.txt"
    with UIServer(env=env) as server:
        if login:
            assert raw(server.url, "GET", "/config")[0] == 401   # the log-in is really on
        result = run_level(server.url, users=4, requests_per_user=5, timeout_s=120, auth=auth)
    summary = result.summary()
    assert result.requests == 20, summary
    assert result.failed == 0 and result.busy == 0, summary
    assert result.ok == 20 and len(result.latencies_s) == 20
    assert summary["req_per_s"] > 0 and summary["p50_ms"] <= summary["p95_ms"]


def test_a_full_queue_gets_a_quick_busy_answer_and_the_rest_succeed(bundled):
    """One question at a time, one waiting: of 6 sent at once, the overflow is refused within
    moments (not after the ~6 s the queue would need) and the admitted ones are answered."""
    from gradio_client import Client

    from qa.app.gradio_app import build_demo

    delay, n = 1.0, 6
    demo = build_demo(SlowAnswerer(bundled, delay), concurrency=1, queue_size=1)
    assert demo._queue.max_size == 1
    with serve(demo) as url:
        clients = [Client(url, verbose=False) for _ in range(n)]
        barrier = threading.Barrier(n)

        def one(i):
            barrier.wait()
            t0 = time.perf_counter()
            try:
                answer = clients[i].submit(QUESTION_MIX[i % 3][0], api_name="/ask").result(timeout=60)
                check_answer(bundled, Answer.from_dict(answer))
                return "ok", time.perf_counter() - t0, ""
            except Exception as exc:  # noqa: BLE001
                return ("busy" if is_busy(exc) else "failed"), time.perf_counter() - t0, f"{type(exc).__name__}: {exc}"

        with cf.ThreadPoolExecutor(n) as pool:
            outcomes = list(pool.map(one, range(n), timeout=90))
        kinds = [k for k, _, _ in outcomes]
        assert "failed" not in kinds, outcomes
        assert kinds.count("busy") >= 1 and kinds.count("ok") >= 1, outcomes
        for kind, seconds, message in outcomes:
            if kind == "busy":
                assert seconds < 0.8 * n * delay, outcomes  # refused at once, not after waiting its turn
                assert "full" in message.lower(), message
        # the server is fine afterwards
        assert clients[0].predict("Who visited Pakistan in April?", api_name="/ask")["citations"]
        for c in clients:
            c.close()


def test_queue_and_concurrency_settings_reach_the_app(bundled, monkeypatch):
    from qa.app.gradio_app import build_demo

    monkeypatch.setenv("QA_CONCURRENCY", "3")
    monkeypatch.setenv("QA_QUEUE_SIZE", "5")
    demo = build_demo(bundled)
    assert demo._queue.max_size == 5
    ask_fns = [fn for fn in demo.fns.values() if fn.concurrency_id == "answerer"]
    assert len(ask_fns) >= 2  # the chat box (and example clicks) and the /ask API share one group
    assert {fn.name for fn in ask_fns} >= {"on_ask", "ask"}
    assert demo._queue.default_concurrency_limit == 3
