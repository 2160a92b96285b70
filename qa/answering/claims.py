"""Reading what a chat model wrote: its sentences (claims), each with the passages it cites.

Models format answers in many ways; this accepts the common ones: ``[1]`` or ``[1][2]`` or
``[1, 2]`` before or after the full stop (a marker that opens a sentence belongs to the one
before), numbered or bulleted lines, Markdown emphasis, and a reasoning model's
``<think>...</think>`` preamble, which is dropped. The reply is an abstention when it is
:data:`~qa.answering.prompt.NO_ANSWER` alone (white space, punctuation and emphasis aside); the token
beside sentences is dropped and the sentences are read.

    >>> out = parse_output("1. Iran struck on **January 16**. [1]\\n2. Pakistan replied [2][3].")
    >>> [(c.text, c.cited) for c in out.claims]
    [('Iran struck on January 16.', [1]), ('Pakistan replied.', [2, 3])]
    >>> parse_output("NO_ANSWER").no_answer, parse_output("Iran struck [1]. NO_ANSWER").no_answer
    (True, False)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..ingest.text import split_sentences
from ..search.lexical import analyze
from .prompt import NO_ANSWER

CITE = re.compile(r"\[\s*(?:passages?\s*)?(\d+(?:\s*[,;]\s*(?:passages?\s*)?\d+)*)\s*\]", re.IGNORECASE)
_ONLY_CITES = re.compile(r"^(?:\s*" + CITE.pattern + r")+\s*$", re.IGNORECASE)
_LEADING_CITES = re.compile(r"^(?:\s*" + CITE.pattern + r")+", re.IGNORECASE)
_THINKING = re.compile(r"<think>.*?(?:</think>|$)", re.IGNORECASE | re.DOTALL)
_LIST_PREFIX = re.compile(r"^\s*(?:[-*\u2022#>]+|\d{1,2}[.)])\s+")
_EMPHASIS = re.compile(r"\*\*|__|(?<!\w)[*_](?=\w)|(?<=\w)[*_](?!\w)|`")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?])")
_HAS_WORD = re.compile(r"\w")
FRAGMENT_TERMS = 4     # a claim of at most this many words, none of them the question's, is a bare answer
_WH = re.compile(r"^\s*(?:(?:what|which|who|whom|whose|when|where|why|how)(?:\s+(?:many|much|long|far|old|"
                 r"often|big|large))?\s+)?(?:(?:is|are|was|were|did|does|do|has|have|had|can|could|will|would)\s+)?",
                 re.IGNORECASE)
_NO_ANSWER_ALONE = re.compile(r"[\W_]*" + NO_ANSWER.replace("_", r"[\s_]") + r"[\W_]*", re.IGNORECASE)
_NO_ANSWER_TOKEN = re.compile(r"(?<![^\W_])" + NO_ANSWER + r"(?![^\W_])", re.IGNORECASE)
_PREAMBLE = re.compile(r"^(?:the )?(?:short |final )?answer(?: is)?\s*:\s*", re.IGNORECASE)


@dataclass
class Claim:
    """One sentence of the model's answer: ``text`` without its markers, and the passage
    numbers it cites (as the model numbered them, 1 = the first passage), in order."""

    text: str
    cited: list[int] = field(default_factory=list)


@dataclass
class ParsedOutput:
    """The model's reply as claims; ``no_answer`` when it said the passages don't answer."""

    claims: list[Claim]
    no_answer: bool = False


def cited_numbers(text: str) -> list[int]:
    """The passage numbers cited in ``text``, in order, each once: ``"a [2] b [1, 2]"`` -> ``[2, 1]``."""
    numbers = [int(n) for m in CITE.finditer(text) for n in re.findall(r"\d+", m.group(1))]
    return list(dict.fromkeys(numbers))


def clean_claim(text: str) -> str:
    """A sentence without markers and emphasis, white space collapsed."""
    text = _PREAMBLE.sub("", _EMPHASIS.sub("", CITE.sub("", text)).strip())
    return _SPACE_BEFORE_PUNCT.sub(r"\1", " ".join(text.split())).strip()


def _line_sentences(line: str) -> list[str]:
    """The sentences of one line, with markers that open a sentence moved to the one before."""
    out: list[str] = []
    for a, b in split_sentences(line):
        sentence = line[a:b]
        lead = _LEADING_CITES.match(sentence)
        if lead and out:
            out[-1] += " " + lead.group(0).strip()
            sentence = sentence[lead.end():]
        if _ONLY_CITES.match(sentence) or not sentence.strip():
            if out and sentence.strip():
                out[-1] += " " + sentence.strip()
            continue
        out.append(sentence)
    return out


def statement(question: str, answer: str) -> str:
    """The question turned round with ``answer`` in it (crudely: the question word and its
    auxiliary dropped): ``statement("When did Iran strike?", "January 16")`` -> ``'Iran strike January 16.'``"""
    rest = _WH.sub("", question.strip().rstrip("?")).strip()
    return f"{rest[:1].upper()}{rest[1:]} {answer.rstrip('.')}.".strip()


def as_statement(claim: str, question: str) -> str:
    """What a claim says: itself, or for a bare answer ("January 16."), the question turned
    round with it, so that it is checked for what it means."""
    terms = set(analyze(claim))
    if len(terms) <= FRAGMENT_TERMS and not terms & set(analyze(question)):
        return statement(question, claim)
    return claim


def parse_output(text: str) -> ParsedOutput:
    """The claims of a model's reply (see the module docstring)."""
    text = _THINKING.sub("", text or "")
    if _NO_ANSWER_ALONE.fullmatch(CITE.sub("", text)):
        return ParsedOutput([], no_answer=True)
    text = _NO_ANSWER_TOKEN.sub("", text)    # beside sentences, the token is noise: they are read
    claims: list[Claim] = []
    for raw_line in text.splitlines():
        line = _LIST_PREFIX.sub("", raw_line).strip()
        if not line:
            continue
        if _ONLY_CITES.match(line) and claims:   # markers on a line of their own
            claims[-1].cited = list(dict.fromkeys(claims[-1].cited + cited_numbers(line)))
            continue
        for sentence in _line_sentences(line):
            cleaned = clean_claim(sentence)
            if _HAS_WORD.search(cleaned):
                claims.append(Claim(cleaned, cited_numbers(sentence)))
            elif claims and cited_numbers(sentence):
                claims[-1].cited = list(dict.fromkeys(claims[-1].cited + cited_numbers(sentence)))
    return ParsedOutput(claims)
