"""Merge trained adapters and head into the dequantised base: one plain model folder to export.

    python -m training.mpnet_merge STAGE_DIR ADAPTERS_DIR MODEL_DIR
    python -m training.export_onnx MODEL_DIR ONNX_DIR      # int8 per-channel ONNX + sha256 manifest

The base is rebuilt from the stage folder (:func:`training.mpnet_stage.load_state`), the one the
adapters were trained on: ``training.json``'s ``dequantised_sha256`` must be the stage's. The
adapters and the head are loaded with ``peft`` and folded into the weights (``merge_and_unload``);
the merged model must give the trained model's logits on the probe pairs (``training.json``'s
``probe``, recorded in float32 where it was trained) within ``--tolerance``, or nothing is written.
MODEL_DIR then holds ``model.safetensors`` (``MPNetForQuestionAnswering``, float32), the config,
the tokenizer files, ``training.json`` and a card, as :mod:`training.export_onnx` expects.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from .mpnet_lora import base_model, max_probe_gap, probe

TOLERANCE = 2e-3   # float32 logits here vs where it was trained (another device, another kernel order)


class MergeError(ValueError):
    """The adapters were trained on another base, or the merged model does not give the trained logits."""


def merged_model(stage: Path, adapters: Path):
    """(the merged ``MPNetForQuestionAnswering``, the unmerged peft model, ``training.json``, stage manifest)."""
    from peft import PeftModel

    from .mpnet_stage import files_dir, load_state

    facts = json.loads((Path(adapters) / "training.json").read_text(encoding="utf-8"))
    tensors, m = load_state(stage)
    if facts["dequantised_sha256"] != m["dequantised_sha256"]:
        raise MergeError(f"{adapters} was trained on the base with digest {facts['dequantised_sha256'][:16]}..., "
                         f"{stage} rebuilds {m['dequantised_sha256'][:16]}...: merge into the base it was trained on.")
    trained = PeftModel.from_pretrained(base_model(tensors, files_dir(stage), facts["seed"]), str(adapters)).eval()
    merged = PeftModel.from_pretrained(base_model(tensors, files_dir(stage), facts["seed"]), str(adapters)).merge_and_unload()
    return merged.eval(), trained, facts, m


def card(facts: dict, gap: float) -> str:
    """The merged folder's README."""
    lora = facts["lora"]
    return (f"# mpnet-qa-reader: all-mpnet-base-v2 fine-tuned for extractive QA (LoRA merged)\n\n"
            f"- Base: `{facts['base']['folder']}` (model.safetensors sha256 {facts['base']['sha256']}), "
            f"staged as int8 per-channel and dequantised (digest {facts['dequantised_sha256'][:16]}...); "
            "the adapters were trained on, and are merged into, that same dequantised base.\n"
            f"- LoRA r={lora['r']}, alpha={lora['alpha']} on {', '.join(facts['targets'])}, plus the QA head; "
            f"mix {facts['mix']}; {facts['steps']} of {facts['steps_planned']} planned steps on "
            f"{facts.get('gpu') or facts['device']}; settings {facts['settings']}.\n"
            f"- Merged vs trained logits on the probe pairs: largest difference {gap:.2g}.\n"
            f"- Command: `{facts['command']}` at commit `{facts['git_commit']}`; data digests in `training.json`.\n")


def merge(stage: Path, adapters: Path, out: Path, tolerance: float = TOLERANCE) -> dict:
    """Write the merged model folder ``out``; returns the probe gaps (merged vs recorded, vs unmerged here)."""
    from transformers import AutoTokenizer

    merged, trained, facts, m = merged_model(stage, adapters)
    from .mpnet_stage import files_dir

    tok = AutoTokenizer.from_pretrained(str(files_dir(stage)))
    got = probe(merged, tok)
    gaps = {"recorded": max_probe_gap(got, facts["probe"]), "unmerged": max_probe_gap(got, probe(trained, tok))}
    if max(gaps.values()) > tolerance:
        raise MergeError(f"the merged model's probe logits differ from the trained model's by {gaps} "
                         f"(allowed {tolerance}).")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(str(out), safe_serialization=True)
    for name in m["files"]:
        if Path(name).name != "config.json":
            shutil.copyfile(Path(stage) / name, out / Path(name).name)
    (out / "training.json").write_text(json.dumps(dict(facts, merge_gaps=gaps), indent=1) + "\n", encoding="utf-8")
    (out / "README.md").write_text(card(facts, gaps["recorded"]), encoding="utf-8")
    return gaps


def main(argv=None) -> Path:
    ap = argparse.ArgumentParser(prog="python -m training.mpnet_merge", description=__doc__.split("\n\n")[0])
    ap.add_argument("stage", type=Path, help="stage folder of the base (mpnet_stage pack)")
    ap.add_argument("adapters", type=Path, help="what training.mpnet_lora wrote")
    ap.add_argument("out", type=Path, help="model folder to write")
    ap.add_argument("--tolerance", type=float, default=TOLERANCE)
    a = ap.parse_args(argv)
    gaps = merge(a.stage, a.adapters, a.out, a.tolerance)
    print(f"wrote {a.out}; merged vs trained probe logits: {gaps}")
    return a.out


if __name__ == "__main__":
    main()
