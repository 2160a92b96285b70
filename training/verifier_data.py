"""Claims to fit and check the verifier on: faithful sentences and fabricated variants of them.

For each answerable question of a set, asked of its corpus, the passage that holds its answer
among the retrieved ones is the *cited* passage, and its sentence holding the answer is the
*evidence*. From them (:func:`claims_for`):

supported (the cited passage says it)
  ``copy``      the evidence sentence, as models often quote;
  ``clause``    the part of it (between commas, semicolons or dashes) that holds the answer;
  ``statement`` the question turned round with its answer ("Iran launch its strike on Pakistan January 16.");
  ``bare``      the answer alone ("January 16."), as terse models write it;

fabricated (it doesn't)
  ``swap-answer``  ``copy``, ``statement`` and ``bare`` with the answer replaced by another question's answer
                   (of the same kind where there is one) that the cited passage lacks: an invented fact;
  ``swap-number``  ``copy`` with every number changed (a year by 1 to 3, others by 1 to 9);
  ``swap-name``    ``copy`` with a name replaced by one from another passage;
  ``swap-date``    ``copy`` with a month replaced by another;
  ``negation``     ``copy`` negated: "not" put after its first auxiliary verb ("was not built"), else
                   "never" before its first past-tense verb ("never launched"); or, when it holds a
                   negation, with that negation taken out ("was built");
  ``swap-role``    ``copy`` with two names on either side of a word swapped (who did what to whom:
                   "Pakistan struck Iran" from "Iran struck Pakistan");
  ``wrong-passage`` ``copy`` cited to a retrieved passage that doesn't hold the answer;
  ``off-topic``    another question's evidence sentence, from a passage not retrieved for this one.

The altered kinds (``swap-number``, ``swap-name``, ``swap-date``, ``negation``, ``swap-role``) are the
supported sentences (``copy``) changed in one detail, the way a model misreads a passage: the
verifier must catch them though they share nearly every word with their evidence.

Every claim is also made once without a citation (checked against all the retrieved passages),
as models often leave markers out. Replacements come only from the same half of the data, and
the random choices are seeded.

    >>> import random
    >>> swap_numbers("In 2024, two of the 12 bases.", random.Random(0)) != "In 2024, two of the 12 bases."
    True
    >>> statement("When did Iran launch its strike on Pakistan?", "January 16")
    'Iran launch its strike on Pakistan January 16.'
    >>> negate("On January 16, Iran launched a strike."), negate("The fort was not built in 1600.")
    ('On January 16, Iran never launched a strike.', 'The fort was built in 1600.')
    >>> swap_roles("In 1999, Iran struck Pakistan.", random.Random(0))
    'In 1999, Pakistan struck Iran.'
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass

from langchain_core.documents import Document

from qa.answering.claims import Claim, statement
from qa.answering.question_types import answer_type
from qa.ingest.text import fold, split_sentences, tokens
from qa.search.lexical import STOP_WORDS
from qa.eval.metrics import contains
from qa.eval.questions import Question

SUPPORTED_KINDS = ("copy", "clause", "statement", "bare")
ALTERED_KINDS = ("swap-number", "swap-name", "swap-date", "negation", "swap-role")
FABRICATED_KINDS = ("swap-answer", *ALTERED_KINDS, "wrong-passage", "off-topic")
MIN_CLAUSE_WORDS = 4
_NUMBER = re.compile(r"\b\d+\b")
MONTHS = ("January February March April May June July August September October November December").split()
_MONTH = re.compile(r"\b(?:" + "|".join(MONTHS) + r")\b")
_AUXILIARY = re.compile(r"\b(?:is|are|was|were|has|have|had|can|could|will|would|should|may|might|must|does|do|did)\b"
                        r"(?!\s+(?:not|never|n't)\b)")
_PAST_VERB = re.compile(r"(?<=\s)(?!(?:" + "|".join(MONTHS) + r")\b)[a-z]{3,}ed\b")
_NEGATION = re.compile(r"(?:\s+(?:not|never)\b|n't\b)")
_NAME_RUN = re.compile(r"\b[A-Z][^\W\d_]+(?:[ -][A-Z][^\W\d_]+)*")


@dataclass
class ClaimSample:
    """A claim about the passages retrieved for ``question``, and whether they support it."""

    question: str
    passages: list[Document]
    claim: Claim
    supported: bool
    kind: str
    group: str      # which data it comes from, e.g. "squad-dev"


def swap_numbers(text: str, rng: random.Random) -> str:
    """``text`` with every number changed: years by 1 to 3, other numbers by 1 to 9."""
    def change(m: re.Match) -> str:
        n = int(m.group(0))
        if 1900 <= n <= 2100:
            return str(n + rng.choice([-3, -2, -1, 1, 2, 3]))
        return str(n + rng.randint(1, 9))
    return _NUMBER.sub(change, text)


def negate(sentence: str) -> str | None:
    """``sentence`` with its negation taken out, or negated (see the module docstring); None
    when no place for a negation is found."""
    if (m := _NEGATION.search(sentence)):
        return sentence[:m.start()] + sentence[m.end():]
    if (m := _AUXILIARY.search(sentence)):
        return f"{sentence[:m.end()]} not{sentence[m.end():]}"
    if (m := _PAST_VERB.search(sentence)):
        return f"{sentence[:m.start()]}never {sentence[m.start():]}"
    return None


def swap_date(sentence: str, rng: random.Random) -> str | None:
    """``sentence`` with its first month replaced by another; None without a month."""
    m = _MONTH.search(sentence)
    if not m:
        return None
    other = rng.choice([x for x in MONTHS if x != m.group(0)])
    return sentence[:m.start()] + other + sentence[m.end():]


def swap_roles(sentence: str, rng: random.Random) -> str | None:
    """``sentence`` with two different names swapped, chosen among the pairs that have a
    lower-case content word between them (so not "Iran and Pakistan"), each a whole name that the
    sentence names once (not "Adl" of "al-Adl"); None when there is none."""
    counts = Counter(w.lower() for w in tokens(sentence))
    runs = [m for m in _NAME_RUN.finditer(sentence) if m.start() > 0 and not _MONTH.fullmatch(m.group(0))
            and m.group(0).lower() not in STOP_WORDS and sentence[m.end():m.end() + 1] not in "-'\u2019"
            and sentence[m.start() - 1] not in "-'\u2019" and all(counts[w.lower()] == 1 for w in tokens(m.group(0)))]
    pairs = [(a, b) for i, a in enumerate(runs) for b in runs[i + 1:]
             if a.group(0).lower() != b.group(0).lower()
             and any(w.islower() and w not in STOP_WORDS for w in tokens(sentence[a.end():b.start()]))]
    if not pairs:
        return None
    a, b = rng.choice(pairs)
    return (sentence[:a.start()] + b.group(0) + sentence[a.end():b.start()] + a.group(0) + sentence[b.end():])


def names(text: str) -> list[str]:
    """Capitalised words of ``text`` other than its first (no stop words)."""
    return [t for t in tokens(text)[1:] if t[:1].isupper() and t.lower() not in STOP_WORDS and t.isalpha()]


def clause(sentence: str, answer: str) -> str:
    """The clause of ``sentence`` holding ``answer`` (with its neighbour when too short)."""
    parts = [p.strip() for p in re.split(r"[,;:]\s+|\s+[-\u2013\u2014]\s+", sentence) if p.strip()]
    for i, part in enumerate(parts):
        if contains(part, answer):
            if len(part.split()) < MIN_CLAUSE_WORDS and len(parts) > 1:
                part = ", ".join(parts[max(0, i - 1):i + 1]) if i else ", ".join(parts[:2])
            return part.rstrip(".") + "."
    return sentence


def evidence_sentence(passage: Document, q: Question) -> tuple[str, str] | None:
    """``(sentence, answer)``: the passage's first sentence holding one of the question's answers."""
    text = passage.page_content
    for a, b in split_sentences(text):
        for answer in q.answers:
            if contains(text[a:b], answer):
                return text[a:b], answer
    return None


def _replace(text: str, old: str, new: str) -> str | None:
    """``text`` with ``old`` (matched after folding, any case) replaced by ``new``; None when absent."""
    at = fold(text).lower().find(fold(old).lower())
    return None if at < 0 else text[:at] + new + text[at + len(old):]


@dataclass
class Pool:
    """What fabrications borrow from, all from one half of the data: answers by the kind of
    question, evidence sentences, and names."""

    answers: dict[str, list[str]]
    sentences: list[str]
    names: list[str]

    @classmethod
    def of(cls, questions: list[Question]) -> "Pool":
        answers: dict[str, list[str]] = {}
        for q in questions:
            answers.setdefault(answer_type(q.question), []).extend(q.answers[:1])
        sentences = list(dict.fromkeys(q.evidence for q in questions if q.evidence))
        return cls(answers, sentences, sorted({n for s in sentences for n in names(s)}))


def _absent(candidates: list[str], text: str) -> list[str]:
    """The candidates that ``text`` doesn't hold."""
    return [c for c in dict.fromkeys(candidates) if c.strip() and not contains(text, c)]


