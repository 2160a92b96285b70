"""The index in Milvus Lite beside the local FAISS index, at 10k and 100k passages, in one run.

Both sizes use the scale benchmark's synthetic corpus in **pool mode** (``benchmarks/synthetic.py``,
seed 20261126; see ``benchmarks/README.md``): the ~48k distinct sentences of the 100k corpus are
embedded once with the real model (kept in ``--workdir`` as ``pool.npy``, so a second run skips
it), and both corpora look their vectors up by text. For each size, from the same corpus and
the same vectors:

1. FAISS: ``build_index`` + ``save_index`` (phases timed), then :mod:`benchmarks.scale_probe` in a
   fresh process;
2. Milvus Lite: ``MilvusStore.open_or_build`` into ``milvus.db`` (embedding lookup, then the
   engine's inserts, flushes and index builds), then :mod:`benchmarks.scale_milvus_probe` in a fresh
   process (the engine runs inside it).

Build time excludes embedding, which both share (the table gives the embedding rate apart).

    .venv/bin/python -m benchmarks.scale_milvus --workdir /tmp/qa-milvus --json docs/results/scale-milvus.json
    .venv/bin/python -m benchmarks.scale_milvus --report-from docs/results/scale-milvus.json --write-docs docs/scaling.md
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import re
import shutil
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from benchmarks.common import folder_bytes, machine_info, machine_line, table, write_json
from benchmarks.scale_build import POOL_PER_TOPIC, POOL_TOPICS, SEED, SIZES, LookupEmbeddings, build, generate
from benchmarks.synthetic import Generator
from benchmarks.scale_milvus_probe import run_probe as run_milvus_probe
from benchmarks.scale_probe import run_probe as run_faiss_probe

MILVUS_SIZES = ("10k", "100k")
DOCS_BEGIN, DOCS_END = "<!-- begin: milvus-scale (benchmarks/scale_milvus.py) -->", "<!-- end: milvus-scale -->"


def pool_vectors(workroot: Path, model, log) -> tuple[list[str], np.ndarray, dict]:
    """The distinct sentences of the 100k pool-mode corpus and their real vectors (cached)."""
    gen = Generator(seed=SEED, n_topics=POOL_TOPICS, pool_per_topic=POOL_PER_TOPIC)
    gen.documents(*SIZES["100k"])
    texts = gen.sentence_pool()
    key = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:16]
    cache = workroot / f"pool-{key}.npy"
    if cache.exists():
        vectors = np.load(cache, allow_pickle=False)
        return texts, vectors, json.loads((workroot / f"pool-{key}.json").read_text(encoding="utf-8"))
    t0 = time.perf_counter()
    vectors = model.embed_array(texts)
    info = {"distinct_sentences": len(texts), "embed_s": time.perf_counter() - t0}
    info["sentences_per_s"] = len(texts) / info["embed_s"]
    np.save(cache, vectors, allow_pickle=False)
    (workroot / f"pool-{key}.json").write_text(json.dumps(info), encoding="utf-8")
    log(f"embedded the pool: {len(texts)} sentences in {info['embed_s']:.0f} s")
    return texts, vectors, info


def build_milvus(corpus_dir: Path, db: Path, embeddings) -> dict:
    """``MilvusStore.open_or_build`` into a fresh Milvus Lite folder; phases timed."""
    from qa.ingest.corpus import load_corpus
    from qa.search.stores import open_store

    marks = {}

    def progress(done, total):
        marks.setdefault("embed_start", time.perf_counter())
        marks["embed_end"] = time.perf_counter()

    t0 = time.perf_counter()
    corpus = load_corpus(corpus_dir)
    store = open_store(f"milvus-lite:{db}", timeout=60)
    index, report = store.open_or_build(corpus, embeddings, rebuild="always", progress=progress)
    t_end = time.perf_counter()
    out = {**index.stats, "action": report.action, "load_corpus_s": marks["embed_start"] - t0,
           "embed_lookup_s": marks["embed_end"] - marks["embed_start"],
           "engine_write_s": t_end - marks["embed_end"], "total_s": t_end - t0}
    store.close()
    from milvus_lite.server_manager import server_manager_instance

    server_manager_instance.release_server(str(db))   # the probe process opens it next
    out["disk_bytes"] = folder_bytes(db)
    return out


def run_size(size: str, workroot: Path, lookup: LookupEmbeddings, n_questions: int, log) -> dict:
    workdir = workroot / size
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    gen, docs, corpus_dir = generate(size, workdir, pool=True)
    questions = [asdict(q) for q in gen.questions(docs, n_questions)]
    del docs
    qfile = workdir / "questions.json"
    qfile.write_text(json.dumps(questions), encoding="utf-8")
    result = {"size": size, "mode": "pool"}
    faiss_build = build(corpus_dir, workdir / "index", lookup)
    faiss_build["index_s"] = faiss_build["chunk_s"] + faiss_build["bm25_faiss_s"] + faiss_build["save_s"]
    log(f"[{size}] FAISS built: {faiss_build['sentences']} sentences, index+save {faiss_build['index_s']:.1f} s")
    result["faiss"] = {"build": faiss_build, "probe": run_faiss_probe(corpus_dir, workdir / "index", questions,
                                                                      workdir)}
    gc.collect()
    milvus_build = build_milvus(corpus_dir, workdir / "milvus.db", lookup)
    log(f"[{size}] Milvus Lite built: engine write {milvus_build['engine_write_s']:.1f} s")
    result["milvus"] = {"build": milvus_build, "probe": run_milvus_probe(
        f"milvus-lite:{workdir / 'milvus.db'}", corpus_dir, qfile, workdir / "index", workdir / "milvus-probe.json")}
    log(f"[{size}] Milvus probe: ask p50 {result['milvus']['probe']['ask']['p50_ms']:.1f} ms")
    return result


def _faiss_recall(probe: dict) -> tuple[str, float]:
    h = probe["hnsw"]
    if not h["production_index"]:
        return "exact (flat)", 1.0
    row = next(s for s in h["sweep"] if s["ef_search"] == h["ef_search_default"])
    return f"HNSW ef={row['ef_search']}", row["recall_at_10_tie_aware"]


def report(data: dict) -> str:
    """The side-by-side table (Markdown) and its notes."""
    rows = []
    for r in data["results"]:
        for name in ("faiss", "milvus"):
            b, p = r[name]["build"], r[name]["probe"]
            index_s = b["index_s"] if name == "faiss" else b["engine_write_s"]
            kind, recall = _faiss_recall(p) if name == "faiss" else (
                f"{p['recall']['kind'].upper() if p['recall']['kind'] == 'hnsw' else 'FLAT'}"
                + (f" ef={p['recall']['ef_search']}" if p['recall']['ef_search'] else ""),
                p["recall"]["recall_at_10_tie_aware"])
            qps = p.get("throughput_qps", {})
            rows.append([r["size"], "FAISS (in process)" if name == "faiss" else "Milvus Lite (in process)",
                         f"{b['passages']:,} / {b['sentences']:,}", kind,
                         f"{index_s:.1f} s", f"{b['sentences'] / index_s:,.0f}",
                         f"{p['ask']['p50_ms']:.1f} / {p['ask']['p95_ms']:.1f}",
                         f"{p['search']['p50_ms']:.1f} / {p['search']['p95_ms']:.1f}", f"{recall:.3f}",
                         f"{p['hit_at_4']:.2f}", f"{p['rss_after_load_mb']:.0f} / {p['peak_rss_mb']:.0f} MiB",
                         f"{b['disk_bytes'] / 2**20:.0f} MiB", f"{p['load_s']:.1f} s",
                         " / ".join(f"{qps[w]:.0f}" for w in sorted(qps)), f"{p['loadavg_during_queries']:.1f}"])
    head = ["passages", "index", "passages / sentences", "vector search", "build (excl. embedding)",
            "build sentences/s", "ask p50 / p95 ms", "retrieve p50 / p95 ms", "recall@10 vs exact (tie-aware)",
            "hit@4", "RSS after load / peak", "disk", "load", "questions/s 1 / 2 threads", "load avg"]
    pool = data["pool"]
    notes = [f"\n{machine_line(data['machine'])}. Pool mode at both sizes: {pool['distinct_sentences']:,} distinct "
             f"sentences embedded once with the real model ({pool['sentences_per_s']:.0f} sentences/s, shared by "
             f"both indexes); {data['questions']} synthetic questions x 2 passes per size, warm, fresh process per "
             "index. Recall is tie-aware (pool sentences repeat, so many vectors are identical). Build excludes "
             "embedding: for FAISS it is chunking + BM25 + FAISS + save, for Milvus Lite the inserts, flushes, "
             "index builds and the final count (chunking, a few seconds at 100k, not counted). Milvus Lite runs "
             "inside the measured process, so its RSS includes the engine."]
    return table(rows, head) + "\n" + "\n".join(notes)


def write_docs(path: Path, text: str) -> None:
    """Put ``text`` between the milvus-scale markers of ``path``."""
    doc = path.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(DOCS_BEGIN) + ".*?" + re.escape(DOCS_END), re.S)
    if not pattern.search(doc):
        raise SystemExit(f"{path} has no {DOCS_BEGIN} ... {DOCS_END} section")
    path.write_text(pattern.sub(lambda _: f"{DOCS_BEGIN}\n{text}\n{DOCS_END}", doc), encoding="utf-8")


def measure(args) -> dict:
    from qa.search.embeddings import MiniLMEmbeddings
    from qa.settings import Settings

    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    info = machine_info()
    log(machine_line(info))
    workroot = args.workdir
    workroot.mkdir(parents=True, exist_ok=True)
    model = MiniLMEmbeddings(cache_dir=Settings.get("cache_dir"))
    texts, vectors, pool = pool_vectors(workroot, model, log)
    lookup = LookupEmbeddings(texts, vectors, model)
    results = [run_size(size, workroot, lookup, args.questions, log) for size in args.sizes.split(",")]
    return {"machine": info, "seed": SEED, "pool": pool, "questions": args.questions, "results": results,
            "missing_from_pool": lookup.missing, "sizes": {s: SIZES[s] for s in args.sizes.split(",")}}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default=",".join(MILVUS_SIZES))
    p.add_argument("--questions", type=int, default=200)
    p.add_argument("--workdir", type=Path, default=Path("/tmp/qa-scale-milvus"))
    p.add_argument("--json", dest="json_path", type=Path, help="write every number to this JSON file")
    p.add_argument("--report-from", type=Path, help="print the table of a JSON file written by --json")
    p.add_argument("--write-docs", type=Path, help="also put the table into this Markdown file (docs/scaling.md)")
    args = p.parse_args(argv)
    data = json.loads(args.report_from.read_text(encoding="utf-8")) if args.report_from else measure(args)
    if args.json_path and not args.report_from:
        write_json(args.json_path, data)
    text = report(data)
    print(text)
    if args.write_docs:
        write_docs(args.write_docs, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
