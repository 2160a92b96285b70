"""Format loaders: the decoded text of a file in, its title and sections out.

A loader must not change the text (every offset points into it). Plain text
gets headings too: a short line standing alone between blank lines, with no
closing punctuation, is a heading; the first one is the title.

    >>> title, sections = load_markdown("# Birds\\n\\n## Crows\\n\\nCrows are clever.\\n", "birds")
    >>> title, [s.heading for s in sections]
    ('Birds', ['', 'Crows'])
    >>> load_plain_text("Birds\\n\\nCrows are clever.\\n", "birds")[0]
    'Birds'

New formats plug in with :func:`register_loader`; :data:`LOADERS` maps a file
suffix to its loader.
"""

from __future__ import annotations

import re
from typing import Callable

from .document import Section

# A loader turns the decoded text of a file and a fallback title into (title, sections).
Loader = Callable[[str, str], tuple[str, list[Section]]]

HEADING_MAX_CHARS = 90   # a plain-text line longer than this is body text, not a heading
HEADING_MAX_WORDS = 12
_BLOCK = re.compile(r"[^\n]+(?:\n[^\n]+)*")
_MD_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_MD_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def _looks_like_heading(line: str) -> bool:
    s = line.strip()
    if not s or len(s) > HEADING_MAX_CHARS or len(s.split()) > HEADING_MAX_WORDS:
        return False
    if s[-1] in ".,;:!?\u2026\"'\u201d\u2019)" or not (s[0].isupper() or s[0].isdigit()):
        return False
    return any(ch.isalpha() for ch in s)


def sections_from_headings(text: str, headings: list[tuple[int, int, str]]) -> list[Section]:
    """Sections from ``(line_start, line_end, heading)`` triples in order; a heading
    of ``""`` marks a title line, which is not body text."""
    sections: list[Section] = []
    body_start, current = 0, ""
    for line_start, line_end, heading in headings:
        if line_start > body_start or sections or current:
            sections.append(Section(current, body_start, line_start))
        current, body_start = heading, line_end
    sections.append(Section(current, body_start, len(text)))
    return [s for s in sections if s.end > s.start or len(sections) == 1]


def load_plain_text(text: str, fallback_title: str) -> tuple[str, list[Section]]:
    """A ``.txt`` file: lone short lines are headings, the first one the title."""
    title = fallback_title
    headings: list[tuple[int, int, str]] = []
    blocks = list(_BLOCK.finditer(text))
    for i, m in enumerate(blocks):
        block = m.group(0)
        if "\n" in block.strip() or not _looks_like_heading(block):
            continue
        if i == 0:
            title = block.strip()
            headings.append((m.start(), m.end(), ""))  # the title line is not body text
        elif i + 1 < len(blocks):  # a heading is followed by something
            headings.append((m.start(), m.end(), " ".join(block.split())))
    return title, sections_from_headings(text, headings)


def load_markdown(text: str, fallback_title: str) -> tuple[str, list[Section]]:
    """A Markdown file: ``#`` headings outside code fences; the first ``# `` one is the title."""
    title = fallback_title
    headings = []
    fence_spans = [(m.start(), m.end()) for m in _MD_FENCE.finditer(text)]
    for m in _MD_HEADING.finditer(text):
        if any(a <= m.start() < b for a, b in fence_spans):
            continue
        heading = " ".join(m.group(2).split())
        if len(m.group(1)) == 1 and title == fallback_title:
            title = heading
            headings.append((m.start(), m.end(), ""))
        else:
            headings.append((m.start(), m.end(), heading))
    return title, sections_from_headings(text, headings)


LOADERS: dict[str, Loader] = {".txt": load_plain_text, ".md": load_markdown, ".markdown": load_markdown}


def register_loader(suffix: str, loader: Loader) -> None:
    """Teach :func:`~qa.ingest.corpus.load_corpus` a new file type, e.g. ``register_loader(".rst", load_rst)``.

    The loader receives the decoded text and a fallback title, and returns
    ``(title, sections)``; it must not change the text (offsets point into it)."""
    LOADERS[suffix.lower()] = loader
