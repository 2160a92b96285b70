"""Saving and loading a :class:`~qa.index.PassageIndex`: FAISS's own file format
plus JSON, with a manifest checked on load. Nothing is ever pickled.

Layout of an index folder::

    index/
      CURRENT                 the name of the generation in use, e.g. "gen-20261126T201500-3f2a"
      gen-.../manifest.json   format, version, model, settings, document hashes, file checksums
      gen-.../documents.json  source, title, sha256, sections and text of each document
      gen-.../passages.json   [doc, section, start, end, first_sentence, last_sentence] per passage
      gen-.../sentences.json  [doc, start, end] per sentence
      gen-.../vectors.faiss   sentence vectors (faiss.write_index)
      gen-.../bm25/           BM25 (bm25s: JSON + .npy arrays, allow_pickle=False)

A build writes a new generation folder completely, then replaces ``CURRENT``
atomically (``os.replace``), so a crash mid-build leaves the previous index in
use, and a reader never sees half an index.

    >>> manifest_problem({"format": "qa-index", "format_version": 99})   # doctest: +ELLIPSIS
    'index format version 99, but this qa reads version 1...'
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

from .chunking import Chunks, Passage, Sentence
from .documents import Document, Section
from .embeddings import ModelInfo
from .errors import IndexCorruptError, IndexError_, IndexMismatchError, IndexMissingError
from .index import IndexSettings, PassageIndex
from .lexical import LexicalIndex

FORMAT = "qa-index"
FORMAT_VERSION = 1
CURRENT = "CURRENT"
_GENERATION = re.compile(r"gen-[0-9A-Za-z_-]{1,80}")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _write_json(path: Path, data) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, separators=(",", ":"))


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def build_lock(index_dir: Path):
    """One builder at a time per index folder (readers never wait)."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        lock = open(index_dir / ".lock", "w")
    except OSError as exc:
        raise _cannot_write(index_dir, exc) from None
    with lock as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def save_index(index: PassageIndex, index_dir) -> Path:
    """Write ``index`` as a new generation of ``index_dir`` and switch to it atomically."""
    import faiss

    index_dir = Path(index_dir)
    name = f"gen-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    tmp = index_dir / f"{name}.tmp"
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
    except OSError as exc:
        raise _cannot_write(index_dir, exc) from None
    try:
        _write_json(tmp / "documents.json", [
            {"source": d.source, "title": d.title, "sha256": d.sha256,
             "sections": [[s.heading, s.start, s.end] for s in d.sections], "text": d.text}
            for d in index.documents])
        _write_json(tmp / "passages.json", [
            [p.doc, p.section, p.start, p.end, p.first_sentence, p.last_sentence] for p in index.passages])
        _write_json(tmp / "sentences.json", [[s.doc, s.start, s.end] for s in index.sentences])
        faiss.write_index(index.vectors, str(tmp / "vectors.faiss"))
        (tmp / "bm25").mkdir()
        index.lexical.save(tmp / "bm25")
        files = {}
        for path in sorted(p for p in tmp.rglob("*") if p.is_file()):
            rel = path.relative_to(tmp).as_posix()
            files[rel] = {"bytes": path.stat().st_size, "sha256": _sha256(path)}
        manifest = {
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
        with open(tmp / "manifest.json", "w", encoding="utf-8") as f:
            json.dump(manifest, f, ensure_ascii=False, indent=2)
        for path in tmp.rglob("*"):
            if path.is_file():
                with open(path, "rb") as f:
                    os.fsync(f.fileno())
        final = index_dir / name
        os.replace(tmp, final)
        _fsync_dir(index_dir)
        pointer = index_dir / f"{CURRENT}.{secrets.token_hex(3)}.tmp"
        pointer.write_text(name + "\n", encoding="utf-8")
        with open(pointer, "rb") as f:
            os.fsync(f.fileno())
        previous = _current_name(index_dir)
        os.replace(pointer, index_dir / CURRENT)
        _fsync_dir(index_dir)
    except (OSError, RuntimeError) as exc:  # disk full, read-only folder; FAISS reports write errors as RuntimeError
        shutil.rmtree(tmp, ignore_errors=True)
        raise _cannot_write(index_dir, exc) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _prune(index_dir, keep={name, previous})
    return final


def _cannot_write(index_dir: Path, exc: Exception) -> IndexError_:
    reason = getattr(exc, "strerror", None) or (str(exc).splitlines() or [type(exc).__name__])[0]
    return IndexError_(f"Cannot write the index in {str(index_dir)!r} ({reason}).",
                       hint="Point --index (or QA_INDEX) at a folder you can write to, with free space.")


def _current_name(index_dir: Path) -> str | None:
    try:
        with open(index_dir / CURRENT, "rb") as f:  # a garbage pointer is reported by read_manifest
            return f.read(4096).decode("utf-8", "replace").strip() or None
    except OSError:
        return None


def _prune(index_dir: Path, keep: set, max_tmp_age: float = 3600.0) -> None:
    """Drop old generations (the previous one stays for readers mid-load) and stale temp folders."""
    now = time.time()
    for path in index_dir.glob("gen-*"):
        if path.name in keep or not path.is_dir():
            continue
        if path.name.endswith(".tmp") and now - path.stat().st_mtime < max_tmp_age:
            continue  # maybe another builder's work in progress
        shutil.rmtree(path, ignore_errors=True)


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


def read_manifest(index_dir) -> tuple[Path, dict]:
    """The folder of the current generation and its parsed manifest."""
    index_dir = Path(index_dir)
    name = _current_name(index_dir)
    if name is None:
        raise IndexMissingError(f"No index in {str(index_dir)!r} (no {CURRENT} file).",
                                hint="Build one with `qa index`.")
    if not _GENERATION.fullmatch(name):
        raise IndexCorruptError(index_dir / CURRENT, f"names {name[:80]!r}, which is not an index generation.")
    folder = index_dir / name
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
        problem = _shape_problem(manifest)
        if problem:
            raise IndexCorruptError(path, f"has {problem} (edited by hand?).")
    return folder, manifest


def _shape_problem(manifest: dict) -> str | None:
    """What is malformed in a manifest of this format version (so later code may trust it), or ``None``."""
    model = manifest.get("model")
    if not isinstance(model, dict) or set(model) != {"name", "dimension", "fingerprint"} or \
            not isinstance(model["name"], str) or type(model["dimension"]) is not int or \
            not isinstance(model["fingerprint"], str):
        return "a malformed 'model' entry (expected name, dimension, fingerprint)"
    try:
        IndexSettings.from_dict(manifest["settings"])
    except (KeyError, TypeError, ValueError):
        return "a malformed 'settings' entry"
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
        if not path.is_file():
            raise IndexCorruptError(path, "is missing.")
        size = path.stat().st_size
        if size != meta.get("bytes"):
            raise IndexCorruptError(path, f"has {size:,} bytes, but the manifest says {meta.get('bytes'):,} "
                                          "(truncated or replaced).")
        if _sha256(path) != meta.get("sha256"):
            raise IndexCorruptError(path, "does not match its checksum in the manifest (edited or corrupted).")


def load_index(index_dir, *, model: ModelInfo | None = None, settings: IndexSettings | None = None,
               verify: bool = True) -> PassageIndex:
    """Load the current generation of ``index_dir``; check it against ``model`` and ``settings``.

    Raises :class:`IndexMissingError`, :class:`IndexMismatchError` (built for another
    model, settings or format) or :class:`IndexCorruptError` (naming the bad file)."""
    for attempt in range(5):
        name = _current_name(Path(index_dir))
        try:
            return _load_generation(index_dir, model=model, settings=settings, verify=verify)
        except IndexCorruptError:
            # Rebuilds switched CURRENT and pruned the generation being read: read the new one.
            if attempt == 4 or _current_name(Path(index_dir)) == name:
                raise
    raise AssertionError("unreachable")


def _load_generation(index_dir, *, model: ModelInfo | None, settings: IndexSettings | None,
                     verify: bool) -> PassageIndex:
    import faiss

    folder, manifest = read_manifest(index_dir)
    problem = manifest_problem(manifest, model, settings)
    if problem:
        raise IndexMismatchError(f"The index in {str(index_dir)!r} was {problem}." if problem.startswith("built")
                                 else f"The index in {str(index_dir)!r} is {problem}.",
                                 hint="Rebuild it with `qa index --rebuild`.")
    if verify:
        verify_files(folder, manifest)

    def read(name):
        try:
            return json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexCorruptError(folder / name, f"cannot be read ({exc}).") from None

    try:
        documents = [Document(d["source"], d["title"], d["text"], [Section(*s) for s in d["sections"]], d["sha256"])
                     for d in read("documents.json")]
        sentences = [Sentence(*s) for s in read("sentences.json")]
        passages = []
        for pid, (doc, section, start, end, first, last) in enumerate(read("passages.json")):
            d = documents[doc]
            passages.append(Passage(pid, doc, d.source, d.title, section, start, end, d.text[start:end], first, last))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise IndexCorruptError(folder, f"holds JSON of an unexpected shape ({exc!r}).") from None
    try:
        vectors = faiss.read_index(str(folder / "vectors.faiss"))
    except RuntimeError as exc:
        raise IndexCorruptError(folder / "vectors.faiss", f"cannot be read by FAISS ({str(exc).splitlines()[0]}).") from None
    if vectors.ntotal != len(sentences) or vectors.d != manifest["model"]["dimension"]:
        raise IndexCorruptError(folder / "vectors.faiss",
                                f"holds {vectors.ntotal} vectors of dimension {vectors.d}, expected "
                                f"{len(sentences)} of dimension {manifest['model']['dimension']}.")
    stored = IndexSettings.from_dict(manifest["settings"])
    if hasattr(vectors, "hnsw"):
        vectors.hnsw.efSearch = (settings or stored).hnsw_ef_search
    try:
        lexical = LexicalIndex.load(folder / "bm25", len(passages))
    except (OSError, ValueError, KeyError) as exc:
        raise IndexCorruptError(folder / "bm25", f"cannot be read ({exc}).") from None
    chunks = Chunks(passages, sentences)
    index = PassageIndex(documents, chunks, vectors, lexical, ModelInfo(**manifest["model"]), stored)
    index.path = folder
    index.manifest = manifest
    return index
