"""``qa calibrate``: gather samples from a SQuAD file (split in halves by article) and the
bundled question set, fit the reader's weights on the dev halves (:mod:`qa.eval.calibrate`),
report them on both halves, and write ``calibration.json``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Callable

from ..answering.weights import CALIBRATION_FILE, Weights
from . import calibrate as cal
from .questions import Question, load_questions, split_of
from .squad import load_squad, squad_halves, write_corpus

HALVES = (("dev", "test"), ("test", "dev"))   # (half fitted or checked, the other half)
REPORT_DIGITS = 4


def _squad_samples(squad: Path, work: Path, echo: Callable[[str], None]) -> tuple[dict, object]:
    """Samples of each SQuAD half over its own corpus: answerable, far and close unanswerable
    (see :mod:`qa.eval.calibrate`); and the embeddings loaded on the way."""
    from ..app.api import Answerer

    halves = squad_halves(load_squad(squad))
    samples = {"dev": [], "test": []}
    embeddings = None
    for half, other in HALVES:
        folder, qs = write_corpus(halves[half], work / f"{half}-corpus")
        _, other_qs = write_corpus(halves[other], work / f"{other}-unused")
        bot = Answerer.from_corpus(folder, work / f"{half}-index", embeddings=embeddings)
        embeddings = bot.embeddings
        far = [Question(q.id, q.question, [], "", "unanswerable") for q in other_qs[::2]]
        samples[half] += (cal.collect(bot.retriever, qs, f"squad-{half}")
                          + cal.collect(bot.retriever, far, f"squad-{half}-far")
                          + cal.collect(bot.retriever, qs[1::2], f"squad-{half}-close", close=True))
        echo(f"SQuAD {half}: {len(qs)} answerable, {len(far)} far and {len(qs[1::2])} close unanswerable over {folder}")
    return samples, embeddings


def run_calibration(squad: Path, questions: Path | None, corpus_dir: Path, work: Path,
                    echo: Callable[[str], None] = print) -> tuple[Weights, dict]:
    """Fitted weights and their report: fitted on the dev samples, evaluated on dev, test and each group."""
    from ..app.api import Answerer

    samples, embeddings = _squad_samples(Path(squad), Path(work), echo)
    if questions and Path(questions).is_file():
        qs = load_questions(questions)
        bot = Answerer.from_corpus(corpus_dir, Path(work) / "set-index", embeddings=embeddings)
        for half in ("dev", "test"):
            samples[half] += cal.collect(bot.retriever, [q for q in qs if split_of(q.id) == half], f"set-{half}")
    weights = cal.fit(samples["dev"])
    report = {"fitted_on": sorted({s.group for s in samples["dev"]}),
              "dev": cal.evaluate_weights(weights, samples["dev"]),
              "test": cal.evaluate_weights(weights, samples["test"])}
    everything = samples["dev"] + samples["test"]
    for group in sorted({s.group.replace("-far", "").replace("-close", "") for s in everything}):
        report[group] = cal.evaluate_weights(weights, [s for s in everything if s.group.startswith(group)])
    return weights, round_floats(report)


def save(w: Weights, report: dict, path: Path = CALIBRATION_FILE) -> Path:
    """Write the weights and their report as the reader's calibration file."""
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
