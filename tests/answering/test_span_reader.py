"""The learned span reader: its packaged model (checked on load), span scoring, and answers
with the exact phrase. The model is small and runs in ONNX, so these use the real one."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from qa.answering.span_model import MODEL_DIR, Manifest, SpanModel, WindowScores
from qa.answering.span_reader import SpanReader, list_items
from qa.answering.weights import Weights
from qa.errors import ModelError
from tests.support.passages import passage


@pytest.fixture(scope="module")
def model():
    return SpanModel.load()


@pytest.fixture(scope="module")
def reader(model):
    """Never abstains, and ranks sentences by the span model alone: answers depend on the model only."""
    return SpanReader(Weights(reader="span", sentence={"cosine": 0.0, "span_gap": 1.0}, threshold=0.0), model=model)


def test_shipped_manifest_is_complete():
    m = Manifest.load(MODEL_DIR)
    assert m.max_length > m.stride > 0 and m.max_answer_tokens > 0
    assert (MODEL_DIR / m.model_file).stat().st_size < 50 * 1024 * 1024   # int8: fits a git repository
    assert (MODEL_DIR / "README.md").read_text(encoding="utf-8").count("ONNX") >= 1


@pytest.mark.parametrize("damage", ["model", "tokenizer"])
def test_a_changed_file_is_refused_by_name(tmp_path, damage):
    folder = tmp_path / "reader"
    shutil.copytree(MODEL_DIR, folder)
    m = Manifest.load(folder)
    target = folder / (m.model_file if damage == "model" else m.tokenizer_file)
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(ModelError) as e:
        SpanModel.load(folder)
    assert target.name in str(e.value) and "sha256" in str(e.value)


def test_a_manifest_of_another_version_or_missing_keys_is_refused(tmp_path):
    folder = tmp_path / "reader"
    shutil.copytree(MODEL_DIR, folder)
    data = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**data, "format_version": 99}))
    with pytest.raises(ModelError, match="format version 99"):
        SpanModel.load(folder)
    del data["model_sha256"]
    (folder / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(ModelError, match="model_sha256"):
        SpanModel.load(folder)
    (folder / "manifest.json").unlink()
    with pytest.raises(ModelError, match="manifest.json is missing"):
        SpanModel.load(folder)


def test_best_span_stays_inside_the_characters_asked_for():
    offsets = [None, None, (0, 4), (5, 9), (10, 14), (15, 19), None]
    start = np.array([9.0, 0, 1, 5, 0, 8, 0])
    end = np.array([1.0, 0, 0, 6, 0, 1, 0])
    w = WindowScores(0, offsets, start, end, max_answer_tokens=30)
    assert w.null == 10.0
    best = w.best_span(0, 19)
    assert (best.start, best.end, best.score) == (5, 9, 11.0)
    inside = w.best_span(10, 19)            # the best start lies outside: the best span inside wins
    assert (inside.start, inside.end, inside.score) == (15, 19, 9.0)
    assert w.best_span(20, 30) is None


def test_long_passages_are_read_in_overlapping_windows(model):
    text = " ".join(f"Sentence number {i} mentions the river." for i in range(150))
    windows = model.score("Which river?", [text, "Short one."])
    first = [w for w in windows if w.passage == 0]
    assert len(first) > 1 and [w.passage for w in windows].count(1) == 1
    covered = [o for w in first for o in w.offsets if o]
    assert min(a for a, _ in covered) == 0 and max(b for _, b in covered) == len(text)


def test_answer_has_the_exact_phrase_at_true_offsets(reader):
    text = "Crows use tools. Owls hunt at night, mostly in winter."
    p = passage(text, start=100)
    answer = reader.read("When do owls hunt?", [p])
    c = answer.citations[0]
    assert not answer.abstained and "Owls hunt at night" in answer.text
    assert answer.short_answer and answer.short_answer in "at night, mostly in winter"
    (a, b), = c.answer_spans
    assert c.text[a:b] == answer.short_answer
    assert any(h0 <= a and b <= h1 for h0, h1 in c.highlights)     # the phrase lies in the highlighted sentence


def test_span_features_are_on_every_candidate(reader):
    p = passage("The bridge opened in 1932. It carries six lanes.")
    cands = reader.candidates("When did the bridge open?", "When did the bridge open?", [p])
    assert {"span", "span_gap", "null", "cosine", "overlap"} <= set(cands[0].features)
    best = max(cands, key=lambda c: c.features["span_gap"])
    assert "1932" in p.page_content[best.span[0]:best.span[1]]


def test_a_list_introduced_by_the_answer_comes_with_it(reader):
    text = ("The treaty named three border crossings:\n- Rimdan in the south\n- Mirjaveh in the middle\n"
            "- Pishin in the north\n\nTrade grew after that.")
    answer = reader.read("Which three border crossings did the treaty name?", [passage(text)])
    assert all(place in answer.text for place in ("Rimdan", "Mirjaveh", "Pishin")), answer.text


def test_list_items_stop_at_the_first_line_that_is_not_an_item():
    from qa.answering.reader import Candidate

    cands = [Candidate(0, 0, 0, 10, "Three kinds:"), Candidate(1, 0, 11, 16, "- one"), Candidate(2, 0, 17, 22, "- two"),
             Candidate(3, 0, 23, 40, "A new paragraph."), Candidate(4, 0, 41, 46, "- three")]
    assert [c.sid for c in list_items(cands[0], cands, 400, 0)] == [1, 2]
    assert list_items(cands[2], cands, 400, 0) == []                 # not a lead-in: no items follow, no colon
    assert [c.sid for c in list_items(cands[3], cands, 400, 0)] == [4]   # items follow: a lead-in without a colon
    assert [c.sid for c in list_items(cands[0], cands, 15, 0)] == [1]   # only what fits


def test_unanswerable_passage_scores_no_answer_higher(model):
    text = "The Chabahar port lies on the Gulf of Oman. It handles container ships."
    good = model.score("Where does the Chabahar port lie?", [text])[0]
    bad = model.score("Which company built the Chabahar port terminal in 1990?", [text])[0]
    gap = lambda w: w.best_span(0, len(text)).score - w.null
    assert gap(good) > 0 > gap(bad)


def test_a_very_long_question_is_cut_and_still_read(model):
    question = "When did the bridge open " + "and what else happened there " * 60 + "?"
    windows = model.score(question, ["The bridge opened in 1932."])
    assert windows and windows[0].best_span(0, 26) is not None


def test_the_models_of_a_question_sleep_between_runs(model):
    # a spinning thread pool of one model kept the cores busy while the next one ran (make bench)
    from qa.search.onnx_encoder import session_options

    for options in (model.session.get_session_options(), session_options()):
        assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
