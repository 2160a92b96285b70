"""The manifest of a stored index generation: what it was built from, and a checksum
of every file, checked on load.

    >>> manifest_problem({"format": "qa-index", "format_version": 99})   # doctest: +ELLIPSIS
    'index format version 99, but this qa reads version 3...'

``CURRENT`` names the generation in use; :func:`read_manifest` follows it.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

from ..errors import IndexCorruptError, IndexMismatchError, IndexMissingError
from ..ingest.digest import sha256_file
from .embeddings import ModelInfo
from .index import IndexSettings, PassageIndex

FORMAT = "qa-index"
FORMAT_VERSION = 3            # 3: documents have table records; 2: pages (PDF); older indexes are rebuilt
CURRENT = "CURRENT"
GENERATION = re.compile(r"gen-[0-9A-Za-z_-]{1,80}")
POINTER_MAX_BYTES = 4096     # a CURRENT file longer than this is garbage, not a generation name

def current_name(index_dir: Path) -> str | None:
    """The generation ``CURRENT`` names, or ``None`` when there is none."""
    try:
        with open(index_dir / CURRENT, "rb") as f:  # a garbage pointer is reported by read_manifest
            return f.read(POINTER_MAX_BYTES).decode("utf-8", "replace").strip() or None
    except OSError:
        return None


def make_manifest(index: PassageIndex, folder: Path) -> dict:
    """The manifest of ``index``, whose files are already written in ``folder``."""
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        files[path.relative_to(folder).as_posix()] = {"bytes": path.stat().st_size, "sha256": sha256_file(path)}
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "model": index.model.to_dict(),
        "settings": index.settings.to_dict(),
        "vector_index": {"kind": index.kind, "vectors": int(index.vectors.ntotal)},
        "counts": {"documents": len(index.documents), "passages": len(index.passages),
                   "sentences": len(index.sentences)},
        "documents": {d.source: d.sha256 for d in index.documents},
        "files": files,
    }


def manifest_problem(manifest: dict, model: ModelInfo | None = None,
                     settings: IndexSettings | None = None) -> str | None:
    """Why this manifest can't be used with this model and settings, or ``None``."""
    if manifest.get("format") != FORMAT:
        return f"not a qa index (format {manifest.get('format')!r}, expected {FORMAT!r})"
    if manifest.get("format_version") != FORMAT_VERSION:
        return (f"index format version {manifest.get('format_version')!r}, but this qa reads version "
                f"{FORMAT_VERSION}")
    if model is not None:
        got = manifest.get("model", {})
        if got.get("name") != model.name or got.get("dimension") != model.dimension:
            return (f"built with model {got.get('name')!r} (dimension {got.get('dimension')}), "
                    f"but the current model is {model.name!r} (dimension {model.dimension})")
        if got.get("fingerprint") != model.fingerprint:
            return (f"built with other weights of {model.name!r} (fingerprint {got.get('fingerprint')}, "
                    f"current {model.fingerprint})")
    if settings is not None:
        got = IndexSettings.from_dict(manifest.get("settings", {})).identity() if manifest.get("settings") else None
        if got != settings.identity():
            return f"built with chunk settings {got}, but the current settings are {settings.identity()}"
    return None


def read_manifest(index_dir, name: str | None = None) -> tuple[Path, dict]:
    """The folder of generation ``name`` (default: the one ``CURRENT`` names) and its parsed manifest."""
    index_dir = Path(index_dir)
    name = name or current_name(index_dir)
    if name is None:
        what = f"{CURRENT} is empty" if (index_dir / CURRENT).is_file() else f"no {CURRENT} file"
        raise IndexMissingError(f"No index in {str(index_dir)!r} ({what}).", hint="Build one with `qa index`.")
    if not GENERATION.fullmatch(name):
        raise IndexCorruptError(index_dir / CURRENT, f"names {name[:80]!r}, which is not an index generation.")
    folder = index_dir / name
    if not folder.is_dir():   # dangling: the generation was removed (by hand, or a cleaner)
        raise IndexMissingError(f"No index in {str(index_dir)!r}: {CURRENT} names {name}, which is not there.",
                                hint="Build one with `qa index`.")
    path = folder / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexCorruptError(path, "is missing.") from None
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(path, f"is not valid JSON ({exc}).") from None
    if not isinstance(manifest, dict):
        raise IndexCorruptError(path, "is not a JSON object.")
    if manifest.get("format") == FORMAT and manifest.get("format_version") == FORMAT_VERSION:
        problem = shape_problem(manifest)
        if problem:
            raise IndexCorruptError(path, f"has {problem} (edited by hand?).")
    return folder, manifest


def mismatch_error(where: str, problem: str) -> IndexMismatchError:
    """The error for an index at ``where`` that :func:`manifest_problem` found ``problem`` with."""
    return IndexMismatchError(f"The index in {where} was {problem}." if problem.startswith("built")
                              else f"The index in {where} is {problem}.", hint="Rebuild it with `qa index --rebuild`.")


def shape_problem(manifest: dict, files: bool = True) -> str | None:
    """What is malformed in a manifest of this format version (so later code may trust it), or
    ``None``; ``files=False`` for an index kept in a database (no files to list)."""
    model = manifest.get("model")
    if not isinstance(model, dict) or set(model) != {"name", "dimension", "fingerprint"} or \
            not isinstance(model["name"], str) or type(model["dimension"]) is not int or \
            not isinstance(model["fingerprint"], str):
        return "a malformed 'model' entry (expected name, dimension, fingerprint)"
    try:
        IndexSettings.from_dict(manifest["settings"])
    except (KeyError, TypeError, ValueError):
        return "a malformed 'settings' entry"
    if not files:
        return None
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(
            isinstance(rel, str) and isinstance(meta, dict) and type(meta.get("bytes")) is int
            and isinstance(meta.get("sha256"), str) for rel, meta in files.items()):
        return "a malformed 'files' entry (expected {path: {bytes, sha256}})"
    return None


def verify_files(folder: Path, manifest: dict) -> None:
    """Every file the manifest lists is there, whole, and unchanged."""
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise IndexCorruptError(folder / "manifest.json", "lists no files.")
    for rel, meta in files.items():
        path = folder / rel
        if ".." in Path(rel).parts:
            raise IndexCorruptError(folder / "manifest.json", f"lists a file outside the index: {rel!r}.")
        try:   # a file can go between two looks (a rebuild pruned the generation): an OSError is its absence
            size = path.stat().st_size if path.is_file() else None
            digest = sha256_file(path) if size == meta.get("bytes") else None
        except OSError:
            size = None
        if size is None:
            raise IndexCorruptError(path, "is missing.")
        if size != meta.get("bytes"):
            raise IndexCorruptError(path, f"has {size:,} bytes, but the manifest says {meta.get('bytes'):,} "
                                          "(truncated or replaced).")
        if digest != meta.get("sha256"):
            raise IndexCorruptError(path, "does not match its checksum in the manifest (edited or corrupted).")
