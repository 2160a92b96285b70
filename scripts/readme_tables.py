"""Write the README's generated tables from their sources, or check that they match.

* ``results``: ``qa eval`` on the bundled set and on XQuAD, from the ``report.json`` files kept in
  ``docs/results/`` (``make results`` runs both evaluations and copies them there);
* ``types``: accuracy by question type on the bundled set, from the same report;
* ``calibration``: how the fitted reader does on the halves it was fitted on and on the held-out
  halves, from the report inside ``qa/answering/calibration.json`` (written by ``qa calibrate``);
* ``settings``: every ``QA_*`` variable, from :func:`qa.settings.variables`.

Each table sits between ``<!-- begin: NAME (scripts/readme_tables.py) -->`` and
``<!-- end: NAME -->`` in README.md; nothing between them is written by hand::

    python scripts/readme_tables.py            # rewrite the tables
    python scripts/readme_tables.py --check    # exit 1, naming the stale tables, if they differ
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETS = [("bundled", "bundled article ({questions} questions)"),
        ("xquad-en", "XQuAD-en ({documents} articles as one corpus, {questions} questions)")]


def _rate(v) -> str:
    return "-" if v is None else f"{v:.3f}"


def _count(rate, n) -> str:
    return "-" if rate is None or not n else f"{round(rate * n)} of {n}"


def _ms(v) -> str:
    return "-" if v is None else f"{v:.0f}" if v >= 100 else f"{v:.1f}"


def _cells(report: dict, system: str) -> list[str]:
    """One column of the results table: ``system``'s numbers in ``report``."""
    s = report["systems"][system]
    unanswerable = s["questions"] - s["answerable"]
    followups = report["types"][system].get("followup", {}).get("n", 0)
    return [
        _rate(s["answer_accuracy"]), _rate(s["citation_accuracy"]), _rate(s["highlight_accuracy"]),
        f"{_rate(s['recall@4'])} / {_rate(s['mrr'])}",
        f"{_count(s['abstention_recall'], unanswerable)}" + (f" ({_rate(s['abstention_recall'])})"
                                                             if unanswerable and s["abstention_recall"] else ""),
        f"{s['false_abstentions']} of {s['answerable']}",
        _count(s["followup_accuracy"], followups),
        f"{_ms(s['median_answer_chars'])} / {s['max_answer_chars']} chars",
        f"{_ms(s['latency_p50_ms'])} / {_ms(s['latency_p95_ms'])} ms",
    ]


ROWS = ["answer accuracy (answerable)", "citation accuracy", "highlight accuracy", "retrieval recall@4 / MRR",
        "unanswerable abstained", "false abstentions", "follow-ups right", "median / longest answer",
        "latency p50 / p95"]


def results_table(reports: dict[str, dict]) -> str:
    """The results of every set in ``reports`` side by side, ``qa`` beside the stock recipe."""
    sets = [(key, label) for key, label in SETS if key in reports]
    head = "| |" + "".join(f" {label.format(questions=reports[key]['meta']['questions'], **reports[key]['meta']['stats'])} | |"
                           for key, label in sets)
    columns = [_cells(reports[key], system) for key, _ in sets for system in ("qa", "stock")]
    lines = [head, "|---|" + "---|---|" * len(sets),
             "| metric | " + " | ".join("**qa** | stock recipe" for _ in sets) + " |"]
    lines += [f"| {row} | " + " | ".join(col[i] for col in columns) + " |" for i, row in enumerate(ROWS)]
    when = sorted({(r["meta"].get("date", "?"), r["meta"].get("machine", "?"), r["meta"].get("load_average"))
                   for r in reports.values()})
    said = "; ".join(f"{d}, {m}" + (f", load average {load} at the end" if load is not None else "")
                     for d, m, load in when)
    return "\n".join([f"`qa eval` ({said}); each set in one run, the same questions for both systems:", ""] + lines)


