"""Helpers for the chat-window tests: what a browser would show of an HTML fragment,
a check that no markup of ours is live, a corpus with script payloads, a recording answerer."""

from __future__ import annotations

import html
import re

from qa.answering.answer import Answer, Citation

PAYLOADS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]
XSS_CORPUS = {
    "birds.md": (
        "# Birds of the city\n\n## Crows\n\n"
        "Crows are clever birds that use tools and remember faces.\n"
        "The crow nests in tall trees <script>alert(1)</script> near the river every spring.\n\n"
        "## Herons\n\n"
        "The heron wades in shallow water <img src=x onerror=alert(1)> and eats small fish.\n"
    ),
    "notes.txt": "Other notes\n\nPigeons live in every square of the old town, all year round.\n",
}


def plain(fragment: str) -> str:
    """What a browser would show for an HTML fragment (tags dropped, references decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def marked(fragment: str) -> list[str]:
    """The text of every ``<mark>`` (the exact answer's ``<strong>`` inside one counts as its text)."""
    return [plain(m) for m in re.findall(r"<mark>(.*?)</mark>", fragment, flags=re.S)]


def no_live_markup(fragment: str) -> None:
    """Every tag is one the renderer writes itself, with its own harmless attributes."""
    lowered = fragment.lower()
    assert "<script" not in lowered and "<img" not in lowered
    for name, attrs in re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)([^>]*)>", fragment):
        assert name in {"div", "span", "sup", "b", "i", "q", "mark", "p", "article", "header", "details",
                        "summary", "strong", "del"}, name
        assert set(re.findall(r"([a-zA-Z-]+)=", attrs)) <= {"class", "id", "role", "title", "style"}, attrs


class RecordingAnswerer:
    """Answers every question with a fixed cited sentence and records the history it was given."""

    def __init__(self, exc: BaseException | None = None):
        self.exc = exc
        self.calls: list[tuple[str, list]] = []

    def ask(self, question, history=None):
        self.calls.append((question, list(history or [])))
        if self.exc is not None:
            raise self.exc
        from qa.app.api import validate_question

        q = validate_question(question)
        c = Citation("a.txt", "Crows are clever. They use tools.", 0, 33, [(18, 33)], 0.7, "Birds", "Crows")
        return Answer(q, "They use tools. [1]", [c], False, 0.9, query=q, passages=[c])
