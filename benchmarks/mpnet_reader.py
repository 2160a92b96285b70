"""What reading with MPNet costs: the ``fast`` (MiniLM) reader beside the ``mpnet`` reader, in one run.

For the first ``--questions`` questions of the bundled set, the passages are retrieved once;
then each reader reads them (one untimed pass, then ``--repeats`` timed passes, the two readers
interleaved question by question so both see the same machine noise). Prints p50/p95 per reader
(MPNet reading ``--read`` passages: 2 and 3) and the ratio to ``fast``, and the MPNet model alone on one window of ``--tokens`` tokens. The MPNet folder
may hold an untrained export (cost does not depend on training). Not a test: it prints a table.

    .venv/bin/python -m benchmarks.mpnet_reader --mpnet qa/answering/models/mpnet-qa-reader
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT, fmt, machine_info, machine_line, ratio, summarize_ms, table, write_json


def read_times(readers: dict, asked: list[tuple[str, list]], repeats: int) -> dict[str, list[float]]:
    """Seconds per read of each reader, interleaved question by question, after one untimed pass."""
    times: dict[str, list[float]] = {name: [] for name in readers}
    for rep in range(repeats + 1):
        for question, passages in asked:
            for name, reader in readers.items():
                t0 = time.perf_counter()
                reader.read(question, passages)
                if rep:
                    times[name].append(time.perf_counter() - t0)
    return times


def window_times(model, tokens: int, repeats: int) -> list[float]:
    """Seconds per forward pass of ``model`` (a SpanModel) on one window of about ``tokens`` tokens."""
    text = " ".join(["the harvest of the valley"] * tokens)[: 6 * tokens]
    out = []
    for rep in range(repeats + 1):
        t0 = time.perf_counter()
        model.score("When is the harvest?", [text[: 5 * tokens]])
        if rep:
            out.append(time.perf_counter() - t0)
    return out


def main(argv=None) -> dict:
    from qa.answering.mpnet_reader import MpnetReader, load_mpnet
    from qa.answering.span_model import SpanModel
    from qa.answering.span_reader import SpanReader
    from qa.app.api import Answerer
    from qa.eval.questions import load_questions

    ap = argparse.ArgumentParser(prog="python -m benchmarks.mpnet_reader", description=__doc__.split("\n\n")[0])
    ap.add_argument("--mpnet", type=Path, required=True, help="MPNet reader folder (manifest.json, model.onnx)")
    ap.add_argument("--questions", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--tokens", type=int, default=256)
    ap.add_argument("--read", type=int, nargs="+", default=[2, 3], help="passages MPNet reads (one reader each)")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args(argv)
    mpnet, minilm = load_mpnet(a.mpnet), SpanModel.load()
    readers = {"fast": SpanReader(model=minilm),
               **{f"mpnet-{n}": MpnetReader(model=mpnet, ranker=minilm, read=n) for n in a.read}}
    with tempfile.TemporaryDirectory() as index:
        answerer = Answerer.from_corpus(ROOT / "corpus", index, reader=readers["fast"])
        questions = load_questions(ROOT / "evaluation" / "questions.jsonl")[: a.questions]
        asked = [(q.question, answerer.retriever.invoke(q.question)) for q in questions]
    times = read_times(readers, asked, a.repeats)
    windows = {"fast": window_times(minilm, a.tokens, a.repeats), "mpnet": window_times(mpnet, a.tokens, a.repeats)}
    result = {"reads": {k: summarize_ms(v) for k, v in times.items()},
              "window": {k: summarize_ms(v) for k, v in windows.items()}, "questions": len(asked),
              "passages_per_question": sum(len(p) for _, p in asked) / max(1, len(asked)), "tokens": a.tokens}
    rows = [[name, fmt(result["reads"][name]["p50_ms"]), fmt(result["reads"][name]["p95_ms"]),
             fmt(ratio(result["reads"][name]["p50_ms"], result["reads"]["fast"]["p50_ms"]), 2)] for name in readers]
    print(machine_line(machine_info()))
    print(table(rows, ["reader", "read p50 ms", "read p95 ms", "p50 / fast"]))
    w = result["window"]
    print(f"one {a.tokens}-token window: MiniLM {fmt(w['fast']['p50_ms'])} ms, MPNet {fmt(w['mpnet']['p50_ms'])} ms "
          f"(x{fmt(ratio(w['mpnet']['p50_ms'], w['fast']['p50_ms']), 2)})")
    if a.json:
        write_json(a.json, result)
    return result


if __name__ == "__main__":
    main()
