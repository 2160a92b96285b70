import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

pytestmark = pytest.mark.slow

TEXTS = ["When did Iran launch its missile strike on Pakistan?", "x",
         "Three border points\u2014Rimdan, Mirjaveh, and Pishin\u2014facilitate commerce.", "word " * 400]


def test_real_model_is_a_langchain_embeddings(real_embeddings):
    assert isinstance(real_embeddings, Embeddings)
    info = real_embeddings.model_info
    assert info.name == "sentence-transformers/all-MiniLM-L6-v2" and info.dimension == 384
    vecs = real_embeddings.embed_documents(TEXTS[:2])
    assert len(vecs) == 2 and len(vecs[0]) == 384
    assert abs(np.linalg.norm(vecs[0]) - 1.0) < 1e-4


def test_onnx_query_encoder_matches_sentence_transformers(real_embeddings):
    st = real_embeddings.embed_array(TEXTS)
    onnx = np.stack([real_embeddings.query_array(t) for t in TEXTS])
    assert real_embeddings.onnx_path.is_file()
    cos = (st * onnx).sum(axis=1)
    assert (cos > 0.99999).all(), cos


def test_similar_texts_are_closer(real_embeddings):
    q = real_embeddings.query_array("How much is trade between Iran and Pakistan?")
    a, b = real_embeddings.embed_array(["Official trade between the two countries stands at $2 billion.",
                                        "Crows are clever birds that use tools."])
    assert q @ a > q @ b + 0.2
