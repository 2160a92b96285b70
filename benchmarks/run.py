"""``make bench``: this project beside the stock LangChain recipe, measured side by side in one run.

Same machine, same model (all-MiniLM-L6-v2), same corpus, same questions
(``evaluation/questions.jsonl``). Prints one table and the ratios:

* model load (once per process) and index build, reported apart,
* warm latency per question, p50/p95 over several passes (each pass runs all questions on one
  system, then on the other, alternating which goes first, so both see the same machine),
* answer accuracy: an acceptable answer string appears in the answer text
  (casefolded, ``qa.text.fold``-ed, white space collapsed); unanswerable
  questions count as right only when the system abstains (the stock recipe never does),
* cold start: ``qa ask`` in a fresh process (median of 5), ``python ui.py``
  until it serves HTTP 200, and ``import sentence_transformers`` for context.

Usage::

    .venv/bin/python -m benchmarks.run                 # full run
    .venv/bin/python -m benchmarks.run --quick         # fewer repeats
    .venv/bin/python -m benchmarks.run --json benchmarks/results/run.json

Functions are importable (``benchmarks/test_benchmarks.py`` runs them on tiny inputs).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT, fmt, machine_info, machine_line, ratio, summarize_ms, table, write_json
from qa.eval.metrics import is_correct, percentile
from qa.eval.questions import Question, load_questions
from benchmarks.cold import cold_cli, cold_import_sentence_transformers, cold_python, cold_ui

QUESTIONS = ROOT / "evaluation" / "questions.jsonl"
CORPUS = ROOT / "corpus"


# --- the two systems ----------------------------------------------------------------------

def load_models() -> dict:
    """Import sentence-transformers once, then load each system's model; seconds for each step."""
    out = {}
    t0 = time.perf_counter()
    import sentence_transformers  # noqa: F401  (paid once; both systems need it to embed passages)

    out["import_sentence_transformers_s"] = time.perf_counter() - t0

    from qa.search.embeddings import MiniLMEmbeddings
    from qa.settings import Settings

    t0 = time.perf_counter()
    ours = MiniLMEmbeddings(cache_dir=Settings.get("cache_dir"))
    ours.sentence_transformer()
    out["ours_passage_model_s"] = time.perf_counter() - t0
    exported = not ours.onnx_path.is_file()
    t0 = time.perf_counter()
    ours.warm_up()  # ONNX query encoder (exported on first use, cached afterwards)
    out["ours_query_encoder_s"] = time.perf_counter() - t0
    out["ours_query_encoder_exported"] = exported
    out["ours_query_backend"] = ours.query_backend

    from langchain_huggingface import HuggingFaceEmbeddings

    from qa.search.embeddings import packaged_model_dir

    t0 = time.perf_counter()
    stock = HuggingFaceEmbeddings(model_name=str(packaged_model_dir()), model_kwargs={"device": "cpu"})
    stock.embed_query("warm up")
    out["stock_model_s"] = time.perf_counter() - t0
    return {"times": out, "ours": ours, "stock": stock}


def build_ours(corpus, embeddings, index_dir: Path) -> dict:
    """Build this project's index in memory, then save it; seconds for each."""
    from qa.search.index import IndexSettings, build_index
    from qa.search.storage import save_index

    t0 = time.perf_counter()
    index, _ = build_index(corpus, embeddings, IndexSettings())
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    save_index(index, index_dir)
    save_s = time.perf_counter() - t0
    return {"build_s": build_s, "save_s": save_s, "passages": len(index.passages),
            "sentences": len(index.sentences), "index": index}


def build_stock(corpus, embeddings) -> dict:
    from qa.eval.stock import StockRecipe

    stock = StockRecipe.build(corpus, embeddings=embeddings)
    return {"build_s": stock.build_seconds, "chunks": stock.store.index.ntotal, "recipe": stock}


