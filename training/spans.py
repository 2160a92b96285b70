"""Score (question, passage) pairs with an exported reader in onnxruntime: best span and null score.

For each window: span score = max over start <= end, at most ``max_answer_tokens`` tokens, both in the
passage, of start_logit + end_logit; null score = start_logit[0] + end_logit[0]. Across the windows
of a pair the best span and the smallest null are kept; ``span - null`` is the evidence that the
passage answers (the card's definition).

    >>> import numpy as np
    >>> start, end = np.array([5., 1, 3, 0]), np.array([5., 0, 2, 4])  # token 0 is [CLS]: not in the passage
    >>> best_span(start, end, np.array([0, 1, 1, 1], bool), max_tokens=2)
    (7.0, 2, 3)
    >>> best_span(start, end, np.array([0, 1, 1, 1], bool), max_tokens=1)
    (5.0, 2, 2)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAX_ANSWER_TOKENS = 30


def best_span(start: np.ndarray, end: np.ndarray, in_passage: np.ndarray, max_tokens: int):
    """(score, first token, last token) of the best span inside the passage tokens."""
    s = np.where(in_passage, start, -np.inf)
    e = np.where(in_passage, end, -np.inf)
    n = len(s)
    i, j = np.indices((n, n))
    mat = np.where((j >= i) & (j - i < max_tokens), s[:, None] + e[None, :], -np.inf)
    k = int(mat.argmax())
    a, b = divmod(k, n)
    return float(mat[a, b]), a, b


@dataclass
class PairScore:
    span: float  # best span score over the windows
    null: float  # smallest null score over the windows
    text: str    # the best span's text

    @property
    def evidence(self) -> float:
        return self.span - self.null


class WindowReader:
    """Scores pairs in windows of ``max_len`` tokens (``stride`` shared); subclasses run the model."""

    def __init__(self, tokenizer_path: Path, max_len: int = 256, stride: int = 96,
                 max_answer_tokens: int = MAX_ANSWER_TOKENS):
        from tokenizers import Tokenizer

        self.tok = Tokenizer.from_file(str(tokenizer_path))
        self.tok.no_padding()
        self.tok.enable_truncation(max_length=max_len, stride=stride, strategy="only_second")
        self.max_answer_tokens = max_answer_tokens

    def _run(self, encs):
        """(start logits, end logits) arrays for a batch of encodings."""
        raise NotImplementedError

    @staticmethod
    def _arrays(encs):
        width = max(len(e.ids) for e in encs)
        arrays = [np.zeros((len(encs), width), np.int64) for _ in range(3)]
        for i, e in enumerate(encs):
            for arr, vals in zip(arrays, (e.ids, e.attention_mask, e.type_ids)):
                arr[i, :len(vals)] = vals
        return dict(zip(("input_ids", "attention_mask", "token_type_ids"), arrays))

    def _windows(self, pairs):
        out = []  # (pair index, encoding)
        encs = self.tok.encode_batch([(q, p) for q, p in pairs])
        for k, e in enumerate(encs):
            out += [(k, w) for w in [e] + list(e.overflowing)]
        return out

    def score(self, pairs: list[tuple[str, str]], batch: int = 32) -> list[PairScore]:
        """One ``PairScore`` per (question, passage); windows of similar length are batched together."""
        wins = self._windows(pairs)
        order = sorted(range(len(wins)), key=lambda i: len(wins[i][1].ids))
        best: dict[int, PairScore] = {}
        for lo in range(0, len(order), batch):
            chunk = [wins[i] for i in order[lo:lo + batch]]
            starts, ends = self._run([w for _, w in chunk])
            for row, (k, w) in enumerate(chunk):
                self._keep(best, k, pairs[k][1], w, starts[row, :len(w.ids)], ends[row, :len(w.ids)])
        return [best[k] for k in range(len(pairs))]

    def _keep(self, best: dict, k: int, passage: str, w, start, end) -> None:
        in_passage = np.array([s == 1 for s in w.sequence_ids])
        span, a, b = best_span(start, end, in_passage, self.max_answer_tokens)
        null = float(start[0] + end[0])
        cur = best.get(k)
        if cur is None:
            best[k] = PairScore(span, null, passage[w.offsets[a][0]:w.offsets[b][1]])
            return
        if span > cur.span:
            cur.span, cur.text = span, passage[w.offsets[a][0]:w.offsets[b][1]]
        cur.null = min(cur.null, null)


class OnnxReader(WindowReader):
    """An ONNX export of the reader, run in onnxruntime on the CPU."""

    def __init__(self, onnx_path: Path, tokenizer_path: Path, max_len: int = 256, stride: int = 96,
                 max_answer_tokens: int = MAX_ANSWER_TOKENS, threads: int = 0):
        import onnxruntime as ort
        from qa.search.onnx_encoder import session_options   # quiet, threads sleep between runs

        super().__init__(tokenizer_path, max_len, stride, max_answer_tokens)
        opts = session_options()
        if threads:
            opts.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]   # MPNet takes no token types

    def _run(self, encs):
        arrays = self._arrays(encs)
        return self.session.run(["start_logits", "end_logits"], {n: arrays[n] for n in self.inputs})


class TorchReader(WindowReader):
    """A model folder (safetensors) run in torch, on CUDA when present: a quick gauge of candidates
    where exporting each one would cost more than scoring it. The kept model is gauged as ONNX."""

    def __init__(self, folder: Path, max_len: int = 256, stride: int = 96,
                 max_answer_tokens: int = MAX_ANSWER_TOKENS):
        import torch

        from .export_onnx import load_qa_model, model_inputs

        super().__init__(Path(folder) / "tokenizer.json", max_len, stride, max_answer_tokens)
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.model = load_qa_model(folder).to(self.device)
        self.inputs = model_inputs(self.model)

    def _run(self, encs):
        import torch

        arrays = self._arrays(encs)
        feed = {k: torch.from_numpy(arrays[k]).to(self.device) for k in self.inputs}
        with torch.inference_mode():
            out = self.model(**feed)
        return out.start_logits.float().cpu().numpy(), out.end_logits.float().cpu().numpy()
