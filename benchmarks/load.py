"""Load test of the chat server: N concurrent API users against a real ``python ui.py``.

Starts ``ui.py`` on a free port of 127.0.0.1 (nothing else is contacted), then, for
each number of users, runs that many ``gradio_client`` users at once, each asking
``--requests`` questions from a mix (answerable, follow-up with history,
unanswerable) through the ``/ask`` endpoint, and reports throughput and latency::

    .venv/bin/python benchmarks/load.py                        # 1, 4 and 8 users x 25 questions
    .venv/bin/python benchmarks/load.py --users 1,2,16 --requests 10 --json benchmarks/results/load.json
    QA_CONCURRENCY=1 .venv/bin/python benchmarks/load.py       # server settings pass through the environment

Every run is bounded: ``--requests`` per user and ``--level-timeout`` seconds per
level (unfinished requests count as failed). A request refused because the queue
is full counts as "busy", apart from failures.

The pieces are importable: :class:`UIServer` (``python ui.py`` in a subprocess on a
free port) and :func:`run_level` are used by ``tests/test_load.py``.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import machine_info, machine_line, percentile, table, write_json  # noqa: E402

# (question, history) pairs for the bundled corpus: answerable, follow-up, unanswerable.
QUESTION_MIX: list[tuple[str, list | None]] = [
    ("When did Iran launch its missile strike on Pakistan?", None),
    ("Which three border points facilitate commerce?", None),
    ("What is the Zeynabiyoun Brigade?", None),
    ("When was it formally organized?",
     [["What is the Zeynabiyoun Brigade?", "Iran's recruitment of Pakistani Shias for the Zeynabiyoun Brigade, "
                                           "named after the Sayyida Zeynab shrine in Syria. [1]"]]),
    ("How many agreements did Iran and Pakistan sign during Raisi's visit?", None),
    ("Who visited Pakistan in April?", None),
    ("What is the boiling point of liquid nitrogen?", None),
    ("Who won the football World Cup in 1998?", None),
]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class UIServer:
    """``python ui.py`` in a subprocess on 127.0.0.1 and a free port; a context manager.

        with UIServer(env={"QA_INDEX": "/tmp/idx"}) as server:
            Client(server.url).predict("...", api_name="/ask")

    ``env`` adds to this process's environment. Start-up waits until ``GET /`` answers
    200 (or raises ``RuntimeError`` with the end of the server's output)."""

    def __init__(self, env: dict | None = None, *, port: int | None = None, timeout: float = 240.0,
                 ui_path: Path = ROOT / "ui.py"):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.timeout = timeout
        self.ui_path = Path(ui_path)
        self.env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                    "GRADIO_ANALYTICS_ENABLED": "False",
                    **{k: str(v) for k, v in (env or {}).items()}, "QA_HOST": "127.0.0.1", "QA_PORT": str(self.port)}
        self.proc: subprocess.Popen | None = None
        self.log = tempfile.TemporaryFile()
        self.startup_s: float | None = None

    def output(self, last: int = 2000) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-last:]

    def start(self) -> "UIServer":
        t0 = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, str(self.ui_path)], cwd=str(self.ui_path.parent),
                                     env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        while time.perf_counter() - t0 < self.timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ui.py exited with status {self.proc.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as r:
                    if r.status == 200:
                        self.startup_s = time.perf_counter() - t0
                        return self
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"ui.py did not serve {self.url} within {self.timeout:.0f} s:\n{self.output()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the group this server was started in, nothing else
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def __enter__(self) -> "UIServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        self.log.close()


@dataclass
class LevelResult:
    """One load level: ``users`` concurrent users; latencies of the answered requests in seconds."""

    users: int
    requests: int = 0
    ok: int = 0
    busy: int = 0
    failed: int = 0
    wall_s: float = 0.0
    latencies_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return self.ok / self.wall_s if self.wall_s > 0 else 0.0

    def summary(self) -> dict:
        ms = [s * 1000 for s in self.latencies_s]
        return {"users": self.users, "requests": self.requests, "ok": self.ok, "busy": self.busy,
                "failed": self.failed, "wall_s": round(self.wall_s, 3), "req_per_s": round(self.throughput, 2),
                "p50_ms": round(percentile(ms, 0.5), 1) if ms else None,
                "p95_ms": round(percentile(ms, 0.95), 1) if ms else None,
                "max_ms": round(max(ms), 1) if ms else None, "errors": self.errors[:10]}


def is_busy(exc: BaseException) -> bool:
    """A refusal because the server's queue is full (gradio_client's ``QueueError``)."""
    return type(exc).__name__ == "QueueError" or "queue is full" in str(exc).lower()


def check_answer(d) -> None:
    """Raise ``ValueError`` unless ``d`` looks like ``Answer.to_dict()``."""
    if not isinstance(d, dict) or not isinstance(d.get("text"), str) or not isinstance(d.get("citations"), list):
        raise ValueError(f"not an answer: {str(d)[:200]}")
    if not d["abstained"] and not d["citations"]:
        raise ValueError("an answer without citations")


def run_level(url: str, users: int, requests_per_user: int, *, questions=QUESTION_MIX,
              timeout_s: float = 120.0, request_timeout_s: float = 60.0) -> LevelResult:
    """``users`` gradio_client users at once, ``requests_per_user`` questions each (from
    ``questions``, each user starting at a different one), all within ``timeout_s``."""
    from gradio_client import Client

    result = LevelResult(users=users)
    lock = threading.Lock()
    clients = [Client(url, verbose=False) for _ in range(users)]  # connecting is not part of the timing
    start = threading.Barrier(users + 1)
    deadline = [0.0]

    def user(i: int) -> None:
        client = clients[i]
        start.wait()
        for j in range(requests_per_user):
            question, history = questions[(i * 3 + j) % len(questions)]
            left = deadline[0] - time.perf_counter()
            if left <= 0:
                with lock:
                    result.requests += 1
                    result.failed += 1
                    result.errors.append("not started: level time limit reached")
                continue
            t0 = time.perf_counter()
            try:
                job = client.submit(question, history, api_name="/ask")
                answer = job.result(timeout=min(request_timeout_s, left))
                check_answer(answer)
            except Exception as exc:  # noqa: BLE001 - every outcome is counted
                with lock:
                    result.requests += 1
                    if is_busy(exc):
                        result.busy += 1
                    else:
                        result.failed += 1
                        result.errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")
                continue
            elapsed = time.perf_counter() - t0
            with lock:
                result.requests += 1
                result.ok += 1
                result.latencies_s.append(elapsed)

    with cf.ThreadPoolExecutor(max_workers=users) as pool:
        futures = [pool.submit(user, i) for i in range(users)]
        start.wait()
        t0 = time.perf_counter()
        deadline[0] = t0 + timeout_s
        cf.wait(futures, timeout=timeout_s + request_timeout_s + 10)
        result.wall_s = time.perf_counter() - t0
    for c in clients:
        try:
            c.close()
        except Exception:  # noqa: BLE001
            pass
    return result


def report(results: list[LevelResult]) -> str:
    rows = []
    for r in results:
        s = r.summary()
        rows.append([s["users"], s["requests"], s["ok"], s["busy"], s["failed"], f"{s['req_per_s']:.1f}",
                     f"{s['p50_ms']:.0f}" if s["p50_ms"] is not None else "-",
                     f"{s['p95_ms']:.0f}" if s["p95_ms"] is not None else "-"])
    return table(rows, ["users", "requests", "answered", "busy", "failed", "req/s", "p50 ms", "p95 ms"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", default="1,4,8", help="comma-separated numbers of concurrent users (default 1,4,8)")
    ap.add_argument("--requests", type=int, default=25, help="questions per user per level (default 25)")
    ap.add_argument("--level-timeout", type=float, default=120.0, help="seconds allowed per level (default 120)")
    ap.add_argument("--url", help="measure an already running server instead of starting ui.py")
    ap.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = ap.parse_args(argv)
    levels = [int(u) for u in args.users.split(",") if u.strip()]
    if not levels or min(levels) < 1 or args.requests < 1:
        ap.error("--users and --requests must be positive")

    def measure(url: str) -> list[LevelResult]:
        run_level(url, 1, 3, timeout_s=60)  # warm-up: first requests pay for lazy imports
        out = []
        for users in levels:
            r = run_level(url, users, args.requests, timeout_s=args.level_timeout)
            out.append(r)
            print(f"  {users} user(s): {r.ok}/{r.requests} answered, {r.throughput:.1f} req/s", flush=True)
        return out

    info = machine_info()
    if args.url:
        results, startup = measure(args.url), None
    else:
        print("starting ui.py ...", flush=True)
        with UIServer() as server:
            startup = server.startup_s
            print(f"serving {server.url} after {startup:.1f} s", flush=True)
            results = measure(server.url)
    print()
    print(machine_line(info))
    print(f"server: QA_CONCURRENCY={os.environ.get('QA_CONCURRENCY', 'default')}, "
          f"QA_QUEUE_SIZE={os.environ.get('QA_QUEUE_SIZE', 'default')}; {args.requests} questions per user")
    print()
    print(report(results))
    failed = sum(r.failed for r in results)
    for r in results:
        for e in r.errors[:3]:
            print(f"  {r.users} users: {e}")
    if args.json:
        write_json(args.json, {"machine": info, "startup_s": startup, "requests_per_user": args.requests,
                               "levels": [r.summary() for r in results]})
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
