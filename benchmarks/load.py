"""Load test of the chat server: N concurrent API users against a real ``python ui.py``.

Starts ``ui.py`` on a free port of 127.0.0.1 (nothing else is contacted), then, for
each number of users, runs that many ``gradio_client`` users at once, each asking
``--requests`` questions from a mix (answerable, follow-up with history,
unanswerable) through the ``/ask`` endpoint, and reports throughput and latency::

    .venv/bin/python -m benchmarks.load                        # 1, 4 and 8 users x 25 questions
    .venv/bin/python -m benchmarks.load --users 1,2,16 --requests 10 --json benchmarks/results/load.json
    QA_CONCURRENCY=1 .venv/bin/python -m benchmarks.load       # server settings pass through the environment

Every run is bounded: ``--requests`` per user and ``--level-timeout`` seconds per
level (unfinished requests count as failed). A request refused because the queue
is full counts as "busy", apart from failures.

The pieces are shared with the tests: :class:`~tests.support.ui.UIServer` (``python ui.py``
in a subprocess on a free port) and :func:`~tests.support.load.run_level`.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from benchmarks.common import machine_info, machine_line, table, write_json
from tests.support.load import LevelResult, run_level
from tests.support.ui import UIServer


def report(results: list[LevelResult]) -> str:
    """A Markdown table of the load levels."""
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