def compare_latency_quality(ours, stock, questions: list[Question], repeats: int) -> dict:
    """One untimed warm-up pass (its answers are scored: both systems are deterministic), then
    ``repeats`` timed passes. Each pass times every question on one system, then on the other (the
    order alternates between passes): the systems share one process, and a thread pool that one
    leaves spinning after its last question would otherwise slow the other's next one, which no
    user of either system would see. Passes take seconds, so both still see the same machine."""
    answers = {"ours": [], "stock": []}
    for q in questions:
        answers["ours"].append(ours.ask(q.question, history=q.history or None))
        answers["stock"].append(stock.ask(q.question))
    times = {"ours": [], "stock": [], "stock_retrieval_only": []}

    def time_ours():
        for q in questions:
            t0 = time.perf_counter()
            ours.ask(q.question, history=q.history or None)
            times["ours"].append(time.perf_counter() - t0)

    def time_stock():
        for q in questions:
            t0 = time.perf_counter()
            stock.ask(q.question)
            times["stock"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            stock.store.similarity_search(q.question, k=stock.k)
            times["stock_retrieval_only"].append(time.perf_counter() - t0)

    for i in range(repeats):
        for run in ((time_ours, time_stock) if i % 2 == 0 else (time_stock, time_ours)):
            run()
    quality = {}
    for name in ("ours", "stock"):
        ok = [is_correct(q, a) for a, q in zip(answers[name], questions)]
        answerable = [o for o, q in zip(ok, questions) if q.answers]
        unanswerable = [o for o, q in zip(ok, questions) if not q.answers]
        quality[name] = {
            "accuracy": sum(ok) / len(ok) if ok else None,
            "answerable_accuracy": sum(answerable) / len(answerable) if answerable else None,
            "unanswerable_accuracy": sum(unanswerable) / len(unanswerable) if unanswerable else None,
            "abstentions": sum(a.abstained for a in answers[name]),
            "correct": sum(ok), "n": len(ok),
            "median_answer_chars": percentile([len(a.text) for a in answers[name]], 0.5),
        }
    return {"latency": {k: summarize_ms(v) for k, v in times.items()}, "quality": quality,
            "wrong_ours": [q.id for q, a in zip(questions, answers["ours"]) if not is_correct(q, a)]}


# --- the report ------------------------------------------------------------------------------

def report_table(r: dict) -> str:
    m, b, lq = r["models"], r["build"], r["compare"]
    lat, q = lq["latency"], lq["quality"]
    rows = [
        ["model load (after `import sentence_transformers`, "
         f"{fmt(m['import_sentence_transformers_s'], 2)} s)",
         f"{fmt(m['ours_passage_model_s'], 2)} s + query encoder {fmt(m['ours_query_encoder_s'], 2)} s",
         f"{fmt(m['stock_model_s'], 2)} s", ""],
        [f"index build ({b['ours']['passages']} passages / {b['ours']['sentences']} sentences vs "
         f"{b['stock']['chunks']} chunks)",
         f"{fmt(b['ours']['build_s_median'], 2)} s (+ save {fmt(b['ours']['save_s_median'], 2)} s)",
         f"{fmt(b['stock']['build_s_median'], 2)} s",
         f"{fmt(ratio(b['stock']['build_s_median'], b['ours']['build_s_median']), 2)}x"],
        ["warm latency p50", f"{fmt(lat['ours']['p50_ms'])} ms", f"{fmt(lat['stock']['p50_ms'])} ms",
         f"{fmt(ratio(lat['stock']['p50_ms'], lat['ours']['p50_ms']))}x"],
        ["warm latency p95", f"{fmt(lat['ours']['p95_ms'])} ms", f"{fmt(lat['stock']['p95_ms'])} ms",
         f"{fmt(ratio(lat['stock']['p95_ms'], lat['ours']['p95_ms']))}x"],
        ["(stock similarity_search alone, p50 / p95)", "",
         f"{fmt(lat['stock_retrieval_only']['p50_ms'])} / {fmt(lat['stock_retrieval_only']['p95_ms'])} ms", ""],
        ["answer accuracy, all questions",
         f"{q['ours']['correct']}/{q['ours']['n']} = {fmt(q['ours']['accuracy'], 3)}",
         f"{q['stock']['correct']}/{q['stock']['n']} = {fmt(q['stock']['accuracy'], 3)}",
         f"{fmt(ratio(q['ours']['accuracy'], q['stock']['accuracy']), 2)}x"],
        ["  answerable questions", fmt(q["ours"]["answerable_accuracy"], 3), fmt(q["stock"]["answerable_accuracy"], 3), ""],
        ["  unanswerable questions (abstained)", fmt(q["ours"]["unanswerable_accuracy"], 3),
         fmt(q["stock"]["unanswerable_accuracy"], 3), ""],
        ["median answer length", f"{fmt(q['ours']['median_answer_chars'])} chars",
         f"{fmt(q['stock']['median_answer_chars'])} chars", ""],
    ]
    out = table(rows, ["", "this project (qa.Answerer)", "stock recipe", "stock / ours"])
    c = r.get("cold", {})
    cold_rows = []
    if c:
        cli, ui, st, py = c.get("cli", {}), c.get("ui", {}), c.get("import_sentence_transformers", {}), c.get("python", {})
        cold_rows.append(["`qa ask \"...\"` (fresh process, index built, query encoder cached)",
                          f"{fmt(cli.get('median_s'), 2)} s" if "median_s" in cli else cli.get("error", "-"),
                          f"{len(cli.get('times_s', []))} runs, min {fmt(cli.get('min_s'), 2)} s, max {fmt(cli.get('max_s'), 2)} s"
                          if "median_s" in cli else ""])
        cold_rows.append(["`python ui.py` until HTTP 200",
                          f"{fmt(ui.get('median_s'), 2)} s" if "median_s" in ui else f"not measured: {ui.get('error', '-')}",
                          f"{len(ui.get('times_s', []))} runs, min {fmt(ui.get('min_s'), 2)} s, max {fmt(ui.get('max_s'), 2)} s"
                          if "median_s" in ui else ""])
        cold_rows.append(["`python -c \"import sentence_transformers\"` (for context)",
                          f"{fmt(st.get('median_s'), 2)} s", f"{len(st.get('times_s', []))} runs"])
        cold_rows.append(["`python -c pass` (interpreter start)", f"{fmt(py.get('median_s'), 2)} s",
                          f"{len(py.get('times_s', []))} runs"])
        out += "\n\nCold start (median wall time)\n\n" + table(cold_rows, ["", "median", "runs"])
    return out


def build_both(corpus, models: dict, index_dir: Path, builds: int) -> dict:
    """Build each system's index ``builds`` times; median seconds and sizes."""
    ours_builds, stock_builds = [], []
    for _ in range(builds):
        ours_builds.append(build_ours(corpus, models["ours"], index_dir))
        stock_builds.append(build_stock(corpus, models["stock"]))
    return {
        "ours": {"build_s_median": percentile([b["build_s"] for b in ours_builds], 0.5),
                 "save_s_median": percentile([b["save_s"] for b in ours_builds], 0.5),
                 "build_s": [b["build_s"] for b in ours_builds],
                 "passages": ours_builds[-1]["passages"], "sentences": ours_builds[-1]["sentences"]},
        "stock": {"build_s_median": percentile([b["build_s"] for b in stock_builds], 0.5),
                  "build_s": [b["build_s"] for b in stock_builds], "chunks": stock_builds[-1]["chunks"],
                  "recipe": stock_builds[-1]["recipe"]},
    }


def run(args) -> dict:
    """Every measurement of the module docstring, as one dict."""
    from qa.app.api import Answerer
    from qa.ingest.corpus import load_corpus
    from qa.search.storage import load_index

    info = machine_info()
    origin = str(args.questions)
    questions = load_questions(args.questions)[:args.limit or None]
    corpus_dir = Path(args.corpus)
    corpus = load_corpus(corpus_dir)
    repeats = 1 if args.quick else args.repeats
    print(machine_line(info), file=sys.stderr)
    print(f"Questions: {len(questions)} from {origin}; corpus {corpus_dir} ({len(corpus.documents)} documents)",
          file=sys.stderr)
    models = load_models()
    work = Path(tempfile.mkdtemp(prefix="qa-bench-"))
    try:
        print("Building indexes ...", file=sys.stderr)
        build = build_both(corpus, models, work / "index", 1 if args.quick else 3)
        bot = Answerer(load_index(work / "index", model=models["ours"].model_info), models["ours"])
        stock = build["stock"].pop("recipe")
        print(f"Asking {len(questions)} questions x {repeats + 1} passes, both systems ...", file=sys.stderr)
        compare = compare_latency_quality(bot, stock, questions, repeats)
        result = {"machine": info, "questions": origin, "n_questions": len(questions), "repeats": repeats,
                  "models": models["times"], "build": build, "compare": compare}
        if not args.no_cold:
            print("Cold start ...", file=sys.stderr)
            cold_repeats = 2 if args.quick else 5
            result["cold"] = {
                "cli": cold_cli(questions[0].question, corpus_dir, work / "index", repeats=cold_repeats),
                "ui": cold_ui(corpus_dir, work / "index", repeats=1 if args.quick else 3),
                "import_sentence_transformers": cold_import_sentence_transformers(1 if args.quick else 3),
                "python": cold_python(3),
            }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result




def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="one timed pass, one build, fewer cold-start runs")
    p.add_argument("--json", dest="json_path", help="also write every number to this JSON file")
    p.add_argument("--questions", type=Path, default=QUESTIONS, help=f"JSONL question set (default {QUESTIONS})")
    p.add_argument("--corpus", default=str(CORPUS), help="corpus folder (default: the bundled corpus)")
    p.add_argument("--repeats", type=int, default=3, help="timed passes over the questions (default 3)")
    p.add_argument("--limit", type=int, help="only the first N questions")
    p.add_argument("--no-cold", action="store_true", help="skip the cold-start measurements")
    args = p.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    result = run(args)
    print()
    print(machine_line(result["machine"]))
    print(f"Questions: {result['n_questions']} ({result['questions']}); warm latency over {result['repeats']} "
          f"timed pass(es) after a warm-up pass; same model (all-MiniLM-L6-v2), same corpus.")
    print("Stock recipe = RecursiveCharacterTextSplitter(1000, 200) + HuggingFaceEmbeddings + FAISS.from_documents"
          " + similarity_search(k=4) + the retrieved sentence most similar to the question (qa/eval/stock.py); "
          "it sees follow-up questions without their history.\n")
    print(report_table(result))
    if result["compare"]["wrong_ours"]:
        print(f"\nQuestions this project got wrong: {', '.join(result['compare']['wrong_ours'])}")
    if args.json_path:
        write_json(args.json_path, result)
        print(f"\nWrote {args.json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
