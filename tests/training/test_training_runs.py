"""The training side of the span reader that loads torch: export, quantisation, training runs.

A tiny random model with the real tokenizer stands in for the reader; one test trains a few steps
on 32 questions of ``../shared/datasets/train`` (skipped when that is absent).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from training import data, heldout, spans
from training.data import Record

SHARED_DATA = data.DEFAULT_DATA
ROOT = data.REPO


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
    pairs = [("Who built the engine?", "Babbage built the engine in 1843."), ("When?", "In 1843. " * 200)]
    score, long = reader.score(pairs)
    assert score.text in "Babbage built the engine in 1843." and np.isfinite(score.evidence)
    # the torch reader of the same weights (the quick gauge of candidates) agrees with the int8 export
    for t, o in zip(spans.TorchReader(tiny_model).score(pairs), (score, long)):
        assert abs(t.evidence - o.evidence) < 0.05 + 0.1 * abs(o.evidence)

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


@pytest.mark.slow
def test_max_minutes_stops_training_early_and_keeps_the_model(tiny_model):
    from training import features, train_reader

    model, tok = train_reader.load_model(tiny_model, "cpu")
    p = "Ada Lovelace wrote the first program in 1843."
    r = Record("q", "What did Ada Lovelace write in 1843?", p, (("the first program", 17),), "Ada", (p,))
    ws = features.windows(tok, [r] * 8, 64, 16)
    said = []
    cfg = train_reader.Settings(epochs=3, batch=2, max_minutes=1e-9)
    losses = train_reader.train(model, ws, cfg, "cpu", log=said.append)
    assert losses == [] and said == ["stopped after 0/12 steps: --max-minutes 1e-09 reached"]
    assert not model.training  # left in eval mode, ready to save
    assert len(train_reader.train(model, ws, train_reader.Settings(epochs=3, batch=2), "cpu", log=said.append)) == 12


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
