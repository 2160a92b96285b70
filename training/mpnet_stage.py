"""Stage a base encoder for a trip with a size limit: int8 parts, and the dequantiser that rebuilds it.

    python -m training.mpnet_stage pack BASE_DIR STAGE_DIR [--part-mib 30]    # here
    python -m training.mpnet_stage unpack STAGE_DIR MODEL_DIR                   # over there (and here, to merge)

``pack`` quantises every 2-D float tensor of ``model.safetensors`` of at least :data:`MIN_QUANTISED`
values to int8, symmetric, with one float32 scale per row (per output channel of a linear layer,
per token of an embedding): ``q = round(w / s)``, ``s = max|row| / 127``, so ``|w - q s| <= s / 2``.
A large tensor is cut between rows where a part is full.
Other tensors (biases, layer norms, small tables, integer buffers) stay as they are; the pooler,
which a QA model does not have, is left out. The tensors go
into ``part-NN.safetensors`` files of at most ``--part-mib`` MiB each, beside copies of the model's
small files (config, tokenizer; in ``files/``) and ``stage.json``:

    {"format_version": 1, "scheme": "...", "source": {"file": "model.safetensors", "sha256": ...},
     "parts": [{"file": "part-01.safetensors", "sha256": ..., "bytes": ...}, ...],
     "files": {"files/config.json": sha256, ...}, "dequantised_sha256": ...}

``unpack`` checks every sha256, rebuilds float32 weights and a model folder that
``from_pretrained`` loads; ``dequantised_sha256`` (a digest of the rebuilt tensors, names and
bytes) shows that both sides rebuilt the same base, the one the adapters are trained on and later
merged into. Packing is deterministic: the same base gives the same parts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from pathlib import Path

from .data import sha256

FORMAT_VERSION = 1
MIN_QUANTISED = 1024
SCHEME = ("int8 symmetric, one float32 scale per row (output channel / token) for 2-D float tensors of at least "
          f"{MIN_QUANTISED} values; other tensors as they are")
SMALL_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")
MANIFEST = "stage.json"
UNUSED = ("pooler.",)   # the sentence embedder's pooler: a QA model has none
FILES = "files"   # the small files, in one folder: one path to carry


def files_dir(stage: Path) -> Path:
    """The folder of a stage that holds the config and the tokenizer."""
    return Path(stage) / FILES


class StageError(ValueError):
    """A stage folder whose manifest is missing or of another version, or whose files differ from it."""


def quantise(tensors: dict) -> dict:
    """``{name: tensor}`` -> the staged tensors: ``q:<name>`` (int8) and ``s:<name>`` (float32 row
    scales) for the quantised ones, ``f:<name>`` for the others (as they are)."""
    import torch

    out = {}
    for name, w in tensors.items():
        if w.is_floating_point() and w.dim() == 2 and w.numel() >= MIN_QUANTISED:
            w = w.float()
            scale = (w.abs().amax(dim=1) / 127.0).clamp(min=1e-12)
            out[f"q:{name}"] = torch.round(w / scale[:, None]).clamp(-127, 127).to(torch.int8).contiguous()
            out[f"s:{name}"] = scale.contiguous()
        else:
            out[f"f:{name}"] = w.contiguous()
    return out


def dequantise(staged: dict) -> dict:
    """The staged tensors back as ``{name: tensor}``, quantised ones in float32 (their row blocks
    ``q:<name>@<i>`` put back together in order of ``i``)."""
    import torch

    out, blocks = {}, {}
    for key, t in staged.items():
        kind, rest = key.split(":", 1)
        if kind == "f":
            out[rest] = t
        elif kind == "q":
            name, _, i = rest.partition("@")
            blocks.setdefault(name, {})[int(i or 0)] = t.float() * staged[f"s:{rest}"][:, None]
    for name, rows in blocks.items():
        out[name] = torch.cat([rows[i] for i in sorted(rows)]) if len(rows) > 1 else rows[min(rows)]
    return dict(sorted(out.items()))


def state_digest(tensors: dict) -> str:
    """sha256 over the tensors' names, dtypes, shapes and bytes, in name order."""
    import torch

    h = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].contiguous().cpu()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def _nbytes(t) -> int:
    return t.numel() * t.element_size()


