"""``python -m training.calibrate_reader``: gather samples, fit a reader's weights on the dev halves
(:mod:`training.fitting`), report them on both halves, and write them with their provenance.

The data (every half split by a hash: SQuAD-format files by article title, the question set
by question id, :func:`~qa.eval.questions.split_of`):

* each SQuAD-format file (by default XQuAD and COVID-QA from ``../shared/datasets``) becomes one
  corpus; its questions are answerable, and two kinds of unanswerable ones come with them:
  *close* (every other question of the half, with the passages that hold its answers removed:
  the topic is there, the fact is not) and *far* (questions of the same half of the other
  data sets, whose documents are not in this corpus);
* the question set over its corpus (the bundled one by default): its own unanswerable
  questions, close and far ones as above.

Only dev-half questions are fitted on, and every negative of a dev sample is made from dev-half
questions; test halves are the held-out check.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from qa.answering.weights import Weights, calibration_file
from qa.ingest.digest import sha256_file
from .calibrate import collect
from .fitting import evaluate_weights, fit, trade_off
from .provenance import command, git_commit
from qa.eval.questions import Question, load_questions, split_of
from qa.eval.squad import load_squad, squad_documents, squad_halves, write_corpus

HALVES = ("dev", "test")
FAR_PER_DATASET = 150       # far unanswerable questions taken from each other data set, per half
REPORT_DIGITS = 4
TRADE_OFF = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass
class Dataset:
    """A corpus and its questions, by half; ``files``: what it was read from."""

    name: str
    corpus: Path
    questions: dict[str, list[Question]]
    files: list[Path] = field(default_factory=list)


def squad_dataset(path: Path, work: Path) -> Dataset:
    """A SQuAD-format file as a corpus under ``work`` and its questions split by article."""
    data = load_squad(path)
    folder, questions = write_corpus(data, work / f"{path.stem}-corpus")
    dev_ids = {q.id for q in squad_documents(squad_halves(data)["dev"])[1]}
    halves = {h: [q for q in questions if (q.id in dev_ids) == (h == "dev")] for h in HALVES}
    return Dataset(path.stem, folder, halves, [path])


def set_dataset(questions: Path, corpus: Path) -> Dataset:
    """The question set over its corpus, split by question id."""
    qs = load_questions(questions)
    files = [questions] + sorted(p for p in Path(corpus).rglob("*") if p.is_file())
    return Dataset("set", Path(corpus), {h: [q for q in qs if split_of(q.id) == h] for h in HALVES}, files)


def far_questions(datasets: list[Dataset], this: Dataset, half: str, limit: int = FAR_PER_DATASET) -> list[Question]:
    """Questions of ``half`` of the other data sets, as unanswerable ones (evenly spread, ``limit`` each)."""
    out = []
    for other in datasets:
        if other is not this:
            qs = [q for q in other.questions[half] if not q.history]
            step = max(1, len(qs) // limit)
            out += [Question(q.id, q.question, [], "", "unanswerable") for q in qs[::step][:limit]]
    return out


def gather(reader, datasets: list[Dataset], work: Path, echo: Callable[[str], None]) -> dict[str, list]:
    """Samples of every data set and half: answerable, close and far unanswerable questions."""
    from qa.app.api import Answerer

    samples = {h: [] for h in HALVES}
    embeddings = None
    for ds in datasets:
        bot = Answerer.from_corpus(ds.corpus, work / f"{ds.name}-index", embeddings=embeddings,
                                   reader=reader, store="local")   # scratch corpora stay local
        embeddings = bot.embeddings
        for half in HALVES:
            qs = ds.questions[half]
            close = [q for q in qs[1::2] if q.answerable]
            far = far_questions(datasets, ds, half)
            samples[half] += (collect(reader, bot.retriever, qs, f"{ds.name}/{half}")
                              + collect(reader, bot.retriever, close, f"{ds.name}/{half}/close", close=True)
                              + collect(reader, bot.retriever, far, f"{ds.name}/{half}/far"))
            echo(f"{ds.name} {half}: {len(qs)} questions, {len(close)} close and {len(far)} far unanswerable")
    return samples


def report_of(reader, weights: Weights, samples: dict[str, list]) -> dict:
    """How the weights do on each half, each data set's halves, and the held-out trade-off."""
    report = {"fitted_on": sorted({s.group for s in samples["dev"]})}
    for half in HALVES:
        report[half] = evaluate_weights(reader, weights, samples[half])
        for name in sorted({s.dataset for s in samples[half]}):
            report[f"{name}/{half}"] = evaluate_weights(reader, weights, [s for s in samples[half] if s.dataset == name])
    report["test_trade_off"] = trade_off(reader, weights, samples["test"], TRADE_OFF)
    return round_floats(report)


def run_calibration(reader, datasets: list[Dataset], work: Path, seed: int = 0,
                    echo: Callable[[str], None] = print) -> tuple[Weights, dict]:
    """Fitted weights (with provenance, taken before the run: the commit the run started from) and their report."""
    origin = provenance(reader, [f for ds in datasets for f in ds.files], seed)
    samples = gather(reader, datasets, Path(work), echo)
    weights = replace(fit(reader, samples["dev"], seed=seed), provenance=origin)
    return weights, report_of(reader, weights, samples)


def provenance(reader, files: list[Path], seed: int) -> dict:
    """What the weights were fitted from: every input file's sha256, the seed, the models, the commit, the command."""
    models = {}
    model = getattr(reader, "model", None)
    if model is not None:
        models["span_reader"] = model.manifest.model_sha256
    return {"inputs": {str(f): sha256_file(f) for f in files}, "seed": seed, "models": models,
            "git_commit": git_commit(), "command": command("training.calibrate_reader")}


def save(w: Weights, report: dict, path: Path | None = None) -> Path:
    """Write the weights and their report (default: the reader's shipped calibration file)."""
    path = Path(path) if path else calibration_file(w.reader)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = w.to_dict()
    data["report"] = report
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def round_floats(d, nd: int = REPORT_DIGITS):
    """``d`` with every float rounded (NaN becomes ``None``: JSON has no NaN)."""
    if isinstance(d, float):
        return None if math.isnan(d) else round(d, nd)
    if isinstance(d, dict):
        return {k: round_floats(v, nd) for k, v in d.items()}
    if isinstance(d, list):
        return [round_floats(v, nd) for v in d]
    return d
