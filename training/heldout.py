"""Held-out gauge questions from ``eval/``: positives, close negatives and synthetic negatives.

- PolicyQA (dev, test): positive = the question with its gold paragraph; negative = the question
  with another paragraph of the same policy that holds none of its answers (case-folded) and is
  not the gold paragraph of the same question asked again (PolicyQA repeats questions).
- COVID-QA, whose contexts are whole papers: positive = a window of ``window`` tokens of the paper
  placed at random around the answer; negative = a window of the same paper that overlaps no
  answer to the question and does not contain its text.
- synthetic (optional): ``swap`` and ``neighbour`` questions made from the held-out question and
  asked of its own passage (the generators the new model trains on, so this row favours it).

    >>> import random
    >>> offsets = [(0, 4), (5, 9), (10, 14), (15, 19), (20, 24)]
    >>> answer_window(offsets, 10, 19, size=3, rng=random.Random(0))
    (10, 24)
    >>> grid(offsets, size=2)
    [(0, 9), (10, 19), (20, 24)]
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from . import data, synthetic
from .data import Record
from .metrics import normalize

SETS = {"policyqa-dev": "eval/policyqa-dev.json", "policyqa-test": "eval/policyqa-test.json",
        "covidqa": "eval/covidqa.json"}


@dataclass
class GaugeSet:
    name: str
    path: Path
    positives: list[tuple[str, str, list[str]]] = field(default_factory=list)  # question, passage, gold answers
    negatives: list[tuple[str, str]] = field(default_factory=list)
    synthetic: list[tuple[str, str]] = field(default_factory=list)
    passage_of: dict[str, str] = field(default_factory=dict, repr=False)  # record id -> positive passage

    def add_positive(self, r: Record, passage: str) -> None:
        self.positives.append((r.question, passage, [t for t, _ in r.answers]))
        self.passage_of[r.id] = passage


def grid(offsets, size: int) -> list[tuple[int, int]]:
    """Consecutive windows of ``size`` tokens as character ranges."""
    return [(offsets[i][0], offsets[min(i + size, len(offsets)) - 1][1]) for i in range(0, len(offsets), size)]


def answer_window(offsets, a: int, b: int, size: int, rng: random.Random) -> tuple[int, int] | None:
    """A window of ``size`` tokens holding characters [a, b), at a random place around them."""
    first = next((t for t, o in enumerate(offsets) if o[1] > a), None)
    last = next((t for t in range(len(offsets) - 1, -1, -1) if offsets[t][0] < b), None)
    if first is None or last is None or last - first + 1 > size:
        return None
    lo = rng.randint(max(0, last - size + 1), max(0, min(first, len(offsets) - size)))
    return offsets[lo][0], offsets[min(lo + size, len(offsets)) - 1][1]


def _same_question(rs: list[Record]) -> dict[tuple[str, str], list[Record]]:
    """Records by (document, normalised question): PolicyQA asks the same question of many paragraphs."""
    out: dict[tuple[str, str], list[Record]] = {}
    for r in rs:
        out.setdefault((r.doc, normalize(r.question)), []).append(r)
    return out


def _paragraph_pairs(rs: list[Record], twins: dict, rng: random.Random, gs: GaugeSet) -> None:
    """Negative: a paragraph of the document that holds no answer of this question, nor of the same
    question asked of another paragraph."""
    for r in rs:
        gs.add_positive(r, r.context)
        same = twins[(r.doc, normalize(r.question))]
        gold = {t.index for t in same}
        texts = {a.lower() for t in same for a, _ in t.answers}
        cands = [i for i, p in enumerate(r.paragraphs) if i not in gold and not any(a in p.lower() for a in texts)]
        if cands:
            gs.negatives.append((r.question, r.paragraphs[rng.choice(cands)]))


def _paper_pairs(rs: list[Record], twins: dict, rng: random.Random, gs: GaugeSet, tok, size: int) -> None:
    """Positive: a window around the answer; negative: a window clear of every answer to the question."""
    cache: dict[str, list] = {}
    for r in rs:
        if r.context not in cache:
            cache[r.context] = tok.encode(r.context, add_special_tokens=False).offsets
        offsets = cache[r.context]
        a, b = r.answer_start, r.answer_start + len(r.answer_text)
        win = answer_window(offsets, a, b, size, rng)
        if win is None:
            continue
        gs.add_positive(r, r.context[win[0]:win[1]])
        spans = [(s, s + len(t)) for x in twins[(r.doc, normalize(r.question))] for t, s in x.answers]
        texts = {t.lower() for t, _ in r.answers}
        cands = [(x, y) for x, y in grid(offsets, size) if all(y <= s or x >= e for s, e in spans)
                 and not any(t in r.context[x:y].lower() for t in texts)]
        if cands:
            x, y = rng.choice(cands)
            gs.negatives.append((r.question, r.context[x:y]))


def _synthetic_pairs(rs: list[Record], rng: random.Random, gs: GaugeSet) -> None:
    for r in rs:
        if r.id in gs.passage_of:
            made = [m for m in (synthetic.swap(r, rng), synthetic.neighbour(r, rng)) if m]
            gs.synthetic += [(m.question, gs.passage_of[r.id]) for m in made]


def build(folder: Path, n: int, seed: int, tokenizer_path: Path, window: int = 256, names=tuple(SETS),
          with_synthetic: bool = True) -> list[GaugeSet]:
    """Up to ``n`` answerable questions per set (``n=0``: all), drawn with ``seed``; ``window`` in tokens
    of the reader's tokenizer."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer_path))
    tok.no_truncation()
    tok.no_padding()
    out = []
    for name in names:
        path = folder / SETS[name]
        every = [r for r in data.load(path) if r.answerable]
        twins = _same_question(every)
        rng = random.Random(seed)
        rs = rng.sample(every, n) if 0 < n < len(every) else every
        gs = GaugeSet(name, path)
        if name == "covidqa":
            _paper_pairs(rs, twins, rng, gs, tok, window)
        else:
            _paragraph_pairs(rs, twins, rng, gs)
        if with_synthetic:
            _synthetic_pairs(rs, rng, gs)
        out.append(gs)
    return out
