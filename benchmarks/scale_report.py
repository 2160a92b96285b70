"""The tables of the scale benchmark (:mod:`benchmarks.scale`), from its results."""

from __future__ import annotations

from benchmarks.common import table


def _build_table(results: list[dict]) -> str:
    """One row per size: build throughput, disk, memory, latency, hit@4."""
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
    return table(rows, ["passages", "passages / sentences", "FAISS", "embed sent/s", "embed time",
                        "chunk+load+BM25+FAISS", "build passages/s / sentences/s", "disk",
                        "RSS load / after queries", "retrieve p50/p95 ms", "ask p50/p95 ms", "hit@4"])


def _notes(results: list[dict], model_load_s: float | None) -> list[str]:
    """What pool mode means, and the model's load time."""
    lines = []
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
    return lines


def _recall_table(results: list[dict]) -> list[str]:
    """HNSW recall against exact search, per size and efSearch."""
    lines = []
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
    return lines


def _incremental_lines(results: list[dict]) -> list[str]:
    """The incremental re-index, where one was measured."""
    lines = []
    for r in results:
        if "incremental" in r:
            i = r["incremental"]
            lines.append(f"\nIncremental re-index ({r['size']} passages, {r['build']['documents']} documents): "
                         f"{i['edited_document']} replaced by an edited version ({i['edited_passages']} passages) -> "
                         f"'{i['action']}' in {i['seconds']:.1f} s (embedding {i['embed_s']:.1f} s): "
                         f"{i['embedded_sentences']:,} sentences embedded, {i['reused_sentences']:,} reused "
                         f"(full build: {r['build']['sentences']:,} embedded in {r['build'].get('total_s_estimated', r['build']['total_s']):.0f} s). "
                         f"Opening it again unchanged: '{i['reopen_unchanged_action']}' in {i['reopen_unchanged_s']:.1f} s.")
    return lines


def _memory_table(results: list[dict]) -> list[str]:
    """The query process: memory, load time, throughput."""
    lines = []
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
    return lines


def report(results: list[dict], model_load_s: float | None = None) -> str:
    """Every table of the scale benchmark, as Markdown."""
    return "\n".join([_build_table(results), *_notes(results, model_load_s), *_recall_table(results),
                      *_incremental_lines(results), *_memory_table(results)])
