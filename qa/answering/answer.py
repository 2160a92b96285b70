"""What a question gets back: an :class:`Answer` with its :class:`Citation` s.

    >>> c = Citation(source="a.txt", text="Crows are clever. They use tools.", start=10, end=43,
    ...              highlights=[(0, 17)], score=0.8, title="Birds", section="Crows", page=2)
    >>> a = Answer(question="Are crows clever?", text="Crows are clever. [1]", citations=[c],
    ...            abstained=False, confidence=0.9)
    >>> a.citations[0].highlighted_text()
    ['Crows are clever.']
    >>> Answer.from_dict(a.to_dict()) == a
    True

Old JSON without ``page`` still loads (``page`` is None):

    >>> Citation.from_dict({"source": "a.txt", "text": "x", "start": 0, "end": 1, "highlights": [],
    ...                     "score": 0.5}).page is None
    True

Marker ``[n]`` in ``Answer.text`` refers to ``Answer.citations[n-1]``
(:data:`MARKER` finds them, :func:`strip_markers` drops them);
``Citation.start``/``end`` are offsets into the cited document's text, and
``highlights`` are ``(start, end)`` spans inside ``Citation.text``. ``Answer.short_answer``
is the exact phrase that answers (empty when the reader has none, or abstained), and
``Citation.answer_spans`` are where that phrase stands inside ``Citation.text``.

    >>> strip_markers(a.text)
    'Crows are clever.'

A written answer (:class:`~qa.answering.generative.GenerativeReader`) also says what its
check of every sentence found: ``dropped`` lists the sentences left out (or, with
``QA_LLM_UNVERIFIED=mark``, kept in the text but marked) and why, and ``verification``
counts the sentences checked. Old JSON without these fields still loads.

    >>> d = DroppedSentence("Crows can talk.", "unsupported", [1], 0.02)
    >>> Answer.from_dict({**a.to_dict(), "dropped": [d.to_dict()]}).dropped == [d]
    True
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field

MARKER = re.compile(r"\[(\d+)\]")   # a citation marker in Answer.text; group 1 is n
_SPACED_MARKER = re.compile(r"\s*" + MARKER.pattern)


def strip_markers(text: str) -> str:
    """``text`` without its ``[n]`` markers (and the space before each)."""
    return _SPACED_MARKER.sub("", text)


@dataclass
class Citation:
    """A passage an answer rests on, where it is in its document, and what in it supports the answer."""

    source: str                # document path relative to the corpus folder
    text: str                  # the cited passage
    start: int                 # offsets of the passage in the document's text
    end: int
    highlights: list[tuple[int, int]]  # spans inside ``text`` that support the answer
    score: float               # retrieval score of the passage
    title: str = ""
    section: str = ""
    passage_id: int = -1
    answer_spans: list[tuple[int, int]] = field(default_factory=list)  # the short answer, inside ``text``
    page: int | None = None    # the page (from 1) of a PDF's passage; None for formats without pages

    def highlighted_text(self) -> list[str]:
        """The highlighted spans' text."""
        return [self.text[a:b] for a, b in self.highlights]

    def to_dict(self) -> dict:
        """JSON-able: highlights as lists."""
        d = asdict(self)
        d["highlights"] = [list(h) for h in self.highlights]
        d["answer_spans"] = [list(s) for s in self.answer_spans]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Citation":
        """Read what :meth:`to_dict` wrote."""
        d = dict(d)
        d["highlights"] = [tuple(h) for h in d.get("highlights", [])]
        d["answer_spans"] = [tuple(s) for s in d.get("answer_spans", [])]
        return cls(**d)


# Why a written sentence was dropped (DroppedSentence.reason).
UNSUPPORTED = "unsupported"            # the passages it cites don't say it
MISSING_PASSAGE = "missing passage"    # it cites a passage number that was not given to the model
INSTRUCTION = "instruction"            # it repeats an instruction planted in a document
REASONS = (UNSUPPORTED, MISSING_PASSAGE, INSTRUCTION)


@dataclass
class DroppedSentence:
    """A sentence of a written answer that did not pass the check against its sources.

    ``cited``: the passage numbers it cited, as the model numbered them (1 = the first
    passage retrieved); ``support``: the verifier's probability that they support it;
    ``shown``: ``(start, end)`` of the sentence in ``Answer.text`` when it was kept there,
    marked as unverified (``QA_LLM_UNVERIFIED=mark``); ``None`` when it was removed."""

    text: str
    reason: str
    cited: list[int]
    support: float = 0.0
    shown: tuple[int, int] | None = None

    def to_dict(self) -> dict:
        """JSON-able."""
        d = asdict(self)
        d["shown"] = list(self.shown) if self.shown else None
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "DroppedSentence":
        """Read what :meth:`to_dict` wrote."""
        d = dict(d)
        d["shown"] = tuple(d["shown"]) if d.get("shown") else None
        d["cited"] = [int(n) for n in d.get("cited", [])]
        return cls(**d)


@dataclass
class Verification:
    """What the check of a written answer counted: ``sentences`` written by the model,
    ``supported`` (kept as verified), ``cited`` (that carried at least one ``[n]``) and
    ``cited_correctly`` (whose every ``[n]`` named a passage that supports it)."""

    sentences: int = 0
    supported: int = 0
    cited: int = 0
    cited_correctly: int = 0


@dataclass
class Answer:
    """What a question gets back: text with ``[n]`` markers, citations, and whether it abstained."""

    question: str
    text: str                  # the answer, with [n] markers
    citations: list[Citation]
    abstained: bool            # True when the documents don't hold the answer
    confidence: float          # in [0, 1]
    query: str = ""            # what was searched (the question, with context from the conversation)
    passages: list[Citation] = field(default_factory=list)  # every passage retrieved, best first
    short_answer: str = ""     # the exact phrase that answers; "" when abstained or when the reader gives none
    dropped: list[DroppedSentence] = field(default_factory=list)  # written sentences that failed the check
    verification: Verification | None = None  # a written answer's check, counted (None: a quoted answer)
    note: str = ""             # for people: e.g. the model timed out and the quoted answer was given

    def to_dict(self) -> dict:
        """JSON-able, citations and passages included (the ``/ask`` endpoint returns it)."""
        d = asdict(self)
        d["citations"] = [c.to_dict() for c in self.citations]
        d["passages"] = [p.to_dict() for p in self.passages]
        d["dropped"] = [x.to_dict() for x in self.dropped]
        return d

    def to_json(self, **kwargs) -> str:
        """:meth:`to_dict` as JSON text (``kwargs`` go to ``json.dumps``)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)

    @classmethod
    def from_dict(cls, d: dict) -> "Answer":
        """Read what :meth:`to_dict` wrote."""
        d = dict(d)
        d["citations"] = [Citation.from_dict(c) for c in d.get("citations", [])]
        d["passages"] = [Citation.from_dict(c) for c in d.get("passages", [])]
        d["dropped"] = [DroppedSentence.from_dict(x) for x in d.get("dropped", [])]
        d["verification"] = Verification(**d["verification"]) if d.get("verification") else None
        return cls(**d)