def types_table(report: dict) -> str:
    """Accuracy by question type, ``qa`` beside the stock recipe."""
    qa, stock = report["types"]["qa"], report["types"].get("stock", {})
    lines = ["| question type | questions | **qa** | stock recipe |", "|---|---|---|---|"]
    for t, row in sorted(qa.items(), key=lambda kv: (-kv[1]["accuracy"], kv[0])):
        lines.append(f"| {t} | {row['n']} | {row['accuracy']:.0%} | "
                     f"{stock[t]['accuracy']:.0%} |" if t in stock else f"| {t} | {row['n']} | {row['accuracy']:.0%} | - |")
    return "\n".join(lines)


CALIBRATION_GROUPS = [("squad-dev", "XQuAD, dev half (fitted on)"), ("squad-test", "XQuAD, test half (held out)"),
                      ("set-dev", "bundled set, dev half (fitted on)"), ("set-test", "bundled set, test half (held out)")]


def calibration_table(calibration: dict) -> str:
    """The fitted reader on each half: sentence top-1, answers kept, abstentions, ROC AUC of confidence."""
    report = calibration["report"]
    lines = ["| questions | n (answerable) | best sentence right | answered right | unanswerable abstained | "
             "false abstentions | ROC AUC |", "|---|---|---|---|---|---|---|"]
    for key, label in CALIBRATION_GROUPS:
        r = report[key]
        lines.append(f"| {label} | {r['questions']} ({r['answerable']}) | {r['top1_accuracy']:.2f} | "
                     f"{r['answered_correct']:.2f} | {r['abstain_recall']:.2f} | {r['false_abstentions']} | "
                     f"{r['auc']:.2f} |")
    return "\n".join(lines)


def settings_table() -> str:
    """Every ``QA_*`` variable: what it sets, its default, what it may hold."""
    from qa.settings import variables

    lines = ["| variable | meaning | default | allowed |", "|---|---|---|---|"]
    lines += [f"| `{v.name}` | {v.help} | `{v.default}` | {v.allowed} |" for v in variables()]
    return "\n".join(lines)


def tables(results: Path) -> dict[str, str]:
    """Every generated table, by name."""
    reports = {key: json.loads((results / f"{key}.json").read_text(encoding="utf-8"))
               for key, _ in SETS if (results / f"{key}.json").is_file()}
    calibration = json.loads((ROOT / "qa" / "answering" / "calibration.json").read_text(encoding="utf-8"))
    return {"results": results_table(reports), "types": types_table(reports["bundled"]),
            "calibration": calibration_table(calibration), "settings": settings_table()}


def block(name: str) -> re.Pattern:
    return re.compile(rf"(<!-- begin: {name} \(scripts/readme_tables.py\) -->\n)(.*?)(<!-- end: {name} -->)", re.S)


def update(readme: str, generated: dict[str, str]) -> tuple[str, list[str]]:
    """``readme`` with every table replaced, and the names of those that changed."""
    changed = []
    for name, text in generated.items():
        pattern = block(name)
        match = pattern.search(readme)
        if match is None:
            raise SystemExit(f"README has no block {name!r}: add the begin and end markers where it goes.")
        if match.group(2) != text + "\n":
            changed.append(name)
            readme = readme[:match.start(2)] + text + "\n" + readme[match.end(2):]
    return readme, changed


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="change nothing; exit 1 when a table is stale")
    ap.add_argument("--readme", type=Path, default=ROOT / "README.md")
    ap.add_argument("--results", type=Path, default=ROOT / "docs" / "results",
                    help="folder of the report.json copies (bundled.json, xquad-en.json)")
    args = ap.parse_args(argv)
    text, changed = update(args.readme.read_text(encoding="utf-8"), tables(args.results))
    if args.check:
        if changed:
            print(f"{args.readme}: stale generated tables: {', '.join(changed)}; run scripts/readme_tables.py",
                  file=sys.stderr)
            return 1
        return 0
    args.readme.write_text(text, encoding="utf-8")
    print(f"{args.readme}: {', '.join(changed) or 'nothing'} rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
