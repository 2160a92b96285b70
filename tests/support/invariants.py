"""The invariants every answer keeps, whatever the question and whatever the documents hold
(:func:`check_answer`):

* every citation and retrieved passage is a true slice of its document
  (``doc.text[c.start:c.end] == c.text``), every highlight lies inside its passage;
* an answer is extractive: its text is the highlighted sentences (white space
  collapsed, possibly clipped with an ellipsis), each followed by its ``[n]``
  marker, and nothing else; at most ``MAX_ANSWER_CHARS`` characters besides the markers;
  its markers are ``[1]`` to ``[number of citations]``;
* confidence is a number in [0, 1]; an abstention cites nothing.

:func:`ask_checked` adds: nothing but :class:`QuestionError` escapes ``Answerer.ask``.
"""

from __future__ import annotations

import math

from qa.answering.reader import MAX_ANSWER_CHARS
from qa.errors import QuestionError

ELLIPSIS = "\u2026"


def check_citations(bot, citations) -> None:
    """Each citation is its document's text between its offsets; its highlights lie inside it."""
    for c in citations:
        doc = bot.index.documents[bot.index.by_source[c.source]]
        assert doc.text[c.start:c.end] == c.text
        assert 0 <= c.start < c.end <= len(doc.text)
        for a, b in c.highlights:
            assert 0 <= a < b <= len(c.text)


def extractive_parts(answer) -> list[tuple[str, int]]:
    """Split ``answer.text`` into (sentence, marker number) parts, checking that each part is
    a highlighted sentence of the citation its marker points to (white space collapsed,
    maybe clipped with an ellipsis) and that the parts make up the whole text."""
    pieces = [(" ".join(h.split()), n) for n, c in enumerate(answer.citations, 1) for h in c.highlighted_text()]
    text, pos, parts = answer.text, 0, []
    while pos < len(text):
        for i, (sentence, n) in enumerate(pieces):
            marker = f" [{n}]"
            if text.startswith(sentence + marker, pos):
                end = pos + len(sentence + marker)
                break
            clipped = ELLIPSIS + marker  # a sentence shortened to fit the answer
            j = text.find(clipped, pos)
            while j >= 0 and (j == pos or not sentence.startswith(text[pos:j])):
                j = text.find(clipped, j + 1)
            if j >= 0:
                end = j + len(clipped)
                break
        else:
            raise AssertionError(f"answer text at {pos} is not a cited sentence: {text[pos:pos + 80]!r} "
                                 f"(highlights: {pieces!r})")
        parts.append(pieces.pop(i))
        pos = end
        if pos < len(text):
            assert text[pos] == " ", f"parts must be separated by one space: {text!r}"
            pos += 1
    assert not pieces, f"highlights missing from the answer text: {pieces!r}"
    return parts


def check_answer(bot, answer) -> None:
    """Every invariant of the module docstring, for ``answer`` from ``bot`` (an ``Answerer``)."""
    assert isinstance(answer.text, str) and answer.text.strip()
    assert isinstance(answer.confidence, float) and not math.isnan(answer.confidence)
    assert 0.0 <= answer.confidence <= 1.0
    check_citations(bot, answer.citations + answer.passages)
    assert all(not p.highlights for p in answer.passages)
    if answer.abstained:
        assert answer.citations == []
        return
    assert answer.citations and all(c.highlights for c in answer.citations)
    parts = extractive_parts(answer)
    assert sorted({n for _, n in parts}) == list(range(1, len(answer.citations) + 1))
    markers = sum(len(f" [{n}]") for _, n in parts)
    assert len(answer.text) - markers <= MAX_ANSWER_CHARS
    passage_ids = {p.passage_id for p in answer.passages}
    assert {c.passage_id for c in answer.citations} <= passage_ids


def ask_checked(bot, question) -> object | None:
    """Ask; a QuestionError is the only failure allowed. Returns the answer or None."""
    try:
        answer = bot.ask(question)
    except QuestionError as exc:
        assert str(exc).strip() and "\n" not in str(exc)
        return None
    check_answer(bot, answer)
    return answer


def ask_answered(bot, question):
    """Ask a question the documents answer: the answer keeps every invariant and is no abstention."""
    answer = bot.ask(question)
    check_answer(bot, answer)
    assert not answer.abstained, answer.text
    return answer
