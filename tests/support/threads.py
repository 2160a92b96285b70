"""Running test threads together: :func:`run_together` starts them all, waits, and checks none hangs."""

from __future__ import annotations

import threading
from typing import Callable


def run_together(*targets: Callable[[], None], timeout: float = 120) -> None:
    """Run each function in its own thread at once; fail if one is still running after ``timeout`` seconds."""
    threads = [threading.Thread(target=target) for target in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a thread is still running"
