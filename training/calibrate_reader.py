"""Fit a reader's weights and abstention threshold on data (dev halves), check them on the test halves.

    python -m training.calibrate_reader            # into eval-results/calibration/span.json
    python -m training.calibrate_reader --write    # ... and over qa/answering/calibration/span.json

The data and the method: :mod:`training.calibration` and :mod:`training.calibrate`. It prints the
weights and their report (JSON), and says whether they are the same as the shipped ones.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from qa.settings import Settings

from .data import DEFAULT_DATA

PROG = "python -m training.calibrate_reader"


def echo(message: str) -> None:
    """Progress goes to stderr; the result, JSON, to stdout."""
    print(message, file=sys.stderr)


def add_data_options(ap: argparse.ArgumentParser, work: str, write: str) -> None:
    """--questions, --corpus, --work (default ``work``) and --write (help ``write``): both commands'."""
    ap.add_argument("--questions", type=Path,
                    help="JSONL question set over --corpus; only its dev split is fitted on (default: QA_QUESTIONS)")
    ap.add_argument("--corpus", type=Path, help="folder of documents of --questions (default: QA_CORPUS)")
    ap.add_argument("--work", type=Path, default=Path(work),
                    help="scratch folder for the corpora and indexes; the fit is written here too")
    ap.add_argument("--write", action="store_true", help=write)


def check_inputs(ap: argparse.ArgumentParser, squad: list[Path], questions: Path | None) -> None:
    """Exit 2, naming them, when a SQuAD-format file or the question set given is not there."""
    missing = [str(p) for p in squad if not p.is_file()]
    if missing:
        ap.error(f"SQuAD-format file(s) not found: {', '.join(missing)}; the fits read the public QA data "
                 "in ../shared/datasets (training/README.md).")
    if questions and not questions.is_file():
        ap.error(f"question set not found: {questions}")


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    ap.add_argument("--reader", choices=["span", "mpnet", "extractive"], default="span", help="whose weights to fit")
    ap.add_argument("--squad", type=Path, action="append",
                    help="a SQuAD-format file, split by article into dev (fit) and test halves; repeat the option "
                         f"(default: {DEFAULT_DATA / 'xquad-en.json'} and {DEFAULT_DATA / 'eval' / 'covidqa.json'})")
    ap.add_argument("--seed", type=int, default=0, help="seed of the random search")
    add_data_options(ap, "eval-results/calibration", "replace the shipped calibration file too")
    a = ap.parse_args(argv)
    a.squad = a.squad or [DEFAULT_DATA / "xquad-en.json", DEFAULT_DATA / "eval" / "covidqa.json"]
    check_inputs(ap, a.squad, a.questions)
    return a


def main(argv=None) -> dict:
    from qa.answering.readers import make_reader
    from qa.answering.weights import Weights, calibration_file

    from .calibration import run_calibration, save, set_dataset, squad_dataset

    a = parse_args(argv)
    datasets = [squad_dataset(p, a.work) for p in a.squad]
    questions = a.questions or Settings.get("questions")
    if questions and questions.is_file():
        datasets.append(set_dataset(questions, a.corpus or Settings.get("corpus")))
    reader = make_reader(a.reader)
    weights, report = run_calibration(reader, datasets, a.work, seed=a.seed, echo=echo)
    print(json.dumps({"weights": weights.to_dict(), **report}, indent=2))
    shipped = Weights.load(reader=a.reader)     # read before --write replaces it
    same = (shipped.sentence, shipped.confidence, shipped.bias, shipped.threshold, shipped.second_ratio) == \
        (weights.sentence, weights.confidence, weights.bias, weights.threshold, weights.second_ratio)
    path = save(weights, report, calibration_file(a.reader) if a.write else a.work / f"{a.reader}.json")
    echo(f"Wrote {path}; the weights {'were' if a.write else 'are'} {'the same as' if same else 'not the same as'} "
         f"the shipped {calibration_file(a.reader)}.")
    return {"weights": weights.to_dict(), **report}


if __name__ == "__main__":
    main()
