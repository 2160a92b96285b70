"""The ONNX export of a sentence-transformers model, used to embed questions fast.

Export needs torch (already loaded when the model was); encoding needs only
``onnxruntime`` and ``tokenizers``, which import in a fraction of a second.
Pooling is the model's mean pooling over real tokens, then L2 normalisation.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

ONNX_OPSET = 17  # understood by every onnxruntime this package allows


def export(model, path: Path) -> Path:
    """Write ``model`` (a loaded ``SentenceTransformer``) to ``path`` as ONNX, atomically."""
    import torch

    transformer = model[0].auto_model
    transformer.eval()

    class _LastHidden(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    sample = model.tokenizer(["an example", "a longer example sentence"], return_tensors="pt", padding=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".onnx.tmp")
    os.close(fd)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    try:
        import warnings

        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _LastHidden(transformer), tuple(sample[n] for n in names), tmp,
                input_names=names, output_names=["last_hidden_state"],
                dynamic_axes={n: {0: "batch", 1: "tokens"} for n in names + ["last_hidden_state"]},
                opset_version=ONNX_OPSET, dynamo=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def session_options():
    """``onnxruntime`` options for the models of one question, which run one after another.

    Threads sleep between runs instead of spinning: a spinning pool of the question encoder kept
    both cores of a laptop busy while the span reader ran next, and made a question take half as
    long again (``make bench`` measures the whole question).
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


class OnnxEncoder:
    """Mean-pooled, L2-normalised sentence vectors from an ONNX export and its tokenizer."""

    def __init__(self, onnx_path: Path, tokenizer_path: Path, max_length: int):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length)
        self.session = ort.InferenceSession(str(onnx_path), session_options(), providers=["CPUExecutionProvider"])

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of ``texts``, one row each."""
        encodings = self.tokenizer.encode_batch(list(texts))
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for i, e in enumerate(encodings):
            n = len(e.ids)
            ids[i, :n], mask[i, :n], types[i, :n] = e.ids, e.attention_mask, e.type_ids
        hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.ascontiguousarray(pooled / np.maximum(norms, 1e-12), dtype=np.float32)
