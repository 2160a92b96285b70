"""Scale benchmark: build throughput, index size, memory, query latency and HNSW recall
at 1k, 10k and 100k passages of a reproducible synthetic corpus (``benchmarks/synthetic.py``).

For each size:

1. generate ``docs x 100`` Markdown sections (one section = one passage, 3-6 sentences),
2. build the index (``qa.search.index.build_index`` + ``qa.search.storage.save_index``), timing
   chunking, embedding (the real all-MiniLM-L6-v2 through ``MiniLMEmbeddings``),
   BM25 + FAISS, and saving; size on disk,
3. in a **fresh process** (``--probe``): ``Answerer.from_corpus(rebuild="never")``,
   resident memory (psutil RSS) after load and after the first questions, warm
   latency p50/p95 of ``HybridRetriever.search`` and of ``Answerer.ask`` over the
   synthetic questions (hit@4: a retrieved passage holds the answering sentence),
   and recall@10 of an HNSW index (the production settings) against exact search
   (``faiss.IndexFlatIP`` over the same vectors) with an ``efSearch`` sweep.

Embedding ~450k sentences with the real model on 2 CPU cores takes close to an
hour, so the **100k size runs in pool mode** (labelled in the output): the
generator draws its sentences from a pool of ~48k distinct sentences (12 per
topic, 4,000 topics), the pool is embedded with the real model (timed: that is
the throughput reported), and the index build looks the vectors up by sentence
text. Every vector in the index is a real model output; the embedding time at
100k is *estimated* as sentences / measured throughput. Duplicate vectors make
id-based recall ambiguous (ties), so recall is also reported tie-aware: an HNSW
hit counts when its score reaches the exact 10th score.

Then the **incremental re-index**: one document (100 passages) of the 10k corpus is
replaced by an edited version and ``qa.search.lifecycle.open_or_build_index`` updates the index; the
report says how many sentences were embedded and how many reused.

    .venv/bin/python -m benchmarks.scale                          # 1k, 10k, 100k
    .venv/bin/python -m benchmarks.scale --sizes 1k,10k --json benchmarks/results/scale.json
    .venv/bin/python -m benchmarks.scale --sizes 100k --full      # 100k with every sentence embedded
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from benchmarks.common import machine_info, machine_line, write_json
from benchmarks.scale_build import SEED, SIZES, LookupEmbeddings, TimedEmbeddings, build, generate, incremental
from benchmarks.scale_probe import run_probe
from benchmarks.scale_report import report


# --- one size --------------------------------------------------------------------------------

def _embeddings_for(size: str, gen, model, pool: bool, result: dict, log):
    """Timed real embeddings; in pool mode, the pool embedded now (timed) and looked up by text."""
    if not pool:
        return TimedEmbeddings(model)
    texts = gen.sentence_pool()
    t0 = time.perf_counter()
    vectors = model.embed_array(texts)
    pool_s = time.perf_counter() - t0
    result["pool"] = {"distinct_sentences": len(texts), "embed_s": pool_s, "sentences_per_s": len(texts) / pool_s}
    log(f"[{size}] embedded the pool: {len(texts)} sentences in {pool_s:.1f} s ({len(texts) / pool_s:.0f}/s)")
    return LookupEmbeddings(texts, vectors, model)


def _embed_rates(b: dict, embeddings, result: dict) -> None:
    """The build's embedding rate; in pool mode, its embedding time estimated from the pool's rate."""
    if "pool" not in result:
        b["embed_rate_sentences_per_s"] = embeddings.texts / embeddings.seconds if embeddings.seconds else None
        return
    rate = result["pool"]["sentences_per_s"]
    b["embed_lookup_s"] = b["embed_s"]
    b["embed_s_estimated"] = b["sentences"] / rate
    b["missing_from_pool"] = embeddings.missing
    b["embed_rate_sentences_per_s"] = rate
    b["total_s_estimated"] = b["total_s"] - b["embed_s"] + b["embed_s_estimated"]


def run_size(size: str, model, workroot: Path, n_questions: int, pool: bool, do_incremental: bool,
             sizes=SIZES, log=print) -> dict:
    """Generate, build, probe (and for one size re-index incrementally) one corpus size."""
    workdir = workroot / size
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    t0 = time.perf_counter()
    gen, docs, corpus_dir = generate(size, workdir, pool, sizes=sizes)
    result = {"size": size, "mode": "pool" if pool else "full", "generate_s": time.perf_counter() - t0}
    log(f"[{size}] generated {len(docs)} documents in {result['generate_s']:.1f} s ({'pool' if pool else 'full'} mode)")
    embeddings = _embeddings_for(size, gen, model, pool, result, log)
    index_dir = workdir / "index"
    b = result["build"] = build(corpus_dir, index_dir, embeddings)
    _embed_rates(b, embeddings, result)
    log(f"[{size}] built: {b['passages']} passages, {b['sentences']} sentences, {b['vector_index']}, "
        f"{b['total_s']:.1f} s, {b['disk_bytes'] / 2**20:.0f} MiB on disk")
    questions = [asdict(q) for q in gen.questions(docs, n_questions)]
    del docs
    gc.collect()
    p = result["probe"] = run_probe(corpus_dir, index_dir, questions, workdir)
    log(f"[{size}] probe: ask p50 {p['ask']['p50_ms']:.1f} ms p95 {p['ask']['p95_ms']:.1f} ms, "
        f"RSS {p['rss_after_queries_mb']:.0f} MiB")
    if do_incremental:
        inc_emb = TimedEmbeddings(model)
        result["incremental"] = incremental(gen, corpus_dir, index_dir, inc_emb, sizes[size][1])
        result["incremental"]["embed_s"] = inc_emb.seconds
        log(f"[{size}] incremental: {result['incremental']}")
    return result


def _reprobe(args, sizes_filter: list[str]) -> int:
    """Probe the kept indexes again and update the JSON."""
    data = json.loads(args.reprobe.read_text(encoding="utf-8"))
    workroot = args.workdir or Path(data["workdir"])
    for r in data["results"]:
        if sizes_filter and r["size"] not in sizes_filter:
            continue
        folder = workroot / r["size"]
        questions = json.loads((folder / "questions.json").read_text(encoding="utf-8"))
        print(f"[{r['size']}] probing again ...", file=sys.stderr, flush=True)
        r["probe"] = run_probe(folder / "corpus", folder / "index", questions, folder)
        r["reprobed_at"] = time.strftime("%Y-%m-%d %H:%M:%S")
    data["machine_reprobe"] = machine_info()
    write_json(args.json_path or args.reprobe, data)
    print(machine_line(data["machine_reprobe"]) + "\n")
    print(report(data["results"], data.get("model_load_s")))
    return 0


def _measure(args, sizes: list[str]) -> int:
    """Load the model, run every size, print the tables (and write the JSON)."""
    from qa.search.embeddings import MiniLMEmbeddings
    from qa.settings import Settings

    info = machine_info()
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    log(machine_line(info))
    t0 = time.perf_counter()
    model = MiniLMEmbeddings(cache_dir=Settings.get("cache_dir"))
    model.sentence_transformer()
    model.warm_up()
    model_load_s = time.perf_counter() - t0
    workroot = args.workdir or Path(tempfile.mkdtemp(prefix="qa-scale-"))
    results = []
    try:
        for size in sizes:
            pool = size == "100k" and not args.full
            results.append(run_size(size, model, workroot, args.questions, pool, do_incremental=size == "10k",
                                    log=log))
    finally:
        if not args.workdir:
            shutil.rmtree(workroot, ignore_errors=True)
    print()
    print(machine_line(info))
    print(f"Synthetic corpus: benchmarks/synthetic.py, seed {SEED}; documents of 100 Markdown sections, one passage "
          f"each (3-6 sentences, ~90 characters per sentence). Real model: all-MiniLM-L6-v2 on CPU. Latencies are "
          f"warm, in a fresh process per size, {args.questions} questions x 2 passes after 20 warm-up questions.\n")
    print(report(results, model_load_s))
    if args.json_path:
        write_json(args.json_path, {"machine": info, "seed": SEED, "model_load_s": model_load_s, "results": results,
                                    "workdir": str(workroot) if args.workdir else None})
        print(f"\nWrote {args.json_path}")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1k,10k,100k", help="comma-separated, from 1k,10k,100k")
    p.add_argument("--questions", type=int, default=200, help="synthetic questions per size (default 200)")
    p.add_argument("--full", action="store_true", help="embed every sentence at 100k too (no pool; ~1 h on 2 cores)")
    p.add_argument("--workdir", type=Path, help="keep the corpora and indexes here (default: a temp folder, deleted)")
    p.add_argument("--json", dest="json_path", help="also write every number to this JSON file")
    p.add_argument("--reprobe", type=Path, help="probe the indexes kept in --workdir (or the JSON's workdir) "
                   "again, e.g. on a quieter machine, and update that JSON (or --json)")
    p.add_argument("--report-from", type=Path, help="print the tables of a JSON file written by --json, and exit")
    args = p.parse_args(argv)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if args.reprobe:
        return _reprobe(args, sizes if args.sizes != "1k,10k,100k" else [])
    if args.report_from:
        data = json.loads(args.report_from.read_text(encoding="utf-8"))
        print(machine_line(data["machine"]) + "\n")
        print(report(data["results"], data.get("model_load_s")))
        return 0
    unknown = set(sizes) - set(SIZES)
    if unknown:
        p.error(f"unknown size(s) {sorted(unknown)}; choose from {list(SIZES)}")
    return _measure(args, sizes)


if __name__ == "__main__":
    sys.exit(main())
