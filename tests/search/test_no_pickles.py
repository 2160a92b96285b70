"""Nothing in an index folder is ever unpickled, and no build writes a pickle: booby-trapped
files planted where other tools keep pickles are ignored, and an array swapped for a
pickled object is refused."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qa.app.api import Answerer
from qa.errors import IndexCorruptError
from qa.search.manifest import read_manifest
from qa.search.storage import load_index
from tests.support.invariants import check_answer


def pickle_payload(marker: Path) -> bytes:
    """Protocol-0 pickle bytes that, if unpickled, create ``marker`` (calls ``open(marker, "w")``)."""
    assert "\n" not in str(marker)
    return b"cbuiltins\nopen\n(V" + str(marker).encode() + b"\nVw\ntR."


def object_npy(payload: bytes) -> bytes:
    """An .npy file of one Python object: ``np.load(..., allow_pickle=True)`` would unpickle ``payload``."""
    import io

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "|O", "fortran_order": False, "shape": (1,)})
    return buf.getvalue() + payload


def test_the_planted_payloads_are_live(tmp_path):
    """Sanity check of the booby traps below: unpickling them really creates the marker file."""
    marker_pkl, marker_npy = tmp_path / "from-pkl", tmp_path / "from-npy"
    (tmp_path / "evil.pkl").write_bytes(pickle_payload(marker_pkl))
    (tmp_path / "evil.npy").write_bytes(object_npy(pickle_payload(marker_npy)))
    code = ("import pickle, sys, numpy as np\n"
            "pickle.load(open(sys.argv[1], 'rb'))\n"
            "try:\n    np.load(sys.argv[2], allow_pickle=True)\nexcept Exception:\n    pass\n")
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "evil.pkl"), str(tmp_path / "evil.npy")],
                   check=True, timeout=60)
    assert marker_pkl.exists() and marker_npy.exists()


def test_planted_pickles_are_never_loaded(built_index, tmp_path, monkeypatch):
    root, index_dir, emb = built_index
    marker = tmp_path / "PWNED"
    gen = read_manifest(index_dir)[0]
    # names other tools load: LangChain's FAISS store (index.pkl), pickled retrievers and BM25 models
    for folder in (index_dir, gen, gen / "bm25"):
        for name in ("index.pkl", "evil.pkl", "retriever.pickle", "bm25.pkl", "docstore.pkl", "vectors.pkl"):
            (folder / name).write_bytes(pickle_payload(marker))
    (index_dir / "index.faiss").write_bytes(b"\x00" * 64)

    bot = Answerer.from_corpus(root, index_dir, embeddings=emb, rebuild="never")
    for q in ("Which birds use tools?", "Who can mimic human speech?"):
        check_answer(bot, bot.ask(q))
    load_index(index_dir, verify=False)
    assert not marker.exists()

    # and nothing on the load and ask path unpickles anything at all
    calls = []

    def no_unpickling(*args, **kwargs):
        calls.append(args)
        raise AssertionError("something tried to unpickle")

    monkeypatch.setattr(pickle, "load", no_unpickling)
    monkeypatch.setattr(pickle, "loads", no_unpickling)
    monkeypatch.setattr(pickle, "Unpickler", no_unpickling)
    bot = Answerer.from_corpus(root, index_dir, embeddings=emb, rebuild="never")
    check_answer(bot, bot.ask("Which birds hunt at night?"))
    assert calls == []
    monkeypatch.undo()

    # an array file swapped for a pickled object: refused, not unpickled
    npy = gen / "bm25" / "data.csc.index.npy"
    npy.write_bytes(object_npy(pickle_payload(marker)))
    with pytest.raises(IndexCorruptError, match="data.csc.index.npy"):
        load_index(index_dir, model=emb.model_info)
    with pytest.raises(IndexCorruptError, match="bm25"):
        load_index(index_dir, model=emb.model_info, verify=False)
    assert not marker.exists()


def test_builds_write_no_pickle(built_index):
    root, index_dir, emb = built_index
    (root / "a.txt").write_text("Crows are very clever birds.")
    Answerer.from_corpus(root, index_dir, embeddings=emb)                    # update
    Answerer.from_corpus(root, index_dir, embeddings=emb, rebuild="always")  # full rebuild
    files = [p for p in index_dir.rglob("*") if p.is_file()]
    assert files
    assert not [p for p in files if p.suffix in (".pkl", ".pickle", ".pck", ".joblib", ".dill")]
    for p in files:
        head = p.read_bytes()[:2]
        assert head not in (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05"), f"{p} looks like a pickle"
        if p.suffix == ".npy":
            np.load(p, allow_pickle=False)   # no object arrays
