"""The training mix: which answerable questions, synthetic unanswerables and close negatives go in.

Two shapes, as in the two stages of the shipped model:

- full (``sample=0``): every question, plus one close negative per answerable question that has
  one, plus ``n_synthetic`` generated unanswerables;
- sampled (``sample=N``, continued training): N answerable questions, every question the data
  itself marks unanswerable, ``n_synthetic`` generated unanswerables and ``n_close`` close
  negatives (by default N/2).

    >>> import random
    >>> from training.data import Record
    >>> paras = ("Lovelace wrote notes in 1843.", "Babbage died in 1871.")
    >>> rs = [Record("q", "Who wrote notes in 1843?", paras[0], (("Lovelace", 0),), "Ada", paras, 0)]
    >>> build(rs, random.Random(0), sample=1, n_synthetic=1, kinds=["swap"], n_close=1).counts
    {'answerable': 1, 'unanswerable': 0, 'swap': 1, 'close': 1}
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Callable, Iterable

from . import negatives, synthetic
from .data import Record


GENERATORS: dict[str, Callable[[Record, random.Random], Record | None]] = {
    "swap": synthetic.swap, "neighbour": synthetic.neighbour, "close": negatives.close,
    "hardclose": negatives.hard_close}


def generate(rs: Iterable[Record], kind: str, n: int, rng: random.Random) -> list[Record]:
    """Up to ``n`` records of ``kind`` from the answerable records of ``rs``, taken in random order."""
    make = GENERATORS[kind]
    pool = [r for r in rs if r.answerable]
    rng.shuffle(pool)
    out = []
    for r in pool:
        if len(out) >= n:
            break
        made = make(r, rng)
        if made is not None:
            out.append(made)
    return out


def unanswerables(rs: list[Record], kinds: list[str], n: int, rng: random.Random) -> list[Record]:
    """``n`` synthetic unanswerables shared equally between ``kinds``; a kind that runs short leaves
    its share to the others.

    >>> from training.data import Record
    >>> paras = ("Lovelace wrote notes in 1843.", "Babbage died in 1871.")
    >>> r = Record("q", "Who wrote notes in 1843?", paras[0], (("Lovelace", 0),), "Ada", paras, 0)
    >>> [x.kind for x in unanswerables([r], ["neighbour", "swap"], 2, random.Random(0))]
    ['swap']
    """
    out: list[Record] = []
    for i, kind in enumerate(kinds):
        share = math.ceil((n - len(out)) / (len(kinds) - i))
        out += generate(rs, kind, share, rng)
    return out


@dataclass
class Mix:
    records: list[Record]
    counts: dict[str, int]


def build(rs: list[Record], rng: random.Random, sample: int = 0, n_synthetic: int = 0,
          kinds: list[str] | None = None, n_close: int | None = None,
          close_kinds: list[str] | None = None) -> Mix:
    """Pick the mix from all records ``rs`` (generators draw on every answerable question); each of
    ``close_kinds`` (``close``, ``hardclose``) gives ``n_close`` negatives."""
    kinds = kinds or ["swap"]
    close_kinds = close_kinds or ["close"]
    unknown = (set(kinds) | set(close_kinds)) - set(GENERATORS)
    if unknown:
        raise ValueError(f"unknown synthetic kind(s) {sorted(unknown)}; "
                         f"expected some of {sorted(GENERATORS)}.")
    pos = [r for r in rs if r.answerable]
    imp = [r for r in rs if not r.answerable]
    chosen = rng.sample(pos, min(sample, len(pos))) if sample else pos
    if n_close is None:
        n_close = sample // 2 if sample else len(pos)
    made = unanswerables(pos, kinds, n_synthetic, rng) if n_synthetic else []
    close = [x for kind in close_kinds for x in generate(pos, kind, n_close, rng)]
    counts = {"answerable": len(chosen), "unanswerable": len(imp)}
    for r in made + close:
        counts[r.kind] = counts.get(r.kind, 0) + 1
    return Mix(chosen + imp + made + close, counts)


def limit(rs: list[Record], n: int, rng: random.Random) -> list[Record]:
    """A random ``n`` of ``rs`` (all of them for ``n=0``): for quick runs and tests."""
    return rng.sample(rs, n) if 0 < n < len(rs) else rs
