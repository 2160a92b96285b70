"""Concurrent API users against a running chat server: :func:`run_level` (``tests/app/test_load.py``
runs it with small numbers; ``benchmarks/load.py`` measures with it).
"""

from __future__ import annotations

import concurrent.futures as cf
import threading
import time
from dataclasses import dataclass, field

from qa.eval.metrics import percentile

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
        """Answered requests per second."""
        return self.ok / self.wall_s if self.wall_s > 0 else 0.0

    def record(self, kind: str, seconds: float, error: str = "") -> None:
        """Count one request: ``kind`` is "ok", "busy" or "failed"."""
        self.requests += 1
        if kind == "ok":
            self.ok += 1
            self.latencies_s.append(seconds)
        elif kind == "busy":
            self.busy += 1
        else:
            self.failed += 1
            self.errors.append(error)

    def summary(self) -> dict:
        """Counts, throughput and latency percentiles, for a table or JSON."""
        ms = [s * 1000 for s in self.latencies_s]
        return {"users": self.users, "requests": self.requests, "ok": self.ok, "busy": self.busy,
                "failed": self.failed, "wall_s": round(self.wall_s, 3), "req_per_s": round(self.throughput, 2),
                "p50_ms": round(percentile(ms, 0.5), 1) if ms else None,
                "p95_ms": round(percentile(ms, 0.95), 1) if ms else None,
                "max_ms": round(max(ms), 1) if ms else None, "errors": self.errors[:10]}


def is_busy(exc: BaseException) -> bool:
    """A refusal because the server's queue is full (gradio_client's ``QueueError``)."""
    return type(exc).__name__ == "QueueError" or "queue is full" in str(exc).lower()


def check_answer_dict(d) -> None:
    """Raise ``ValueError`` unless ``d`` looks like ``Answer.to_dict()``."""
    if not isinstance(d, dict) or not isinstance(d.get("text"), str) or not isinstance(d.get("citations"), list):
        raise ValueError(f"not an answer: {str(d)[:200]}")
    if not d["abstained"] and not d["citations"]:
        raise ValueError("an answer without citations")


def ask_once(client, question: str, history, timeout_s: float) -> tuple[str, float, str]:
    """One ``/ask`` request: ``("ok" | "busy" | "failed", seconds, error message)``."""
    t0 = time.perf_counter()
    try:
        check_answer_dict(client.submit(question, history, api_name="/ask").result(timeout=timeout_s))
    except Exception as exc:  # noqa: BLE001 - every outcome is counted
        kind = "busy" if is_busy(exc) else "failed"
        return kind, time.perf_counter() - t0, f"{type(exc).__name__}: {str(exc)[:200]}"
    return "ok", time.perf_counter() - t0, ""


def run_level(url: str, users: int, requests_per_user: int, *, questions=QUESTION_MIX,
              timeout_s: float = 120.0, request_timeout_s: float = 60.0, auth: tuple[str, str] | None = None
              ) -> LevelResult:
    """``users`` gradio_client users at once, ``requests_per_user`` questions each (from
    ``questions``, each user starting at a different one), all within ``timeout_s``; each
    user logs in with ``auth`` (user, password) first when given."""
    from gradio_client import Client

    result = LevelResult(users=users)
    lock = threading.Lock()
    # connecting (and logging in) is not part of the timing
    clients = [Client(url, auth=auth, verbose=False) for _ in range(users)]
    start = threading.Barrier(users + 1)
    deadline = [0.0]

    def user(i: int) -> None:
        start.wait()
        for j in range(requests_per_user):
            question, history = questions[(i * 3 + j) % len(questions)]
            left = deadline[0] - time.perf_counter()
            if left <= 0:
                kind, seconds, error = "failed", 0.0, "not started: level time limit reached"
            else:
                kind, seconds, error = ask_once(clients[i], question, history, min(request_timeout_s, left))
            with lock:
                result.record(kind, seconds, error)

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
