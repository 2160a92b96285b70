"""Checking every sentence of a written answer against the passages it cites.

For each claim (:mod:`qa.answering.claims`) the :class:`Verifier`

1. drops it when it cites a passage number that was never given to the model; a bare answer
   ("January 16.") is checked as the question turned round with it (:func:`~qa.answering.claims.as_statement`);
2. takes the sentences of the passages it cites (every passage, when it cites none), leaving
   out sentences that read as instructions to an AI model (:mod:`qa.answering.injection`);
3. rates each sentence with its scorers (:mod:`qa.answering.evidence`), picks the best one as
   evidence and a second when it covers at least :data:`MIN_GAIN` more of the claim;
4. computes the claim's features: each scorer's best score, the share of the claim's words the
   evidence and the cited passages hold (``coverage``, ``passage_coverage``), the share of
   its numbers and names that the evidence doesn't hold (``novel_numbers``, ``novel_names``; and
   ``any_novel_name``, whether there is one: a date or name changed to another the passage uses elsewhere),
   whether it names something the cited passages never do (``unstated_names``), and what it
   changes in the evidence with the same words (:mod:`qa.answering.contrast`): a negation added
   or removed (``negation_flip``), two names or numbers swapped round a word (``role_swap``);
5. turns them into ``support``, a logistic function fitted on data (:class:`VerifierWeights`,
   ``verifier.json``, written by ``make fit-verifier`` (``python -m training.fit_verifier``)), and keeps the claim when ``support``
   reaches the fitted threshold. One rule stands above the fit: a claim stating a number that
   the cited passages don't hold is unsupported (numbers are the detail models invent most, and
   no similarity of words says whether "2021" is right). An unsupported claim that the planted instructions of the
   passages cover better than their facts is reported as ``instruction``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Mapping

from langchain_core.documents import Document

from ..ingest.text import tokens
from ..search.lexical import analyze
from .answer import INSTRUCTION, MISSING_PASSAGE, UNSUPPORTED
from .claims import Claim, as_statement
from .contrast import names_in, negation_flip, numbers_in, role_swap
from .evidence import EvidenceContext, EvidenceScorer, OverlapScorer, PassageSentence
from .weights import linear, sigmoid

VERIFIER_FILE = Path(__file__).with_name("calibration") / "verifier.json"
FORMAT_VERSION = 1
MAX_EVIDENCE = 2       # sentences highlighted as a claim's evidence
MIN_GAIN = 0.15        # of the claim's weight a second evidence sentence must add
OBEYED_COVERAGE = 0.5  # a planted instruction holding at least this much of a claim (and more than the facts do)
                       # means the claim repeats it
CLAIM_FEATURES = ("coverage", "passage_coverage", "novel_numbers", "novel_names", "any_novel_name", "unstated_names",
                  "negation_flip", "role_swap")


def novel_share(claimed: set[str], held: set[str]) -> float:
    """The share of ``claimed`` that ``held`` lacks (0 when nothing is claimed)."""
    return len(claimed - held) / len(claimed) if claimed else 0.0


@dataclass(frozen=True)
class VerifierWeights:
    """``support = sigmoid(bias + sum(weights[f] * feature[f]))``; a claim is kept when
    ``support >= threshold``. ``scorers``: the :class:`EvidenceScorer` names whose features the
    weights use (besides :data:`CLAIM_FEATURES`). ``make fit-verifier`` (``python -m training.fit_verifier``) fits one set per
    combination of scorers; ``fitted_by`` says on what."""

    scorers: tuple = ("overlap",)
    weights: dict = field(default_factory=lambda: {"coverage": 4.0, "overlap": 2.0, "novel_numbers": -4.0,
                                                   "novel_names": -3.0})
    bias: float = -3.5
    threshold: float = 0.5
    fitted_by: str = "defaults"
    dev_score: float = 0.0   # on the claims it was fitted on: supported kept minus fabricated passed

    def support(self, features: Mapping[str, float]) -> float:
        """How likely the evidence supports the claim, in [0, 1]; 0 when the claim states a number
        that the cited passages don't (``unstated_numbers``, the rule above the fit)."""
        if features.get("unstated_numbers", 0.0) > 0:
            return 0.0
        return sigmoid(self.bias + linear(self.weights, features))

    @classmethod
    def from_dict(cls, d: Mapping) -> "VerifierWeights":
        """One fit, as :meth:`to_dict` wrote it."""
        d = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        return cls(**{**d, "scorers": tuple(d.get("scorers", ()))})

    def to_dict(self) -> dict:
        """JSON-able."""
        return {**asdict(self), "scorers": list(self.scorers)}


def load_fits(path: Path = VERIFIER_FILE) -> list[VerifierWeights]:
    """Every fit in ``verifier.json`` (none when it is missing); another format version is refused."""
    if not path.is_file():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path}: verifier format version {data.get('format_version')!r}; this version "
                         f"of qa reads version {FORMAT_VERSION}. Run `make fit-verifier ARGS=--write`.")
    fits = []
    for f in data.get("fits", []):
        dev = data.get("report", {}).get("+".join(f.get("scorers", [])), {}).get("dev", {})
        score = dev.get("supported_kept", 0.0) - dev.get("fabricated_passed", 0.0)
        fits.append(VerifierWeights.from_dict({**f, "dev_score": round(score, 4)}))
    return fits