def _fabrications(sentence: str, answer: str, stmt: str, q: Question, everything: str, pool: Pool,
                  rng: random.Random) -> list[tuple[str, str]]:
    """``(kind, text)`` of the fabricated variants that can be made (see the module docstring)."""
    out = []
    others = _absent(pool.answers.get(answer_type(q.question), []), everything) or _absent(
        [a for v in pool.answers.values() for a in v], everything)
    if others:
        other = rng.choice(others)
        out += [("swap-answer", t) for t in (_replace(sentence, answer, other), _replace(stmt, answer, other),
                                             other.rstrip(".") + ".") if t]
    changed = swap_numbers(sentence, rng)
    new = set(_NUMBER.findall(changed)) - set(_NUMBER.findall(sentence))
    if new and len(_absent(sorted(new), everything)) == len(new):
        out.append(("swap-number", changed))
    own, new = names(sentence), _absent(pool.names, everything)
    if own and new:
        out.append(("swap-name", re.sub(rf"\b{re.escape(rng.choice(own))}\b", rng.choice(new), sentence, count=1)))
    out += [(kind, t) for kind, t in (("swap-date", swap_date(sentence, rng)), ("negation", negate(sentence)),
                                      ("swap-role", swap_roles(sentence, rng))) if t and t != sentence]
    far = _absent(pool.sentences, everything)
    if far:
        out.append(("off-topic", rng.choice(far)))
    return out


