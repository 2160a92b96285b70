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
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from benchmarks.common import ROOT, folder_bytes, machine_info, machine_line, rss_mb, summarize_ms, table, write_json
from benchmarks.synthetic import Generator, write_corpus
from qa.eval.metrics import contains
from qa.search.embeddings import ArrayEmbeddings, as_unit_rows

SIZES = {"1k": (10, 100), "10k": (100, 100), "100k": (1000, 100)}  # (documents, passages per document)
POOL_TOPICS, POOL_PER_TOPIC = 4000, 12
SEED = 20261126
EF_SWEEP = (16, 32, 64, 128, 256)


# --- embeddings wrappers ----------------------------------------------------------------------

class TimedEmbeddings(ArrayEmbeddings):
    """Delegates to a real model; counts texts and seconds spent embedding."""

    def __init__(self, inner: ArrayEmbeddings):
        self.inner = inner
        self.model_info = inner.model_info
        self.seconds = 0.0
        self.texts = 0

    def embed_array(self, texts):
        t0 = time.perf_counter()
        out = self.inner.embed_array(texts)
        self.seconds += time.perf_counter() - t0
        self.texts += len(texts)
        return out

    def query_array(self, text):
        return self.inner.query_array(text)


class LookupEmbeddings(ArrayEmbeddings):
    """Vectors computed beforehand by the real model, looked up by exact text (pool mode).
    A text missing from the table is embedded by ``fallback`` and counted."""

    def __init__(self, texts: list[str], vectors: np.ndarray, fallback: ArrayEmbeddings):
        self.row = {t: i for i, t in enumerate(texts)}
        self.vectors = as_unit_rows(vectors)
        self.fallback = fallback
        self.model_info = fallback.model_info
        self.missing = 0

    def embed_array(self, texts):
        rows = [self.row.get(t, -1) for t in texts]
        out = self.vectors[np.maximum(rows, 0)].copy()
        miss = [i for i, r in enumerate(rows) if r < 0]
        if miss:
            self.missing += len(miss)
            out[miss] = self.fallback.embed_array([texts[i] for i in miss])
        return out

    def query_array(self, text):
        return self.fallback.query_array(text)


# --- building -------------------------------------------------------------------------------

def generate(size: str, workdir: Path, pool: bool, seed: int = SEED, sizes=SIZES):
    n_docs, per_doc = sizes[size]
    gen = Generator(seed=seed, n_topics=POOL_TOPICS, pool_per_topic=POOL_PER_TOPIC) if pool else Generator(seed=seed)
    docs = gen.documents(n_docs, per_doc)
    corpus_dir = write_corpus(workdir / "corpus", docs)
    return gen, docs, corpus_dir


def build(corpus_dir: Path, index_dir: Path, embeddings: ArrayEmbeddings, settings=None) -> dict:
    """Load, chunk, embed, BM25 + FAISS, save; seconds of each phase."""
    from qa.ingest.corpus import load_corpus
    from qa.search.index import IndexSettings, build_index
    from qa.search.storage import save_index

    settings = settings or IndexSettings()
    marks = {}

    def progress(done, total):
        now = time.perf_counter()
        marks.setdefault("embed_start", now)
        marks["embed_end"] = now

    t0 = time.perf_counter()
    corpus = load_corpus(corpus_dir)
    t_loaded = time.perf_counter()
    index, _ = build_index(corpus, embeddings, settings, progress=progress)
    t_built = time.perf_counter()
    save_index(index, index_dir)
    t_saved = time.perf_counter()
    gen_dir = index_dir / (index_dir / "CURRENT").read_text().strip()
    files = {p.relative_to(gen_dir).as_posix(): p.stat().st_size for p in gen_dir.rglob("*") if p.is_file()}
    out = {
        "documents": len(corpus.documents), "passages": len(index.passages), "sentences": len(index.sentences),
        "vector_index": index.kind, "load_corpus_s": t_loaded - t0,
        "chunk_s": marks["embed_start"] - t_loaded,
        "embed_s": marks["embed_end"] - marks["embed_start"],
        "bm25_faiss_s": t_built - marks["embed_end"],
        "save_s": t_saved - t_built,
        "total_s": t_saved - t0,
        "disk_bytes": sum(files.values()),
        "disk": {"vectors.faiss": files.get("vectors.faiss", 0),
                 "json (documents, passages, sentences, manifest)": sum(v for k, v in files.items() if k.endswith(".json") and "/" not in k),
                 "bm25/": sum(v for k, v in files.items() if k.startswith("bm25/"))},
        "corpus_bytes": folder_bytes(corpus_dir),
    }
    del index, corpus
    gc.collect()
    return out


