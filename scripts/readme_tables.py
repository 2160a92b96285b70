"""Write the generated tables of the README and docs/ from their sources, or check that they match.

* ``results``: ``qa eval`` on the bundled set, every system of the run, from the ``summary.json``
  file (numbers only) kept in ``docs/results/eval-summary-bundled.json`` (``make results`` runs the evaluation and copies it there);
* ``public``: ``qa eval --squad`` on XQuAD, COVID-QA and PolicyQA, from their ``summary.json`` in
  ``eval-results/<set>/``, where ``make results`` writes them. The data sets and everything made from
  them stay out of the repository (they live in ``../shared``, some under non-commercial licences), so
  without those runs this table is left as it is, and ``--check`` says it was not checked;
* ``types``: accuracy by question type on the bundled set, from its report;
* ``calibration``: how the fitted span reader does on the halves it was fitted on and on the
  held-out halves, and the threshold trade-off, from the report inside
  ``qa/answering/calibration/span.json`` (written by ``make calibrate``);
* ``verifier``: how the written-answer verifier keeps supported claims and passes fabricated ones on
  the halves it was fitted on and the held-out halves, from the report inside
  ``qa/answering/calibration/verifier.json`` (written by ``make fit-verifier``);
* ``bench``: ``make bench`` (this project beside the stock recipe, one run), ``docs/results/bench.json``;
* ``settings``: every ``QA_*`` variable, from :func:`qa.settings.variables`.

Each table sits between ``<!-- begin: NAME (scripts/readme_tables.py) -->`` and
``<!-- end: NAME -->`` in README.md or a page of docs/ (settings: docs/configuration.md; results, public,
types, bench: docs/evaluation.md; calibration, verifier: docs/calibration.md); nothing between them is
written by hand, and a table moves to another page with its markers alone::

    python scripts/readme_tables.py            # rewrite the tables
    python scripts/readme_tables.py --check    # exit 1, naming the stale tables and their pages, if they differ
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))   # benchmarks/ and qa/ from this checkout

from scripts.marked_blocks import update_pages  # noqa: E402  (after the checkout is on the path)
BUNDLED = "bundled"
PUBLIC = [("xquad-en", "XQuAD-en"), ("covidqa", "COVID-QA"), ("policyqa-test", "PolicyQA (test)")]
SYSTEMS = [("qa", "**qa** (span reader)"), ("extractive", "extractive reader"), ("stock", "stock recipe")]


def _rate(v) -> str:
    return "-" if v is None else f"{v:.3f}"


def _count(rate, n) -> str:
    return "-" if rate is None or not n else f"{round(rate * n)} of {n}"


def _ms(v) -> str:
    return "-" if v is None else f"{v:.0f}" if v >= 100 else f"{v:.1f}"


def _cells(report: dict, system: str) -> list[str]:
    """One column of the bundled set's table: ``system``'s numbers in ``report``."""
    s = report["systems"][system]
    unanswerable = s["questions"] - s["answerable"]
    followups = report["types"][system].get("followup", {}).get("n", 0)
    paraphrases = report["types"][system].get("paraphrase", {})
    exact = "-" if s.get("short_f1") is None else f"{_rate(s['short_exact_match'])} / {_rate(s['short_f1'])}"
    return [
        _rate(s["answer_accuracy"]), _rate(s["citation_accuracy"]), _rate(s["highlight_accuracy"]), exact,
        f"{_rate(s['recall@4'])} / {_rate(s['mrr'])}",
        f"{_count(s['abstention_recall'], unanswerable)}",
        f"{s['false_abstentions']} of {s['answerable']}",
        _count(s["followup_accuracy"], followups),
        _count(paraphrases.get("accuracy"), paraphrases.get("n", 0)),
        f"{_ms(s['median_answer_chars'])} / {s['max_answer_chars']} chars",
        f"{_ms(s['latency_p50_ms'])} / {_ms(s['latency_p95_ms'])} ms",
    ]


ROWS = ["answer accuracy (answerable)", "citation accuracy", "highlight accuracy", "exact answer: EM / token F1",
        "retrieval recall@4 / MRR", "unanswerable abstained", "false abstentions", "follow-ups right",
        "paraphrases right", "median / longest answer", "latency p50 / p95"]


def _when(reports) -> str:
    """When and where the reports were made: one date and machine per group, its load averages."""
    groups: dict[tuple, list] = {}
    for r in reports:
        loads = groups.setdefault((r["meta"].get("date", "?"), r["meta"].get("machine", "?")), [])
        if r["meta"].get("load_average") is not None:
            loads.append(r["meta"]["load_average"])
    parts = []
    for (d, m), loads in sorted(groups.items()):
        lo, hi = (min(loads), max(loads)) if loads else (None, None)
        load = "" if lo is None else f", load average {lo}" if lo == hi else f", load average {lo}–{hi}"
        parts.append(f"{d}, {m}{load}")
    return "; ".join(parts)


def results_table(report: dict) -> str:
    """The bundled set: every system of the run side by side."""
    systems = [(key, label) for key, label in SYSTEMS if key in report["systems"]]
    columns = [_cells(report, key) for key, _ in systems]
    lines = [f"`qa eval` on the bundled set ({report['meta']['questions']} questions; {_when([report])}), "
             "every system in the same run:", "",
             "| metric | " + " | ".join(label for _, label in systems) + " |", "|---|" + "---|" * len(systems)]
    lines += [f"| {row} | " + " | ".join(col[i] for col in columns) + " |" for i, row in enumerate(ROWS)]
    return "\n".join(lines)


def _close(report: dict, system: str) -> str:
    t = report["types"][system].get("close")
    return "-" if not t else _count(t["accuracy"], t["n"])


def public_table(reports: dict[str, dict]) -> str:
    """The public SQuAD-format sets: the span reader beside the stock recipe, each set in one run."""
    lines = ["| set | held out from the span reader? | answer accuracy: **qa** / stock | citation accuracy: **qa** / stock "
             "| exact answer token F1 | close unanswerable abstained | false abstentions | latency p50: **qa** / stock |",
             "|---|---|---|---|---|---|---|---|"]
    for key, label in PUBLIC:
        if key not in reports:
            continue
        r = reports[key]
        qa, stock = r["systems"]["qa"], r["systems"].get("stock", {})
        held = {True: "no (trained on)", False: "yes"}.get(r["meta"].get("reader_trained_on_this_set"), "?")
        stats = r["meta"]["stats"]
        half = f"{r['meta']['split']} half, " if r["meta"].get("split", "all") != "all" else ""
        lines.append(f"| {label} ({stats['documents']} documents as one corpus, {half}{qa['answerable']} questions) | {held} | "
                     f"{_rate(qa['answer_accuracy'])} / {_rate(stock.get('answer_accuracy'))} | "
                     f"{_rate(qa['citation_accuracy'])} / {_rate(stock.get('citation_accuracy'))} | "
                     f"{_rate(qa.get('short_f1'))} | {_close(r, 'qa')} | {qa['false_abstentions']} of {qa['answerable']} | "
                     f"{_ms(qa['latency_p50_ms'])} / {_ms(stock.get('latency_p50_ms'))} ms |")
    return "\n".join([f"`qa eval --squad FILE` ({_when(reports.values())}):", ""] + lines)


def types_table(report: dict) -> str:
    """Accuracy by question type, every system of the run."""
    systems = [key for key, _ in SYSTEMS if key in report["types"]]
    qa = report["types"]["qa"]
    lines = ["| question type | questions | " + " | ".join(label for key, label in SYSTEMS if key in systems) + " |",
             "|---|---|" + "---|" * len(systems)]
    for t, row in sorted(qa.items(), key=lambda kv: (-kv[1]["accuracy"], kv[0])):
        cells = [f"{report['types'][s][t]['accuracy']:.0%}" if t in report["types"][s] else "-" for s in systems]
        lines.append(f"| {t} | {row['n']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


CALIBRATION_GROUPS = [("xquad-en/dev", "XQuAD, dev half (fitted on; the span model was trained on XQuAD)"),
                      ("xquad-en/test", "XQuAD, test half (not fitted on)"),
                      ("covidqa/dev", "COVID-QA, dev half (fitted on)"), ("covidqa/test", "COVID-QA, test half (held out)"),
                      ("set/dev", "bundled set, dev half (fitted on)"), ("set/test", "bundled set, test half (held out)")]


def calibration_table(calibration: dict) -> str:
    """The fitted reader on each half: sentence top-1, answers kept, abstentions, ROC AUC of confidence;
    then the held-out trade-off between abstaining and refusing answerable questions."""
    report = calibration["report"]
    lines = ["| questions (answerable + close and far unanswerable) | n (answerable) | best sentence right | "
             "answered right | unanswerable abstained | false abstentions | ROC AUC |", "|---|---|---|---|---|---|---|"]
    for key, label in CALIBRATION_GROUPS:
        r = report.get(key)
        if r:
            lines.append(f"| {label} | {r['questions']} ({r['answerable']}) | {r['top1_accuracy']:.2f} | "
                         f"{r['answered_correct']:.2f} | {r['abstain_recall']:.2f} | {r['false_abstentions']} | "
                         f"{r['auc']:.2f} |")
    lines += ["", f"Threshold (fitted: {calibration['threshold']}) against what it does on the held-out halves together:", "",
              "| threshold | unanswerable abstained | answerable refused |", "|---|---|---|"]
    lines += [f"| {t['threshold']} | {t['abstained']:.0%} | {t['false_abstentions']:.1%} |"
              for t in report.get("test_trade_off", [])]
    return "\n".join(lines)


SCORER_NAMES = {"overlap": "words", "cosine": "embeddings", "span": "span reader"}
VERIFIER_GROUPS = [("squad-dev", "XQuAD dev half (fitted on)"), ("squad-test", "XQuAD test half (held out)"),
                   ("set-dev", "bundled set, dev half (fitted on)"), ("set-test", "bundled set, test half (held out)")]
VERIFIER_KINDS = ["copy", "clause", "statement", "bare", "swap-answer", "swap-number", "swap-name", "swap-date",
                  "negation", "swap-role", "wrong-passage", "off-topic"]


def verifier_table(verifier: dict) -> str:
    """The verifier's fits on each half: supported claims kept, fabricated claims passed (by kind),
    ROC AUC, and precision / recall of "unsupported" on the copies and their altered versions;
    the fit the answerer uses (best on its dev claims) in bold."""
    report = verifier["report"]
    keys = ["+".join(f["scorers"]) for f in verifier["fits"]]
    used = max(keys, key=lambda k: report[k]["dev"]["supported_kept"] - report[k]["dev"]["fabricated_passed"])
    lines = ["| scorers | claims from | n | supported kept | fabricated passed | "
             + " | ".join(VERIFIER_KINDS) + " | ROC AUC | altered: precision / recall |",
             "|---|---|---|---|---|" + "---|" * len(VERIFIER_KINDS) + "---|---|"]
    for key in sorted(keys, key=lambda k: k != used):
        label = " + ".join(SCORER_NAMES.get(n, n) for n in key.split("+"))
        label = f"**{label}** (used)" if key == used else label
        for group, half in VERIFIER_GROUPS:
            r = report[key][group]
            by_kind = " | ".join(f"{r['by_kind'][k]:.2f}" if k in r["by_kind"] else "-" for k in VERIFIER_KINDS)
            altered = r.get("unsupported_altered")
            pr = f"{altered['precision']:.3f} / {altered['recall']:.3f}" if altered else "-"
            lines.append(f"| {label} | {half} | {r['claims']} | {r['supported_kept']:.2f} | "
                         f"{r['fabricated_passed']:.3f} | {by_kind} | {r['roc_auc']:.3f} | {pr} |")
    return "\n".join(lines)


def settings_table() -> str:
    """Every ``QA_*`` variable: what it sets, its default, what it may hold."""
    from qa.settings import variables

    lines = ["| variable | meaning | default | allowed |", "|---|---|---|---|"]
    lines += [f"| `{v.name}` | {v.help} | `{v.default}` | {v.allowed} |" for v in variables()]
    return "\n".join(lines)


def bench_table(bench: dict) -> str:
    """``make bench``'s tables, as it prints them, with the machine and the date of the run."""
    from benchmarks.common import machine_line
    from benchmarks.run import report_table

    when = bench["machine"].get("date", "")
    return "\n".join([f"{machine_line(bench['machine'])}{', ' + when if when else ''}; {bench['n_questions']} questions, "
                      f"{bench['repeats']} timed passes after a warm-up pass:", "", report_table(bench)])


