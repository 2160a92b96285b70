"""What a question asks for (a date, a number, a person, a place, a reason, a means),
and whether a sentence holds such a thing beyond the question's own words.

    >>> answer_type("When did Iran launch the strike?"), answer_type("How many agreements were signed?")
    ('date', 'number')
    >>> answer_type("What is the estimated cost of the pipeline?"), answer_type("Why did they meet?")
    ('number', 'reason')
    >>> has_type("date", "It happened in January 2024.", {"when", "did", "it", "happen"})
    1.0
"""

from __future__ import annotations

import re

from ..ingest.text import fold, words

_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_PATTERNS = {
    "date": re.compile(rf"\b(1[0-9]{{3}}|20[0-9]{{2}})s?\b|\b({_MONTHS})\b|\b\d+(st|nd|rd|th)? century\b"
                       r"|\b(yesterday|today|decades?|years? ago|since)\b", re.I),
    "number": re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
                         r"thirty|forty|fifty|hundred|thousand|million|billion|trillion|dozen|half|percent|"
                         r"several|many|few)\b", re.I),
    "reason": re.compile(r"\b(because|due to|owing to|since|as a result|in order to|so that|aim(ed|s)? to|"
                         r"to (protect|ensure|avoid|prevent|counter|secure|promote|reduce|address)|reason|"
                         r"led to|caused?|driven by|given)\b", re.I),
    "means": re.compile(r"\b(by|through|via|using|with)\b", re.I),
}
# Capitalised words that are not names of people or places.
_NOT_NAMES = frozenset(_MONTHS.split("|") + "monday tuesday wednesday thursday friday saturday sunday".split())
_PROPER = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'-]+(?:\s+(?:of|al|bin|de|the)?\s*[A-Z][\w'-]+)*")

# (kind, pattern of the folded, lower-cased question), tried in order.
_KINDS = [
    ("number", re.compile(r"\b(how (many|much)|what (percentage|percent|number|amount|share|proportion)|"
                          r"how (long|far|old|big|large|tall|high|deep|wide|heavy|often|fast|small))\b")),
    ("number", re.compile(r"\b(what|which) (is|was|are|were) (the )?((estimated|approximate|total|annual|average|"
                          r"current) )?(population|cost|price|value|number|amount|size|length|area|budget|worth|"
                          r"distance|height|weight|speed|rate|percentage|volume|capacity|figure|sum|temperature|"
                          r"age)\b")),
    ("date", re.compile(r"\b(when|what (year|date|month|day|time|decade|century)|which (year|month|date))\b")),
    ("person", re.compile(r"\b(who|whom|whose)\b|\b(what|which) (is|was|are|were) the names? of\b|"
                          r"^name (the|a|an)\b")),
    ("place", re.compile(r"\b(where|what (country|city|province|region|place|town|state)|"
                         r"which (country|city|province|region|place|town|state))\b")),
    ("reason", re.compile(r"\bwhy\b|\bwhat (was|is|were|are) the (reason|purpose|goal|aim|cause|motive)")),
    ("means", re.compile(r"^how\b|\bin what way\b|\bby what means\b")),
]
TYPED_KINDS = frozenset({"date", "number", "person", "place"})   # kinds whose absence speaks against an answer


def answer_type(question: str) -> str:
    """The kind of thing ``question`` asks for, or ``"other"``."""
    q = fold(question).lower().strip()
    for kind, pattern in _KINDS:
        if pattern.search(q):
            return kind
    return "other"


def has_type(kind: str, sentence: str, question_words: set[str]) -> float:
    """1.0 when ``sentence`` (folded) holds a thing of ``kind`` that is not among the
    question's (lower-cased) words, else 0.0."""
    if kind in ("date", "number", "reason", "means"):
        for m in _PATTERNS[kind].finditer(sentence):
            if m.group(0).lower() not in question_words:
                return 1.0
        return 0.0
    if kind in ("person", "place"):
        for m in _PROPER.finditer(sentence):
            if set(words(m.group(0))) - question_words - _NOT_NAMES:
                return 1.0
        return 0.0
    return 0.0
