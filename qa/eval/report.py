"""An evaluation's report: the metrics of each system, as JSON, Markdown and a chart.

    >>> r = Report("demo", {"qa": {"answer_accuracy": 0.5}}, {"qa": {}}, {"qa": []})
    >>> print(markdown(r).splitlines()[2])
    | metric | qa |
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..extras import require
from .metrics import Outcome, by_type, summarize

CHART_METRICS = ["recall@4", "mrr", "answer_accuracy", "overall_accuracy", "token_f1", "citation_accuracy",
                 "highlight_accuracy", "abstention_recall"]
FAILURES_SHOWN = 15
FAILURE_ANSWER_CHARS = 160


@dataclass
class Report:
    """The summary of every system on one question set."""

    name: str
    systems: dict[str, dict]                  # system -> summary
    types: dict[str, dict[str, dict]]         # system -> type -> summary
    failures: dict[str, list[dict]]           # system -> failed questions
    meta: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """What ``report.json`` holds."""
        return asdict(self)

    def summary(self) -> dict:
        """What ``summary.json`` holds: the report without its failed questions, so numbers only and
        no question, answer or document text (``make results`` keeps the bundled set's in
        ``docs/results/``; runs on ``../shared`` data sets stay in ``eval-results/``, like the data sets)."""
        return {k: v for k, v in self.to_dict().items() if k != "failures"}


def build_report(name: str, results: dict[str, list[Outcome]], k: int = 4, meta: dict | None = None) -> Report:
    """Summaries, per-type accuracy and failures of each system's outcomes."""
    return Report(
        name=name,
        systems={s: summarize(o, k) for s, o in results.items()},
        types={s: by_type(o) for s, o in results.items()},
        failures={s: [asdict(x) for x in o if not x.correct] for s, o in results.items()},
        meta=meta or {})


def fmt(v) -> str:
    """A metric for a table: rates with 3 decimals, larger numbers with 1, ``-`` for none."""
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3f}" if v <= 1.0 else f"{v:.1f}"
    return str(v)


def _failure_lines(report: Report, max_failures: int) -> list[str]:
    first = next(iter(report.systems))
    fails = report.failures[first]
    lines = ["", f"Failed questions ({first}): {len(fails)}"]
    for f in fails[:max_failures]:
        got = "ABSTAINED" if f["abstained"] else " ".join(f["answer"].split())[:FAILURE_ANSWER_CHARS]
        lines.append(f"- {f['id']} [{f['type']}] {f['question']} | expected {f['expected'] or 'abstain'} | got: {got}")
    if len(fails) > max_failures:
        lines.append(f"- ... and {len(fails) - max_failures} more (see the JSON report)")
    return lines


def markdown(report: Report, max_failures: int = FAILURES_SHOWN) -> str:
    """The report as Markdown: metrics by system, accuracy by question type, the first system's failures."""
    systems = list(report.systems)
    metrics = list(dict.fromkeys(m for s in systems for m in report.systems[s]))
    lines = [f"### {report.name}", "", "| metric | " + " | ".join(systems) + " |",
             "|---|" + "---|" * len(systems)]
    for m in metrics:
        lines.append(f"| {m} | " + " | ".join(fmt(report.systems[s].get(m)) for s in systems) + " |")
    types = sorted({t for s in systems for t in report.types[s]})
    lines += ["", "| type | n | " + " | ".join(f"{s} acc" for s in systems) + " |",
              "|---|---|" + "---|" * len(systems)]
    for t in types:
        n = report.types[systems[0]].get(t, {}).get("n", 0)
        lines.append(f"| {t} | {n} | " + " | ".join(fmt(report.types[s].get(t, {}).get("accuracy")) for s in systems) + " |")
    return "\n".join(lines + _failure_lines(report, max_failures))


def figure(reports: list[Report]):
    """The matplotlib figure of :func:`chart`: one panel per report, one group of bars per metric,
    one bar per system; the legend sits outside the plot, to its right, so it covers no bar."""
    matplotlib = require("eval", "matplotlib", needed_for="The evaluation's chart")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(reports), 1, figsize=(12, 3.6 * len(reports)), squeeze=False)
    for ax, report in zip(axes[:, 0], reports):
        systems = list(report.systems)
        width = 0.8 / len(systems)
        for i, s in enumerate(systems):
            vals = [report.systems[s].get(m) or 0.0 for m in CHART_METRICS]
            bars = ax.bar([x + i * width for x in range(len(CHART_METRICS))], vals, width, label=s)
            ax.bar_label(bars, fmt="%.2f", fontsize=7)
        ax.set_xticks([x + width * (len(systems) - 1) / 2 for x in range(len(CHART_METRICS))])
        ax.set_xticklabels(CHART_METRICS, rotation=15, fontsize=8)
        ax.set_ylim(0, 1.1)
        ax.set_title(report.name, fontsize=10)
        ax.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=8)
    fig.tight_layout()
    return fig


def chart(reports: list[Report], path) -> Path:
    """:func:`figure` as a PNG at ``path``."""
    import matplotlib.pyplot as plt

    fig = figure(reports)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
