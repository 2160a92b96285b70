"""Text normalisation that keeps character offsets true, and sentence splitting.

Documents keep their original text. For matching (tokens, BM25, answer checks)
we use a *fold* of it: the same length, character for character, with
typographic variants mapped to plain ones, so an offset in the fold is the same
offset in the source::

    >>> fold("Iran\u2019s\u00a0\u201cstrike\u201d \u2014 2024")
    'Iran\\'s "strike" - 2024'
    >>> len(fold("a\u00a0b")) == len("a\u00a0b")
    True

Sentences come back as ``(start, end)`` spans into the original text::

    >>> t = "The U.S. left in 2021. Iran said \u201cno.\u201d Then it rained."
    >>> [t[s:e] for s, e in split_sentences(t)]
    ['The U.S. left in 2021.', 'Iran said \u201cno.\u201d', 'Then it rained.']
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence

# One character in, one character out: offsets stay true.
_FOLD = {
    0x00A0: " ", 0x2007: " ", 0x202F: " ", 0x2009: " ", 0x200A: " ", 0x2002: " ", 0x2003: " ",
    0x3000: " ", 0x1680: " ", 0x2028: "\n", 0x2029: "\n", 0x0085: "\n",
    0x200B: " ", 0x200C: " ", 0x200D: " ", 0x2060: " ", 0xFEFF: " ", 0x00AD: " ",
    0x2018: "'", 0x2019: "'", 0x201A: "'", 0x201B: "'", 0x2032: "'", 0x00B4: "'", 0x0060: "'",
    0x201C: '"', 0x201D: '"', 0x201E: '"', 0x201F: '"', 0x2033: '"', 0x00AB: '"', 0x00BB: '"',
    0x2010: "-", 0x2011: "-", 0x2012: "-", 0x2013: "-", 0x2014: "-", 0x2015: "-", 0x2212: "-",
    0x2026: ".",
}


def _fold_char(ch: str) -> str:
    mapped = _FOLD.get(ord(ch))
    if mapped is not None:
        return mapped
    if ord(ch) < 32 and ch not in "\t\n\r" or ord(ch) == 127:
        return " "
    if ord(ch) < 128:
        return ch
    cat = unicodedata.category(ch)
    if cat in ("Cc", "Cf", "Cs", "Co", "Cn"):
        return " "
    if cat.startswith("Z"):
        return " "
    # Accented Latin letters fold to their base letter when that is one character.
    base = unicodedata.normalize("NFKD", ch)[:1]
    if base and ord(base) < 128 and base.isalnum():
        return base
    return ch


class _FoldTable(dict):
    def __missing__(self, key: int) -> str:
        value = _fold_char(chr(key))
        self[key] = value
        return value


_TABLE = _FoldTable()


def fold(text: str) -> str:
    """Return ``text`` with typographic variants folded; same length as ``text``."""
    return text.translate(_TABLE)


def clean_question(text: str) -> str:
    """Normalise a question for use: fold, collapse white space, strip."""
    folded = fold(unicodedata.normalize("NFC", text))
    return re.sub(r"\s+", " ", folded).strip()


_WORD = re.compile(r"[0-9]+(?:[.,][0-9]+)*|[^\W_]+(?:['-][^\W_]+)*", re.UNICODE)


def tokens(text: str) -> list[str]:
    """Word tokens of folded text, case kept: ``tokens("Iran\u2019s $2 billion")`` -> ``["Iran's", "2", "billion"]``."""
    return [m.group(0) for m in _WORD.finditer(fold(text))]


def words(text: str) -> list[str]:
    """Lower-cased word tokens of folded text: ``words("Iran\u2019s $2 billion")`` -> ``["iran's", "2", "billion"]``."""
    return [t.lower() for t in tokens(text)]


# --- sentence splitting -------------------------------------------------------------

ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt ft vs etc al inc ltd co corp dept univ gov gen col lt sgt capt
    cmdr adm rep sen pres rev hon approx vol vols fig figs eds pp ca cf ie eg viz
    jan feb apr jun jul aug sep sept oct nov dec mon tue thu fri""".split()
)

