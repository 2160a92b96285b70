"""What a claim changes in the sentences it rests on, beyond the words they share: the checks
that word overlap and sentence vectors can't make, because a negated or role-swapped sentence
has the same words as its source.

* :func:`numbers_in` / :func:`names_in`: a text's numbers and names (to find claimed ones the
  evidence lacks: changed numbers, dates and names);
* :func:`negation_flip`: a word that the claim negates and the evidence states plainly, or the
  other way round ("Iran did not launch a strike" against "Iran launched a strike");
* :func:`role_swap`: two names (or numbers) on either side of the same word in the evidence,
  in the opposite order in the claim ("Pakistan struck Iran" against "Iran struck Pakistan").

Each looks at words only (folded, stemmed by :func:`~qa.search.lexical.analyze`), in any
language with capitalised names; none knows a sentence's grammar, so a claim in the passive
voice ("Iran was struck by Pakistan") reads as a role swap.

    >>> negation_flip("Iran did not launch a missile strike.", ["Iran launched a missile strike."])
    1.0
    >>> negation_flip("Iran launched a strike, not a raid.", ["Iran launched a missile strike."])
    0.0
    >>> role_swap("Pakistan struck Iran on Monday.", ["On Monday, Iran struck Pakistan."])
    1.0
    >>> role_swap("On Monday Iran struck Pakistan.", ["Iran struck Pakistan on Monday."])
    0.0
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..ingest.text import fold, tokens
from ..search.lexical import STOP_WORDS, analyze

NEGATION_WORDS = frozenset("not no never none nobody nothing neither nor cannot without".split())
DATE_WORDS = frozenset("january february march april may june july august september october november december "
                       "monday tuesday wednesday thursday friday saturday sunday".split())
SYMMETRIC = frozenset("and or nor & with between both either versus vs".split())   # A and B = B and A
NEGATION_SCOPE = 2     # content words after a negation word that it governs
NUMBER_WORDS = {w: str(i) for i, w in enumerate("zero one two three four five six seven eight nine ten eleven "
                                                "twelve thirteen fourteen fifteen sixteen seventeen eighteen "
                                                "nineteen twenty".split())}
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_CLAUSE_END = re.compile(r"[,;:.!?()\u2013\u2014]|\s-\s|\bbut\b|\bwhile\b|\bwhereas\b", re.IGNORECASE)


def numbers_in(text: str) -> set[str]:
    """The numbers of ``text``, as digits without separators ("two" -> "2", "1,225" -> "1225").

    >>> sorted(numbers_in("In 2024, two of the 1,225 km and the 16th."))
    ['1225', '16', '2', '2024']
    """
    out = {NUMBER_WORDS[w.lower()] for w in tokens(text) if w.lower() in NUMBER_WORDS}
    out |= {m.group(0).replace(",", "").lstrip("0") or "0" for m in _DIGITS.finditer(text)}
    return out


def names_in(text: str) -> set[str]:
    """Capitalised words of ``text`` other than its first, lower-cased (stop words aside), and
    the months and days it names wherever they stand.

    >>> sorted(names_in("Iran and Pakistan met in Geneva with the NATO chief's aide."))
    ['geneva', 'nato', 'pakistan']
    """
    toks = tokens(text)
    return {t.lower().removesuffix("'s") for i, t in enumerate(toks) if t[:1].isupper()
            and (t.lower() in DATE_WORDS or (i and t.lower() not in STOP_WORDS))}


def is_negation(word: str) -> bool:
    """Does ``word`` negate what follows it ("not", "never", "didn't", ...)?"""
    w = word.lower()
    return w in NEGATION_WORDS or w.endswith("n't")


@lru_cache(maxsize=4096)
def _stem(word: str) -> str:
    """The analysed term of one word ("" for a stop word)."""
    terms = analyze(word)
    return terms[0] if terms else ""


def negated_terms(text: str) -> set[str]:
    """The terms that a negation word of ``text`` governs: the first :data:`NEGATION_SCOPE`
    content words after it, within its clause."""
    folded = fold(text)
    out: set[str] = set()
    for m in re.finditer(r"[^\W\d_]+(?:'[^\W\d_]+)?", folded):
        if not is_negation(m.group(0)):
            continue
        end = _CLAUSE_END.search(folded, m.end())
        scope = [t for t in (_stem(w) for w in tokens(folded[m.end():end.start() if end else len(folded)]))
                 if t and not is_negation(t)]
        out.update(scope[:NEGATION_SCOPE])
    return out


def negation_flip(claim: str, evidence: list[str]) -> float:
    """1.0 when a word both texts hold is negated in one and not in the other (0.0 when the
    evidence is empty)."""
    if not evidence:
        return 0.0
    held = " ".join(evidence)
    claim_terms, held_terms = set(analyze(claim)), set(analyze(held))
    in_claim, in_held = negated_terms(claim), negated_terms(held)
    added = (in_claim & held_terms) - in_held
    removed = (in_held & claim_terms) - in_claim
    return 1.0 if added or removed else 0.0


def _keyed(text: str) -> list[tuple[str, bool]]:
    """``(key, is_anchor)`` of each word of ``text`` in order: a name or number is an anchor keyed
    by itself (lower-cased), any other word is keyed by its term (a stop word by itself); words
    that join two names alike either way round (:data:`SYMMETRIC`) are left out."""
    out = []
    for t in tokens(text):
        low = t.lower()
        if low in SYMMETRIC:
            continue
        if t[:1].isdigit() or low in NUMBER_WORDS:
            out.append((numbers_in(t).pop() if numbers_in(t) else t, True))
        elif t[:1].isupper() and (low not in STOP_WORDS or low in DATE_WORDS):
            out.append((low.removesuffix("'s"), True))
        else:
            out.append((_stem(low) or low, False))
    return out


def _once(keyed: list[tuple[str, bool]]) -> dict[str, tuple[int, bool]]:
    """``{key: (position, is_anchor)}`` of the keys that occur once."""
    seen: dict[str, list] = {}
    for i, (k, anchor) in enumerate(keyed):
        seen.setdefault(k, []).append((i, anchor))
    return {k: v[0] for k, v in seen.items() if len(v) == 1}


def _orders(keyed: dict[str, tuple[int, bool]], shared: set[str]) -> set[tuple[str, str, str]]:
    """``(a, pivot, b)``: anchors ``a`` before and ``b`` after a non-anchor ``pivot``, all in ``shared``."""
    anchors = [k for k in shared if keyed[k][1]]
    pivots = [k for k in shared if not keyed[k][1]]
    return {(a, p, b) for p in pivots for a in anchors for b in anchors
            if keyed[a][0] < keyed[p][0] < keyed[b][0]}


def role_swap(claim: str, evidence: list[str]) -> float:
    """1.0 when, around a word that the claim and an evidence sentence share, two names or
    numbers stand in the opposite order in the claim, and no evidence sentence has them in the
    claim's order (see the module docstring)."""
    said = _once(_keyed(claim))
    held: set[tuple[str, str, str]] = set()
    known: set[str] = set()
    for sentence in evidence:
        keyed = _once(_keyed(sentence))
        held |= _orders(keyed, said.keys() & keyed.keys())
        known |= keyed.keys()
    swapped = {(b, p, a) for a, p, b in held}
    return 1.0 if (_orders(said, said.keys() & known) & swapped) - held else 0.0