def split(staged: dict, part_bytes: int) -> list[dict]:
    """The staged tensors in groups of at most ``part_bytes`` (tensor bytes), filled in turn; a
    quantised tensor may be cut between rows (blocks ``q:<name>@<i>`` with their scales ``s:<name>@<i>``)."""
    groups, cur, room = [], {}, part_bytes
    for key in sorted(k for k in staged if not k.startswith("s:")):
        kind, name = key.split(":", 1)
        if kind == "f":
            if _nbytes(staged[key]) > room and cur:
                groups.append(cur)
                cur, room = {}, part_bytes
            if _nbytes(staged[key]) > room:
                raise StageError(f"{name} takes {_nbytes(staged[key])} bytes, more than a part may ({part_bytes}).")
            cur[key] = staged[key]
            room -= _nbytes(staged[key])
            continue
        q, scale = staged[key], staged[f"s:{name}"]
        row = q.shape[1] * q.element_size() + scale.element_size()
        lo, block = 0, 0
        while lo < q.shape[0]:
            take = min(q.shape[0] - lo, room // row)
            if take == 0:
                if not cur:
                    raise StageError(f"one row of {name} takes {row} bytes, more than a part may ({part_bytes}).")
                groups.append(cur)
                cur, room = {}, part_bytes
                continue
            cur[f"q:{name}@{block}"] = q[lo:lo + take].contiguous()
            cur[f"s:{name}@{block}"] = scale[lo:lo + take].contiguous()
            room -= take * row
            lo, block = lo + take, block + 1
    return groups + ([cur] if cur else [])


def pack(base: Path, out: Path, part_mib: float = 30.0) -> dict:
    """Write the stage folder of ``base`` (a model folder with ``model.safetensors``); its manifest."""
    from safetensors.torch import load_file, save_file

    base, out = Path(base), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    staged = quantise({k: v for k, v in load_file(str(base / "model.safetensors")).items() if not k.startswith(UNUSED)})
    parts = []
    for i, group in enumerate(split(staged, int(part_mib * 2**20)), 1):
        path = out / f"part-{i:02d}.safetensors"
        save_file(group, str(path), metadata={"format": "qa-stage"})   # one key: a map of more is written in any order
        parts.append({"file": path.name, "sha256": sha256(path), "bytes": path.stat().st_size})
    files = {}
    (out / FILES).mkdir(exist_ok=True)
    for name in SMALL_FILES:
        if (base / name).is_file():
            shutil.copyfile(base / name, out / FILES / name)
            files[f"{FILES}/{name}"] = sha256(out / FILES / name)
    m = {"format_version": FORMAT_VERSION, "scheme": SCHEME,
         "source": {"folder": base.name, "file": "model.safetensors", "sha256": sha256(base / "model.safetensors")},
         "parts": parts, "files": files, "dequantised_sha256": state_digest(dequantise(staged))}
    (out / MANIFEST).write_text(json.dumps(m, indent=1) + "\n", encoding="utf-8")
    return m


def read_manifest(stage: Path) -> dict:
    """``stage.json`` after checking its version and the sha256 of every part and file it lists."""
    path = Path(stage) / MANIFEST
    if not path.is_file():
        raise StageError(f"{path} is missing: {stage} is not a stage folder (made by `mpnet_stage pack`).")
    m = json.loads(path.read_text(encoding="utf-8"))
    if m.get("format_version") != FORMAT_VERSION:
        raise StageError(f"{path}: format version {m.get('format_version')!r}; this code reads {FORMAT_VERSION}.")
    listed = [(p["file"], p["sha256"]) for p in m["parts"]] + list(m["files"].items())
    for name, expected in listed:
        f = Path(stage) / name
        if not f.is_file():
            raise StageError(f"{f} is missing (listed in {path}).")
        if sha256(f) != expected:
            raise StageError(f"{f} has sha256 {sha256(f)[:16]}..., {path} expects {expected[:16]}...")
    return m


def load_state(stage: Path) -> tuple[dict, dict]:
    """(float32 tensors of the base, manifest), every digest checked, the rebuilt one included."""
    from safetensors.torch import load_file

    m = read_manifest(stage)
    staged = {}
    for p in m["parts"]:
        staged.update(load_file(str(Path(stage) / p["file"])))
    tensors = dequantise(staged)
    digest = state_digest(tensors)
    if digest != m["dequantised_sha256"]:
        raise StageError(f"the rebuilt weights have digest {digest[:16]}..., {stage}/{MANIFEST} expects "
                         f"{m['dequantised_sha256'][:16]}...")
    return tensors, m


def unpack(stage: Path, out: Path) -> Path:
    """A model folder (``model.safetensors`` in float32 plus the small files) rebuilt from ``stage``."""
    from safetensors.torch import save_file

    tensors, m = load_state(stage)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out / "model.safetensors"), metadata={"format": "pt"})
    for name in m["files"]:
        shutil.copyfile(Path(stage) / name, out / Path(name).name)
    (out / "dequantised.json").write_text(json.dumps({"dequantised_sha256": m["dequantised_sha256"],
                                                      "source": m["source"]}, indent=1) + "\n", encoding="utf-8")
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m training.mpnet_stage", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack", help="base model folder -> int8 parts + stage.json")
    p.add_argument("base", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--part-mib", type=float, default=30.0, help="largest part (MiB)")
    u = sub.add_parser("unpack", help="stage folder -> float32 model folder")
    u.add_argument("stage", type=Path)
    u.add_argument("out", type=Path)
    a = ap.parse_args(argv)
    if a.cmd == "pack":
        m = pack(a.base, a.out, a.part_mib)
        print(f"{a.out}: {len(m['parts'])} parts, " + ", ".join(f"{p['bytes'] / 2**20:.1f}" for p in m["parts"])
              + " MiB; dequantised digest " + m["dequantised_sha256"][:16])
    else:
        print(unpack(a.stage, a.out))


if __name__ == "__main__":
    main()
