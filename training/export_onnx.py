"""Export a span-reader model folder to ONNX, quantise it to int8, and write a shippable folder.

    python -m training.export_onnx SRC_MODEL_DIR OUT_DIR [--gauge-n 200]

OUT_DIR then holds ``model.onnx`` (dynamic int8 weights, or fp32 where int8 loses more than
``--max-f1-drop`` points of held-out span F1), ``tokenizer.json``, ``README.md`` (the source card plus an
"ONNX export" section) and ``manifest.json`` in the format ``qa`` reads
(:class:`qa.answering.span_model.Manifest`), plus how the export was made:

    {"format_version": 1, "model_file": "model.onnx", "model_sha256": "...",
     "tokenizer_file": "tokenizer.json", "tokenizer_sha256": "...",
     "max_length": 256, "stride": 96, "max_answer_tokens": 30,
     "quantization": "onnxruntime dynamic int8 (QInt8 weights, one scale per output channel)",
     "source": "<name>, model.safetensors sha256 <...>", "trained_on": [{"file": ..., "sha256": ...}, ...],
     "export": {"opset": 17, "inputs": [...], "outputs": [...], "quantisation": {...}, ...}}

so the folder can replace ``qa/answering/models/minilm-l6-qa-reader/`` as it is.
``check_manifest`` loads it the way ``qa`` does (both digests checked).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from . import provenance
from .data import sha256

OPSET = 17
INPUTS = ["input_ids", "attention_mask", "token_type_ids"]
OUTPUTS = ["start_logits", "end_logits"]
RUNTIME = dict(max_length=256, stride=96, max_answer_tokens=30, null_index=0)
CHECK_PAIRS = [("When did the strike happen?", "The strike happened on 16 January after talks failed."),
               ("Who built the port?", "A consortium from India built the port terminal in 2016.")]


class ManifestError(ValueError):
    """A reader folder whose manifest is missing, of another version, or whose files do not match it."""


def model_inputs(model) -> list[str]:
    """The names of :data:`INPUTS` that ``model.forward`` takes (MPNet has no token types)."""
    import inspect

    params = inspect.signature(model.forward).parameters
    return [name for name in INPUTS if name in params]


def onnx_inputs(path: Path) -> list[str]:
    """The input names of an ONNX file."""
    import onnx

    return [i.name for i in onnx.load(str(path), load_external_data=False).graph.input]


def load_qa_model(model_dir: Path):
    """The folder's ``...ForQuestionAnswering`` (BERT, MPNet: whatever its config names), float32, eval mode."""
    import torch
    from transformers import AutoModelForQuestionAnswering

    return AutoModelForQuestionAnswering.from_pretrained(str(model_dir), dtype=torch.float32).eval()


def export_fp32(model_dir: Path, path: Path) -> Path:
    """Trace the folder's QA model to ONNX (opset 17, dynamic batch and token axes), float32; its
    inputs are those of :data:`INPUTS` the model takes."""
    import torch
    from transformers import AutoTokenizer

    model = load_qa_model(model_dir)
    names = model_inputs(model)
    tok = AutoTokenizer.from_pretrained(str(model_dir))
    sample = tok(["what is x?", "who is y"], ["x is a thing that exists", "y is z"], return_tensors="pt",
                 padding=True, return_token_type_ids=True)

    class Logits(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, *args):
            o = self.m(**dict(zip(names, args)))
            return o.start_logits, o.end_logits

    axes = {name: {0: "batch", 1: "tokens"} for name in names + OUTPUTS}
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(Logits(model), tuple(sample[n] for n in names), str(path), input_names=names,
                          output_names=OUTPUTS, dynamic_axes=axes, opset_version=OPSET, dynamo=False)
    return path


