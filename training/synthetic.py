"""Unanswerable questions made from answerable ones by rewriting the question.

Two generators, each returning a new record labelled "no answer" (or ``None`` when it cannot
make one from this record); ``negatives.py`` pairs questions with other paragraphs instead:

- ``swap``: a name, number or date of the question that its paragraph holds is replaced by one of
  the same kind from another paragraph of the same document that this paragraph lacks.
- ``neighbour``: the question's entity is replaced by another entity of the same kind that stands in
  the same paragraph but outside the answer sentence, and no sentence mentioning that entity states
  the question's relation (at most a third of the question's content words stand near it). The
  paragraph mentions the new entity but never says what is asked about it.

    >>> import random
    >>> from training.data import Record
    >>> p = ("Ada Lovelace wrote the first program in 1843. Charles Babbage designed the engine. "
    ...      "Lovelace and Babbage met in London.")
    >>> r = Record("q1", "What did Ada Lovelace write in 1843?", p, (("the first program", 17),), "Ada", (p,))
    >>> neighbour(r, random.Random(0)).question
    'What did Charles Babbage write in 1843?'
"""

from __future__ import annotations

import functools
import math
import random
import re

from .data import Record

MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DATE = re.compile(rf"\b(?:\d{{1,2}} (?:{MONTHS})(?:,? \d{{4}})?|(?:{MONTHS}) \d{{1,2}}(?:, \d{{4}})?"
                   rf"|(?:{MONTHS}) \d{{4}})\b")
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)*\b")
_NAME = re.compile(r"\b[A-Z][\w'’-]*(?:\s+(?:of\s+(?:the\s+)?)?[A-Z][\w'’-]*)*")
_POSSESSIVE = re.compile(r"['’]s?$")
_CAPITAL = re.compile(r"\b[A-Z]\w*\b")
_WORD = re.compile(r"[a-z0-9]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])")
FUNCTION_WORDS = frozenset("""a about after all also an and any are as at be been before but by can could did do does
during each for from had has have he her his how however i if in into is it its many may more most no not of on one
or other our she since so some such than that the their them then there these they this those through to under until
up was we were what when where which while who whom whose why will with would you your
oh hey yeah yes okay ok well just really now please hi hello wow um uh huh hmm right sure god gosh look listen wait
let thanks thank sorry alright anyway everyone everybody something nothing someone it's i'm don't that's what's
there's can't didn't i'll you're we're monday tuesday wednesday thursday friday saturday sunday""".split())


def kind_of(text: str) -> str:
    """Like-for-like classes: a year for a year, a number for one of as many digits, a name for a name.

    >>> [kind_of(x) for x in ("1843", "16 January", "1,200", "Ada Lovelace")]
    ['year', 'date', 'num4', 'name2']
    """
    if re.fullmatch(r"1[0-9]{3}|20[0-9]{2}", text):
        return "year"
    if _DATE.fullmatch(text):
        return "date"
    if text[0].isdigit():
        return "num%d" % len(re.sub(r"[^0-9]", "", text))
    return "name%d" % min(len(text.split()), 3)


def _name_start(text: str) -> int:
    """Offset in ``text`` after its leading function words and month names ("The", "In", "May")."""
    for m in re.finditer(r"\S+", text):
        if m.group(0).lower() not in FUNCTION_WORDS and m.group(0) not in MONTHS.split("|"):
            return m.start()
    return len(text)


def _opens_clause(text: str, i: int) -> bool:
    """Is position ``i`` the first word of the text, a sentence, a line or a quotation?"""
    j, newline = i - 1, False
    while j >= 0 and text[j].isspace():
        newline |= text[j] == "\n"
        j -= 1
    return j < 0 or newline or text[j] in ".!?:;\"“("


def _mid_sentence(name: str, text: str, capitalised: set[str]) -> bool:
    """Does ``name`` stand somewhere in ``text`` other than at the start of a clause?"""
    if name.isalnum():
        return name in capitalised
    return any(not _opens_clause(text, o.start()) for o in re.finditer(rf"\b{re.escape(name)}\b", text))


def _names(text: str) -> list[tuple[str, int]]:
    """Capitalised runs, without leading function words or a trailing possessive. A single word
    that opens a clause counts only if it is capitalised somewhere else mid-sentence too."""
    capitalised = {m.group(0) for m in _CAPITAL.finditer(text) if not _opens_clause(text, m.start())}
    found = []
    for m in _NAME.finditer(text):
        start = m.start() + _name_start(m.group(0))
        name = _POSSESSIVE.sub("", text[start:m.end()])
        if not name or name.lower() in FUNCTION_WORDS:
            continue
        if " " not in name and _opens_clause(text, start) and not _mid_sentence(name, text, capitalised):
            continue
        found.append((name, start))
    return found


@functools.lru_cache(maxsize=200_000)
def mentions(text: str) -> tuple[tuple[str, int], ...]:
    """Names, numbers and dates in ``text`` as (mention, start), dates first, no overlaps.

    >>> mentions("In 1843 the Analytical Engine was shown in Turin on 5 May. Then Babbage's son left.")
    (('5 May', 52), ('1843', 3), ('Analytical Engine', 12), ('Turin', 43), ('Babbage', 64))
    """
    spans: list[tuple[str, int]] = []
    for found in ([(m.group(0), m.start()) for m in _DATE.finditer(text)],
                  [(m.group(0), m.start()) for m in _NUMBER.finditer(text)], _names(text)):
        spans += [(t, s) for t, s in found if not any(a < s + len(t) and s < a + len(u) for u, a in spans)]
    return tuple(spans)


