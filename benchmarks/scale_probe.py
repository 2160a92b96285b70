"""The query side of the scale benchmark, run in a fresh process per size (``python -m
benchmarks.scale_probe CORPUS INDEX QUESTIONS OUT``): load time, memory, warm latency,
hit@4, answer accuracy, throughput, and HNSW recall against exact search."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.common import ROOT, rss_mb, summarize_ms
from qa.eval.metrics import contains
from qa.search.embeddings import ArrayEmbeddings

EF_SWEEP = (16, 32, 64, 128, 256)
RECALL_DEEP_K = 40   # recall is also measured this deep (the retriever fetches 40 sentences)


def _recall(hnsw, exact, queries: np.ndarray, k: int) -> tuple[float, float]:
    """Recall@k of ``hnsw`` against ``exact``: by id, and tie-aware (a hit counts when its score
    reaches the exact k-th score, so duplicate vectors don't count as misses)."""
    d_exact, i_exact = exact.search(queries, k)
    d, i = hnsw.search(queries, k)
    by_id = np.mean([len(set(a) & set(b)) / k for a, b in zip(i.tolist(), i_exact.tolist())])
    tie = np.mean([min(k, int((row >= t - 1e-5).sum())) / k for row, t in zip(d, d_exact[:, k - 1])])
    return float(by_id), float(tie)


def recall_sweep(vectors: np.ndarray, queries: np.ndarray, hnsw, k: int = 10, efs=EF_SWEEP) -> list[dict]:
    """Recall@k (and @RECALL_DEEP_K) of ``hnsw`` against exact inner-product search, per ``efSearch``;
    per-query latency."""
    import faiss

    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    t0 = time.perf_counter()
    for q in queries:
        exact.search(q[None, :], k)
    exact_ms = (time.perf_counter() - t0) * 1000 / len(queries)
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
            by_id, tie = _recall(hnsw, exact, queries, k)
            by_id_deep, tie_deep = _recall(hnsw, exact, queries, RECALL_DEEP_K)
            out.append({"ef_search": ef, "recall_at_10": by_id, "recall_at_10_tie_aware": tie,
                        "recall_at_40": by_id_deep, "recall_at_40_tie_aware": tie_deep,
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


def _latencies(bot, questions: list[dict], passes: int) -> dict:
    """Warm latency of retrieval and of a whole answer, hit@4 and answer accuracy (first pass)."""
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
    return {"search": summarize_ms(search_t), "ask": summarize_ms(ask_t), "hit_at_4": sum(hits) / len(hits),
            "answer_accuracy": sum(correct) / len(correct)}


def _hnsw_recall(bot, emb, questions: list[dict]) -> dict:
    """Recall of HNSW against exact search over the index's own vectors (an HNSW graph is
    built for the check when the index searches exactly at this size)."""
    from qa.search.index import IndexSettings, make_vector_index

    index = bot.index
    vectors = index.all_sentence_vectors()
    qv = np.stack([emb.query_array(q["question"]) for q in questions])
    if index.kind == "hnsw":
        hnsw, hnsw_build_s = index.vectors, None
    else:
        t0 = time.perf_counter()
        hnsw = make_vector_index(vectors, IndexSettings(hnsw_threshold=0))
        hnsw_build_s = time.perf_counter() - t0
    settings = IndexSettings()
    return {"production_index": index.kind == "hnsw", "vectors": int(vectors.shape[0]),
            "distinct_vectors": distinct_rows(vectors),
            "m": settings.hnsw_m, "ef_construction": settings.hnsw_ef_construction,
            "ef_search_default": settings.hnsw_ef_search, "build_s_in_probe": hnsw_build_s,
            "queries": int(len(qv)), "sweep": recall_sweep(vectors, qv, hnsw)}


def measure_answerer(open_answerer, questions: list[dict], passes: int, warmup: int,
                     embeddings: ArrayEmbeddings | None = None) -> tuple[dict, object, ArrayEmbeddings]:
    """Import and load time (``open_answerer(Answerer, embeddings)``), memory, warm latency, hit@4 and
    throughput of an answerer, in this (fresh) process; the figures, the answerer and its query model.
    ``embeddings``: the query model (default: ``MiniLMEmbeddings``, ONNX for questions)."""
    out = {"rss_start_mb": rss_mb()}
    t0 = time.perf_counter()
    from qa.app.api import Answerer
    from qa.search.embeddings import MiniLMEmbeddings
    from qa.settings import Settings

    out["import_s"] = time.perf_counter() - t0
    out["rss_after_imports_mb"] = rss_mb()
    t0 = time.perf_counter()
    emb = embeddings or MiniLMEmbeddings(cache_dir=Settings.get("cache_dir"))
    bot = open_answerer(Answerer, emb)
    out["load_s"] = time.perf_counter() - t0
    out["rss_after_load_mb"] = rss_mb()
    out["stats"] = bot.stats
    t0 = time.perf_counter()
    for q in questions[:warmup]:
        bot.ask(q["question"])
    out["warmup_s"] = time.perf_counter() - t0
    out["rss_after_warmup_mb"] = rss_mb()
    out["sentence_transformers_imported"] = "sentence_transformers" in sys.modules
    out.update(_latencies(bot, questions, passes))
    out["loadavg_during_queries"] = os.getloadavg()[0]
    out["throughput_qps"] = {str(w): throughput(lambda q: bot.ask(q["question"]), questions, w) for w in (1, 2)}
    out["rss_after_queries_mb"] = rss_mb()
    out["peak_rss_mb"] = peak_rss_mb()
    return out, bot, emb


def probe(corpus_dir: Path, index_dir: Path, questions: list[dict], passes: int = 2, warmup: int = 20,
          recall_queries: int = 200, embeddings: ArrayEmbeddings | None = None) -> dict:
    """Runs in a fresh process: load, memory, warm latency, hit@4 (:func:`measure_answerer`), HNSW recall."""
    out, bot, emb = measure_answerer(
        lambda answerer, emb: answerer.from_corpus(corpus_dir, index_dir, embeddings=emb, rebuild="never"),
        questions, passes, warmup, embeddings)
    out["hnsw"] = _hnsw_recall(bot, emb, questions[:recall_queries])
    return out


def run_probe(corpus_dir: Path, index_dir: Path, questions: list[dict], workdir: Path, timeout: float = 3600) -> dict:
    """:func:`probe` in a fresh process (``python -m benchmarks.scale_probe``), its result read back."""
    qfile = workdir / "questions.json"
    rfile = workdir / "probe.json"
    qfile.write_text(json.dumps(questions), encoding="utf-8")
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    proc = subprocess.run([sys.executable, "-m", "benchmarks.scale_probe", str(corpus_dir), str(index_dir),
                           str(qfile), str(rfile)], capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"probe failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    return json.loads(rfile.read_text())


def main(argv=None) -> int:
    """``python -m benchmarks.scale_probe CORPUS INDEX QUESTIONS OUT``: :func:`probe`, result as JSON in OUT."""
    corpus, index, qfile, out = argv if argv is not None else sys.argv[1:]
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    result = probe(Path(corpus), Path(index), json.loads(Path(qfile).read_text()))
    Path(out).write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
