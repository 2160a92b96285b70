"""Helpers shared by the benchmark scripts: timing, tables, machine facts.
Percentiles and answer checks are the evaluation's own (:mod:`qa.eval.metrics`).

    >>> summarize_ms([0.010, 0.020, 0.030])["p50_ms"]
    20.0
    >>> print(table([["a", 1.5], ["bb", 22]], ["name", "value"]))
    | name | value |
    |------|-------|
    | a    | 1.5   |
    | bb   | 22    |
"""

from __future__ import annotations

import json
import os
from datetime import date
import platform
import statistics
from pathlib import Path
from qa.eval.metrics import percentile

ROOT = Path(__file__).resolve().parent.parent


# --- statistics ---------------------------------------------------------------------------

def summarize_ms(seconds: list[float]) -> dict:
    """p50/p95/mean/min/max of durations given in seconds, in milliseconds."""
    ms = [s * 1000.0 for s in seconds]
    if not ms:
        return {"n": 0, "p50_ms": None, "p95_ms": None, "mean_ms": None, "min_ms": None, "max_ms": None}
    return {"n": len(ms), "p50_ms": round(percentile(ms, 0.5), 3), "p95_ms": round(percentile(ms, 0.95), 3),
            "mean_ms": round(statistics.fmean(ms), 3), "min_ms": round(min(ms), 3), "max_ms": round(max(ms), 3)}


def ratio(a, b) -> float | None:
    """``a / b``, or None when either is missing or ``b`` is zero."""
    if a is None or b is None or b == 0:
        return None
    return a / b


# --- output ----------------------------------------------------------------------------------

def fmt(value, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value != value:
            return "-"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(rows: list[list], headers: list[str]) -> str:
    """A Markdown table with padded columns (values already formatted or passed to :func:`fmt`)."""
    cells = [[h for h in headers]] + [[c if isinstance(c, str) else fmt(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"
    return "\n".join([line(cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
                     + [line(r) for r in cells[1:]])


def write_json(path, data) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")


# --- machine --------------------------------------------------------------------------------

def machine_info() -> dict:
    """CPU model, core count, memory, Python and key library versions."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    mem_gb = None
    try:
        import psutil

        mem_gb = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        pass
    versions = {}
    for mod in ("faiss", "numpy", "onnxruntime", "bm25s", "torch", "sentence_transformers", "langchain_core"):
        try:
            from importlib.metadata import version

            dist = {"faiss": "faiss-cpu", "sentence_transformers": "sentence-transformers",
                    "langchain_core": "langchain-core"}.get(mod, mod)
            versions[mod] = version(dist)
        except Exception:  # noqa: BLE001 - a version we can't read is just not reported
            versions[mod] = None
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {"cpu": cpu, "nproc": os.cpu_count(), "mem_gb": mem_gb, "python": platform.python_version(),
            "platform": platform.platform(), "loadavg_at_start": load, "versions": versions,
            "date": date.today().isoformat()}


def machine_line(info: dict) -> str:
    load = info.get("loadavg_at_start")
    load_s = f", load average at start {load[0]:.2f}" if load else ""
    return (f"Machine: {info['cpu']}, {info['nproc']} cores, {info['mem_gb']} GB RAM, Python {info['python']}"
            f"{load_s}")


def rss_mb(pid: int | None = None) -> float:
    import psutil

    return psutil.Process(pid or os.getpid()).memory_info().rss / 2**20


def folder_bytes(path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())
