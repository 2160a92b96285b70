"""BM25 over passages, with `bm25s` (sparse-matrix BM25), English stemming and stop words.

    >>> bm = LexicalIndex.build(["Crows are clever birds.", "Trade between Iran and Pakistan."])
    >>> scores = bm.scores("Which birds are clever?")
    >>> int(scores.argmax())
    0
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..ingest.text import words

STOP_WORDS = frozenset(
    """a an the and or but if then else of to in on at by for with about against between into through
    during before after above below from up down out off over under again further once here there when
    where why how all any both each few more most other some such no nor not only own same so than too
    very can will just should now is are was were be been being have has had having do does did doing
    i me my we our you your he him his she her it its they them their what which who whom this that
    these those am would could shall may might must also as s t""".split()
)


BM25_K1, BM25_B = 1.2, 0.75   # the usual BM25 saturation and length normalisation
EMPTY_TOKEN = "\u2400"        # stands in for a passage with no token left, so bm25s keeps its row


def _bm25s():
    """bm25s, imported; it sets its own logger to DEBUG on import, which would print a line
    per build: its level goes back to the application's (``qa -v`` shows them)."""
    import bm25s

    log = logging.getLogger("bm25s")
    if log.level == logging.DEBUG:
        log.setLevel(logging.NOTSET)
    return bm25s


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def analyze(text: str) -> list[str]:
    """Tokens for BM25: folded, lower-cased words without stop words, stemmed."""
    toks = [w.replace("'s", "").replace("'", "") for w in words(text)]
    toks = [t for t in toks if t and t not in STOP_WORDS]
    return _stemmer().stemWords(toks)


class LexicalIndex:
    """BM25 scores of passages for a query; ids are passage ids."""

    def __init__(self, model, vocab: dict[str, int], n_docs: int):
        self.model = model
        self.vocab = vocab
        self.n_docs = n_docs

    @classmethod
    def build(cls, texts: list[str]) -> "LexicalIndex":
        """Index ``texts`` (one per passage, in id order)."""
        bm25s = _bm25s()
        tokens = [analyze(t) or [EMPTY_TOKEN] for t in texts]
        model = bm25s.BM25(k1=BM25_K1, b=BM25_B)
        model.index(tokens, show_progress=False)
        return cls(model, {str(k): int(v) for k, v in model.vocab_dict.items()}, len(texts))

    def scores(self, query: str) -> np.ndarray:
        """The BM25 score of every passage for ``query`` (zeros when no word is known)."""
        ids = sorted({self.vocab[t] for t in analyze(query) if t in self.vocab})
        if not ids:
            return np.zeros(self.n_docs, dtype=np.float32)
        return np.asarray(self.model.get_scores_from_ids(ids), dtype=np.float32)

    def save(self, folder: Path) -> None:
        """Write bm25s's JSON and .npy files into ``folder`` (never a pickle)."""
        self.model.save(str(folder), allow_pickle=False)

    @classmethod
    def load(cls, folder: Path, n_docs: int) -> "LexicalIndex":
        """Read what :meth:`save` wrote (pickles refused)."""
        bm25s = _bm25s()
        model = bm25s.BM25.load(str(folder), allow_pickle=False, load_corpus=False)
        vocab = json.loads((folder / "vocab.index.json").read_text(encoding="utf-8"))
        return cls(model, {str(k): int(v) for k, v in vocab.items()}, n_docs)
