"""The training side of the span reader (``training/``): generators, mix, gauge maths, export, training.

Fast tests use hand-made paragraphs; the slow ones load torch, export a tiny random model, and
train a few steps on 32 questions of ``../shared/datasets/train`` (skipped when that is absent).
"""

from __future__ import annotations

import doctest
import importlib
import json
import os
import random
import shutil
import subprocess
import sys

import numpy as np
import pytest

from training import data, heldout, mix, spans, synthetic
from training.data import Record

SHARED_DATA = data.DEFAULT_DATA
ROOT = data.REPO
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
    got = {synthetic.close(r, random.Random(s)).context for s in range(10)}
    assert got == {DOC[1], DOC[2]}
    neg = synthetic.close(r, random.Random(0))
    assert neg.answers == () and neg.kind == "close" and DOC[neg.index] == neg.context
    # every other paragraph holds the answer: nothing to pair with
    same = ("Babbage built it.", "Babbage again.")
    assert synthetic.close(rec("Who built it?", "Babbage", 0, same), random.Random(0)) is None


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
    made = synthetic.unanswerables(rs, ["swap", "neighbour"], 4, random.Random(0))
    assert sorted(m.kind for m in made) == ["neighbour", "neighbour", "swap", "swap"]
    alone = ("Ada Lovelace wrote the first program in 1843.",) + DOC[1:]  # no other entity in its paragraph
    rs = [rec("What did Ada Lovelace write in 1843?", "the first program", 0, alone)] * 4
    made = synthetic.unanswerables(rs, ["neighbour", "swap"], 4, random.Random(0))
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
                                    "decision", "provenance"])
def test_docstring_examples(module):
    mod = importlib.import_module(f"training.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# --- export (a tiny random model with the real tokenizer) ------------------------------------

@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    import torch
    from transformers import BertConfig, BertForQuestionAnswering

    folder = tmp_path_factory.mktemp("tiny-reader")
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=512)
    BertForQuestionAnswering(cfg).eval().save_pretrained(str(folder))
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        if (data.base_model() / name).is_file():
            shutil.copyfile(data.base_model() / name, folder / name)
    (folder / "README.md").write_text("# tiny reader\n", encoding="utf-8")
    return folder


@pytest.mark.slow
def test_export_writes_a_checked_folder_whose_outputs_match_torch(tiny_model, tmp_path):
    import onnxruntime as ort
    import torch
    from transformers import AutoTokenizer, BertForQuestionAnswering

    from training import export_onnx

    out = export_onnx.main([str(tiny_model), str(tmp_path / "onnx"), "--gauge-n", "0"])
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "manifest.json", "model.onnx", "tokenizer.json"]
    m = export_onnx.check_manifest(out)
    assert m["format_version"] == 1 and m["model_sha256"] == data.sha256(out / "model.onnx")
    assert m["tokenizer_sha256"] == data.sha256(tiny_model / "tokenizer.json")
    assert m["source"].endswith(data.sha256(tiny_model / "model.safetensors"))
    assert (m["max_length"], m["stride"], m["max_answer_tokens"]) == (256, 96, 30)
    assert m["export"]["quantisation"]["weight_type"] == "QInt8" and m["export"]["quantisation"]["per_channel"] is True
    assert "one scale per output channel" in m["quantization"]
    assert m["export"]["fp32_max_logit_gap"] < 1e-3
    from qa.answering.span_model import SpanModel   # qa reads the folder as it ships its own
    [window] = SpanModel.load(out).score("Who built the engine?", ["Babbage built the engine in 1843."])
    assert window.passage == 0 and np.isfinite(window.null)
    assert "## ONNX export" in (out / "README.md").read_text(encoding="utf-8")

    # the int8 file runs with dynamic batch and token axes, close to torch's fp32 logits
    tok = AutoTokenizer.from_pretrained(str(tiny_model))
    enc = tok(["who built it?", "when?", "what"], ["Babbage built the engine in 1843.", "In 1843.", "x"],
              padding=True, return_tensors="np", return_token_type_ids=True)
    sess = ort.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
    got = sess.run(["start_logits", "end_logits"], {k: enc[k].astype(np.int64) for k in export_onnx.INPUTS})
    model = BertForQuestionAnswering.from_pretrained(str(tiny_model), dtype=torch.float32).eval()
    with torch.no_grad():
        ref = model(**{k: torch.from_numpy(enc[k]) for k in export_onnx.INPUTS})
    for g, r in zip(got, (ref.start_logits.numpy(), ref.end_logits.numpy())):
        assert g.shape == r.shape
        assert np.abs(g - r).max() < 0.05 + 0.1 * np.abs(r).max()

    reader = spans.OnnxReader(out / "model.onnx", out / "tokenizer.json")
    [score] = reader.score([("Who built the engine?", "Babbage built the engine in 1843.")])
    assert score.text in "Babbage built the engine in 1843." and np.isfinite(score.evidence)

    (out / "tokenizer.json").write_text("{}", encoding="utf-8")
    with pytest.raises(export_onnx.ManifestError, match="tokenizer.json has sha256"):
        export_onnx.check_manifest(out)


