"""What a claim changes in its evidence (issue 20): a negation added or removed, roles swapped, a
number, date or name changed; the altered claims the verifier is fitted on, made from real sentences;
and the issue's negated January-16 sentence on the real pipeline."""

from __future__ import annotations

import random

import pytest

from qa.answering.answer import UNSUPPORTED
from qa.answering.contrast import negation_flip, role_swap
from qa.answering.evidence import OverlapScorer
from qa.answering.verify import Verifier
from qa.eval.questions import Question
from training.verifier_data import ALTERED_KINDS, MONTHS, Pool, claims_for, negate, swap_date, swap_roles
from tests.support.verifier import check, passage

FERRY = ("The Northwind ferry left Harwick for Ostend on March 3, 2019. It carried 412 passengers. "
         "The crossing was not delayed by the storm.")


@pytest.mark.parametrize("claim, evidence, flip", [
    ("The ferry did not leave Harwick.", "The ferry left Harwick.", 1.0),
    ("The ferry never left Harwick.", "The ferry left Harwick.", 1.0),
    ("The crossing was delayed by the storm.", "The crossing was not delayed by the storm.", 1.0),
    ("The crossing wasn't delayed.", "The crossing was not delayed by the storm.", 0.0),
    ("The ferry left Harwick, not Dover.", "The ferry left Harwick for Ostend.", 0.0),    # another word negated
    ("The ferry left Harwick, not Ostend.", "The ferry left Harwick for Ostend.", 1.0),
    ("The ferry left Harwick.", "The ferry left Harwick for Ostend.", 0.0),
])
def test_a_negation_added_or_removed_is_found(claim, evidence, flip):
    assert negation_flip(claim, [evidence]) == flip


@pytest.mark.parametrize("claim, swap", [
    ("Ostend sent the Northwind ferry to Harwick.", 1.0),
    ("Harwick sent the Northwind ferry to Ostend.", 0.0),
    ("In 2019 Harwick sent the ferry to Ostend.", 0.0),       # a phrase moved, the roles kept
    ("Harwick and Ostend traded.", 0.0),                       # no shared word between them
])
def test_names_swapped_round_a_word_are_found(claim, swap):
    assert role_swap(claim, ["Harwick sent the Northwind ferry to Ostend in 2019."]) == swap


@pytest.mark.parametrize("claim", [
    "The Northwind ferry did not leave Harwick for Ostend on March 3, 2019.",     # negation added
    "The crossing was delayed by the storm.",                                      # negation removed
    "The Northwind ferry left Ostend for Harwick on March 3, 2019.",               # roles swapped
    "The Northwind ferry left Harwick for Ostend on May 3, 2019.",                 # date changed
    "The Northwind ferry left Harwick for Calais on March 3, 2019.",               # name changed
    "It carried 421 passengers.",                                                  # number changed
])
def test_the_shipped_verifier_catches_altered_sentences(claim):
    p = passage(FERRY, "ferry.md")
    faithful = check("The Northwind ferry left Harwick for Ostend on March 3, 2019.", passages=[p],
                     question="Where did the ferry go?")
    assert faithful.supported and faithful.features["negation_flip"] == faithful.features["role_swap"] == 0.0
    verdict = check(claim, passages=[p], question="Where did the ferry go?")
    assert verdict.reason == UNSUPPORTED and verdict.support < Verifier([OverlapScorer()]).weights.threshold


