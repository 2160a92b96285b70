"""Question sets: JSONL, one object per line, and the stable dev/test halves of a set.

    {"id": "q001", "question": "...", "history": [["previous question", "previous answer"]],
     "answers": ["acceptable", "answers"], "evidence": "a phrase of the source", "type": "date"}

``answers`` is empty for a question the documents can't answer.

    >>> split_of("q001"), split_of("q002")
    ('dev', 'test')
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Question:
    """One question of a set, with what counts as a right answer."""

    id: str
    question: str
    answers: list[str]
    evidence: str = ""
    type: str = "fact"
    history: list[tuple[str, str]] = field(default_factory=list)
    article: str = ""          # the document it was written from (SQuAD-format sets): halves split by it
    withheld: list[str] = field(default_factory=list)   # passages holding any of these are kept from the reader

    @property
    def half_key(self) -> str:
        """What :func:`split_of` splits by: the article when known (a SQuAD set), else the id."""
        return self.article or self.id

    @property
    def answerable(self) -> bool:
        """The documents hold an answer (``answers`` is not empty)."""
        return bool(self.answers)


def load_questions(path) -> list[Question]:
    """Read a JSONL question set; a bad line raises ``ValueError`` naming the line."""
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            if not isinstance(d.get("answers"), list):   # a missing key must not read as "unanswerable"
                raise KeyError("answers (a list; [] for a question the documents can't answer)")
            out.append(Question(id=str(d["id"]), question=d["question"], answers=list(d["answers"]),
                                evidence=d.get("evidence", ""), type=d.get("type", "fact"),
                                history=[tuple(h) for h in d.get("history", [])]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{n}: not a question object ({exc!r}); expected keys id, question, answers") from None
    return out


def split_of(key: str) -> str:
    """A stable half per key (a question id, or an article title): ``"dev"`` (tuned on)
    or ``"test"`` (held out), from a hash of the key."""
    return "dev" if _key_hash(key)[0] % 2 == 0 else "test"


def _key_hash(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def spread(questions: list[Question], n: int) -> list[Question]:
    """``n`` of ``questions``, in their order, chosen by a hash of their ids: the same ones every
    run, drawn from the whole set rather than its first documents.

    >>> qs = [Question(str(i), f"q{i}?", ["a"]) for i in range(10)]
    >>> [q.id for q in spread(qs, 3)], len(spread(qs, 30))
    (['4', '8', '9'], 10)
    """
    if n >= len(questions):
        return list(questions)
    keep = set(sorted(range(len(questions)), key=lambda i: _key_hash(questions[i].id))[:n])
    return [q for i, q in enumerate(questions) if i in keep]


def close_variants(questions: list[Question]) -> list[Question]:
    """A "close" unanswerable question for each answerable one: the same question, asked with
    the passages that hold its answers kept from the reader (the topic is there, the fact is not).

    >>> q = Question("7", "Who built it?", ["Jane"], article="Bridges")
    >>> c = close_variants([q])[0]
    >>> c.id, c.answers, c.withheld, c.type, c.article
    ('7/close', [], ['Jane'], 'close', 'Bridges')
    """
    return [Question(f"{q.id}/close", q.question, [], "", "close", list(q.history), q.article, list(q.answers))
            for q in questions if q.answerable]
