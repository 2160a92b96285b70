"""The chat bubble's extras for written answers: the text as it streams in, sentences marked
unverified (``QA_LLM_UNVERIFIED=mark``) struck through in place, the sentences removed by the
check listed struck through, each with a tooltip saying why, and the answer's note. Everything
from the model or a document goes through :func:`~qa.app.render.escape_text` like the rest.

    >>> from qa.answering.answer import Answer, DroppedSentence
    >>> a = Answer("Q?", "Owls hunt at night. [1]", [], False, 0.9,
    ...            dropped=[DroppedSentence("Owls <b>fly</b> at 300 km/h.", "unsupported", [1])])
    >>> html = dropped_html(a)
    >>> '<del class="qa-removed" title="Removed&#58; the passages it cites don&#39;t say this.">' in html
    True
    >>> 'Owls &#60;b&#62;fly&#60;/b&#62; at 300 km/h.</del>' in html
    True
"""

from __future__ import annotations

from dataclasses import replace

from ..answering.answer import INSTRUCTION, MISSING_PASSAGE, Answer, DroppedSentence
from .render import escape_text, render_answer_text

WRITING_NOTE = "Writing\u2026 every sentence is checked against the documents when the answer is complete."


def why(d: DroppedSentence, shown: bool = False) -> str:
    """The tooltip of a sentence that failed the check."""
    if d.reason == MISSING_PASSAGE:
        missing = ", ".join(str(n) for n in d.cited)
        return f"Removed: it cites a passage ({missing}) that the model was not given."
    if d.reason == INSTRUCTION:
        return "Removed: it repeats an instruction planted in a document."
    lead = "Unverified" if shown else "Removed"
    return f"{lead}: the passages it cites don't say this." if d.cited else f"{lead}: no passage says this."


def _del(d: DroppedSentence, css: str, shown: bool = False) -> str:
    return f'<del class="{css}" title="{escape_text(why(d, shown))}">{escape_text(d.text)}</del>'


def marked_text(answer: Answer) -> str:
    """The answer's text with its ``[n]`` badges, and each sentence kept unverified struck through."""
    marked = sorted((d for d in answer.dropped if d.shown), key=lambda d: d.shown[0])
    out, pos = [], 0
    for d in marked:
        a, b = d.shown
        out += [render_answer_text(replace(answer, text=answer.text[pos:a])), _del(d, "qa-unverified", True)]
        pos = b
    out.append(render_answer_text(replace(answer, text=answer.text[pos:])))
    return "".join(out)


def dropped_html(answer: Answer) -> str:
    """The sentences the check removed, struck through with why in a tooltip ("" when none)."""
    removed = [d for d in answer.dropped if not d.shown]
    if not removed:
        return ""
    items = " ".join(_del(d, "qa-removed") for d in removed)
    return (f'<div class="qa-dropped"><span class="qa-muted">Removed by the check against the documents:</span> '
            f'{items}</div>')


def note_html(answer: Answer) -> str:
    """The answer's note, e.g. that the model timed out ("" when none)."""
    return f'<div class="qa-note" role="note">{escape_text(answer.note)}</div>' if answer.note else ""


def answer_parts(answer: Answer) -> tuple[str, str]:
    """``(the answer's text as HTML, what follows it)``: for a quoted answer its text and nothing;
    for a written one, unverified sentences struck through in place, then the removed ones and the note."""
    if not (answer.dropped or answer.note):
        return render_answer_text(answer), ""
    return marked_text(answer), dropped_html(answer) + note_html(answer)


def writing_html(text: str) -> str:
    """The bubble of an answer being written: the model's words so far, not yet checked."""
    return (f'<div class="qa-answer qa-writing">{escape_text(text).replace(chr(10), " ")}</div>'
            f'<div class="qa-muted qa-checking">{escape_text(WRITING_NOTE)}</div>')
