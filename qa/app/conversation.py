"""A conversation in the chat window, as plain data: one :class:`ChatTurn` per question,
kept between questions as JSON-able dicts, and :func:`respond`, which asks the
answerer and never raises (an error becomes a turn that says what went wrong).

    >>> from qa.answering.answer import Answer
    >>> turn = ChatTurn.of(Answer("Do crows use tools?", "They use tools. [1]", [], False, 0.9))
    >>> turn.kind, ChatTurn.from_state(turn.to_state()) == turn
    ('answer', True)
    >>> history_of([turn.to_state()])
    [('Do crows use tools?', 'They use tools. [1]')]
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from ..answering.answer import Answer
from ..errors import BusyError, QAError, QuestionError

logger = logging.getLogger(__name__)

GENERIC_ERROR = "Sorry, something went wrong while answering. The problem has been logged; please try again."
BUSY_MESSAGE = "The server is busy answering other questions. Please try again in a moment."
MAX_TURNS = 100            # conversation turns kept in a session


@dataclass
class ChatTurn:
    """One exchange: what was asked and what came back.

    ``kind`` is ``"answer"``, ``"abstained"`` (the documents don't hold the answer) or
    ``"error"`` (the question could not be asked; ``error`` says why, for people)."""

    question: str
    kind: str
    answer: Answer | None = None
    error: str = ""

    @classmethod
    def of(cls, answer: Answer, question: str | None = None) -> "ChatTurn":
        """The turn of an answer (or abstention); ``question`` as typed, default the answer's."""
        return cls(question if question is not None else answer.question,
                   "abstained" if answer.abstained else "answer", answer)

    def history_pair(self) -> tuple[str, str] | None:
        """``(question, answer text)`` for the next question's history; ``None`` for an error."""
        return (self.answer.question, self.answer.text) if self.answer is not None else None

    def to_state(self) -> dict:
        """A JSON-able dict (what a Gradio ``State`` keeps between questions)."""
        return {"question": self.question, "kind": self.kind, "error": self.error,
                "answer": self.answer.to_dict() if self.answer is not None else None}

    @classmethod
    def from_state(cls, d: Mapping) -> "ChatTurn":
        """Read what :meth:`to_state` wrote."""
        answer = Answer.from_dict(d["answer"]) if d.get("answer") else None
        return cls(str(d.get("question", "")), str(d.get("kind", "error")), answer, str(d.get("error", "")))


def as_turn(turn: ChatTurn | Mapping) -> ChatTurn:
    """A turn, from itself or from its state dict."""
    return turn if isinstance(turn, ChatTurn) else ChatTurn.from_state(turn)


def history_of(turns: Iterable[ChatTurn | Mapping]) -> list[tuple[str, str]]:
    """The ``(question, answer text)`` pairs of the turns that got an answer or an abstention."""
    pairs = [as_turn(turn).history_pair() for turn in turns]
    return [pair for pair in pairs if pair is not None]


def friendly_error(exc: BaseException) -> str:
    """What a person is told about ``exc``: the library's own message for a typed error,
    a generic apology for anything else (whose details go to the log, not the page)."""
    if isinstance(exc, BusyError):
        return f"{BUSY_MESSAGE} ({exc})"
    if isinstance(exc, QAError):
        return str(exc)
    return GENERIC_ERROR


def _error_turn(question: str, exc: BaseException) -> ChatTurn:
    """The turn of a question that could not be answered (logged unless it was a bad question)."""
    if isinstance(exc, QuestionError):
        return ChatTurn(question, "error", error=friendly_error(exc))
    if isinstance(exc, QAError):
        logger.warning("Could not answer %.200r: %s", question, exc)
        return ChatTurn(question, "error", error=friendly_error(exc))
    logger.error("Unexpected error while answering %.200r", question, exc_info=exc)
    return ChatTurn(question, "error", error=GENERIC_ERROR)


def _as_text(message) -> str:
    return message if isinstance(message, str) else ("" if message is None else repr(message))


def respond(answerer, message, history=None) -> ChatTurn:
    """Ask ``answerer`` the question ``message`` in a conversation.

    ``history`` is a list of ``(question, answer_text)`` pairs (see :func:`history_of`).
    Never raises for a bad question or a failing answerer: the turn is an ``"error"``
    with a message fit to show, and an unexpected exception is logged with its traceback.
    """
    question = _as_text(message)
    try:
        answer = answerer.ask(message, history=list(history or []))
    except Exception as exc:  # noqa: BLE001 - the window must stay up whatever happens
        return _error_turn(question, exc)
    return ChatTurn.of(answer, question)


def respond_stream(answerer, message, history=None) -> Iterator[str | ChatTurn]:
    """:func:`respond` for an answerer that writes its answers (``answerer.stream``): the text
    pieces as they come (``str``, not yet checked), then the :class:`ChatTurn`. Never raises."""
    question = _as_text(message)
    try:
        for item in answerer.stream(message, history=list(history or [])):
            if isinstance(item, str):
                yield item
            else:
                yield ChatTurn.of(item, question)
                return
    except Exception as exc:  # noqa: BLE001 - the window must stay up whatever happens
        yield _error_turn(question, exc)
        return
    yield ChatTurn(question, "error", error=GENERIC_ERROR)


def api_answer(answerer, question, history=None) -> dict:
    """The ``/ask`` API endpoint: ``answer.to_dict()``; raises :class:`QAError` for a bad question."""
    if history is not None and not isinstance(history, (list, tuple)):
        raise QuestionError("history must be a list of [question, answer] pairs.")
    return answerer.ask(question, history=[tuple(p) if isinstance(p, (list, tuple)) else p
                                           for p in (history or [])]).to_dict()
