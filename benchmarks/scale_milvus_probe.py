"""The query side of the Milvus scale benchmark (:mod:`benchmarks.scale_milvus`), run in a fresh
process: ``python -m benchmarks.scale_milvus_probe STORE CORPUS QUESTIONS FAISS_INDEX OUT``.

It opens the index in Milvus (``Answerer.from_corpus(store=..., rebuild="never")``; Milvus Lite
runs inside this process, so its memory is counted here), measures warm latency of retrieval and
of whole answers, hit@4 and throughput as :mod:`benchmarks.scale_probe` does for FAISS, and the
recall@10 of the engine's vector search against exact search over the very same vectors (read
from the FAISS index built from them, whose ids are the same sentence ids)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.common import ROOT, summarize_ms
from benchmarks.scale_probe import distinct_rows, measure_answerer

RECALL_K = 10


def engine_recall(bot, emb, questions: list[dict], faiss_dir: Path) -> dict:
    """Recall@10 (by id and tie-aware) of the engine's sentence search against exact inner product."""
    import faiss

    from qa.search.storage import load_index

    vectors = load_index(faiss_dir, verify=False).all_sentence_vectors()
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    store = bot.store
    generation = store.live()
    manifest = store.manifest(generation)
    ef = manifest["settings"]["hnsw_ef_search"]
    params = {"ef": ef} if manifest["vector_index"]["kind"] == "hnsw" else {}
    by_id, tie, lat = [], [], []
    for q in questions:
        qv = emb.query_array(q["question"])
        d_exact, i_exact = exact.search(qv[None, :], RECALL_K)
        t0 = time.perf_counter()
        hits = store.engine.call("search", generation.sentences, data=[qv.tolist()], anns_field="vector",
                                 limit=RECALL_K, output_fields=["sid"],
                                 search_params={"metric_type": "COSINE", "params": params})[0]
        lat.append(time.perf_counter() - t0)
        ids = [h["entity"]["sid"] for h in hits]
        scores = vectors[ids] @ qv
        by_id.append(len(set(ids) & set(i_exact[0].tolist())) / RECALL_K)
        tie.append(min(RECALL_K, int((scores >= d_exact[0, -1] - 1e-5).sum())) / RECALL_K)
    return {"kind": manifest["vector_index"]["kind"], "vectors": int(len(vectors)),
            "distinct_vectors": distinct_rows(vectors), "ef_search": ef if params else None,
            "queries": len(questions), "recall_at_10": float(np.mean(by_id)),
            "recall_at_10_tie_aware": float(np.mean(tie)), "search": summarize_ms(lat)}


def probe(store: str, corpus_dir: Path, questions: list[dict], faiss_dir: Path, passes: int = 2,
          warmup: int = 20, embeddings=None) -> dict:
    """Load, memory, warm latency, hit@4, throughput (as for FAISS: :func:`measure_answerer`), recall
    (one fresh process). ``embeddings``: the query model (default: ``MiniLMEmbeddings``)."""
    out, bot, emb = measure_answerer(
        lambda answerer, emb: answerer.from_corpus(corpus_dir, corpus_dir.parent / "unused-index", embeddings=emb,
                                                   rebuild="never", store=store),
        questions, passes, warmup, embeddings)
    out["recall"] = engine_recall(bot, emb, questions, faiss_dir)
    return out


def run_probe(store: str, corpus_dir: Path, questions_file: Path, faiss_dir: Path, out_file: Path,
              timeout: float = 7200) -> dict:
    """:func:`probe` in a fresh process, its result read back."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    proc = subprocess.run([sys.executable, "-m", "benchmarks.scale_milvus_probe", store, str(corpus_dir),
                           str(questions_file), str(faiss_dir), str(out_file)],
                          capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"milvus probe failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(out_file.read_text(encoding="utf-8"))


def main(argv=None) -> int:
    store, corpus, qfile, faiss_dir, out = argv if argv is not None else sys.argv[1:]
    result = probe(store, Path(corpus), json.loads(Path(qfile).read_text(encoding="utf-8")), Path(faiss_dir))
    Path(out).write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
