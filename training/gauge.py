"""The held-out gauge that decides whether a retrained reader is kept (``eval/`` data only).

    python -m training.gauge --model ../shared/models/minilm-l6-qa-reader --model NEW_DIR [--n 300]
        # two models: also prints the keep-or-not decision of ``decision.py`` (second vs first)
    python -m training.gauge --model NEW_DIR --quant          # fp32 vs int8 span F1, same questions

For each set (``heldout.py`` says how pairs are made) and each model, through onnxruntime:

- ``F1``: span token F1 on positives, always answering; ``ans@0``, ``F1@0``, ``neg@0``: answered
  positives, F1 (abstentions score 0) and abstained negatives at null threshold 0;
- ``thr5``: the ``span - null`` threshold that abstains on 5% of the positives; ``neg@5``, ``syn@5``:
  share of close and synthetic negatives abstained there; ``F1@5``: F1 there.
The ``all`` row pools the sets (one threshold). A model folder (safetensors) is exported to ONNX
first, into ``--cache``; a folder with ``model.onnx`` is used as it is.

    >>> import numpy as np
    >>> m = measure_scores(np.array([3., 2, 1, -1]), np.array([1., .5, 0, 1]), np.array([-2., 0]),
    ...                    np.array([]), q=0.25)
    >>> m["ans@0"], m["neg@0"], m["thr5"], m["neg@5"]
    (0.75, 1.0, -1.0, 0.5)
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

from . import data, decision, export_onnx, heldout, provenance, quant
from .metrics import exact, f1
from .spans import OnnxReader, TorchReader, WindowReader


def resolve(model: Path, precision: str, cache: Path, per_channel: bool = True) -> tuple[Path, Path]:
    """(onnx file, tokenizer.json) for a model folder, exporting (and quantising) it when needed."""
    model = Path(model)
    if (model / "model.onnx").is_file():
        return model / "model.onnx", model / "tokenizer.json"
    folder = cache / provenance.fingerprint(model)[:16]
    fp32 = folder / "model-fp32.onnx"
    if not fp32.is_file():
        export_onnx.export_fp32(model, fp32)
    if precision == "fp32":
        return fp32, model / "tokenizer.json"
    int8 = folder / ("model-int8-per-channel.onnx" if per_channel else "model-int8-per-tensor.onnx")
    if not int8.is_file():
        export_onnx.quantize_int8(fp32, int8, per_channel)
    return int8, model / "tokenizer.json"


def measure_scores(pos_e, pos_f1, neg_e, syn_e, q: float = 0.05) -> dict:
    """Rates from evidence (span - null) of positives, negatives and synthetic negatives."""
    k = max(1, math.ceil(q * len(pos_e)))  # abstain on the k weakest positives (5%: 15 of 300)
    thr = float(np.sort(pos_e)[k - 1]) if len(pos_e) else 0.0

    def rate(x):
        return round(float(x.mean()), 4) if len(x) else None

    return {"F1": rate(pos_f1 * 100), "ans@0": rate(pos_e > 0), "F1@0": rate(np.where(pos_e > 0, pos_f1, 0) * 100),
            "neg@0": rate(neg_e <= 0), "thr5": round(thr, 3), "neg@5": rate(neg_e <= thr),
            "syn@5": rate(syn_e <= thr), "F1@5": rate(np.where(pos_e > thr, pos_f1, 0) * 100)}


def score_set(reader: WindowReader, gs: heldout.GaugeSet) -> dict:
    """Evidence and span F1 / EM of every pair of one set."""
    pos = reader.score([(q, p) for q, p, _ in gs.positives])
    neg = reader.score(gs.negatives)
    syn = reader.score(gs.synthetic)
    return dict(pos_e=np.array([s.evidence for s in pos]),
                pos_f1=np.array([f1(s.text, g) for s, (_, _, g) in zip(pos, gs.positives)]),
                pos_em=np.array([exact(s.text, g) for s, (_, _, g) in zip(pos, gs.positives)]),
                neg_e=np.array([s.evidence for s in neg]), syn_e=np.array([s.evidence for s in syn]))


def score_sets(reader: WindowReader, sets: list[heldout.GaugeSet]) -> dict[str, dict]:
    """``score_set`` of each set, and of all of them pooled (``all``)."""
    raw = {gs.name: score_set(reader, gs) for gs in sets}
    raw["all"] = {k: np.concatenate([r[k] for r in raw.values()]) for k in next(iter(raw.values()))}
    return raw


def rates(raw: dict[str, dict]) -> dict:
    """Per set and pooled rates, with the number of pairs behind them."""
    out = {}
    for name, r in raw.items():
        out[name] = dict(n_pos=len(r["pos_e"]), n_neg=len(r["neg_e"]), n_syn=len(r["syn_e"]),
                         EM=round(float(r["pos_em"].mean()) * 100, 2),
                         **measure_scores(r["pos_e"], r["pos_f1"], r["neg_e"], r["syn_e"]))
    return out


COLUMNS = ["n_pos", "n_neg", "n_syn", "F1", "ans@0", "F1@0", "neg@0", "thr5", "neg@5", "syn@5", "F1@5"]


def table(results: dict[str, dict], columns=COLUMNS) -> str:
    """A plain-text table: one row per (model, set)."""
    head = ["model", "set"] + columns
    rows = [[label, name] + [_fmt(m.get(c)) for c in columns] for label, sets in results.items()
            for name, m in sets.items()]
    widths = [max(len(str(r[i])) for r in [head] + rows) for i in range(len(head))]
    return "\n".join("  ".join(str(c).rjust(w) if i > 1 else str(c).ljust(w) for i, (c, w) in
                               enumerate(zip(r, widths))) for r in [head] + rows)


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, list):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    if isinstance(v, float):
        return f"{v:.2f}" if abs(v) >= 1 else f"{v:.3f}"
    return str(v)


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m training.gauge", description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, action="append", required=True,
                    help="model folder (safetensors) or ONNX export folder; repeat to compare")
    ap.add_argument("--data", type=Path, help="folder holding eval/ (default ../shared/datasets)")
    ap.add_argument("--n", type=int, default=300, help="answerable questions per PolicyQA set (0 = all)")
    ap.add_argument("--covid-n", type=int, default=150, help="answerable COVID-QA questions (0 = all)")
    ap.add_argument("--window", type=int, default=256, help="COVID-QA passage window in tokens")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--precision", choices=["int8", "fp32", "torch"], default="int8",
                    help="which export to run; torch: the safetensors folder itself, on CUDA when present "
                         "(a quick look at candidates; the keep decision is taken on int8)")
    ap.add_argument("--quant", action="store_true", help="compare fp32 and int8 span F1 instead")
    ap.add_argument("--per-tensor", action="store_true",
                    help="int8 with one scale per weight tensor (default: one per output channel)")
    ap.add_argument("--no-synthetic", action="store_true", help="skip the synthetic negatives")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/qa-reader-onnx"), help="where exports are kept")
    ap.add_argument("--threads", type=int, default=0, help="onnxruntime threads (0 = its default)")
    ap.add_argument("--json", type=Path, help="write the results here")
    return ap.parse_args(argv)


def build_sets(a: argparse.Namespace) -> list[heldout.GaugeSet]:
    folder = data.data_dir(a.data)
    tokenizer = next(p / "tokenizer.json" for p in a.model)
    sets = heldout.build(folder, a.n, a.seed, tokenizer, a.window, ("policyqa-dev", "policyqa-test"),
                         with_synthetic=not a.no_synthetic)
    return sets + heldout.build(folder, a.covid_n, a.seed, tokenizer, a.window, ("covidqa",),
                                with_synthetic=not a.no_synthetic)


def main(argv=None) -> dict:
    a = parse_args(argv)
    t0 = time.time()
    sets = build_sets(a)
    if a.quant:
        results = {_label(m, a.model): quant.compare({p: resolve(m, p, a.cache, not a.per_tensor)
                                                      for p in ("fp32", "int8")}, sets, a.threads) for m in a.model}
        columns = ["n_pos", "F1 fp32", "F1 int8", "int8 - fp32", "95% CI", "changed", "EM fp32", "EM int8"]
    else:
        raw = {_label(m, a.model): score_sets(_reader(m, a), sets) for m in a.model}
        results = {label: rates(r) for label, r in raw.items()}
        columns = COLUMNS
    print(table(results, columns))
    verdict = None
    if not a.quant and len(a.model) == 2:  # the first is the reference, the second the candidate
        verdict = decision.decide(*(r["all"] for r in raw.values()))
        print("decision (pooled, second model vs first):", json.dumps(verdict))
    meta = dict(command=provenance.command("training.gauge", argv), git_commit=provenance.git_commit(),
                seed=a.seed,
                precision="fp32 vs int8" if a.quant else a.precision, per_channel=not a.per_tensor, window=a.window,
                data=provenance.file_digests(gs.path for gs in sets),
                models={_label(m, a.model): dict(path=str(m), sha256=_model_id(m)) for m in a.model},
                wall_s=round(time.time() - t0))
    print(f"({meta['wall_s']} s)")
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps(dict(meta=meta, results=results, decision=verdict), indent=1) + "\n",
                          encoding="utf-8")
    return dict(meta=meta, results=results, decision=verdict)


def _reader(model: Path, a: argparse.Namespace) -> WindowReader:
    if a.precision == "torch":
        return TorchReader(model)
    return OnnxReader(*resolve(model, a.precision, a.cache, not a.per_tensor), threads=a.threads)


def _label(model: Path, models: list[Path]) -> str:
    """The folder name, or the whole path where two models share a name."""
    names = [Path(m).name for m in models]
    return Path(model).name if names.count(Path(model).name) == 1 else str(model)


def _model_id(model: Path) -> str:
    """sha256 of the weights (safetensors) or, for an export folder, of its model.onnx."""
    model = Path(model)
    if (model / "model.safetensors").is_file():
        return provenance.fingerprint(model)
    return data.sha256(model / "model.onnx")


if __name__ == "__main__":
    main()
