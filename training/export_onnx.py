"""Export a span-reader model folder to ONNX, quantise it to int8, and write a shippable folder.

    python -m training.export_onnx SRC_MODEL_DIR OUT_DIR [--gauge-n 200]

OUT_DIR then holds ``model.onnx`` (dynamic int8 weights, or fp32 where int8 loses more than
``--max-f1-drop`` points of held-out span F1), ``tokenizer.json``, ``README.md`` (the source card plus an
"ONNX export" section) and ``manifest.json``:

    {"format_version": 1, "model": "model.onnx", "tokenizer": "tokenizer.json",
     "sha256": {"model.onnx": "...", "tokenizer.json": "..."},
     "max_length": 256, "stride": 96, "max_answer_tokens": 30, "null_index": 0, "opset": 17,
     "inputs": [...], "outputs": ["start_logits", "end_logits"],
     "source_model": {"name": "...", "sha256": "<sha256 of model.safetensors>"},
     "quantisation": {"method": "dynamic", "weight_type": "QInt8", ...}, ...}

A loader checks ``format_version`` and both digests before use (``check_manifest``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from . import provenance
from .data import sha256

FORMAT_VERSION = 1
OPSET = 17
INPUTS = ["input_ids", "attention_mask", "token_type_ids"]
OUTPUTS = ["start_logits", "end_logits"]
RUNTIME = dict(max_length=256, stride=96, max_answer_tokens=30, null_index=0)


class ManifestError(ValueError):
    """A reader folder whose manifest is missing, of another version, or whose files do not match it."""


def export_fp32(model_dir: Path, path: Path) -> Path:
    """Trace ``BertForQuestionAnswering`` to ONNX (opset 17, dynamic batch and token axes), float32."""
    import torch
    from transformers import AutoTokenizer, BertForQuestionAnswering

    model = BertForQuestionAnswering.from_pretrained(str(model_dir), dtype=torch.float32).eval()
    tok = AutoTokenizer.from_pretrained(str(model_dir))
    sample = tok(["what is x?", "who is y"], ["x is a thing that exists", "y is z"], return_tensors="pt",
                 padding=True, return_token_type_ids=True)

    class Logits(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            o = self.m(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return o.start_logits, o.end_logits

    axes = {name: {0: "batch", 1: "tokens"} for name in INPUTS + OUTPUTS}
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(Logits(model), tuple(sample[n] for n in INPUTS), str(path), input_names=INPUTS,
                          output_names=OUTPUTS, dynamic_axes=axes, opset_version=OPSET, dynamo=False)
    return path


def quantize_int8(fp32: Path, int8: Path) -> Path:
    """Dynamic quantisation: int8 weights (QInt8), activations quantised at run time."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
    return int8


def max_logit_gap(model_dir: Path, onnx_path: Path, pairs: list[tuple[str, str]]) -> float:
    """Largest |torch - onnxruntime| over the start and end logits of ``pairs`` (one padded batch)."""
    import numpy as np
    import onnxruntime as ort
    import torch
    from transformers import AutoTokenizer, BertForQuestionAnswering

    tok = AutoTokenizer.from_pretrained(str(model_dir))
    enc = tok([q for q, _ in pairs], [p for _, p in pairs], padding=True, return_tensors="np",
              return_token_type_ids=True)
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = sess.run(OUTPUTS, {n: enc[n].astype(np.int64) for n in INPUTS})
    model = BertForQuestionAnswering.from_pretrained(str(model_dir), dtype=torch.float32).eval()
    with torch.no_grad():
        ref = model(**{n: torch.from_numpy(enc[n]) for n in INPUTS})
    mask = enc["attention_mask"].astype(bool)
    return max(float(np.abs(g - r.numpy())[mask].max()) for g, r in zip(got, (ref.start_logits, ref.end_logits)))


def manifest(out: Path, source: Path, quantisation: dict) -> dict:
    import onnxruntime

    return dict(format_version=FORMAT_VERSION, model="model.onnx", tokenizer="tokenizer.json",
                sha256={n: sha256(out / n) for n in ("model.onnx", "tokenizer.json")}, **RUNTIME, opset=OPSET,
                inputs=INPUTS, outputs=OUTPUTS, source_model=dict(name=source.name, sha256=provenance.fingerprint(source)),
                quantisation=dict(quantisation, onnxruntime=onnxruntime.__version__),
                command=provenance.command(), git_commit=provenance.git_commit())


def check_manifest(folder: Path) -> dict:
    """The manifest of a reader folder, after checking its version and both sha256 digests."""
    path = Path(folder) / "manifest.json"
    if not path.is_file():
        raise ManifestError(f"{folder}: no manifest.json (expected a folder written by training.export_onnx).")
    m = json.loads(path.read_text(encoding="utf-8"))
    if m.get("format_version") != FORMAT_VERSION:
        raise ManifestError(f"{path}: format_version {m.get('format_version')!r}, expected {FORMAT_VERSION}.")
    for name, digest in m["sha256"].items():
        got = sha256(Path(folder) / name) if (Path(folder) / name).is_file() else "missing"
        if got != digest:
            raise ManifestError(f"{folder}/{name}: sha256 {got[:12]}…, the manifest expects {digest[:12]}….")
    return m
