"""fp32 vs int8: span F1 of two exports of one model on the same held-out positives.

The difference comes with a 95% paired-bootstrap interval and the share of questions whose
answer changed, so that a 1-point rule is not decided by noise alone.

    >>> import numpy as np
    >>> d = compare_arrays(np.array([1., 0, 1, 1]), np.array([1., 0, 0, 1]), np.array([0, 0, 1, 0], bool))
    >>> d["int8 - fp32"], d["changed"]
    (-25.0, 0.25)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .heldout import GaugeSet
from .metrics import exact, f1
from .spans import OnnxReader


def answers(reader: OnnxReader, gs: GaugeSet) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Best span text, F1 and EM (0..1) of each positive, always answering."""
    got = [s.text for s in reader.score([(q, p) for q, p, _ in gs.positives])]
    golds = [g for _, _, g in gs.positives]
    return got, np.array([f1(t, g) for t, g in zip(got, golds)]), np.array([exact(t, g) for t, g in zip(got, golds)])


def compare_arrays(f32: np.ndarray, i8: np.ndarray, changed: np.ndarray, rounds: int = 2000, seed: int = 0) -> dict:
    """Mean F1 (percent) of each, their difference and its 95% paired-bootstrap interval."""
    diff = 100 * (i8 - f32)
    rng = np.random.default_rng(seed)
    boots = [diff[rng.integers(0, len(diff), len(diff))].mean() for _ in range(rounds)] if len(diff) else [0.0]
    return {"F1 fp32": round(100 * float(f32.mean()), 2), "F1 int8": round(100 * float(i8.mean()), 2),
            "int8 - fp32": round(float(diff.mean()), 2),
            "95% CI": [round(float(np.percentile(boots, 2.5)), 2), round(float(np.percentile(boots, 97.5)), 2)],
            "changed": round(float(changed.mean()), 4)}


def compare(exports: dict[str, tuple[Path, Path]], sets: list[GaugeSet], threads: int = 0) -> dict:
    """Per set and pooled (``all``): F1 / EM of the ``fp32`` and ``int8`` exports (onnx, tokenizer.json)."""
    runs = {}
    for precision in ("fp32", "int8"):
        reader = OnnxReader(*exports[precision], threads=threads)
        runs[precision] = {gs.name: answers(reader, gs) for gs in sets}
    out = {}
    for name in [gs.name for gs in sets] + ["all"]:
        names = [gs.name for gs in sets] if name == "all" else [name]
        a = [x for n in names for x in runs["fp32"][n][0]]
        b = [x for n in names for x in runs["int8"][n][0]]
        cat = {p: [np.concatenate([runs[p][n][k] for n in names]) for k in (1, 2)] for p in runs}
        out[name] = dict(n_pos=len(a), **compare_arrays(cat["fp32"][0], cat["int8"][0], np.array(a) != np.array(b)),
                         **{f"EM {p}": round(100 * float(cat[p][1].mean()), 2) for p in runs})
    return out
