"""Calibration (``python -m training.calibrate_reader``) on synthetic samples whose right answers are known by construction, and
the data it gathers (halves, negatives, provenance)."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest

from qa.answering.extractive import ExtractiveReader
from qa.answering.reader import Candidate
from qa.answering.weights import SENTENCE_FEATURES, Weights
from qa.eval.questions import Question
from qa.eval.squad import squad_halves
from tests.conftest import ROOT
from training import calibrate as cal
from training import fitting
from training.calibration import Dataset, far_questions, provenance

READER = ExtractiveReader(Weights())

OVERLAP = SENTENCE_FEATURES.index("overlap")
COSINE = SENTENCE_FEATURES.index("cosine")


def synthetic(n: int, seed: int, group: str = "squad/dev") -> list[cal.Sample]:
    """Answerable samples where the hit is the sentence with the highest ``cosine + 3 * overlap``
    (the other features are noise), and unanswerable ones whose top passage was retrieved weakly."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        X = rng.uniform(0, 1, size=(6, len(SENTENCE_FEATURES)))
        X[:, SENTENCE_FEATURES.index("is_question")] = 0
        answerable = i % 3 != 0
        hit = np.zeros(6, dtype=bool)
        if answerable:
            hit[int((X[:, COSINE] + 3 * X[:, OVERLAP]).argmax())] = True
        cands = [Candidate(sid=10 * i + j, passage=0, start=0, end=120, text="x" * 119 + ".",
                           features={**dict(zip(SENTENCE_FEATURES, X[j])), "has_type": 1.0}) for j in range(6)]
        dense = rng.uniform(0.6, 0.9) if answerable else rng.uniform(0.1, 0.4)
        out.append(cal.Sample(X=X, hit=hit, candidates=cands, typed=0.0,
                              top={"dense_score": dense, "lexical_score": rng.uniform(0, 1)},
                              answerable=answerable, group=group))
    return out


def test_fit_learns_which_feature_finds_the_answer_and_when_to_abstain():
    train, held_out = synthetic(300, seed=1), synthetic(300, seed=2)
    start = Weights(sentence={"cosine": 1.0, "overlap": 0.0})
    before = fitting.evaluate_weights(READER, start, held_out)["top1_accuracy"]
    w = fitting.fit(READER, train, restarts=1)   # one restart finds it here; the command runs RESTARTS
    report = fitting.evaluate_weights(READER, w, held_out)
    assert before < 0.6 < 0.9 <= report["top1_accuracy"]
    assert 2 < w.sentence["overlap"] / w.sentence["cosine"] < 4.5
    assert w.confidence["dense"] > 0 and report["auc"] > 0.95
    assert report["abstain_recall"] > 0.9 and report["false_abstentions"] <= 0.05 * report["answerable"]
    assert w.fitted_by == "python -m training.calibrate_reader" and 0.8 <= w.second_ratio <= 1.0


def test_fit_is_deterministic():
    samples = synthetic(60, seed=3)
    assert fitting.fit(READER, samples, restarts=2) == fitting.fit(READER, samples, restarts=2)   # seeds and pick


def test_threshold_keeps_false_abstentions_within_budget():
    conf = np.linspace(0, 1, 101)
    answerable = conf > 0.3
    t = cal.choose_threshold(conf, answerable, max_false_abstain=0.02)
    assert ((conf < t) & answerable).sum() <= 0.02 * answerable.sum()
    assert ((conf < t) & ~answerable).sum() == (~answerable).sum()


def test_separation_is_roc_auc():
    assert fitting.separation(np.array([0.9, 0.8, 0.2, 0.1]), np.array([True, True, False, False])) == 1.0
    assert fitting.separation(np.array([0.1, 0.9]), np.array([True, False])) == 0.0


def test_squad_halves_split_articles_not_questions():
    data = {"data": [{"title": f"Article {i}", "paragraphs": []} for i in range(40)]}
    halves = squad_halves(data)
    titles = [{a["title"] for a in halves[h]["data"]} for h in ("dev", "test")]
    assert titles[0].isdisjoint(titles[1]) and len(titles[0]) + len(titles[1]) == 40
    assert 10 <= len(titles[0]) <= 30


def test_every_dataset_and_kind_of_question_weighs_its_share():
    samples = synthetic(30, seed=4, group="big/dev") + synthetic(9, seed=5, group="small/dev/close") \
        + synthetic(3, seed=6, group="small/dev/far")
    for s in samples[30:]:
        s.answerable = False                                        # close and far questions are unanswerable
    w = cal.sample_weights(samples)
    big, small = w[:30].sum(), w[30:].sum()
    assert np.isclose(big, small) and np.isclose(w.mean(), 1.0)
    own = [x for x, s in zip(w[:30], samples[:30]) if not s.answerable]
    assert np.isclose(sum(own), big / 2)                            # big: its own unanswerable ones, half
    close, far = w[30:39].sum(), w[39:].sum()
    assert np.isclose(close, far) and np.isclose(close + far, small)   # small: only unanswerable kinds, equal shares


def test_weighted_threshold_refuses_within_budget_by_weight():
    conf = np.array([0.1, 0.2, 0.9, 0.95])
    answerable = np.array([True, True, True, True])
    # the two low ones weigh 1% each: refusing both stays within a 2% budget
    assert cal.choose_threshold(conf, answerable, 0.02, np.array([1.0, 1.0, 49.0, 49.0])) == 0.9
    assert cal.choose_threshold(conf, answerable, 0.02) == 0.1


def test_far_negatives_of_a_half_come_from_that_half_only():
    def ds(name):
        return Dataset(name, None, {h: [Question(f"{name}-{h}-{i}", f"{name} {h} question {i}?", ["x"])
                                        for i in range(50)] for h in ("dev", "test")})
    a, b, c = ds("a"), ds("b"), ds("c")
    far = far_questions([a, b, c], a, "dev", limit=10)
    assert len(far) == 20 and all(not q.answers for q in far)
    assert {q.id.split("-")[0] for q in far} == {"b", "c"} and all("-dev-" in q.id for q in far)


def test_provenance_names_inputs_with_their_sha256(tmp_path):
    f = tmp_path / "data.json"
    f.write_text("{}")
    p = provenance(READER, [f], seed=7)
    assert p["inputs"] == {str(f): "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"}
    assert p["seed"] == 7 and p["command"].startswith("python -m training.calibrate_reader") and p["git_commit"]


@pytest.mark.parametrize("module", ["calibrate", "fitting", "verifier_fit"])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(f"training.{module}"),
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("command", ["calibrate_reader", "fit_verifier"])
def test_the_commands_refuse_a_missing_data_file_by_name(command, tmp_path, capsys):
    main = importlib.import_module(f"training.{command}").main
    with pytest.raises(SystemExit) as exc:
        main(["--squad", str(tmp_path / "nowhere.json"), "--work", str(tmp_path / "work")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "nowhere.json" in err and "not found" in err and f"python -m training.{command}" in err
    assert not (tmp_path / "work").exists()
    with pytest.raises(SystemExit) as exc:
        main(["--squad", str(ROOT / "pyproject.toml"), "--questions", str(tmp_path / "none.jsonl")])
    assert exc.value.code == 2 and f"question set not found: {tmp_path / 'none.jsonl'}" in capsys.readouterr().err