# A candidate boundary: terminal punctuation, optional closing quotes/brackets,
# then white space.
_BOUNDARY = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*(?=\s)")
_PARAGRAPH = re.compile(r"\n[ \t\u00a0]*\n|\n(?=[ \t]*[-*\u2022#])")


def _is_abbreviation(text: str, dot: int) -> bool:
    """Is the period at ``text[dot]`` the end of an abbreviation or an initial?"""
    j = dot
    while j > 0 and (text[j - 1].isalpha() or text[j - 1] == "."):
        j -= 1
    token = text[j:dot]
    if not token:
        return False
    if "." in token:  # U.S., e.g., a.m.
        return True
    if len(token) == 1 and token.isupper():  # initials: J. K. Rowling
        return True
    return token.lower() in ABBREVIATIONS


def _next_starts_sentence(text: str, pos: int) -> bool:
    """Does a sentence plausibly start at the first non-space after ``pos``?"""
    m = re.compile(r"\s*").match(text, pos)
    i = m.end() if m else pos
    if i >= len(text):
        return True
    ch = text[i]
    if ch in "\"'\u201c\u2018([":
        i += 1
        if i >= len(text):
            return True
        ch = text[i]
    return ch.isupper() or ch.isdigit() or not ch.isalpha()


def _split_block(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    s = start
    for m in _BOUNDARY.finditer(text, start, end):
        stop = m.end()
        if text[m.start():m.end()].rstrip("\"'\u201d\u2019)]") == ".":
            if _is_abbreviation(text, m.start()) and not _ends_paragraph(text, stop, end):
                # "U.S. officials" is one sentence; "in the U.S. The" stays ambiguous and is not split.
                continue
        if not _next_starts_sentence(text, stop):
            continue
        spans.append((s, stop))
        s = stop
    spans.append((s, end))
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            out.append((a, b))
    return out


def _ends_paragraph(text: str, pos: int, end: int) -> bool:
    return text[pos:end].strip() == ""


def split_sentences(text: str, start: int = 0, end: int | None = None,
                    whole: Sequence[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """Split ``text[start:end]`` into sentences; return ``(start, end)`` spans into ``text``.

    Paragraph breaks (blank lines) and list items always end a sentence. A period
    after an abbreviation ("U.S.", "Dr.", "e.g.") or an initial does not. Each of the
    ``whole`` spans (sorted, not overlapping: a table's records) is one sentence, whatever it holds.

        >>> t = "Apples.\\n\\nVariety: Copperbell; Notes: Sweet. Keeps well"
        >>> [t[a:b] for a, b in split_sentences(t, whole=[(9, len(t))])]
        ['Apples.', 'Variety: Copperbell; Notes: Sweet. Keeps well']
    """
    end = len(text) if end is None else end
    if whole:
        return _split_around(text, start, end, whole)
    spans: list[tuple[int, int]] = []
    block_start = start
    for m in _PARAGRAPH.finditer(text, start, end):
        spans.extend(_split_block(text, block_start, m.start()))
        block_start = m.end()
    spans.extend(_split_block(text, block_start, end))
    return spans


def _split_around(text: str, start: int, end: int, whole: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """:func:`split_sentences` of ``text[start:end]`` with each ``whole`` span (clipped to it) one sentence."""
    spans: list[tuple[int, int]] = []
    pos = start
    for a, b in whole[max(0, bisect_right(whole, (start, start)) - 1):]:
        if a >= end:
            break
        a, b = max(a, pos), min(b, end)
        if a < b:
            spans.extend(split_sentences(text, pos, a))
            stripped = text[a:b].strip()
            if stripped:
                a += len(text[a:b]) - len(text[a:b].lstrip())
                spans.append((a, a + len(stripped)))
            pos = b
    spans.extend(split_sentences(text, pos, end))
    return spans