def _whole(mention: str, text: str) -> re.Match | None:
    return re.search(rf"(?<![\w'’]){re.escape(mention)}(?!\w)", text)


def _shared_mentions(question: str, context: str) -> list[str]:
    """Mentions of ``context`` that the question names too, as whole words; none inside a longer one.

    >>> _shared_mentions("Did Ada Lovelace's notes of 1843 cite Babbage?", "In 1843 Ada Lovelace cited Babbage.")
    ['1843', 'Ada Lovelace', 'Babbage']
    """
    shared = {m for m, _ in mentions(context) if m in question and _whole(m, question)}
    return sorted(m for m in shared if not any(m != n and m in n for n in shared))


def _replace(question: str, old: str, new: str) -> str:
    m = _whole(old, question)
    return question[:m.start()] + new + question[m.end():]


def _absent(mention: str, text: str) -> bool:
    return mention.lower() not in text.lower()


@functools.lru_cache(maxsize=20_000)
def _document_mentions(paragraphs: tuple[str, ...]) -> dict[str, list[str]]:
    """Every mention of a document, by kind."""
    out: dict[str, set[str]] = {}
    for m in {m for p in paragraphs for m, _ in mentions(p)}:
        out.setdefault(kind_of(m), set()).add(m)
    return {k: sorted(v) for k, v in out.items()}


def swap(r: Record, rng: random.Random) -> Record | None:
    """Replace a mention of the question by a like one from another paragraph that this one lacks.

    >>> from training.data import Record
    >>> paras = ("Lovelace wrote notes in 1843.", "Babbage died in 1871.")
    >>> r = Record("q", "Who wrote notes in 1843?", paras[0], (("Lovelace", 0),), "Ada", paras, 0)
    >>> swap(r, random.Random(0)).question
    'Who wrote notes in 1871?'
    """
    olds = _shared_mentions(r.question, r.context)
    pool = _document_mentions(r.paragraphs)
    rng.shuffle(olds)
    for old in olds:
        same = [m for m in pool.get(kind_of(old), ()) if _absent(m, r.context) and _absent(m, r.question)]
        if same:
            return r.unanswerable("swap", question=_replace(r.question, old, rng.choice(same)))
    return None


def sentences(text: str) -> list[tuple[int, int]]:
    """Rough sentence spans (start, end) of ``text``."""
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        spans.append((start, m.start()))
        start = m.end()
    return spans + [(start, len(text))]


_IRREGULAR = """write wrote written, begin began begun, build built, buy bought, find found, give gave given,
go went gone, know knew known, lead led, make made, meet met, pay paid, say said, see saw seen, sell sold,
take took taken, teach taught, tell told, win won, become became, bring brought, come came, get got, hold held,
leave left, lose lost, run ran, send sent, speak spoke spoken, spend spent, think thought, fight fought,
grow grew grown, rise rose risen, fall fell fallen, choose chose chosen, draw drew drawn, drive drove driven,
eat ate eaten, fly flew flown, forget forgot, break broke broken, keep kept, sing sang sung, stand stood,
steal stole, throw threw thrown, wear wore worn"""
LEMMA = {form: forms.split()[0] for forms in _IRREGULAR.split(",") for form in forms.split()}


def content(text: str, drop: str = "") -> set[str]:
    """Content-word stems (irregular verbs to their base, then the first 5 letters) of ``text`` minus those
    of ``drop``.

    >>> sorted(content("Who wrote the programs?")), sorted(content("writers wrote", drop="writers"))
    (['progr', 'write'], [])
    """
    def stems(t):
        return {LEMMA.get(w, w)[:5] for w in _WORD.findall(t.lower()) if w not in FUNCTION_WORDS}
    return stems(text) - stems(drop)


@functools.lru_cache(maxsize=2_000)
def _sentence_facts(context: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """(lower-cased sentence, its content stems) for every sentence of ``context``."""
    return tuple((context[a:b].lower(), frozenset(content(context[a:b]))) for a, b in sentences(context))


def _states_relation(context: str, entity: str, relation: set[str]) -> bool:
    """Does a sentence naming ``entity`` hold a third or more of the question's content words?"""
    need = max(1, math.ceil(len(relation) / 3))
    low = entity.lower()
    return any(low in text and len(relation & stems) >= need for text, stems in _sentence_facts(context))


def neighbour(r: Record, rng: random.Random) -> Record | None:
    """Ask the question about another entity of the paragraph, one it says nothing of the kind about."""
    if not r.answers:
        return None
    a, b = next(((a, b) for a, b in sentences(r.context) if a <= r.answer_start < b), (0, len(r.context)))
    answer_sentence = r.context[a:b]
    olds = [m for m in _shared_mentions(r.question, r.context) if m in answer_sentence]
    rng.shuffle(olds)
    for old in olds:
        relation = content(r.question, old)
        if not relation:
            continue
        cands = sorted({m for m, _ in mentions(r.context) if kind_of(m) == kind_of(old)
                        and _absent(m, answer_sentence) and _absent(m, r.question) and _absent(old, m)
                        and not _states_relation(r.context, m, relation)})
        if cands:
            return r.unanswerable("neighbour", question=_replace(r.question, old, rng.choice(cands)))
    return None