def quantize_int8(fp32: Path, int8: Path, per_channel: bool = True) -> Path:
    """Dynamic quantisation: int8 weights (QInt8; one scale per tensor, or per output channel),
    activations quantised at run time."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=per_channel)
    return int8


def max_logit_gap(model_dir: Path, onnx_path: Path, pairs: list[tuple[str, str]]) -> float:
    """Largest |torch - onnxruntime| over the start and end logits of ``pairs`` (one padded batch)."""
    import numpy as np
    import onnxruntime as ort
    import torch
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(model_dir))
    enc = tok([q for q, _ in pairs], [p for _, p in pairs], padding=True, return_tensors="np",
              return_token_type_ids=True)
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = sess.run(OUTPUTS, {i.name: enc[i.name].astype(np.int64) for i in sess.get_inputs()})
    model = load_qa_model(model_dir)
    with torch.no_grad():
        ref = model(**{n: torch.from_numpy(enc[n]) for n in model_inputs(model)})
    mask = enc["attention_mask"].astype(bool)
    return max(float(np.abs(g - r.numpy())[mask].max()) for g, r in zip(got, (ref.start_logits, ref.end_logits)))


def trained_on(source: Path, data_folder: Path | None = None) -> list[dict]:
    """``[{"file", "sha256"}]`` of the data ``source`` was trained on: its ``training.json`` when
    :mod:`training.train_reader` wrote it, else (the shipped model, whose card names them) the
    training files of the shared data folder, when it is here."""
    from .data import DataMissing, data_dir, training_files

    facts = Path(source) / "training.json"
    if facts.is_file():
        digests = json.loads(facts.read_text(encoding="utf-8")).get("data", {})
    else:
        try:
            digests = provenance.file_digests(training_files(data_dir(data_folder)))
        except DataMissing:
            return []
    return [{"file": "/".join(Path(f).parts[-2:]) if Path(f).parent.name == "train" else Path(f).name, "sha256": d}
            for f, d in digests.items()]


def manifest(out: Path, source: Path, quantisation: dict, command: str = "", data_folder: Path | None = None) -> dict:
    """The manifest ``qa`` reads, plus how the export was made (``export``)."""
    import onnxruntime
    from qa.answering.span_model import MANIFEST_VERSION

    q = quantisation
    scale = "one scale per output channel" if q.get("per_channel") else "one scale per tensor"
    return dict(format_version=MANIFEST_VERSION, model_file="model.onnx", model_sha256=sha256(out / "model.onnx"),
                tokenizer_file="tokenizer.json", tokenizer_sha256=sha256(out / "tokenizer.json"),
                max_length=RUNTIME["max_length"], stride=RUNTIME["stride"], max_answer_tokens=RUNTIME["max_answer_tokens"],
                quantization=f"onnxruntime dynamic int8 (QInt8 weights, {scale})" if q.get("method") == "dynamic"
                else "none (fp32)",
                source=f"{source.name}, model.safetensors sha256 {provenance.fingerprint(source)}",
                trained_on=trained_on(source, data_folder),
                export=dict(opset=OPSET, inputs=onnx_inputs(out / "model.onnx"), outputs=OUTPUTS, null_index=RUNTIME["null_index"],
                            quantisation=dict(q, onnxruntime=onnxruntime.__version__),
                            command=command, git_commit=provenance.git_commit()))


def check_manifest(folder: Path) -> dict:
    """The manifest of a reader folder, after ``qa`` has loaded it (its version and both digests checked)."""
    from qa.answering.span_model import SpanModel
    from qa.errors import ModelError

    try:
        SpanModel.load(folder)
    except ModelError as err:
        raise ManifestError(str(err)) from None
    return json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))


def card_section(quant: dict | None, q: dict, gauge_cmd: str) -> str:
    """The "ONNX export" section appended to the source card."""
    scheme = (f"dynamic int8: `onnxruntime.quantization.quantize_dynamic`, weight_type QInt8, "
              f"{'one scale per output channel' if q.get('per_channel') else 'one scale per tensor'}, "
              "activations quantised at run time" if q["method"] == "dynamic" else "none (fp32 weights)")
    lines = ["## ONNX export", "",
             f"- `model.onnx`: opset {OPSET}, inputs {', '.join(INPUTS)} (those the model takes; int64, dynamic batch and tokens), outputs "
             f"{', '.join(OUTPUTS)}; run with windows of {RUNTIME['max_length']} tokens, stride {RUNTIME['stride']}, "
             f"answers of at most {RUNTIME['max_answer_tokens']} tokens; position 0 is \"no answer\".",
             f"- Quantisation: {scheme}. int8 is kept only if it loses at most 1 point of held-out span F1 "
             "(pooled over the sets below).",
             "- `manifest.json` holds the sha256 of `model.onnx` and `tokenizer.json` (check them on load) and the "
             "sha256 of the source `model.safetensors`."]
    if not quant:
        return "\n".join(lines + ["", "Held-out F1 of fp32 vs int8 was not measured (no data at export time)."]) + "\n"
    lines += ["", "Held-out span F1 with the gold passage given (always answering), fp32 vs int8 on the same "
              f"questions, with a 95% paired-bootstrap interval of the difference (`{gauge_cmd}`):", "",
              "| set | questions | F1 fp32 | F1 int8 | int8 − fp32 (95% CI) | answers changed |",
              "|---|---|---|---|---|---|"]
    lines += [f"| {name} | {m['n_pos']} | {m['F1 fp32']:.2f} | {m['F1 int8']:.2f} | {m['int8 - fp32']:+.2f} "
              f"({m['95% CI'][0]:+.2f}, {m['95% CI'][1]:+.2f}) | {100 * m['changed']:.1f}% |"
              for name, m in quant.items()]
    return "\n".join(lines) + "\n"


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m training.export_onnx", description=__doc__.split("\n\n")[0])
    ap.add_argument("source", type=Path, help="model folder (a ...ForQuestionAnswering in safetensors, tokenizer.json)")
    ap.add_argument("out", type=Path, help="folder to write (model.onnx, tokenizer.json, README.md, manifest.json)")
    ap.add_argument("--data", type=Path, help="folder holding eval/ for the fp32 vs int8 check")
    ap.add_argument("--gauge-n", type=int, default=600, help="PolicyQA questions per set for the check (0: skip it)")
    ap.add_argument("--covid-n", type=int, default=600, help="COVID-QA questions for the check")
    ap.add_argument("--per-tensor", action="store_true", help="one int8 scale per weight tensor, not per channel")
    ap.add_argument("--max-f1-drop", type=float, default=1.0, help="ship fp32 when int8 loses more F1 than this")
    ap.add_argument("--threads", type=int, default=0)
    return ap.parse_args(argv)


def _quant_check(a, exports: dict[str, tuple[Path, Path]]) -> dict | None:
    from . import heldout, quant
    from .data import DataMissing, data_dir

    if not a.gauge_n:
        return None
    try:
        folder = data_dir(a.data)
    except DataMissing as err:
        print(f"no fp32 vs int8 check: {err}")
        return None
    tok = a.source / "tokenizer.json"
    sets = heldout.build(folder, a.gauge_n, 0, tok, names=("policyqa-dev", "policyqa-test"), with_synthetic=False)
    sets += heldout.build(folder, a.covid_n, 0, tok, names=("covidqa",), with_synthetic=False)
    return quant.compare(exports, sets, a.threads)


def _model_file(a, work: Path) -> tuple[Path, dict, float]:
    """Export, check against torch, quantise, measure; the file to ship, its quantisation facts, the fp32 gap."""
    fp32 = export_fp32(a.source, work / "model-fp32.onnx")
    gap = max_logit_gap(a.source, fp32, CHECK_PAIRS)
    if gap > 1e-3:
        raise RuntimeError(f"the fp32 export differs from torch by {gap:.2g} in the logits (expected < 1e-3).")
    int8 = quantize_int8(fp32, work / "model-int8.onnx", per_channel=not a.per_tensor)
    tok = a.source / "tokenizer.json"
    measured = _quant_check(a, {"fp32": (fp32, tok), "int8": (int8, tok)})
    keep = measured is None or -measured["all"]["int8 - fp32"] <= a.max_f1_drop
    q = dict(method="dynamic", weight_type="QInt8", per_channel=not a.per_tensor,
             tool="onnxruntime.quantization.quantize_dynamic") if keep else dict(method="none")
    q["heldout_span_f1"] = measured
    return (int8 if keep else fp32), q, gap


def main(argv=None) -> Path:
    a = parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        chosen, q, gap = _model_file(a, Path(tmp))
        shutil.copyfile(chosen, a.out / "model.onnx")
    shutil.copyfile(a.source / "tokenizer.json", a.out / "tokenizer.json")
    gauge_cmd = (f"python -m training.gauge --model {a.source} --quant --no-synthetic --n {a.gauge_n} "
                 f"--covid-n {a.covid_n}" + (" --per-tensor" if a.per_tensor else ""))
    card = a.source / "README.md"
    text = card.read_text(encoding="utf-8").rstrip() + "\n\n" if card.is_file() else ""
    (a.out / "README.md").write_text(text + card_section(q["heldout_span_f1"], q, gauge_cmd), encoding="utf-8")
    m = manifest(a.out, a.source, q, provenance.command("training.export_onnx", argv), a.data)
    m["export"]["fp32_max_logit_gap"] = gap
    (a.out / "manifest.json").write_text(json.dumps(m, indent=1) + "\n", encoding="utf-8")
    check_manifest(a.out)
    print(f"wrote {a.out}: model.onnx (quantisation: {q['method']}), tokenizer.json, README.md, manifest.json")
    return a.out


if __name__ == "__main__":
    main()
