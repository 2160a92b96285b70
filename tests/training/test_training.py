"""The training side of the span reader (``training/``): generators, mix, gauge maths, provenance.

Fast tests on hand-made paragraphs; ``test_training_runs.py`` loads torch, exports and trains.
"""

from __future__ import annotations

import doctest
import importlib
import random

import numpy as np
import pytest

from training import data, heldout, mix, negatives, spans, synthetic
from training.data import Record

DOC = ("Ada Lovelace wrote the first program in 1843. Charles Babbage designed the Analytical Engine.",
       "Babbage died in London in 1871. Luigi Menabrea wrote a paper in 1842.",
       "The engine was never finished.")


def rec(question, answer, paragraph=0, paragraphs=DOC):
    context = paragraphs[paragraph]
    return Record("q", question, context, ((answer, context.index(answer)),), "Ada", paragraphs, paragraph)


# --- generators ------------------------------------------------------------------------------

def test_swap_replaces_like_for_like_from_another_paragraph():
    r = rec("What did Ada Lovelace write in 1843?", "the first program")
    made = {synthetic.swap(r, random.Random(s)).question for s in range(20)}
    # a year for the year (1871, 1842 stand in paragraph 1, not in paragraph 0), or the two-word
    # name for a two-word name from paragraph 1 ("Luigi Menabrea"): never "Babbage" (one word)
    assert made <= {"What did Ada Lovelace write in 1871?", "What did Ada Lovelace write in 1842?",
                    "What did Luigi Menabrea write in 1843?"}
    assert len(made) >= 2
    for q in made:
        assert synthetic.swap(r, random.Random(0)).answers == ()


def test_swap_needs_a_mention_of_the_same_kind_elsewhere():
    paras = ("Crows use tools in 1999.", "Owls hunt at night.")
    r = rec("What did crows use in 1999?", "tools", 0, paras)
    assert synthetic.swap(r, random.Random(0)) is None  # no other year, no names
    assert synthetic.swap(rec("What do crows use?", "tools", 0, paras), random.Random(0)) is None


def test_close_negative_is_another_paragraph_without_the_answer():
    r = rec("Who designed the Analytical Engine?", "Charles Babbage")
    got = {negatives.close(r, random.Random(s)).context for s in range(10)}
    assert got == {DOC[1], DOC[2]}
    neg = negatives.close(r, random.Random(0))
    assert neg.answers == () and neg.kind == "close" and DOC[neg.index] == neg.context
    # every other paragraph holds the answer: nothing to pair with
    same = ("Babbage built it.", "Babbage again.")
    assert negatives.close(rec("Who built it?", "Babbage", 0, same), random.Random(0)) is None


def test_hard_close_takes_the_most_word_sharing_paragraph_without_the_answer():
    paras = DOC + ("Babbage and Lovelace corresponded about the Analytical Engine design.",
                   "Charles Babbage designed the Analytical Engine.")  # the last holds the answer: never taken
    r = rec("Who designed the Analytical Engine?", "Charles Babbage", 0, paras)
    got = {negatives.hard_close(r, random.Random(s)).context for s in range(10)}
    assert got == {paras[3]}  # shares "designed" (desig), "analytical", "engine" with the question
    neg = negatives.hard_close(r, random.Random(0))
    assert neg.answers == () and neg.kind == "hardclose" and paras[neg.index] == neg.context
    tie = rec("Who was Ada?", "Ada Lovelace", 0, DOC)  # no other paragraph shares a word: any of them
    assert {negatives.hard_close(tie, random.Random(s)).context for s in range(20)} == {DOC[1], DOC[2]}
    assert negatives.hard_close(rec("Who died?", "Babbage", 1, (DOC[1], DOC[1])), random.Random(0)) is None


def test_neighbour_asks_about_another_entity_of_the_paragraph():
    p = ("Ada Lovelace wrote the first program in 1843. Charles Babbage designed the engine. "
         "Lovelace and Babbage met in London.",)
    r = rec("What did Ada Lovelace write in 1843?", "the first program", 0, p)
    made = synthetic.neighbour(r, random.Random(0))
    assert made.question == "What did Charles Babbage write in 1843?"
    assert made.answers == () and made.kind == "neighbour" and made.context == p[0]


def test_neighbour_skips_an_entity_whose_sentence_states_the_relation():
    # Babbage's sentence also says what he wrote: asking it of him would be answerable
    p = ("Ada Lovelace wrote the first program in 1843. Charles Babbage wrote the engine manual.",)
    r = rec("What did Ada Lovelace write in 1843?", "the first program", 0, p)
    assert synthetic.neighbour(r, random.Random(0)) is None


def test_neighbour_needs_an_entity_outside_the_answer_sentence():
    p = ("Ada Lovelace and Charles Babbage wrote the first program in 1843.",)
    r = rec("What did Ada Lovelace write in 1843?", "the first program", 0, p)
    assert synthetic.neighbour(r, random.Random(0)) is None


def test_mentions_skip_capitalised_sentence_openers():
    text = "Yeah, sure. Now Monica is here. Later Monica met Ross in 1994 on 5 May."
    found = [m for m, _ in synthetic.mentions(text)]
    assert "Now" not in found and "Later" not in found and "Yeah" not in found
    assert {"Monica", "Ross", "1994", "5 May"} <= set(found)
    assert [synthetic.kind_of(x) for x in ("1994", "5 May", "42", "Ross Geller")] == ["year", "date", "num2", "name2"]


