"""How many "close" unanswerable questions that the reader answered were in fact answered?

``qa eval --squad`` makes a close unanswerable question by asking a question with the passages
that hold its answer *string* kept from the reader. When the documents say the same thing in
other words elsewhere (papers repeat their abstract, findings are restated), the reader may
answer rightly and still be counted wrong. This script draws a fixed sample of the close
questions a report shows answered, for a person to judge, and tallies the judgements::

    python scripts/close_audit.py show eval-results/covidqa/report.json \\
        ../shared/datasets/eval/covidqa.json --n 40            # the sample, to read
    python scripts/close_audit.py tally eval-results/close-audit-covidqa.json

The judgements file is JSON: ``{"format_version": 1, "verdicts": {"<id>/close": "supported", ...}}``.
A judgement is ``supported`` (the answer given is an acceptable answer to the question: the
"close" label is wrong), ``unsupported`` (it is not) or ``unclear`` (the question is too vague,
in a corpus of many documents, to say). It names the data set's questions, so like the data set it
stays out of the repository (``eval-results/``).

    >>> report = {"failures": {"qa": [
    ...     {"id": "1/close", "answerable": False, "abstained": False},
    ...     {"id": "2/close", "answerable": False, "abstained": True},
    ...     {"id": "3", "answerable": True, "abstained": False}]}}
    >>> [r["id"] for r in answered_close(report)]
    ['1/close']
    >>> tally({"a": "supported", "b": "unsupported", "c": "unsupported", "d": "unclear"})["supported"]
    1
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))   # qa/ from this checkout

from qa.eval.questions import Question, spread  # noqa: E402

VERDICTS = ("supported", "unsupported", "unclear")
FORMAT_VERSION = 1


def answered_close(report: dict, system: str = "qa") -> list[dict]:
    """The close unanswerable questions ``system`` answered (they are among its failures)."""
    return [r for r in report["failures"][system]
            if r["id"].endswith("/close") and not r["answerable"] and not r["abstained"]]


def sample(report: dict, n: int, system: str = "qa") -> list[dict]:
    """``n`` of :func:`answered_close`, chosen by a hash of their ids (the same ones every run)."""
    rows = answered_close(report, system)
    keep = {q.id for q in spread([Question(r["id"], "", []) for r in rows], n)}
    return [r for r in rows if r["id"] in keep]


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson 95% interval of a share ``k / n``."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def tally(verdicts: dict[str, str]) -> dict:
    """Counts of each judgement, and the share judged ``supported`` with its 95% interval."""
    bad = sorted({v for v in verdicts.values()} - set(VERDICTS))
    if bad:
        raise ValueError(f"unknown judgements {bad}; expected one of {list(VERDICTS)}")
    counts = {v: sum(1 for x in verdicts.values() if x == v) for v in VERDICTS}
    n = len(verdicts)
    lo, hi = wilson(counts["supported"], n)
    return {**counts, "judged": n, "supported_share": round(counts["supported"] / n, 3) if n else None,
            "supported_share_95ci": [round(lo, 3), round(hi, 3)]}


def show(report_path: Path, squad_path: Path, n: int) -> None:
    """Print the sample: question, the answers that were withheld, and what the reader said."""
    from qa.eval.squad import load_squad, squad_documents

    report = json.loads(report_path.read_text(encoding="utf-8"))
    gold = {q.id: q.answers for q in squad_documents(load_squad(squad_path))[1]}
    rows = sample(report, n)
    print(f"{len(rows)} of {len(answered_close(report))} answered close questions in {report_path}\n")
    for r in rows:
        print(f"[{r['id']}] {r['question']}")
        print(f"  withheld answer: {gold.get(r['id'].removesuffix('/close'), ['?'])}")
        print(f"  short answer:    {r.get('short_answer')!r} (confidence {r['confidence']})")
        print(f"  answer:          {r['answer']}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("show", help="print the sample to judge")
    s.add_argument("report", type=Path, help="report.json of `qa eval --squad`")
    s.add_argument("squad", type=Path, help="the SQuAD-format file it asked")
    s.add_argument("--n", type=int, default=40)
    t = sub.add_parser("tally", help="count the judgements of a kept audit file")
    t.add_argument("audit", type=Path)
    args = parser.parse_args(argv)
    if args.command == "show":
        show(args.report, args.squad, args.n)
        return 0
    data = json.loads(args.audit.read_text(encoding="utf-8"))
    if data.get("format_version") != FORMAT_VERSION:
        raise SystemExit(f"{args.audit}: format_version {data.get('format_version')!r}; expected {FORMAT_VERSION}")
    print(json.dumps(tally(data["verdicts"]), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