@lru_cache(maxsize=8)
def weights_for(scorers: tuple[str, ...], path: Path = VERIFIER_FILE) -> VerifierWeights:
    """Of the shipped fits that use only ``scorers``, the one that did best on the claims it was
    fitted on (supported kept minus fabricated passed; a scorer that doesn't help there is not
    used); the defaults (word overlap only) when none fits."""
    usable = [f for f in load_fits(path) if set(f.scorers) <= set(scorers)]
    return max(usable, key=lambda f: (f.dev_score, -len(f.scorers)), default=VerifierWeights())


@dataclass
class Check:
    """The verdict on one claim: ``reason`` is ``""`` when it is supported (else one of
    :data:`~qa.answering.answer.REASONS`); ``evidence``: the sentences that support it best."""

    claim: Claim
    support: float
    reason: str
    evidence: list[PassageSentence] = field(default_factory=list)
    features: dict = field(default_factory=dict)

    @property
    def supported(self) -> bool:
        return not self.reason

    @property
    def cited_correctly(self) -> bool:
        """It cited passages, they exist, and they support it."""
        return self.supported and bool(self.claim.cited)


class Verifier:
    """Checks claims against the passages they cite (see the module docstring)."""

    def __init__(self, scorers: list[EvidenceScorer] | None = None, weights: VerifierWeights | None = None):
        self.scorers = list(scorers) if scorers is not None else [OverlapScorer()]
        names = {s.name for s in self.scorers}
        self.weights = weights or weights_for(tuple(sorted(names)))
        missing = sorted(f for f, w in self.weights.weights.items() if w and f not in names and f not in CLAIM_FEATURES)
        if missing:
            raise ValueError(f"the verifier's weights use {missing}, which none of its scorers "
                             f"{sorted(names)} provides")

    def check(self, question: str, passages: list[Document], claims: list[Claim]) -> list[Check]:
        """One :class:`Check` per claim, in order."""
        ctx = EvidenceContext.of(question, passages, [as_statement(c.text, question) for c in claims])
        prepared = {s.name: s.prepare(ctx) for s in self.scorers}
        return [self._check(claim, ctx, prepared) for claim in claims]

    def _check(self, claim: Claim, ctx: EvidenceContext, prepared: dict) -> Check:
        n = len(ctx.passages)
        if any(not 1 <= c <= n for c in claim.cited):
            return Check(claim, 0.0, MISSING_PASSAGE)
        cited = [c - 1 for c in claim.cited] or list(range(n))
        pool = [s for i in cited for s in ctx.sentences[i]]
        features, evidence = self.features(as_statement(claim.text, ctx.question), pool, ctx, prepared)
        support = self.weights.support(features)
        if support >= self.weights.threshold:
            return Check(claim, support, "", evidence, features)
        planted = [s for ss in ctx.sentences for s in ss if s.instruction]
        from_planted = ctx.coverage(set(analyze(claim.text)), planted) if planted else 0.0
        obeyed = from_planted >= OBEYED_COVERAGE and from_planted > features["passage_coverage"]
        return Check(claim, support, INSTRUCTION if obeyed else UNSUPPORTED, evidence, features)

    def features(self, claim: str, pool: list[PassageSentence], ctx: EvidenceContext,
                 prepared: dict) -> tuple[dict[str, float], list[PassageSentence]]:
        """The claim's features against the sentences ``pool`` (instructions left out), and its evidence."""
        facts = [s for s in pool if not s.instruction]
        per = {sc.name: sc.scores(claim, facts, ctx, prepared.get(sc.name)) for sc in self.scorers}
        terms = set(analyze(claim))
        evidence = choose_evidence(facts, per, terms, ctx)
        held, everything = " ".join(s.text for s in evidence), " ".join(s.text for s in facts)
        features = {name: max(values, default=0.0) for name, values in per.items()}
        features.update(coverage=ctx.coverage(terms, evidence), passage_coverage=ctx.coverage(terms, facts),
                        novel_numbers=novel_share(numbers_in(claim), numbers_in(held)),
                        unstated_numbers=novel_share(numbers_in(claim), numbers_in(everything)),
                        novel_names=novel_share(names_in(claim), _words(held)),
                        any_novel_name=float(bool(names_in(claim) - _words(held))),
                        unstated_names=float(bool(names_in(claim) - _words(everything))),
                        negation_flip=negation_flip(claim, [s.text for s in evidence]),
                        role_swap=role_swap(claim, [s.text for s in evidence]))
        return features, evidence


def _words(text: str) -> set[str]:
    """The words of ``text``, lower-cased, without a possessive 's (to look names up in)."""
    return {w.lower().removesuffix("'s") for w in tokens(text)}


def choose_evidence(facts: list[PassageSentence], per: dict[str, list[float]], terms: set[str],
                    ctx: EvidenceContext) -> list[PassageSentence]:
    """The sentence the scorers rate best on average, and a second one (up to :data:`MAX_EVIDENCE`)
    while it adds at least :data:`MIN_GAIN` of the claim's weight, in passage order."""
    if not facts:
        return []
    mean = [sum(v[i] for v in per.values()) / max(1, len(per)) for i in range(len(facts))]
    ranked = [facts[i] for i in sorted(range(len(facts)), key=lambda i: -mean[i])]
    chosen = [ranked[0]]
    for s in ranked[1:]:
        if len(chosen) >= MAX_EVIDENCE:
            break
        if ctx.coverage(terms, chosen + [s]) - ctx.coverage(terms, chosen) >= MIN_GAIN:
            chosen.append(s)
    return sorted(chosen, key=lambda s: (s.passage, s.start))