def summary_file(results: Path, key: str) -> Path:
    """Where ``make results`` keeps the bundled set's summary (``key`` = ``bundled``)."""
    return results / f"eval-summary-{key}.json"


def public_summaries(evals: Path) -> dict[str, dict]:
    """The public sets' summaries that ``make results`` left in ``evals`` (``<set>/summary.json``)."""
    paths = {key: evals / key / "summary.json" for key, _ in PUBLIC}
    return {key: json.loads(p.read_text(encoding="utf-8")) for key, p in paths.items() if p.is_file()}


def tables(results: Path, evals: Path) -> dict[str, str]:
    """Every generated table whose sources are here, by name (``public`` needs ``evals``)."""
    bundled = json.loads(summary_file(results, BUNDLED).read_text(encoding="utf-8"))
    calibration = json.loads((ROOT / "qa" / "answering" / "calibration" / "span.json").read_text(encoding="utf-8"))
    verifier = json.loads((ROOT / "qa" / "answering" / "calibration" / "verifier.json").read_text(encoding="utf-8"))
    out = {"verifier": verifier_table(verifier), "results": results_table(bundled),
           "types": types_table(bundled), "calibration": calibration_table(calibration),
           "bench": bench_table(json.loads((results / "bench.json").read_text(encoding="utf-8"))),
           "settings": settings_table()}
    public = public_summaries(evals)
    if public:
        out["public"] = public_table(public)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="change nothing; exit 1 when a table is stale")
    ap.add_argument("--root", type=Path, default=ROOT, help="folder whose README.md and docs/*.md hold the tables")
    ap.add_argument("--results", type=Path, default=ROOT / "docs" / "results",
                    help="folder of the kept bundled summary (eval-summary-bundled.json) and bench.json")
    ap.add_argument("--evals", type=Path, default=ROOT / "eval-results",
                    help="where make results wrote the public sets' runs (<set>/summary.json); not in the repository")
    args = ap.parse_args(argv)
    generated = tables(args.results, args.evals)
    updated = update_pages(args.root, generated)
    if "public" not in generated:
        print(f"public: left as it is, not checked (no {args.evals}/<set>/summary.json: "
              "make results writes them from ../shared/datasets)", file=sys.stderr)
    stale = {path: changed for path, (_, changed) in updated.items() if changed}
    if args.check:
        for path, changed in stale.items():
            print(f"{path}: stale generated tables: {', '.join(changed)}; run scripts/readme_tables.py", file=sys.stderr)
        return 1 if stale else 0
    for path, changed in stale.items():
        path.write_text(updated[path][0], encoding="utf-8")
        print(f"{path}: {', '.join(changed)} rewritten")
    if not stale:
        print("every generated table is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