@pytest.mark.slow
def test_the_negated_january_16_sentence_is_flagged_on_the_real_pipeline(bundled):
    """The issue's case: the passage says Iran launched the strike on January 16."""
    from qa.app.api import Answerer
    from tests.support.llm import PromptChatModel, number_of

    def reply(negated: bool):
        verb = "did not launch" if negated else "launched"
        return lambda m: (f"Iran {verb} a missile strike on Jaish al-Adl bases in Pakistan on January 16 "
                          f"[{number_of(m, 'On January 16, Iran launched')}].")

    question = "When did Iran launch its missile strike on Pakistan?"
    kept = Answerer(bundled.index, bundled.embeddings, llm=PromptChatModel(reply=reply(False))).ask(question)
    assert not kept.abstained and kept.dropped == [] and "January 16" in kept.text
    flagged = Answerer(bundled.index, bundled.embeddings, llm=PromptChatModel(reply=reply(True))).ask(question)
    assert flagged.abstained and "did not launch" not in flagged.text
    [d] = flagged.dropped
    assert d.reason == UNSUPPORTED and d.text.startswith("Iran did not launch")


@pytest.mark.parametrize("sentence, negated", [
    ("On January 16, Iran launched a missile strike.", "On January 16, Iran never launched a missile strike."),
    ("The bridge was built in 1890 by Gustave Eiffel.", "The bridge was not built in 1890 by Gustave Eiffel."),
    ("The crossing was not delayed.", "The crossing was delayed."),
    ("Iran didn't strike first.", "Iran did strike first."),
    ("Owls hunt at night.", None),
])
def test_negated_claims_are_made_from_real_sentences(sentence, negated):
    assert negate(sentence) == negated


def test_role_swapped_and_date_changed_claims_are_made_from_real_sentences():
    assert swap_roles("In 1999, Iran struck Pakistan.", random.Random(0)) == "In 1999, Pakistan struck Iran."
    assert swap_roles("Talks of Iran and Pakistan.", random.Random(0)) is None      # "and": no roles to swap
    assert swap_roles("In May, Iran struck.", random.Random(0)) is None             # a month is no actor
    changed = swap_date("It left on March 3, 2019.", random.Random(0))
    assert changed.replace(changed.split()[3], "March") == "It left on March 3, 2019."
    assert changed.split()[3] in MONTHS and changed.split()[3] != "March"
    assert swap_date("It left on the 3rd.", random.Random(0)) is None


def test_every_altered_kind_is_made_from_the_evidence_sentence():
    text = "On March 3, 2019, the ferry Northwind sailed from Harwick to Ostend with 412 passengers."
    q = Question("q1", "When did the ferry Northwind leave Harwick?", ["March 3, 2019"], evidence=text)
    other = Question("q2", "Who built the Calder bridge?", ["Gustave Eiffel"], evidence="Gustave Eiffel built it.")
    made = claims_for(q, [passage(text, "ferry.md")], Pool.of([q, other]), random.Random(0), "g")
    by_kind = {c.kind: c.claim.text for c in made if c.claim.cited}
    assert set(ALTERED_KINDS) <= set(by_kind)
    assert by_kind["negation"] == "On March 3, 2019, the ferry Northwind never sailed from Harwick to Ostend with 412 passengers."
    assert by_kind["swap-role"] == "On March 3, 2019, the ferry Ostend sailed from Harwick to Northwind with 412 passengers."
    assert all(not c.supported for c in made if c.kind in ALTERED_KINDS)
    assert {c.claim.text for c in made if c.kind == "copy"} == {text}


def test_the_shipped_fit_catches_held_out_altered_sentences_and_keeps_their_sources():
    """The issue's target, on the held-out half the shipped fit reports: at least 90% of the altered
    copies caught, at least 95% of the copies themselves kept (``make fit-verifier`` (``python -m training.fit_verifier``) writes these)."""
    import json

    from qa.answering.verify import VERIFIER_FILE

    data = json.loads(VERIFIER_FILE.read_text(encoding="utf-8"))
    for fit in ("+".join(f["scorers"]) for f in data["fits"]):
        test = data["report"][fit]["test"]
        assert test["unsupported_altered"]["recall"] >= 0.9 and test["unsupported_altered"]["unsupported"] > 1000
        assert test["by_kind"]["copy"] >= 0.95 and test["by_kind"]["clause"] >= 0.95
        assert all(test["by_kind"][k] <= 0.15 for k in ALTERED_KINDS)