@pytest.mark.slow
def test_quant_compare_reports_both_precisions_with_an_interval(tiny_model, tmp_path):
    from training import export_onnx, quant

    fp32 = export_onnx.export_fp32(tiny_model, tmp_path / "fp32.onnx")
    int8 = export_onnx.quantize_int8(fp32, tmp_path / "int8.onnx")
    tok = tiny_model / "tokenizer.json"
    gs = heldout.GaugeSet("hand", tmp_path)
    gs.positives = [("Who built it?", "Babbage built the engine in 1843.", ["Babbage"]),
                    ("When?", "The engine was shown in 1843 in Turin.", ["1843"]),
                    ("Where?", "It was shown in Turin.", ["Turin"])]
    got = quant.compare({"fp32": (fp32, tok), "int8": (int8, tok)}, [gs])
    assert set(got) == {"hand", "all"} and got["all"]["n_pos"] == 3
    m = got["hand"]
    assert m["int8 - fp32"] == pytest.approx(m["F1 int8"] - m["F1 fp32"], abs=0.02)
    assert m["95% CI"][0] <= m["int8 - fp32"] <= m["95% CI"][1] and 0 <= m["changed"] <= 1


# --- training (needs ../shared/datasets) -------------------------------------------------------

@pytest.mark.slow
@pytest.mark.skipif(not (SHARED_DATA / "train").is_dir(), reason="../shared/datasets is absent")
def test_a_few_steps_on_32_questions_lower_the_loss(tmp_path):
    # the command line itself, in a fresh process (torch's threads set up as the script sets them)
    out = tmp_path / "reader"
    args = ["--limit", "32", "--close", "0", "--max-len", "192", "--stride", "64", "--batch", "4", "--epochs", "1",
            "--lr", "1e-4", "--seed", "0", "--threads", "2", "--log-every", "4", "--out", str(out)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = subprocess.run([sys.executable, "-m", "training.train_reader", *args], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=500)
    assert run.returncode == 0, run.stderr[-2000:]
    facts = json.loads((out / "training.json").read_text(encoding="utf-8"))
    losses = facts["losses"]  # a new QA head on all-MiniLM-L6-v2: the loss starts near ln(192) ≈ 5.3
    assert 8 <= len(losses) <= 16 and f"step {len(losses)}/{len(losses)} loss" in run.stdout
    assert np.mean(losses[-4:]) < np.mean(losses[:4]) - 0.2
    assert facts["questions"] == 32 and facts["seed"] == 0 and "--limit 32" in facts["command"]
    assert facts["data"][str(SHARED_DATA / "train" / "squad2-train-subset.json")] == \
        data.sha256(SHARED_DATA / "train" / "squad2-train-subset.json")
    assert {"model.safetensors", "config.json", "tokenizer.json", "README.md"} <= {p.name for p in out.iterdir()}
    assert json.loads((out / "config.json").read_text())["dtype"] == "float16"