def claims_for(q: Question, passages: list[Document], pool: Pool, rng: random.Random, group: str) -> list[ClaimSample]:
    """The supported and fabricated claims of question ``q`` over its retrieved ``passages``
    (none when no passage holds an answer)."""
    found = [(i, evidence_sentence(p, q)) for i, p in enumerate(passages)]
    cited, hit = next(((i, e) for i, e in found if e), (None, None))
    if hit is None:
        return []
    sentence, answer = hit
    everything = " ".join(p.page_content for p in passages)
    stmt = statement(q.question, answer)
    labelled = [(True, "copy", sentence), (True, "clause", clause(sentence, answer)), (True, "statement", stmt),
                (True, "bare", answer.rstrip(".") + ".")]
    labelled += [(False, kind, text) for kind, text in _fabrications(sentence, answer, stmt, q, everything, pool, rng)]
    out = []
    for supported, kind, text in labelled:
        for cite in ([cited + 1], []):
            out.append(ClaimSample(q.question, passages, Claim(" ".join(text.split()), cite), supported, kind, group))
    wrong = [i for i, e in found if not e and not contains(passages[i].page_content, sentence)]
    if wrong:
        out.append(ClaimSample(q.question, passages, Claim(" ".join(sentence.split()), [rng.choice(wrong) + 1]),
                               False, "wrong-passage", group))
    return out


def collect_claims(retriever, questions: list[Question], group: str, seed: int = 0) -> list[ClaimSample]:
    """Claims of every answerable question of ``questions`` (one half of a set) over ``retriever``."""
    from qa.answering.chain import condense_question

    rng = random.Random(f"{seed}-{group}")
    pool = Pool.of(questions)
    out = []
    for q in questions:
        if q.answerable:
            passages = retriever.invoke(condense_question(q.question, q.history))
            out += claims_for(q, passages, pool, rng, group)
    return out