def incremental(gen: Generator, corpus_dir: Path, index_dir: Path, embeddings, per_doc: int, doc: int = 0,
                revert: bool = True) -> dict:
    """Replace document ``doc`` by an edited version and update the index in place
    (then, with ``revert``, put the original back and update again, untimed)."""
    from qa.ingest.corpus import load_corpus
    from qa.search.lifecycle import open_or_build_index

    edited = gen.document(doc, per_doc, variant=1)
    path = corpus_dir / edited.source
    original = path.read_bytes()
    path.write_text(edited.text, encoding="utf-8")
    t0 = time.perf_counter()
    corpus = load_corpus(corpus_dir)
    index, report = open_or_build_index(corpus, index_dir, embeddings, rebuild="auto")
    seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    _, again = open_or_build_index(load_corpus(corpus_dir), index_dir, embeddings, rebuild="auto")
    unchanged_s = time.perf_counter() - t1
    out = {"action": report.action, "seconds": seconds, "embedded_sentences": report.embedded_sentences,
           "reused_sentences": report.reused_sentences, "passages": len(index.passages),
           "edited_document": edited.source, "edited_passages": len(edited.passages),
           "reopen_unchanged_action": again.action, "reopen_unchanged_s": unchanged_s}
    if revert:
        path.write_bytes(original)
        del index
        index, _ = open_or_build_index(load_corpus(corpus_dir), index_dir, embeddings, rebuild="auto")
    del index
    gc.collect()
    return out


# --- the probe (a fresh process) -------------------------------------------------------------

def recall_sweep(vectors: np.ndarray, queries: np.ndarray, hnsw, k: int = 10, efs=EF_SWEEP) -> list[dict]:
    """Recall@k of ``hnsw`` against exact inner-product search, per ``efSearch``; per-query latency."""
    import faiss

    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    t0 = time.perf_counter()
    for q in queries:
        exact.search(q[None, :], k)
    exact_ms = (time.perf_counter() - t0) * 1000 / len(queries)
    d_exact, i_exact = exact.search(queries, k)
    d_exact40, i_exact40 = exact.search(queries, 40)
    kth = d_exact[:, k - 1]
    saved = hnsw.hnsw.efSearch
    out = []
    try:
        for ef in efs:
            hnsw.hnsw.efSearch = ef
            lat = []
            for q in queries:
                t0 = time.perf_counter()
                hnsw.search(q[None, :], k)
                lat.append(time.perf_counter() - t0)
            d, i = hnsw.search(queries, k)
            by_id = np.mean([len(set(a) & set(b)) / k for a, b in zip(i.tolist(), i_exact.tolist())])
            tie = np.mean([min(k, int((row >= t - 1e-5).sum())) / k for row, t in zip(d, kth)])
            d40, i40 = hnsw.search(queries, 40)
            by_id40 = np.mean([len(set(a) & set(b)) / 40 for a, b in zip(i40.tolist(), i_exact40.tolist())])
            tie40 = np.mean([min(40, int((row >= t - 1e-5).sum())) / 40 for row, t in zip(d40, d_exact40[:, 39])])
            out.append({"ef_search": ef, "recall_at_10": float(by_id), "recall_at_10_tie_aware": float(tie),
                        "recall_at_40": float(by_id40), "recall_at_40_tie_aware": float(tie40),
                        **{f"search_{k_}": v for k_, v in summarize_ms(lat).items() if k_ in ("p50_ms", "p95_ms")},
                        "exact_search_mean_ms": exact_ms})
    finally:
        hnsw.hnsw.efSearch = saved
    return out


def throughput(ask, questions: list, workers: int) -> float:
    """Questions answered per second by ``workers`` threads sharing one Answerer."""
    from concurrent.futures import ThreadPoolExecutor

    t0 = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(ask, questions))
    return len(questions) / (time.perf_counter() - t0)


