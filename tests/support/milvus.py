"""Milvus for the store tests: Milvus Lite embedded in this process, or ``milvus-lite server``
as a real separate process that a test can kill, freeze and restart.

* :func:`lite_store` opens a :class:`~qa.search.stores.milvus_store.MilvusStore` on a Lite folder and
  stops that embedded engine afterwards.
* :class:`LiteServer` runs ``milvus-lite server --data-dir DIR`` on a free port (a context manager).
* :func:`same_ranking` compares what two retrievers returned, allowing ties to come in either order.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.ui import free_port

START_TIMEOUT_S = 60.0
SCORE_TOLERANCE = 1e-5   # BM25 in float32 on the engine vs bm25s: the normalised scores agree to ~1e-6


def same_ranking(got: list, want: list, tol: float = SCORE_TOLERANCE) -> bool:
    """Two retrievers' documents are the same passages in the same order with the same scores,
    where passages whose scores tie (within ``tol``) may come in either order."""
    if len(got) != len(want):
        return False
    for g, w in zip(got, want):
        gm, wm = g.metadata, w.metadata
        if abs(gm["score"] - wm["score"]) > tol:
            return False
        if gm["passage_id"] != wm["passage_id"]:
            tied = [d.metadata["passage_id"] for d in want if abs(d.metadata["score"] - gm["score"]) <= tol]
            if gm["passage_id"] not in tied:
                return False
    return True


def lite_release(path: Path) -> None:
    """Stop the embedded Milvus Lite engine of ``path`` (the next client starts it again)."""
    from milvus_lite.server_manager import server_manager_instance

    server_manager_instance.release_server(str(path))


@contextlib.contextmanager
def lite_store(path: Path, timeout: float = 10.0, collection: str | None = None):
    """A Milvus store on the Lite folder ``path`` (``.db``), released afterwards."""
    from qa.search.stores import open_store
    from qa.search.stores.uri import parse_store

    spec = parse_store(f"milvus-lite:{path}")
    if collection:
        spec = type(spec)(spec.kind, spec.uri, collection, spec.name)
    store = open_store(spec, timeout=int(timeout))
    try:
        yield store
    finally:
        store.close()
        lite_release(path)


def milvus_lite_binary() -> Path:
    return Path(sys.executable).parent / "milvus-lite"


class LiteServer:
    """``milvus-lite server`` on 127.0.0.1: a real engine in another process.

        with LiteServer(tmp_path / "data") as server:
            store = open_store(server.store_uri("qa"))
            server.kill(); server.start()      # a crash and a restart (same port, same data)
    """

    def __init__(self, data_dir: Path, port: int | None = None):
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.log = tempfile.TemporaryFile()

    def store_uri(self, collection: str = "qa") -> str:
        return f"milvus://127.0.0.1:{self.port}/{collection}"

    def output(self, last: int = 2000) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-last:]

    def start(self) -> "LiteServer":
        """Start it (again) and wait until it answers a request."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen([str(milvus_lite_binary()), "server", "--data-dir", str(self.data_dir),
                                      "--host", "127.0.0.1", "--port", str(self.port)],
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._answers():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"milvus-lite server did not start:\n{self.output()}")
            time.sleep(0.1)
        return self

    def _answers(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), 0.2).close()
        except OSError:
            return False
        from pymilvus import MilvusClient

        try:
            client = MilvusClient(uri=f"http://127.0.0.1:{self.port}", timeout=2)
            client.list_collections(timeout=2)
            client.close()
            return True
        except Exception:  # noqa: BLE001 - not ready yet
            return False

    def kill(self) -> None:
        """``kill -9``: the engine dies mid-whatever, as in a crash."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def freeze(self) -> None:
        """SIGSTOP: the engine hangs (connections stay open, nothing answers)."""
        os.kill(self.proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)

    def __enter__(self) -> "LiteServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.thaw()
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()
