"""A reader that has a chat model write the answer, then checks every sentence of it.

:class:`GenerativeReader` gives the model the retrieved passages (numbered, fenced off as
data: :mod:`qa.answering.prompt`), streams its reply (:mod:`qa.answering.llm_call`: a deadline
and a retry limit), reads the sentences and their ``[n]`` markers (:mod:`qa.answering.claims`),
checks each against the passages it cites (:mod:`qa.answering.verify`) and writes the same
:class:`~qa.answering.answer.Answer` as the other readers (:mod:`qa.answering.written`):
supported sentences with markers renumbered to the citations kept, the evidence highlighted,
``dropped`` saying what was left out and why. When the model fails or times out, the
``fallback`` reader (the quoted answer) answers instead, with a note.

    >>> from langchain_core.documents import Document
    >>> from qa.search.hits import SentenceHit
    >>> from langchain_core.language_models import GenericFakeChatModel
    >>> p = Document("Crows use tools. Owls hunt at night.", metadata={"source": "birds.txt", "start": 0,
    ...     "end": 36, "score": 1.0, "sentences": [SentenceHit(0, 0, 16, 0.2), SentenceHit(1, 17, 36, 0.9)]})
    >>> model = GenericFakeChatModel(messages=iter(["Owls hunt at night [1]. Owls eat 40 mice a day [1]."]))
    >>> answer = GenerativeReader(model).read("When do owls hunt?", [p])
    >>> answer.text, answer.citations[0].highlighted_text()
    ('Owls hunt at night. [1]', ['Owls hunt at night.'])
    >>> [(d.text, d.reason) for d in answer.dropped]
    [('Owls eat 40 mice a day.', 'unsupported')]
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from langchain_core.documents import Document

from ..errors import LLMError, LLMTimeoutError
from .answer import Answer, Verification
from .claims import parse_output
from .evidence import SpanScorer
from .llm_call import stream_text
from .prompt import build_messages
from .reader import Reader, abstain, citation_of
from .verify import Verifier
from .written import UNVERIFIED_MODES, compose_written

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 120.0


def fallback_note(exc: LLMError) -> str:
    """What a person is told when the model could not write the answer."""
    why = "gave no answer in time" if isinstance(exc, LLMTimeoutError) else "could not be reached or failed"
    return f"The chat model {why}, so this answer is quoted from the documents instead."


class GenerativeReader(Reader):
    """A chat model writes the answer; every sentence is checked against the passages it cites.

    ``model``: a LangChain ``BaseChatModel``; ``verifier``: default :class:`Verifier` with word
    overlap only (the answerer gives it the embeddings and the index); ``fallback``: the reader
    used when the model fails (default: the extractive reader); ``unverified``: ``"drop"`` or
    ``"mark"`` (``QA_LLM_UNVERIFIED``); ``timeout_s``/``retries``: ``QA_LLM_TIMEOUT``/``QA_LLM_RETRIES``."""

    streams = True

    def __init__(self, model, *, verifier: Verifier | None = None, fallback: Reader | None = None,
                 unverified: str = "drop", timeout_s: float = DEFAULT_TIMEOUT_S, retries: int = 1):
        if unverified not in UNVERIFIED_MODES:
            raise ValueError(f"unverified must be one of {UNVERIFIED_MODES}, got {unverified!r}")
        if fallback is None:
            from .extractive import ExtractiveReader

            fallback = ExtractiveReader()
        self.model = model
        self.verifier = verifier or Verifier()
        self.fallback = fallback
        self.unverified = unverified
        self.timeout_s = float(timeout_s)
        self.retries = int(retries)

    def read(self, question, passages, *, query=None, history=None) -> Answer:
        """The checked written answer (or the fallback's, with a note)."""
        answer = None
        for item in self.stream(question, passages, query=query, history=history):
            answer = item
        return answer

    def stream(self, question: str, passages: list[Document], *, query: str | None = None,
               history: list[tuple[str, str]] | None = None) -> Iterator[str | Answer]:
        """The model's text as it comes (``str`` pieces, unchecked), then the checked :class:`Answer`."""
        query = query or question
        if not passages:
            yield abstain(question, query, 0.0, [])
            return
        pieces: list[str] = []
        try:
            for piece in stream_text(self.model, build_messages(question, passages, history),
                                     timeout_s=self.timeout_s, retries=self.retries):
                pieces.append(piece)
                yield piece
        except LLMError as exc:
            logger.warning("Falling back to the quoted answer for %.200r: %s", question, exc)
            answer = self.fallback.read(question, passages, query=query, history=history)
            answer.note = fallback_note(exc)
            yield answer
            return
        yield self.finish(question, query, "".join(pieces), passages)

    def finish(self, question: str, query: str, output: str, passages: list[Document]) -> Answer:
        """The answer from the model's complete reply ``output``."""
        retrieved = [citation_of(p, []) for p in passages]
        parsed = parse_output(output)
        if parsed.no_answer or not parsed.claims:
            answer = abstain(question, query, 0.0, retrieved)
            answer.verification = Verification()
            return answer
        checks = self.verifier.check(question, passages, parsed.claims)
        return compose_written(question, query, checks, passages, retrieved, self.unverified,
                               short=self.phrase(question, checks, passages))

    def phrase(self, question: str, checks: list, passages: list[Document]):
        """The exact phrase of the answer, when the verifier reads with the span model (its
        :class:`~qa.answering.evidence.SpanScorer`) and a kept claim states a span; else ``None``."""
        scorer = next((s for s in self.verifier.scorers if isinstance(s, SpanScorer)), None)
        kept = [c for c in checks if c.supported]
        return scorer.phrase(question, kept, passages) if scorer is not None and kept else None
