"""The packaged span reader: a small transformer that points at the answer in a passage.

It reads a question and a passage and scores every token as the start and as the end
of the answer; the ``[CLS]`` token (position 0) stands for "no answer in this passage".
The model (all-MiniLM-L6-v2 fine-tuned for extractive QA, int8 ONNX) ships inside the
package, in ``models/minilm-l6-qa-reader/`` with its card and a manifest; its sha256
is checked when it is loaded. Only ``onnxruntime`` and ``tokenizers`` are imported.

    >>> model = SpanModel.load()                                        # doctest: +SKIP
    >>> text = "On January 16, Iran launched a missile strike on Pakistan."
    >>> window = model.score("When did Iran strike Pakistan?", [text])[0]   # doctest: +SKIP
    >>> span = window.best_span(0, len(text))                           # doctest: +SKIP
    >>> text[span.start:span.end], span.score > window.null             # doctest: +SKIP
    ('January 16', True)

Long passages are read in overlapping windows (``max_length`` tokens, ``stride``
tokens shared by neighbours); every window of every passage goes through the model
in one batch.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..ingest.digest import sha256_file
from ..search.onnx_encoder import session_options

MODEL_DIR = Path(__file__).with_name("models") / "minilm-l6-qa-reader"
MANIFEST_VERSION = 1
MAX_QUESTION_TOKENS = 64   # a longer question is cut (as in SQuAD training): the passage keeps most of the window


@dataclass(frozen=True)
class Manifest:
    """``manifest.json`` beside the model: what it is and how to read with it."""

    format_version: int
    model_file: str
    model_sha256: str
    tokenizer_file: str
    tokenizer_sha256: str
    max_length: int          # tokens per window, question included
    stride: int              # tokens shared by neighbouring windows of one passage
    max_answer_tokens: int   # longest span considered
    quantization: str = ""
    source: str = ""
    trained_on: list = field(default_factory=list)   # [{"file", "sha256"}] of its training data (reports mark them)

    @classmethod
    def load(cls, folder: Path) -> "Manifest":
        path = folder / "manifest.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelError(f"{path} is missing: {folder} is not a span-reader model folder.") from None
        except ValueError as exc:
            raise ModelError(f"{path} is not valid JSON ({exc}).") from None
        if data.get("format_version") != MANIFEST_VERSION:
            raise ModelError(f"{path}: manifest format version {data.get('format_version')!r}; "
                             f"this version of qa reads version {MANIFEST_VERSION}.")
        required = [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING]
        missing = [name for name in required if name not in data]
        if missing:
            raise ModelError(f"{path}: missing keys {missing}; expected {required}.")
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


@dataclass(frozen=True)
class Span:
    score: float   # start logit + end logit
    start: int     # character offsets in the passage
    end: int


@dataclass
class WindowScores:
    """The model's output for one window of one passage."""

    passage: int                        # index of the passage in the list scored
    offsets: list[tuple[int, int] | None]   # per token: characters in the passage, None outside it
    start_logits: np.ndarray
    end_logits: np.ndarray
    max_answer_tokens: int

    @property
    def null(self) -> float:
        """The "no answer here" score."""
        return float(self.start_logits[0] + self.end_logits[0])

    def best_span(self, lo: int, hi: int) -> Span | None:
        """The best span whose tokens lie inside characters ``[lo, hi)`` of the passage
        (``None`` when no token of this window does)."""
        inside = [i for i, o in enumerate(self.offsets) if o is not None and o[1] > o[0] and lo <= o[0] and o[1] <= hi]
        if not inside:
            return None
        first, last = inside[0], inside[-1] + 1
        s, e = self.start_logits[first:last], self.end_logits[first:last]
        n = last - first
        i, j = np.indices((n, n))
        table = np.where((j >= i) & (j - i < self.max_answer_tokens), s[:, None] + e[None, :], -np.inf)
        a, b = divmod(int(table.argmax()), n)
        return Span(float(table[a, b]), self.offsets[first + a][0], self.offsets[first + b][1])


class SpanModel:
    """The ONNX span reader. Thread-safe: an ``onnxruntime`` session may be run from many threads."""

    def __init__(self, folder: Path, manifest: Manifest):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.folder = folder
        self.manifest = manifest
        self.tokenizer = Tokenizer.from_file(str(folder / manifest.tokenizer_file))
        self.question_tokenizer = Tokenizer.from_file(str(folder / manifest.tokenizer_file))   # no truncation
        self.question_tokenizer.no_padding()
        self.question_tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=manifest.max_length, stride=manifest.stride,
                                         strategy="only_second")
        self.session = ort.InferenceSession(str(folder / manifest.model_file), session_options(),
                                            providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}   # an MPNet export takes no token types

    @classmethod
    def load(cls, folder: str | Path | None = None) -> "SpanModel":
        """The model in ``folder`` (default: the one shipped with qa), after checking its files'
        sha256 against the manifest: :class:`~qa.errors.ModelError` names a file that differs."""
        folder = Path(folder) if folder else MODEL_DIR
        manifest = Manifest.load(folder)
        for name, expected in ((manifest.model_file, manifest.model_sha256),
                               (manifest.tokenizer_file, manifest.tokenizer_sha256)):
            path = folder / name
            if not path.is_file():
                raise ModelError(f"{path} is missing.", hint="Reinstall qa.")
            actual = sha256_file(path)
            if actual != expected:
                raise ModelError(f"{path} has sha256 {actual[:16]}..., the manifest expects {expected[:16]}...: "
                                 "the file is damaged or was replaced.", hint="Reinstall qa.")
        return cls(folder, manifest)

    def score(self, question: str, passages: list[str], batch_size: int = 16) -> list[WindowScores]:
        """Every window of every passage, scored; ``passages[i]``'s windows carry ``passage=i``."""
        question = self._cut(question)
        windows = []
        for i, text in enumerate(passages):
            encoding = self.tokenizer.encode(question, text)
            windows += [(i, w) for w in [encoding, *encoding.overflowing]]
        out = []
        for lo in range(0, len(windows), batch_size):
            out += self._run(windows[lo:lo + batch_size])
        return out

    def _cut(self, question: str) -> str:
        """``question`` cut after :data:`MAX_QUESTION_TOKENS` word pieces."""
        offsets = self.question_tokenizer.encode(question, add_special_tokens=False).offsets
        return question[:offsets[MAX_QUESTION_TOKENS - 1][1]] if len(offsets) > MAX_QUESTION_TOKENS else question

    def _run(self, windows) -> list[WindowScores]:
        width = max(len(w.ids) for _, w in windows)
        ids = np.zeros((len(windows), width), dtype=np.int64)
        mask, types = np.zeros_like(ids), np.zeros_like(ids)
        for row, (_, w) in enumerate(windows):
            n = len(w.ids)
            ids[row, :n], mask[row, :n], types[row, :n] = w.ids, w.attention_mask, w.type_ids
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        starts, ends = self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})
        out = []
        for row, (i, w) in enumerate(windows):
            n = len(w.ids)
            offsets = [o if seq == 1 else None for o, seq in zip(w.offsets, w.sequence_ids)]
            out.append(WindowScores(i, offsets, starts[row, :n], ends[row, :n], self.manifest.max_answer_tokens))
        return out
