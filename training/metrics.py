"""SQuAD answer metrics: normalised exact match and token F1 (best over the gold answers).

    >>> round(f1("the Analytical Engine", ["an analytical engine design"]), 3)
    0.8
    >>> exact("The  engine!", ["engine"])
    1.0
"""

from __future__ import annotations

import re
import string
from collections import Counter

_PUNCT = set(string.punctuation)


def normalize(text: str) -> str:
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", text).split())


def _f1(pred: str, gold: str) -> float:
    p, g = normalize(pred).split(), normalize(gold).split()
    if not p or not g:
        return float(p == g)
    common = sum((Counter(p) & Counter(g)).values())
    if not common:
        return 0.0
    precision, recall = common / len(p), common / len(g)
    return 2 * precision * recall / (precision + recall)


def f1(pred: str, golds) -> float:
    return max(_f1(pred, g) for g in golds) if golds else float(not pred)


def exact(pred: str, golds) -> float:
    return max(float(normalize(pred) == normalize(g)) for g in golds) if golds else float(not pred)
