"""Cold start, each in a fresh process: ``qa ask`` (index built, query encoder cached), ``python ui.py``
until it serves, ``import sentence_transformers`` and the bare interpreter, for context
(:mod:`benchmarks.run` reports them)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import ROOT
from qa.eval.metrics import percentile
from tests.support.ui import UIServer


def _env(**extra) -> dict:
    env = dict(os.environ)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def qa_command() -> list[str]:
    """The ``qa`` console script beside this interpreter, else ``python -m qa``."""
    exe = Path(sys.executable).with_name("qa")
    return [str(exe)] if exe.is_file() else [sys.executable, "-m", "qa"]


def cold_cli(question: str, corpus_dir: Path, index_dir: Path, repeats: int = 5) -> dict:
    """Wall time of ``qa ask QUESTION`` in a fresh process, index built and query encoder cached."""
    cmd = qa_command() + ["ask", question, "--corpus", str(corpus_dir), "--index", str(index_dir), "--no-rebuild"]
    times, last = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        last = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=300)
        times.append(time.perf_counter() - t0)
        if last.returncode != 0:
            return {"error": f"exit {last.returncode}: {last.stderr.strip()[-300:]}", "times_s": times}
    return {"median_s": percentile(times, 0.5), "min_s": min(times), "max_s": max(times), "times_s": times,
            "command": " ".join(cmd[:1] + ["ask", "'...'", "--no-rebuild"])}


def cold_import_sentence_transformers(repeats: int = 3) -> dict:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import sentence_transformers"], capture_output=True, env=_env(),
                       timeout=300, check=True)
        times.append(time.perf_counter() - t0)
    return {"median_s": percentile(times, 0.5), "times_s": times}


def cold_python(repeats: int = 3) -> dict:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], capture_output=True, timeout=60, check=True)
        times.append(time.perf_counter() - t0)
    return {"median_s": percentile(times, 0.5), "times_s": times}


def cold_ui(corpus_dir: Path, index_dir: Path, repeats: int = 3, timeout: float = 180.0,
            ui_path: Path | None = None) -> dict:
    """Wall time of ``python ui.py`` until ``GET http://127.0.0.1:PORT/`` answers 200."""
    ui_path = ui_path or ROOT / "ui.py"
    if not ui_path.is_file():
        return {"error": f"{ui_path.name} not found"}
    times = []
    for _ in range(repeats):
        try:
            with UIServer(env={"QA_CORPUS": corpus_dir, "QA_INDEX": index_dir}, timeout=timeout,
                          ui_path=ui_path) as server:
                times.append(server.startup_s)
        except RuntimeError as exc:
            return {"error": str(exc)[-400:], "times_s": times}
    return {"median_s": percentile(times, 0.5), "min_s": min(times), "max_s": max(times), "times_s": times}
