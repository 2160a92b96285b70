"""Fine-tune MPNet-base to read: LoRA adapters plus a new QA head, on the dequantised base; save only those.

    python -m training.mpnet_lora --stage STAGE_DIR --out OUT [--data DIR] [--max-minutes 6]

The base is rebuilt from a stage folder (:mod:`training.mpnet_stage`: int8 parts, every digest
checked), so training and the merge here start from the same weights. ``MPNetForQuestionAnswering``
gets a QA head initialised from ``--seed`` and LoRA adapters (``peft``) on every linear layer of
the encoder (attention q, k, v, o; feed-forward in and out); only the adapters and the head learn,
in bf16 autocast on CUDA (float32 master weights). Training reuses the MiniLM reader's path: the
mix of :mod:`training.mix` (answerable questions, synthetic unanswerables, close negatives),
the windows of :mod:`training.features` and the loop of :func:`training.train_reader.train`.

OUT receives what is small: ``adapter_config.json`` and ``adapter_model.safetensors`` (adapters and
head, float32), and ``training.json``: command, commit, seed, data digests, mix, every step's loss,
the base's digests, and ``probe``, the float32 logits of the trained model on :data:`PROBE_PAIRS`,
which the merge (:mod:`training.mpnet_merge`) must reproduce.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from . import provenance
from .export_onnx import CHECK_PAIRS
from .features import windows
from .train_reader import Settings, add_run_options, mix_of, planned_steps, train

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

PROBE_PAIRS = CHECK_PAIRS
TARGETS = ["q", "k", "v", "o", "dense"]   # attention.attn.{q,k,v,o}, intermediate.dense, output.dense


@dataclass
class Lora:
    r: int = 16
    alpha: int = 32
    dropout: float = 0.05


def base_model(tensors: dict, config_dir: Path, seed: int):
    """``MPNetForQuestionAnswering`` holding ``tensors`` (an ``MPNetModel`` state, as in the base's
    ``model.safetensors``) and a QA head initialised from ``seed``; float32, eval mode."""
    import torch
    from transformers import MPNetConfig, MPNetForQuestionAnswering

    torch.manual_seed(seed)
    model = MPNetForQuestionAnswering(MPNetConfig.from_pretrained(str(config_dir)))
    state = {k.removeprefix("mpnet."): v for k, v in tensors.items()}
    missing, unexpected = model.mpnet.load_state_dict(state, strict=False)
    unexpected = [k for k in unexpected if not (k.startswith("pooler.") or k.endswith("position_ids"))]
    if missing or unexpected:
        raise ValueError(f"the base does not fit MPNetModel: missing {missing[:5]}, unexpected {unexpected[:5]}.")
    return model.float().eval()


def with_adapters(model, cfg: Lora):
    """``model`` wrapped by peft: LoRA on :data:`TARGETS`, the QA head trained and saved whole."""
    from qa.extras import require

    peft = require("train", "peft", needed_for="LoRA fine-tuning")
    LoraConfig, TaskType, get_peft_model = peft.LoraConfig, peft.TaskType, peft.get_peft_model
    lc = LoraConfig(task_type=TaskType.QUESTION_ANS, r=cfg.r, lora_alpha=cfg.alpha, lora_dropout=cfg.dropout,
                    target_modules=TARGETS, modules_to_save=["qa_outputs"])
    return get_peft_model(model, lc)


def probe(model, tok, pairs=PROBE_PAIRS) -> dict:
    """Float32 start and end logits of ``model`` on ``pairs`` (one padded batch; padding left out)."""
    import torch

    enc = tok([q for q, _ in pairs], [p for _, p in pairs], padding=True, return_tensors="pt")
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    with torch.no_grad(), torch.autocast(device.type, enabled=False):
        out = model(input_ids=enc["input_ids"].to(device), attention_mask=enc["attention_mask"].to(device))
    model.train(was_training)
    lengths = enc["attention_mask"].sum(dim=1).tolist()
    return {"pairs": [list(p) for p in pairs],
            **{name: [[round(float(x), 5) for x in row[:n]] for row, n in zip(getattr(out, name).float().cpu(), lengths)]
               for name in ("start_logits", "end_logits")}}


def max_probe_gap(a: dict, b: dict) -> float:
    """Largest difference between two :func:`probe` results' logits."""
    return max(abs(x - y) for name in ("start_logits", "end_logits")
               for ra, rb in zip(a[name], b[name]) for x, y in zip(ra, rb))


def save(model, out: Path, facts: dict) -> Path:
    """The adapters and the head (``save_pretrained`` of the peft model) and ``training.json``."""
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out), safe_serialization=True)
    (out / "training.json").write_text(json.dumps(facts, indent=1) + "\n", encoding="utf-8")
    return out


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m training.mpnet_lora", description=__doc__.split("\n\n")[0])
    ap.add_argument("--stage", type=Path, required=True, help="stage folder of the base (mpnet_stage pack)")
    ap.add_argument("--out", type=Path, required=True, help="folder for the adapters, head and training.json")
    ap.add_argument("--r", type=int, default=16, help="LoRA rank")
    ap.add_argument("--alpha", type=int, default=32, help="LoRA alpha (the update is scaled by alpha / r)")
    add_run_options(ap, lr=3e-4, batch=32, synthetic=20000, kinds="swap,neighbour")
    return ap.parse_args(argv)


def main(argv=None) -> Path:  # long: one run, facts gathered along the way
    import peft
    import torch
    import transformers
    from transformers import AutoTokenizer

    from .mpnet_stage import files_dir, load_state

    a = parse_args(argv)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tensors, stage = load_state(a.stage)
    model = with_adapters(base_model(tensors, files_dir(a.stage), a.seed), Lora(a.r, a.alpha)).to(device)
    tok = AutoTokenizer.from_pretrained(str(files_dir(a.stage)))
    files, m = mix_of(a)
    ws = windows(tok, m.records, a.max_len, a.stride)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    print(f"mix {m.counts} -> {len(m.records):,} questions, {len(ws):,} windows on {device}; "
          f"{trainable:,} trainable parameters", flush=True)
    cfg = Settings(a.lr, a.epochs, a.batch, seed=a.seed, log_every=a.log_every, max_minutes=a.max_minutes)
    t0 = time.time()
    losses = train(model, ws, cfg, device, log=lambda s: print(s, flush=True))
    facts = dict(command=provenance.command("training.mpnet_lora", argv), git_commit=provenance.git_commit(),
                 seed=a.seed, device=device, gpu=torch.cuda.get_device_name() if device == "cuda" else "",
                 torch=torch.__version__, transformers=transformers.__version__,
                 peft=peft.__version__, base=stage["source"],
                 dequantised_sha256=stage["dequantised_sha256"], lora=asdict(Lora(a.r, a.alpha)), targets=TARGETS,
                 data=provenance.file_digests(files), mix=m.counts, questions=len(m.records), windows=len(ws),
                 max_len=a.max_len, stride=a.stride, settings=asdict(cfg), trainable=trainable, steps=len(losses),
                 steps_planned=planned_steps(len(ws), cfg), wall_s=round(time.time() - t0),
                 losses=[round(x, 4) for x in losses], probe=probe(model, tok), finished=time.strftime("%Y-%m-%d"))
    save(model, a.out, facts)
    print(f"saved {a.out} ({facts['wall_s'] / 60:.1f} min, {len(losses)} steps)", flush=True)
    return a.out


if __name__ == "__main__":
    main()
