"""Close negatives: an answerable question paired with another paragraph of its document that
does not hold the answer (label: no answer here).

- ``close``: a random such paragraph;
- ``hardclose``: the one sharing the most content words with the question, the kind of passage a
  retriever brings when the answer is not in the corpus.

    >>> import random
    >>> from training.data import Record
    >>> paras = ("Lovelace wrote notes.", "Babbage built engines.")
    >>> r = Record("q", "Who wrote notes?", paras[0], (("Lovelace", 0),), "Ada", paras, 0)
    >>> close(r, random.Random(0)).context
    'Babbage built engines.'
"""

from __future__ import annotations

import functools
import random

from .data import Record
from .synthetic import content


def _without_answer(r: Record) -> list[int]:
    """Indices of the other paragraphs of ``r``'s document that hold none of its answers (none for
    a question without answers)."""
    texts = {t for t, _ in r.answers}
    return [i for i, p in enumerate(r.paragraphs) if i != r.index and not any(t in p for t in texts)] \
        if texts else []


def close(r: Record, rng: random.Random) -> Record | None:
    """The question against another paragraph of its document that holds none of its answers."""
    cands = _without_answer(r)
    if not cands:
        return None
    i = rng.choice(cands)
    return r.unanswerable("close", context=r.paragraphs[i], index=i)


def hard_close(r: Record, rng: random.Random) -> Record | None:
    """Like ``close``, but the paragraph (without the answer) that shares the most content words with
    the question: the kind of passage a retriever brings when the answer is not in the corpus.

    >>> from training.data import Record
    >>> paras = ("Lovelace wrote notes.", "Babbage built engines.", "Babbage wrote letters, not notes.")
    >>> r = Record("q", "Who wrote notes?", paras[0], (("Lovelace", 0),), "Ada", paras, 0)
    >>> hard_close(r, random.Random(0)).context
    'Babbage wrote letters, not notes.'
    """
    cands = _without_answer(r)
    if not cands:
        return None
    asked = content(r.question)
    shared = {i: len(asked & _paragraph_stems(r.paragraphs[i])) for i in cands}
    most = max(shared.values())
    i = rng.choice([i for i in cands if shared[i] == most])
    return r.unanswerable("hardclose", context=r.paragraphs[i], index=i)


@functools.lru_cache(maxsize=50_000)
def _paragraph_stems(text: str) -> frozenset[str]:
    return frozenset(content(text))
