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

import random
from dataclasses import dataclass

from . import synthetic
from .data import Record


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
    unknown = (set(kinds) | set(close_kinds)) - set(synthetic.GENERATORS)
    if unknown:
        raise ValueError(f"unknown synthetic kind(s) {sorted(unknown)}; "
                         f"expected some of {sorted(synthetic.GENERATORS)}.")
    pos = [r for r in rs if r.answerable]
    imp = [r for r in rs if not r.answerable]
    chosen = rng.sample(pos, min(sample, len(pos))) if sample else pos
    if n_close is None:
        n_close = sample // 2 if sample else len(pos)
    made = synthetic.unanswerables(pos, kinds, n_synthetic, rng) if n_synthetic else []
    close = [x for kind in close_kinds for x in synthetic.generate(pos, kind, n_close, rng)]
    counts = {"answerable": len(chosen), "unanswerable": len(imp)}
    for r in made + close:
        counts[r.kind] = counts.get(r.kind, 0) + 1
    return Mix(chosen + imp + made + close, counts)


def limit(rs: list[Record], n: int, rng: random.Random) -> list[Record]:
    """A random ``n`` of ``rs`` (all of them for ``n=0``): for quick runs and tests."""
    return rng.sample(rs, n) if 0 < n < len(rs) else rs
