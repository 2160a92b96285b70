"""Fit the written-answer verifier on made-up claims (dev halves), check it on the test halves.

    python -m training.fit_verifier            # into eval-results/verifier/verifier.json
    python -m training.fit_verifier --write    # ... and over qa/answering/calibration/verifier.json

The data and the method: :mod:`training.verifier_data` and :mod:`training.verifier_fit`. It prints
the fits and their report (JSON).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from qa.settings import Settings

from .calibrate_reader import echo
from .data import DEFAULT_DATA
from .provenance import command

PROG = "python -m training.fit_verifier"


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    ap.add_argument("--squad", type=Path, default=DEFAULT_DATA / "xquad-en.json",
                    help="SQuAD-format file, split by article into dev (fit) and test (check) halves")
    ap.add_argument("--questions", type=Path,
                    help="JSONL set over --corpus; only its dev split is fitted on (default: QA_QUESTIONS)")
    ap.add_argument("--corpus", type=Path, help="folder of documents of --questions (default: QA_CORPUS)")
    ap.add_argument("--work", type=Path, default=Path("eval-results/verifier"),
                    help="scratch folder for the corpora and indexes; the fit is written here too")
    ap.add_argument("--write", action="store_true",
                    help="also replace the shipped qa/answering/calibration/verifier.json")
    a = ap.parse_args(argv)
    if not a.squad.is_file():
        ap.error(f"SQuAD-format file not found: {a.squad}; the verifier is fitted on the public QA data "
                 "in ../shared/datasets (training/README.md).")
    if a.questions and not a.questions.is_file():
        ap.error(f"question set not found: {a.questions}")
    return a


def main(argv=None) -> dict:
    from .verifier_fit import fit_and_save

    a = parse_args(argv)
    result = fit_and_save(a.squad, a.questions or Settings.get("questions"), a.corpus or Settings.get("corpus"),
                          a.work, a.write, command=command("training.fit_verifier", argv), echo=echo)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
