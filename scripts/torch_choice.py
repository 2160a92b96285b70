#!/usr/bin/env python3
"""Which torch build the set-up installs, as pip arguments (one per line), with the reason on stderr.

    QA_TORCH=...          a requirement of your own ("torch", "torch==2.5.1"): used as given
    QA_TORCH_INDEX=URL    the index it comes from (default for CPU-only Linux: PyTorch's CPU index)

Without QA_TORCH: a CPU build of torch kept on disk (a ``torch-*.whl`` in one of pip's
find-links folders, for this Python) is installed by its version; else, on Linux with no
NVIDIA GPU (``nvidia-smi -L`` lists none), torch from PyTorch's CPU wheel index, so that no
CUDA packages are fetched; else plain ``torch`` (pip's choice: CUDA on Linux with a GPU,
the CPU build on macOS and Windows). ``scripts/setup.sh`` runs it with the venv's Python:

    mapfile -t args < <(.venv/bin/python scripts/torch_choice.py)
    .venv/bin/python -m pip install "${args[@]}"
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

CPU_INDEX = "https://download.pytorch.org/whl/cpu"
PIP_CONFIGS = ["/etc/pip.conf", "/etc/xdg/pip/pip.conf", "~/.config/pip/pip.conf", "~/.pip/pip.conf"]
WHEEL = re.compile(r"torch-(\d+(?:\.\d+)+)(?:\+[\w.]+)?-(cp\d+)-(cp\d+t?|abi3|none)-([\w.]+)\.whl")


def _run(*cmd: str) -> str | None:
    """A command's standard output, or ``None`` when it is missing or fails."""
    if shutil.which(cmd[0]) is None:
        return None
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def system() -> tuple[str, str]:
    """``(kernel, machine)`` from ``uname`` (``("Linux", "x86_64")``)."""
    return ((_run("uname", "-s") or sys.platform).strip(), (_run("uname", "-m") or "").strip())


def has_nvidia_gpu() -> bool:
    """Does ``nvidia-smi -L`` list a GPU?"""
    out = _run("nvidia-smi", "-L")
    return bool(out and "GPU" in out)


def find_links(environ=os.environ) -> list[Path]:
    """pip's find-links folders: ``PIP_FIND_LINKS`` and the ``find-links`` of pip's config files."""
    values = [environ.get("PIP_FIND_LINKS", "")]
    configs = [environ["PIP_CONFIG_FILE"]] if environ.get("PIP_CONFIG_FILE") else PIP_CONFIGS
    for name in configs:
        parser = configparser.ConfigParser()
        try:
            parser.read(os.path.expanduser(name))
        except configparser.Error:
            continue
        values += [parser.get(section, "find-links", fallback="") for section in ("global", "install")]
    folders = [Path(v.removeprefix("file://")) for value in values for v in value.split()]
    return [f for f in folders if f.is_dir()]


def local_cpu_wheel(folders: list[Path], python: str = f"cp{sys.version_info[0]}{sys.version_info[1]}") -> str | None:
    """The version of a CPU torch wheel for ``python`` in ``folders`` (the newest), or ``None``."""
    versions = []
    for folder in folders:
        for path in folder.glob("torch-*.whl"):
            m = WHEEL.fullmatch(path.name)
            if m and m.group(2) == python and "+cu" not in path.name:
                versions.append(tuple(int(x) for x in m.group(1).split(".")))
    return ".".join(map(str, max(versions))) if versions else None


def choose(environ=os.environ) -> tuple[list[str], str]:
    """``(pip arguments, reason)``."""
    index = environ.get("QA_TORCH_INDEX", "").strip()
    if environ.get("QA_TORCH", "").strip():
        args = [environ["QA_TORCH"].strip()] + (["--index-url", index] if index else [])
        return args, "QA_TORCH is set"
    local = local_cpu_wheel(find_links(environ))
    if local:
        return [f"torch=={local}"], f"a CPU build of torch {local} is on disk (pip's find-links)"
    kernel, machine = system()
    if kernel == "Linux" and not has_nvidia_gpu():
        return ["torch", "--index-url", index or CPU_INDEX], f"Linux ({machine}) with no NVIDIA GPU: the CPU-only build"
    return ["torch"], f"{kernel} {machine}{' with an NVIDIA GPU' if kernel == 'Linux' else ''}: pip's default build"


def main() -> None:
    args, reason = choose()
    print(f"setup: torch: {' '.join(args)} ({reason})", file=sys.stderr)
    print("\n".join(args))


if __name__ == "__main__":
    main()
