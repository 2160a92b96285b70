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

from .calibrate_reader import add_data_options, check_inputs, echo
from .data import DEFAULT_DATA
from .provenance import command

PROG = "python -m training.fit_verifier"


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    ap.add_argument("--squad", type=Path, default=DEFAULT_DATA / "xquad-en.json",
                    help="SQuAD-format file, split by article into dev (fit) and test (check) halves")
    add_data_options(ap, "eval-results/verifier", "also replace the shipped qa/answering/calibration/verifier.json")
    a = ap.parse_args(argv)
    check_inputs(ap, [a.squad], a.questions)
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
