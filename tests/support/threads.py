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


class Sightings:
    """What reader threads have seen, that a writer thread waits on instead of on wall time:
    :meth:`add` a value seen, :meth:`fail` with an error (it wakes the writer too),
    :meth:`wait_for` a value (``False`` after ``timeout`` seconds, or once an error is in)."""

    def __init__(self, errors: list):
        self.values, self.errors, self._changed = [], errors, threading.Condition()

    def add(self, value) -> None:
        with self._changed:
            self.values.append(value)
            self._changed.notify_all()

    def fail(self, error) -> None:
        with self._changed:
            self.errors.append(error)
            self._changed.notify_all()

    def wait_for(self, value, timeout: float = 90) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: value in self.values or bool(self.errors), timeout) and \
                value in self.values