def peak_rss_mb() -> float:
    """High-water RSS of this process (VmHWM; unlike ru_maxrss it is not inherited across exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def distinct_rows(vectors: np.ndarray) -> int:
    """How many different vectors (compared through a random projection, to 1e-6)."""
    if len(vectors) == 0:
        return 0
    r = np.random.default_rng(0).standard_normal(vectors.shape[1]).astype(np.float32)
    return int(len(np.unique(np.round(vectors @ r, 6))))


def probe(corpus_dir: Path, index_dir: Path, questions: list[dict], passes: int = 2, warmup: int = 20,
          recall_queries: int = 200, embeddings: ArrayEmbeddings | None = None) -> dict:
    """Runs in a fresh process: load, memory, warm latency, hit@4, HNSW recall.
    ``embeddings``: the query model (default: ``MiniLMEmbeddings``, ONNX for questions)."""
    out = {"rss_start_mb": rss_mb()}
    t0 = time.perf_counter()
    from qa.app.api import Answerer
    from qa.search.embeddings import MiniLMEmbeddings
    from qa.search.index import IndexSettings, make_vector_index

    out["import_s"] = time.perf_counter() - t0
    out["rss_after_imports_mb"] = rss_mb()
    t0 = time.perf_counter()
    emb = embeddings or MiniLMEmbeddings()
    bot = Answerer.from_corpus(corpus_dir, index_dir, embeddings=emb, rebuild="never")
    out["load_s"] = time.perf_counter() - t0
    out["rss_after_load_mb"] = rss_mb()
    out["stats"] = bot.stats
    t0 = time.perf_counter()
    for q in questions[:warmup]:
        bot.ask(q["question"])
    out["warmup_s"] = time.perf_counter() - t0
    out["rss_after_warmup_mb"] = rss_mb()
    out["sentence_transformers_imported"] = "sentence_transformers" in sys.modules

    search_t, ask_t, hits, correct = [], [], [], []
    for p in range(passes):
        for q in questions:
            t0 = time.perf_counter()
            docs = bot.retriever.search(q["question"])
            search_t.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            a = bot.ask(q["question"])
            ask_t.append(time.perf_counter() - t0)
            if p == 0:
                hits.append(any(q["sentence"] in d.page_content for d in docs))
                correct.append(contains(a.text, q["answer"]) and not a.abstained)
    out["search"] = summarize_ms(search_t)
    out["ask"] = summarize_ms(ask_t)
    out["hit_at_4"] = sum(hits) / len(hits)
    out["answer_accuracy"] = sum(correct) / len(correct)
    out["loadavg_during_queries"] = os.getloadavg()[0]
    out["throughput_qps"] = {str(w): throughput(lambda q: bot.ask(q["question"]), questions, w) for w in (1, 2)}
    out["rss_after_queries_mb"] = rss_mb()
    out["peak_rss_mb"] = peak_rss_mb()

    # recall of HNSW against exact search, over the same vectors
    index = bot.index
    vectors = index.all_sentence_vectors()
    qv = np.stack([emb.query_array(q["question"]) for q in questions[:recall_queries]])
    if index.kind == "hnsw":
        hnsw, hnsw_build_s = index.vectors, None
    else:
        t0 = time.perf_counter()
        hnsw = make_vector_index(vectors, IndexSettings(hnsw_threshold=0))
        hnsw_build_s = time.perf_counter() - t0
    settings = IndexSettings()
    out["hnsw"] = {"production_index": index.kind == "hnsw", "vectors": int(vectors.shape[0]),
                   "distinct_vectors": distinct_rows(vectors),
                   "m": settings.hnsw_m, "ef_construction": settings.hnsw_ef_construction,
                   "ef_search_default": settings.hnsw_ef_search, "build_s_in_probe": hnsw_build_s,
                   "queries": int(len(qv)), "sweep": recall_sweep(vectors, qv, hnsw)}
    return out


def run_probe(corpus_dir: Path, index_dir: Path, questions: list[dict], workdir: Path, timeout: float = 3600) -> dict:
    qfile = workdir / "questions.json"
    rfile = workdir / "probe.json"
    qfile.write_text(json.dumps(questions), encoding="utf-8")
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    proc = subprocess.run([sys.executable, "-m", "benchmarks.scale", "--probe", str(corpus_dir), str(index_dir),
                           str(qfile), str(rfile)], capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"probe failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    return json.loads(rfile.read_text())


# --- one size --------------------------------------------------------------------------------

def run_size(size: str, model, workroot: Path, n_questions: int, pool: bool, do_incremental: bool,
             sizes=SIZES, log=print) -> dict:
    workdir = workroot / size
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    t0 = time.perf_counter()
    gen, docs, corpus_dir = generate(size, workdir, pool, sizes=sizes)
    result = {"size": size, "mode": "pool" if pool else "full", "generate_s": time.perf_counter() - t0}
    log(f"[{size}] generated {len(docs)} documents in {result['generate_s']:.1f} s ({'pool' if pool else 'full'} mode)")
    if pool:
        texts = gen.sentence_pool()
        t0 = time.perf_counter()
        vectors = model.embed_array(texts)
        pool_s = time.perf_counter() - t0
        result["pool"] = {"distinct_sentences": len(texts), "embed_s": pool_s, "sentences_per_s": len(texts) / pool_s}
        log(f"[{size}] embedded the pool: {len(texts)} sentences in {pool_s:.1f} s ({len(texts) / pool_s:.0f}/s)")
        embeddings = LookupEmbeddings(texts, vectors, model)
    else:
        embeddings = TimedEmbeddings(model)
    index_dir = workdir / "index"
    b = build(corpus_dir, index_dir, embeddings)
    if pool:
        rate = result["pool"]["sentences_per_s"]
        b["embed_lookup_s"] = b["embed_s"]
        b["embed_s_estimated"] = b["sentences"] / rate
        b["missing_from_pool"] = embeddings.missing
        b["embed_rate_sentences_per_s"] = rate
        b["total_s_estimated"] = b["total_s"] - b["embed_s"] + b["embed_s_estimated"]
    else:
        b["embed_rate_sentences_per_s"] = embeddings.texts / embeddings.seconds if embeddings.seconds else None
    result["build"] = b
    log(f"[{size}] built: {b['passages']} passages, {b['sentences']} sentences, {b['vector_index']}, "
        f"{b['total_s']:.1f} s, {b['disk_bytes'] / 2**20:.0f} MiB on disk")
    questions = [asdict(q) for q in gen.questions(docs, n_questions)]
    del docs
    gc.collect()
    result["probe"] = run_probe(corpus_dir, index_dir, questions, workdir)
    p = result["probe"]
    log(f"[{size}] probe: ask p50 {p['ask']['p50_ms']:.1f} ms p95 {p['ask']['p95_ms']:.1f} ms, "
        f"RSS {p['rss_after_queries_mb']:.0f} MiB")
    if do_incremental:
        inc_emb = TimedEmbeddings(model)
        result["incremental"] = incremental(gen, corpus_dir, index_dir, inc_emb, sizes[size][1])
        result["incremental"]["embed_s"] = inc_emb.seconds
        log(f"[{size}] incremental: {result['incremental']}")
    return result


# --- report -----------------------------------------------------------------------------------

def report(results: list[dict], model_load_s: float | None = None) -> str:
    lines = []
    rows = []
    for r in results:
        b, p = r["build"], r["probe"]
        est = "embed_s_estimated" in b
        embed_s = b.get("embed_s_estimated", b["embed_s"])
        total = b.get("total_s_estimated", b["total_s"])
        label = r["size"] + (" (pool*)" if r["mode"] == "pool" else "")
        rows.append([
            label, f"{b['passages']:,} / {b['sentences']:,}", p["stats"]["vector_index"],
            f"{b['embed_rate_sentences_per_s']:.0f}",
            f"{'~' if est else ''}{embed_s:.0f} s",
            f"{b['chunk_s'] + b['bm25_faiss_s'] + b['load_corpus_s']:.1f} s + save {b['save_s']:.1f} s",
            f"{'~' if est else ''}{b['passages'] / total:.0f} / {b['sentences'] / total:.0f}",
            f"{b['disk_bytes'] / 2**20:.0f} MiB",
            f"{p['rss_after_load_mb']:.0f} / {p['rss_after_queries_mb']:.0f} MiB",
            f"{p['search']['p50_ms']:.1f} / {p['search']['p95_ms']:.1f}",
            f"{p['ask']['p50_ms']:.1f} / {p['ask']['p95_ms']:.1f}",
            f"{p['hit_at_4']:.2f}",
        ])
    lines.append(table(rows, ["passages", "passages / sentences", "FAISS", "embed sent/s", "embed time",
                              "chunk+load+BM25+FAISS", "build passages/s / sentences/s", "disk",
                              "RSS load / after queries", "retrieve p50/p95 ms", "ask p50/p95 ms", "hit@4"]))
    if any(r["mode"] == "pool" for r in results):
        pr = next(r for r in results if r["mode"] == "pool")
        lines.append(f"\n* pool mode: the {pr['size']} corpus is composed from {pr['pool']['distinct_sentences']:,} "
                     f"distinct sentences, embedded with the real model ({pr['pool']['embed_s']:.0f} s, "
                     f"{pr['pool']['sentences_per_s']:.0f} sentences/s); the index build looked their vectors up by text "
                     f"(every vector is a real model output). Embedding time and build throughput marked ~ are "
                     f"estimated as sentences / that measured rate.")
    if model_load_s is not None:
        lines.append(f"Model load for building (sentence-transformers, once per process): {model_load_s:.1f} s. "
                     "The query processes never load it (ONNX query encoder).")
    rec_rows = []
    for r in results:
        h = r["probe"]["hnsw"]
        for s in h["sweep"]:
            rec_rows.append([r["size"], f"{h['vectors']:,} ({h['distinct_vectors']:,} distinct)",
                             "yes" if h["production_index"] else "no (built for this check)",
                             str(s["ef_search"]) + (" (default)" if s["ef_search"] == h["ef_search_default"] else ""),
                             f"{s['recall_at_10']:.3f}", f"{s['recall_at_10_tie_aware']:.3f}",
                             f"{s['recall_at_40_tie_aware']:.3f}",
                             f"{s['search_p50_ms']:.2f} / {s['search_p95_ms']:.2f}",
                             f"{s['exact_search_mean_ms']:.2f}"])
    lines.append("\nHNSW (M=32, efConstruction=100) against exact search (faiss.IndexFlatIP over the same vectors), "
                 f"{results[0]['probe']['hnsw']['queries']} questions:\n")
    lines.append(table(rec_rows, ["passages", "vectors", "HNSW in production at this size", "efSearch",
                                  "recall@10", "recall@10 tie-aware", "recall@40 tie-aware",
                                  "HNSW search p50/p95 ms", "exact search mean ms"]))
    for r in results:
        if "incremental" in r:
            i = r["incremental"]
            lines.append(f"\nIncremental re-index ({r['size']} passages, {r['build']['documents']} documents): "
                         f"{i['edited_document']} replaced by an edited version ({i['edited_passages']} passages) -> "
                         f"'{i['action']}' in {i['seconds']:.1f} s (embedding {i['embed_s']:.1f} s): "
                         f"{i['embedded_sentences']:,} sentences embedded, {i['reused_sentences']:,} reused "
                         f"(full build: {r['build']['sentences']:,} embedded in {r['build'].get('total_s_estimated', r['build']['total_s']):.0f} s). "
                         f"Opening it again unchanged: '{i['reopen_unchanged_action']}' in {i['reopen_unchanged_s']:.1f} s.")
    mem_rows = []
    for r in results:
        p = r["probe"]
        qps = p.get("throughput_qps", {})
        mem_rows.append([r["size"], f"{p['rss_after_imports_mb']:.0f}", f"{p['rss_after_load_mb']:.0f}",
                         f"{p['rss_after_warmup_mb']:.0f}", f"{p['peak_rss_mb']:.0f}", f"{p['load_s']:.1f} s",
                         "yes" if p["sentence_transformers_imported"] else "no",
                         " / ".join(f"{qps[w]:.0f}" for w in sorted(qps)) or "-",
                         f"{p['loadavg_during_queries']:.1f}" if "loadavg_during_queries" in p else "-"])
    lines.append("\nThe query process (fresh, one per size): memory (psutil RSS, MiB), load time, throughput:\n")
    lines.append(table(mem_rows, ["passages", "after imports", "after load", "after first questions",
                                  "peak (VmHWM)", "load time", "sentence-transformers loaded",
                                  "questions/s, 1 / 2 threads", "load average (2 cores)"]))
    return "\n".join(lines)


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
    p.add_argument("--probe", nargs=4, metavar=("CORPUS", "INDEX", "QUESTIONS", "OUT"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    if args.probe:
        corpus, index, qfile, out = args.probe
        result = probe(Path(corpus), Path(index), json.loads(Path(qfile).read_text()))
        Path(out).write_text(json.dumps(result), encoding="utf-8")
        return 0

    sizes_filter = [s.strip() for s in args.sizes.split(",") if s.strip()] if args.sizes != "1k,10k,100k" else []
    if args.reprobe:
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
    if args.report_from:
        data = json.loads(args.report_from.read_text(encoding="utf-8"))
        print(machine_line(data["machine"]) + "\n")
        print(report(data["results"], data.get("model_load_s")))
        return 0

    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = set(sizes) - set(SIZES)
    if unknown:
        p.error(f"unknown size(s) {sorted(unknown)}; choose from {list(SIZES)}")
    info = machine_info()
    log = lambda m: print(m, file=sys.stderr, flush=True)
    log(machine_line(info))
    from qa.search.embeddings import MiniLMEmbeddings

    t0 = time.perf_counter()
    model = MiniLMEmbeddings()
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


if __name__ == "__main__":
    sys.exit(main())
