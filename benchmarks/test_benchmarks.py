"""Smoke tests of the benchmark scripts' building blocks on tiny inputs (fake embeddings, no timing assertions).

The real benchmarks are `benchmarks/run.py` and `benchmarks/scale.py`; these tests only make sure
their functions still run against the current `qa` API and return well-formed numbers. (The doctests
of `benchmarks/common.py` and `benchmarks/synthetic.py` run with the rest: `--doctest-modules`.)
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from benchmarks import cold, common, run, scale_build, scale_probe, scale_report, synthetic
from qa.eval.metrics import is_correct
from qa.eval.questions import Question
from tests.support.fakes import HashEmbeddings


def test_synthetic_corpus_is_reproducible_and_one_passage_per_section(tmp_path):
    from qa.ingest.chunking import chunk_documents
    from qa.ingest.corpus import load_corpus

    docs = synthetic.Generator(seed=5).documents(n_docs=3, per_doc=7)
    again = synthetic.Generator(seed=5).documents(n_docs=3, per_doc=7)
    other = synthetic.Generator(seed=6).documents(n_docs=3, per_doc=7)
    assert [d.text for d in docs] == [d.text for d in again]
    assert [d.text for d in docs] != [d.text for d in other]
    corpus = load_corpus(synthetic.write_corpus(tmp_path / "c", docs))
    chunks = chunk_documents(corpus.documents)
    assert len(chunks.passages) == 3 * 7
    assert sorted(p.text for p in chunks.passages) == sorted(p for d in docs for p in d.passages)
    per_passage = [len(p.sentence_ids) for p in chunks.passages]
    assert min(per_passage) >= 1 and max(per_passage) <= 6


def test_pool_mode_reuses_a_bounded_set_of_sentences():
    gen = synthetic.Generator(seed=1, n_topics=3, pool_per_topic=5)
    docs = gen.documents(n_docs=2, per_doc=20)
    pool = set(gen.sentence_pool())
    assert len(pool) <= 15
    from qa.ingest.text import split_sentences

    used = {p[a:b] for d in docs for p in d.passages for a, b in split_sentences(p)}
    assert used <= pool


def test_summarize_ms_orders_its_percentiles():
    s = common.summarize_ms([0.001 * i for i in range(1, 101)])
    assert s["n"] == 100 and s["min_ms"] == 1.0 and s["max_ms"] == 100.0
    assert s["p50_ms"] == pytest.approx(50.5) and s["p50_ms"] <= s["p95_ms"] <= s["max_ms"]


@pytest.fixture
def tiny(tmp_path):
    gen = synthetic.Generator(seed=3)
    docs = gen.documents(n_docs=3, per_doc=6)
    corpus_dir = synthetic.write_corpus(tmp_path / "corpus", docs)
    return gen, docs, corpus_dir


@pytest.mark.slow   # runs the benchmark end to end on a tiny corpus
def test_scale_build_probe_and_incremental_on_a_tiny_corpus(tiny, tmp_path):
    gen, docs, corpus_dir = tiny
    emb = scale_build.TimedEmbeddings(HashEmbeddings())
    b = scale_build.build(corpus_dir, tmp_path / "index", emb)
    assert b["passages"] == 18 and b["sentences"] == emb.texts > b["passages"]
    assert b["disk_bytes"] == sum(b["disk"].values()) > 0 and b["vector_index"] == "flat"

    questions = [vars(q) for q in gen.questions(docs, 6)]
    p = scale_probe.probe(corpus_dir, tmp_path / "index", questions, passes=1, warmup=1, recall_queries=6,
                    embeddings=HashEmbeddings())
    assert p["stats"]["passages"] == 18
    assert p["search"]["n"] == p["ask"]["n"] == 6
    assert 0.0 <= p["hit_at_4"] <= 1.0 and p["rss_after_load_mb"] > 0
    sweep = p["hnsw"]["sweep"]
    assert [s["ef_search"] for s in sweep] == list(scale_probe.EF_SWEEP)
    assert all(0.0 <= s["recall_at_10"] <= s["recall_at_10_tie_aware"] <= 1.0 for s in sweep)

    inc = scale_build.incremental(gen, corpus_dir, tmp_path / "index", scale_build.TimedEmbeddings(HashEmbeddings()), per_doc=6)
    assert inc["action"] == "updated" and inc["reopen_unchanged_action"] == "loaded"
    assert 0 < inc["embedded_sentences"] < b["sentences"] and inc["reused_sentences"] > 0

    text = scale_report.report([{"size": "tiny", "mode": "full", "build": {**b, "embed_rate_sentences_per_s": 1.0},
                          "probe": p, "incremental": {**inc, "embed_s": 0.0}}])
    assert "tiny" in text and "Incremental re-index" in text


def test_recall_sweep_counts_ties_and_lookup_embeddings():
    from qa.search.index import IndexSettings, make_vector_index

    rng = np.random.default_rng(0)
    base = rng.standard_normal((50, 16)).astype(np.float32)
    vectors = np.concatenate([base, base])          # every vector twice: ids tie
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    hnsw = make_vector_index(vectors, IndexSettings(hnsw_threshold=0))
    out = scale_probe.recall_sweep(vectors, vectors[:10], hnsw, efs=(64,))
    assert out[0]["recall_at_10_tie_aware"] == pytest.approx(1.0)
    assert scale_probe.distinct_rows(vectors) == 50

    fake = HashEmbeddings(dim=16)
    lookup = scale_build.LookupEmbeddings(["a b", "c d"], vectors[:2], fake)
    got = lookup.embed_array(["c d", "zebra crossing"])
    assert np.allclose(got[0], vectors[1]) and lookup.missing == 1


@pytest.mark.slow   # runs the benchmark end to end on a tiny corpus
def test_run_compares_the_two_systems_on_a_tiny_corpus(tiny, tmp_path):
    pytest.importorskip("langchain_community")
    pytest.importorskip("langchain_text_splitters")
    from qa.app.api import Answerer
    from qa.ingest.corpus import load_corpus

    gen, docs, corpus_dir = tiny
    emb = HashEmbeddings()
    corpus = load_corpus(corpus_dir)
    ours = run.build_ours(corpus, emb, tmp_path / "index")
    stock = run.build_stock(corpus, emb)
    assert ours["passages"] == 18 and stock["chunks"] > 0
    bot = Answerer(ours["index"], emb)
    qs = [Question(str(i), q.question, [q.answer]) for i, q in enumerate(gen.questions(docs, 4))]
    qs.append(Question("u", "What is the airspeed of an unladen swallow?", []))
    out = run.compare_latency_quality(bot, stock["recipe"], qs, repeats=1)
    assert out["latency"]["ours"]["n"] == out["latency"]["stock"]["n"] == len(qs)
    assert out["quality"]["stock"]["unanswerable_accuracy"] == 0.0    # it never abstains
    assert out["quality"]["stock"]["abstentions"] == 0
    ours = [bot.ask(q.question) for q in qs]
    assert out["quality"]["ours"]["correct"] == sum(is_correct(q, a) for q, a in zip(qs, ours))
    assert out["quality"]["ours"]["abstentions"] == sum(a.abstained for a in ours)
    result = {"models": {"import_sentence_transformers_s": 0.0, "ours_passage_model_s": 0.0,
                         "ours_query_encoder_s": 0.0, "stock_model_s": 0.0},
              "build": {"ours": {"build_s_median": 1.0, "save_s_median": 0.1, "passages": 18, "sentences": 80},
                        "stock": {"build_s_median": 2.0, "chunks": stock["chunks"]}},
              "compare": out, "cold": {"cli": {"error": "skipped"}, "ui": {"error": "ui.py not found"}}}
    table = run.report_table(result)
    assert "warm latency p50" in table and "stock / ours" in table and "not measured" in table


def test_cold_ui_polls_until_the_server_answers(tmp_path):
    assert "error" in cold.cold_ui(tmp_path, tmp_path, repeats=1, ui_path=tmp_path / "absent.py")
    fake_ui = tmp_path / "ui.py"
    fake_ui.write_text(textwrap.dedent("""
        import http.server, os, time
        time.sleep(0.3)
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
            def log_message(self, *a):
                pass
        http.server.HTTPServer(("127.0.0.1", int(os.environ["QA_PORT"])), H).serve_forever()
    """))
    out = cold.cold_ui(tmp_path, tmp_path, repeats=2, timeout=30, ui_path=fake_ui)
    assert "error" not in out, out
    assert len(out["times_s"]) == 2 and out["median_s"] >= 0.3


@pytest.mark.slow   # runs the benchmark end to end on a tiny corpus
def test_scale_milvus_builds_probes_and_reports_on_a_tiny_corpus(tiny, tmp_path):
    pytest.importorskip("milvus_lite")
    from benchmarks import scale_milvus, scale_milvus_probe

    gen, docs, corpus_dir = tiny
    f = scale_build.build(corpus_dir, tmp_path / "index", HashEmbeddings())
    m = scale_milvus.build_milvus(corpus_dir, tmp_path / "milvus.db", HashEmbeddings())
    assert (m["passages"], m["sentences"], m["action"]) == (f["passages"], f["sentences"], "built")
    assert m["engine_write_s"] > 0 and m["disk_bytes"] > 0
    questions = [vars(q) for q in gen.questions(docs, 6)]
    p = scale_milvus_probe.probe(f"milvus-lite:{tmp_path / 'milvus.db'}", corpus_dir, questions, tmp_path / "index",
                                 passes=1, warmup=1, embeddings=HashEmbeddings())
    assert p["stats"]["passages"] == 18 and p["ask"]["n"] == 6 and p["recall"]["kind"] == "flat"
    assert p["recall"]["recall_at_10_tie_aware"] == pytest.approx(1.0)   # exact search finds what exact search finds
    fp = scale_probe.probe(corpus_dir, tmp_path / "index", questions, passes=1, warmup=1, recall_queries=6,
                           embeddings=HashEmbeddings())
    f["index_s"] = f["chunk_s"] + f["bm25_faiss_s"] + f["save_s"]
    data = {"machine": common.machine_info(), "pool": {"distinct_sentences": 1, "sentences_per_s": 1.0},
            "questions": 6, "results": [{"size": "tiny", "faiss": {"build": f, "probe": fp},
                                         "milvus": {"build": m, "probe": p}}]}
    text = scale_milvus.report(data)
    assert "Milvus Lite" in text and "FAISS" in text and text.count("| tiny") == 2
    doc = tmp_path / "scaling.md"
    doc.write_text(f"before\n{scale_milvus.DOCS_BEGIN}\nold\n{scale_milvus.DOCS_END}\nafter\n", encoding="utf-8")
    scale_milvus.write_docs(doc, text)
    assert doc.read_text(encoding="utf-8") == f"before\n{scale_milvus.DOCS_BEGIN}\n{text}\n{scale_milvus.DOCS_END}\nafter\n"


def test_the_milvus_table_in_docs_is_written_from_the_measured_json():
    """docs/scaling.md's Milvus table is exactly what scale_milvus writes from docs/results/scale-milvus.json."""
    import json

    from benchmarks import scale_milvus

    data = json.loads((common.ROOT / "docs" / "results" / "scale-milvus.json").read_text(encoding="utf-8"))
    doc = (common.ROOT / "docs" / "scaling.md").read_text(encoding="utf-8")
    section = doc.split(scale_milvus.DOCS_BEGIN + "\n", 1)[1].split("\n" + scale_milvus.DOCS_END, 1)[0]
    assert section == scale_milvus.report(data)
    assert {r["size"] for r in data["results"]} == {"10k", "100k"}


def test_the_cost_benchmark_times_each_reader_interleaved_after_one_untimed_pass():
    from benchmarks.mpnet_reader import read_times

    order = []

    class Stub:
        def __init__(self, name):
            self.name = name

        def read(self, question, passages):
            order.append((self.name, question))

    times = read_times({"a": Stub("a"), "b": Stub("b")}, [("q1", []), ("q2", [])], repeats=2)
    assert order[:4] == [("a", "q1"), ("b", "q1"), ("a", "q2"), ("b", "q2")] and len(order) == 12
    assert [len(v) for v in times.values()] == [4, 4] and all(t >= 0 for v in times.values() for t in v)
