"""Facts that make a model folder reproducible: file digests, the git commit, the command.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.txt"; _ = p.write_text("abc")
    >>> file_digests([p])[str(p)][:12]
    'ba7816bf8f01'
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .data import REPO, sha256


def file_digests(paths) -> dict[str, str]:
    return {str(p): sha256(Path(p)) for p in paths}


def fingerprint(model_dir: Path) -> str:
    """sha256 of a model folder's weights (``model.safetensors``)."""
    weights = Path(model_dir) / "model.safetensors"
    if not weights.is_file():
        raise FileNotFoundError(f"{model_dir}: no model.safetensors (expected a Hugging Face model folder).")
    return sha256(weights)


def git_commit() -> str:
    """HEAD of the repository, with ``+dirty`` when tracked files differ from it; outside git, the
    ``TRAINING_GIT_COMMIT`` variable (a copy of the tree run on another machine) or ""."""
    if not (REPO / ".git").exists():
        return os.environ.get("TRAINING_GIT_COMMIT", "")
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""
    return head + ("+dirty" if dirty else "")


def command(module: str, argv: list[str] | None = None) -> str:
    """The command line that reproduces this run: ``python -m MODULE ARGS`` (``argv``: sys.argv's by default).

    >>> command("training.gauge", ["--n", "10"])
    'python -m training.gauge --n 10'
    """
    return " ".join(["python", "-m", module] + list(sys.argv[1:] if argv is None else argv))
