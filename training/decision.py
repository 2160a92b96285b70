"""Keep a retrained reader or not: the rule, with paired-bootstrap intervals.

Keep the new model only if, pooled over the held-out sets, at the threshold that abstains on 5%
of the positives it abstains on more close negatives (the 95% interval of the gain above 0) and its
answer quality holds: span F1 and F1 at that threshold within ``max_f1_drop`` points.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> base = dict(pos_e=rng.normal(5, 3, 400), pos_f1=np.full(400, .5), neg_e=rng.normal(0, 3, 400))
    >>> new = dict(base, neg_e=base["neg_e"] - 2)          # same positives, negatives pushed down
    >>> d = decide(base, new)
    >>> d["keep"], d["neg@5 gain"] > 0, d["F1 change"]
    (True, True, 0.0)
"""

from __future__ import annotations

import math

import numpy as np


def _threshold(pos_e: np.ndarray, q: float) -> float:
    k = max(1, math.ceil(q * len(pos_e)))
    return float(np.partition(pos_e, k - 1)[k - 1])


def _stats(r: dict, pi: np.ndarray, ni: np.ndarray, q: float) -> tuple[float, float, float]:
    """(negatives abstained, span F1, F1 at the threshold) on the resampled indices."""
    pos_e, f1 = r["pos_e"][pi], r["pos_f1"][pi]
    thr = _threshold(pos_e, q)
    f1_at_thr = np.where(pos_e > thr, f1, 0)
    return float((r["neg_e"][ni] <= thr).mean()), 100 * float(f1.mean()), 100 * float(f1_at_thr.mean())


def decide(base: dict, new: dict, q: float = 0.05, max_f1_drop: float = 1.0, rounds: int = 1000,
           seed: int = 0) -> dict:
    """Compare two models scored on the same pairs (``pos_e``, ``pos_f1``, ``neg_e`` arrays)."""
    n_pos, n_neg = len(base["pos_e"]), len(base["neg_e"])
    every_p, every_n = np.arange(n_pos), np.arange(n_neg)
    b, m = _stats(base, every_p, every_n, q), _stats(new, every_p, every_n, q)
    rng = np.random.default_rng(seed)
    gains = []
    for _ in range(rounds):
        pi, ni = rng.integers(0, n_pos, n_pos), rng.integers(0, n_neg, n_neg)
        gains.append(_stats(new, pi, ni, q)[0] - _stats(base, pi, ni, q)[0])
    ci = [round(100 * float(np.percentile(gains, 2.5)), 2), round(100 * float(np.percentile(gains, 97.5)), 2)]
    out = {"neg@5 base": round(100 * b[0], 2), "neg@5 new": round(100 * m[0], 2),
           "neg@5 gain": round(100 * (m[0] - b[0]), 2), "neg@5 gain 95% CI": ci,
           "F1 change": round(m[1] - b[1], 2), "F1@5 change": round(m[2] - b[2], 2)}
    out["keep"] = bool(ci[0] > 0 and out["F1 change"] >= -max_f1_drop and out["F1@5 change"] >= -max_f1_drop)
    return out
