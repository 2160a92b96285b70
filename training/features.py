"""Question + context -> token windows with start/end labels (index 0 = "no answer in this window").

Long contexts are cut into overlapping windows (``stride`` tokens shared); a window whose context
part does not hold the whole answer is labelled "no answer". No padding here: batches are padded
to their longest window when they are drawn (``pad``), which saves much time on CPU.

    >>> from training.data import Record, base_model
    >>> tok = load_tokenizer(base_model())
    >>> r = Record("q", "What do crows use?", "Crows use tools.", (("tools", 10),), "Birds", ("Crows use tools.",))
    >>> [w] = windows(tok, [r], max_len=64, stride=16)
    >>> tok.decode(w.input_ids[w.start:w.end + 1]), w.start > 0
    ('tools', True)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .data import Record


@dataclass(frozen=True)
class Window:
    input_ids: list[int]
    token_type_ids: list[int]
    start: int  # label: first answer token, 0 = no answer
    end: int


def _label(r: Record, offsets, seq) -> tuple[int, int]:
    """Token positions of the first answer in this window, or (0, 0) when it does not fit."""
    if not r.answers:
        return 0, 0
    cs, ce = r.answer_start, r.answer_start + len(r.answer_text)
    ctx = [k for k, s in enumerate(seq) if s == 1]
    if not ctx or offsets[ctx[0]][0] > cs or offsets[ctx[-1]][1] < ce:
        return 0, 0
    s = next(k for k in ctx if offsets[k][0] <= cs < offsets[k][1] or offsets[k][0] >= cs)
    e = next(k for k in reversed(ctx) if offsets[k][0] < ce <= offsets[k][1] or offsets[k][1] <= ce)
    return (s, e) if s <= e else (0, 0)


def windows(tok, rs: list[Record], max_len: int, stride: int, chunk: int = 2048) -> list[Window]:
    """Every window of every record, labelled; ``tok`` is a fast (Rust-backed) Hugging Face tokenizer."""
    out = []
    for lo in range(0, len(rs), chunk):
        part = rs[lo:lo + chunk]
        enc = tok([r.question for r in part], [r.context for r in part], truncation="only_second",
                  max_length=max_len, stride=stride, return_overflowing_tokens=True, return_offsets_mapping=True,
                  return_token_type_ids=True)
        for i, offsets in enumerate(enc["offset_mapping"]):
            r = part[enc["overflow_to_sample_mapping"][i]]
            s, e = _label(r, offsets, enc.sequence_ids(i))
            out.append(Window(enc["input_ids"][i], enc["token_type_ids"][i], s, e))
    return out


def batches(ws: list[Window], size: int, rng, pool: int = 50) -> list[list[int]]:
    """Random batches of window indices, each drawn from a pool of ``pool`` batches of similar length.

    Padding to the longest window then wastes little (on CPU a third less work than random batches).

    >>> import random
    >>> ws = [Window([0] * n, [0] * n, 0, 0) for n in (5, 90, 6, 88, 7, 91)]
    >>> sorted(sorted(len(ws[i].input_ids) for i in b) for b in batches(ws, 2, random.Random(0)))
    [[5, 6], [7, 88], [90, 91]]
    """
    order = list(range(len(ws)))
    rng.shuffle(order)
    out = []
    for lo in range(0, len(order), size * pool):
        chunk = sorted(order[lo:lo + size * pool], key=lambda i: len(ws[i].input_ids))
        out += [chunk[i:i + size] for i in range(0, len(chunk), size)]
    rng.shuffle(out)
    return out


def pad(batch: list[Window]):
    """Tensors for one batch, padded to its longest window: ids, mask, types, starts, ends."""
    import torch

    width = max(len(w.input_ids) for w in batch)
    ids = torch.zeros((len(batch), width), dtype=torch.long)
    types, mask = torch.zeros_like(ids), torch.zeros_like(ids)
    for i, w in enumerate(batch):
        n = len(w.input_ids)
        ids[i, :n] = torch.tensor(w.input_ids)
        types[i, :n] = torch.tensor(w.token_type_ids)
        mask[i, :n] = 1
    starts = torch.tensor([w.start for w in batch])
    ends = torch.tensor([w.end for w in batch])
    return ids, mask, types, starts, ends


def load_tokenizer(folder: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(folder))
