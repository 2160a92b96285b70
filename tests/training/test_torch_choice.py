"""scripts/torch_choice.py: which torch the set-up installs. Run as the set-up runs it, in a
subprocess, with ``uname`` and ``nvidia-smi`` faked on PATH and wheels faked on disk."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

SCRIPT = ROOT / "scripts" / "torch_choice.py"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
PY = f"cp{sys.version_info[0]}{sys.version_info[1]}"


def fake_bin(folder, kernel="Linux", machine="x86_64", gpu: bool | None = None):
    """A folder of fake commands: ``uname``, and ``nvidia-smi`` when ``gpu`` is not None."""
    folder.mkdir(exist_ok=True)
    scripts = {"uname": f'if [ "$1" = "-m" ]; then echo {machine}; else echo {kernel}; fi'}
    if gpu is not None:
        scripts["nvidia-smi"] = ('echo "GPU 0: NVIDIA H100 (UUID: GPU-1)"' if gpu
                                 else 'echo "NVIDIA-SMI has failed: no driver" >&2; exit 9')
    for name, body in scripts.items():
        path = folder / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
    return folder


def choose(tmp_path, wheels=(), env=None, **machine) -> tuple[list[str], str]:
    links = tmp_path / "wheels"
    links.mkdir(exist_ok=True)
    for name in wheels:
        (links / name).write_bytes(b"")
    environ = {"PATH": f"{fake_bin(tmp_path / 'bin', **machine)}:/usr/bin:/bin", "PIP_FIND_LINKS": str(links),
               "PIP_CONFIG_FILE": os.devnull, **(env or {})}
    done = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, env=environ, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.split("\n")[:-1] if done.stdout.endswith("\n") else done.stdout.splitlines(), done.stderr


def test_linux_without_a_gpu_gets_the_cpu_index(tmp_path):
    args, why = choose(tmp_path)                       # no nvidia-smi at all
    assert args == ["torch", "--index-url", CPU_INDEX] and "no NVIDIA GPU" in why
    assert choose(tmp_path, gpu=False)[0] == ["torch", "--index-url", CPU_INDEX]   # nvidia-smi without a driver
    assert choose(tmp_path, machine="aarch64")[0] == ["torch", "--index-url", CPU_INDEX]


def test_linux_with_a_gpu_and_other_systems_let_pip_choose(tmp_path):
    assert choose(tmp_path, gpu=True)[0] == ["torch"]
    assert choose(tmp_path, kernel="Darwin", machine="arm64")[0] == ["torch"]


def test_a_cpu_wheel_on_disk_is_used_by_its_version(tmp_path):
    wheels = [f"torch-2.13.0+cpu-{PY}-{PY}-manylinux_2_28_x86_64.whl", f"torch-2.9.1+cpu-{PY}-{PY}-linux.whl",
              "torch-2.99.0+cpu-cp27-cp27mu-linux.whl", f"torch-3.0.0+cu128-{PY}-{PY}-linux.whl"]
    args, why = choose(tmp_path, wheels=wheels, gpu=True)
    assert args == ["torch==2.13.0"] and "on disk" in why   # the newest CPU build for this Python


@pytest.mark.parametrize("env, expected", [
    ({"QA_TORCH": "torch==2.5.1"}, ["torch==2.5.1"]),
    ({"QA_TORCH": "torch", "QA_TORCH_INDEX": "https://mirror.example/cpu"}, ["torch", "--index-url",
                                                                             "https://mirror.example/cpu"]),
    ({"QA_TORCH_INDEX": "https://mirror.example/cpu"}, ["torch", "--index-url", "https://mirror.example/cpu"]),
])
def test_overrides(tmp_path, env, expected):
    assert choose(tmp_path, wheels=[f"torch-2.13.0+cpu-{PY}-{PY}-linux.whl"] if "QA_TORCH" in env else [],
                  env=env)[0] == expected


def test_setup_script_installs_what_the_choice_says():
    text = (ROOT / "scripts" / "setup.sh").read_text()
    assert "scripts/torch_choice.py" in text and '"${torch_args[@]}"' in text
    assert "torch==2.13.0" not in text.split("torch_choice.py")[1]   # no fixed version after the choice
