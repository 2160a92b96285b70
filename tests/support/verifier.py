"""A passage and a one-claim check for the verifier's tests (tests/answering/test_verifier*.py)."""

from __future__ import annotations

from langchain_core.documents import Document

from qa.answering.claims import Claim
from qa.answering.evidence import OverlapScorer
from qa.answering.verify import Verifier

OWLS = "Owls hunt at night. A barn owl eats about four mice every night. Owls nest in old barns."


def passage(text=OWLS, source="owls.md", start=0, sentences=None) -> Document:
    """A retrieved passage (its sentence hits only when given)."""
    return Document(text, metadata={"source": source, "start": start, "end": start + len(text), "score": 1.0,
                                    **({"sentences": sentences} if sentences else {})})


def check(claim: str, cited=(1,), question="What do owls eat?", passages=None, **kw):
    """The verifier's verdict on one ``claim`` citing ``cited``, with word overlap as the only scorer."""
    v = Verifier([OverlapScorer()], **kw)
    return v.check(question, passages or [passage()], [Claim(claim, list(cited))])[0]