def test_unanswerables_share_between_kinds_and_fill_from_the_others():
    rs = [rec("What did Ada Lovelace write in 1843?", "the first program")] * 4
    made = mix.unanswerables(rs, ["swap", "neighbour"], 4, random.Random(0))
    assert sorted(m.kind for m in made) == ["neighbour", "neighbour", "swap", "swap"]
    alone = ("Ada Lovelace wrote the first program in 1843.",) + DOC[1:]  # no other entity in its paragraph
    rs = [rec("What did Ada Lovelace write in 1843?", "the first program", 0, alone)] * 4
    made = mix.unanswerables(rs, ["neighbour", "swap"], 4, random.Random(0))
    assert [m.kind for m in made] == ["swap"] * 4
    assert all(m.answers == () and m.question != rs[0].question for m in made)


def test_mix_counts_and_unknown_kind():
    rs = [rec("What did Ada Lovelace write in 1843?", "the first program"),
          Record("u", "Who finished the engine?", DOC[2], (), "Ada", DOC, 2)]
    m = mix.build(rs, random.Random(0), sample=1, n_synthetic=1, kinds=["swap"], n_close=1)
    assert m.counts == {"answerable": 1, "unanswerable": 1, "swap": 1, "close": 1}
    assert len(m.records) == 4
    with pytest.raises(ValueError, match="unknown synthetic kind.*'paraphrase'.*expected"):
        mix.build(rs, random.Random(0), n_synthetic=1, kinds=["paraphrase"])
    both = mix.build(rs, random.Random(0), n_close=1, close_kinds=["close", "hardclose"])  # n_close of each kind
    assert both.counts == {"answerable": 1, "unanswerable": 1, "close": 1, "hardclose": 1}
    with pytest.raises(ValueError, match="unknown synthetic kind.*'nearest'"):
        mix.build(rs, random.Random(0), close_kinds=["nearest"])


def test_records_drop_overlong_questions_and_mark_impossible():
    raw = {"data": [{"title": "T", "paragraphs": [{"context": "abc", "qas": [
        {"id": "1", "question": "w " * 61, "answers": [], "is_impossible": True},
        {"id": "2", "question": "Is it?", "answers": [{"text": "x", "answer_start": 0}], "is_impossible": True}]}]}]}
    [r] = data.records(raw)
    assert r.id == "2" and not r.answerable


def test_missing_data_folder_says_where_it_looked(tmp_path):
    with pytest.raises(data.DataMissing, match=r"no data folder at .*nowhere.*--data"):
        data.data_dir(tmp_path / "nowhere")
    from training import train_reader
    with pytest.raises(data.DataMissing):
        train_reader.main(["--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "m")])


# --- gauge maths -----------------------------------------------------------------------------

def test_answer_window_holds_the_answer_and_grid_covers_the_text():
    offsets = [(i * 5, i * 5 + 4) for i in range(40)]
    for seed in range(20):
        a, b = heldout.answer_window(offsets, 100, 119, size=8, rng=random.Random(seed))
        assert a <= 100 and b >= 119 and b - a <= 8 * 5
    assert heldout.answer_window(offsets, 0, 199, size=8, rng=random.Random(0)) is None  # answer too long
    g = heldout.grid(offsets, 16)
    assert g[0][0] == 0 and g[-1][1] == offsets[-1][1] and len(g) == 3


def test_threshold_abstains_on_five_percent_of_positives():
    from training.gauge import measure_scores
    pos = np.arange(100) / 4 - 5
    neg = np.linspace(-20, 0, 50)
    m = measure_scores(pos, np.ones(100), neg, np.array([-30.0]))
    assert (pos <= m["thr5"]).mean() == pytest.approx(0.05)
    assert m["neg@5"] == pytest.approx((neg <= m["thr5"]).mean())
    assert m["syn@5"] == 1.0 and m["F1@5"] == pytest.approx(95.0) and m["F1"] == pytest.approx(100.0)


def test_decision_refuses_a_model_that_abstains_more_by_answering_worse():
    from training.decision import decide
    rng = np.random.default_rng(1)
    base = dict(pos_e=rng.normal(5, 3, 500), pos_f1=rng.uniform(0, 1, 500), neg_e=rng.normal(0, 3, 500))
    worse = dict(base, neg_e=base["neg_e"] - 3, pos_f1=base["pos_f1"] * 0.9)  # more abstention, F1 −5 points
    d = decide(base, worse)
    assert d["neg@5 gain"] > 0 and d["F1 change"] < -1 and not d["keep"]
    same = decide(base, dict(base))
    assert same["neg@5 gain"] == 0 and not same["keep"]  # no gain: nothing to keep it for
    assert decide(base, dict(base, neg_e=base["neg_e"] - 3))["keep"]


def test_best_span_matches_brute_force():
    rng = np.random.default_rng(0)
    for _ in range(30):
        n = int(rng.integers(3, 20))
        s, e = rng.normal(size=n), rng.normal(size=n)
        inside = rng.random(n) > 0.3
        inside[0] = False
        if not inside.any():
            continue
        score, a, b = spans.best_span(s, e, inside, 4)
        brute = max((s[i] + e[j], i, j) for i in range(n) for j in range(i, min(n, i + 4)) if inside[i] and inside[j])
        assert (score, a, b) == pytest.approx(brute)


@pytest.mark.parametrize("module", ["data", "synthetic", "mix", "metrics", "spans", "heldout", "gauge", "quant",
                                    "decision", "provenance", "carry", "negatives", "mpnet_base", "mpnet_device"])
def test_docstring_examples(module):
    mod = importlib.import_module(f"training.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_git_commit_outside_git_comes_from_the_environment(tmp_path, monkeypatch):
    from training import provenance

    monkeypatch.setattr(provenance, "REPO", tmp_path)  # a copy of the tree without .git (a GPU machine)
    monkeypatch.setenv("TRAINING_GIT_COMMIT", "e422323")
    assert provenance.git_commit() == "e422323"
    monkeypatch.delenv("TRAINING_GIT_COMMIT")
    assert provenance.git_commit() == ""
