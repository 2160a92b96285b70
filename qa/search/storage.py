"""Saving and loading a :class:`~qa.search.index.PassageIndex`: FAISS's own file format
plus JSON, with a manifest (:mod:`qa.search.manifest`) checked on load. Nothing is ever pickled.

Layout of an index folder::

    index/
      CURRENT                 the name of the generation in use, e.g. "gen-20261126T201500-3f2a"
      gen-.../manifest.json   format, version, model, settings, document hashes, file checksums
      gen-.../documents.json  source, title, sha256, sections, pages, date added, table records and text of
                              each document
      gen-.../passages.json   [doc, section, start, end, first_sentence, last_sentence] per passage
      gen-.../sentences.json  [doc, start, end] per sentence
      gen-.../vectors.faiss   sentence vectors (faiss.write_index)
      gen-.../bm25/           BM25 (bm25s: JSON + .npy arrays, allow_pickle=False)

A build writes a new generation folder completely, then replaces ``CURRENT``
atomically (``os.replace``), so a crash mid-build leaves the previous index in
use, and a reader never sees half an index.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from ..errors import IndexCorruptError, IndexMissingError, IndexProblem
from ..ingest.chunking import Chunks, Passage, Sentence
from ..ingest.document import Document, Section
from .embeddings import ModelInfo
from .index import IndexSettings, PassageIndex
from .lexical import LexicalIndex
from .manifest import (CURRENT, current_name, make_manifest, manifest_problem, mismatch_error, read_manifest,
                       verify_files)

logger = logging.getLogger(__name__)

LOCK_FILE = ".lock"          # held by the one builder at a time; it holds that builder's process id
STALE_TMP_SECONDS = 3600.0   # an unfinished generation older than this is a dead builder's, and removed
LOAD_ATTEMPTS = 5            # a reader retries when a rebuild pruned the generation it was reading


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
def build_lock(index_dir: Path, on_wait: Callable[[str], None] | None = None):
    """One builder at a time per index folder (readers never wait). When another builder
    holds the lock, ``on_wait`` is told so (a line naming its process) before this one
    waits; the context yields whether it waited."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        lock = open(index_dir / LOCK_FILE, "a+", encoding="utf-8")   # not "w": the holder's pid stays
    except OSError as exc:
        raise _cannot_write(index_dir, exc) from None
    with lock as f:
        waited = False
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read(32).strip()
            message = (f"Waiting for another build of the index in {str(index_dir)!r} to finish"
                       f"{f' (process {holder})' if holder.isdigit() else ''}...")
            logger.info(message)
            if on_wait is not None:
                on_wait(message)
            fcntl.flock(f, fcntl.LOCK_EX)
            waited = True
        try:
            f.truncate(0)
            f.write(str(os.getpid()))
            f.flush()
            yield waited
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _write_generation(index: PassageIndex, tmp: Path) -> None:
    """Every file of ``index`` and its manifest into the folder ``tmp``, synced to disk."""
    import faiss

    _write_json(tmp / "documents.json", [
        {"source": d.source, "title": d.title, "sha256": d.sha256,
         "sections": [[s.heading, s.start, s.end] for s in d.sections], "pages": [list(p) for p in d.pages],
         "added": d.added, "records": [list(r) for r in d.records], "text": d.text}
        for d in index.documents])
    _write_json(tmp / "passages.json", [
        [p.doc, p.section, p.start, p.end, p.first_sentence, p.last_sentence] for p in index.passages])
    _write_json(tmp / "sentences.json", [[s.doc, s.start, s.end] for s in index.sentences])
    faiss.write_index(index.vectors, str(tmp / "vectors.faiss"))
    (tmp / "bm25").mkdir()
    index.lexical.save(tmp / "bm25")
    manifest = make_manifest(index, tmp)
    with open(tmp / "manifest.json", "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=2)
    for path in tmp.rglob("*"):
        if path.is_file():
            with open(path, "rb") as f:
                os.fsync(f.fileno())


def _switch(index_dir: Path, name: str) -> str | None:
    """Point ``CURRENT`` at generation ``name`` atomically; return the generation it named before."""
    pointer = index_dir / f"{CURRENT}.{secrets.token_hex(3)}.tmp"
    pointer.write_text(name + "\n", encoding="utf-8")
    with open(pointer, "rb") as f:
        os.fsync(f.fileno())
    previous = current_name(index_dir)
    os.replace(pointer, index_dir / CURRENT)
    _fsync_dir(index_dir)
    return previous


def save_index(index: PassageIndex, index_dir) -> Path:
    """Write ``index`` as a new generation of ``index_dir`` and switch to it atomically."""
    index_dir = Path(index_dir)
    name = f"gen-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    tmp = index_dir / f"{name}.tmp"
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
    except OSError as exc:
        raise _cannot_write(index_dir, exc) from None
    try:
        _write_generation(index, tmp)
        final = index_dir / name
        os.replace(tmp, final)
        _fsync_dir(index_dir)
        previous = _switch(index_dir, name)
    except (OSError, RuntimeError) as exc:  # disk full, read-only folder; FAISS reports write errors as RuntimeError
        shutil.rmtree(tmp, ignore_errors=True)
        raise _cannot_write(index_dir, exc) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _prune(index_dir, keep={name, previous})
    return final


def _cannot_write(index_dir: Path, exc: Exception) -> IndexProblem:
    reason = getattr(exc, "strerror", None) or (str(exc).splitlines() or [type(exc).__name__])[0]
    return IndexProblem(f"Cannot write the index in {str(index_dir)!r} ({reason}).",
                        hint="Point --index (or QA_INDEX) at a folder you can write to, with free space.")


def _prune(index_dir: Path, keep: set, max_tmp_age: float = STALE_TMP_SECONDS) -> None:
    """Drop old generations (the previous one stays for readers mid-load) and stale temp folders."""
    now = time.time()
    for path in index_dir.glob("gen-*"):
        if path.name in keep or not path.is_dir():
            continue
        if path.name.endswith(".tmp") and now - path.stat().st_mtime < max_tmp_age:
            continue  # maybe another builder's work in progress
        shutil.rmtree(path, ignore_errors=True)


def load_index(index_dir, *, model: ModelInfo | None = None, settings: IndexSettings | None = None,
               verify: bool = True) -> PassageIndex:
    """Load the current generation of ``index_dir``; check it against ``model`` and ``settings``.
    When ``CURRENT`` is missing, empty or names a generation that is not there, the newest intact
    generation is loaded instead, with a warning.

    Raises :class:`IndexMissingError`, :class:`IndexMismatchError` (built for another
    model, settings or format) or :class:`IndexCorruptError` (naming the bad file)."""
    for attempt in range(LOAD_ATTEMPTS):
        name = current_name(Path(index_dir))
        try:
            return _load_generation(index_dir, name, model=model, settings=settings, verify=verify)
        except (IndexCorruptError, IndexMissingError) as exc:
            # Rebuilds switched CURRENT and pruned the generation being read: read the new one.
            if attempt < LOAD_ATTEMPTS - 1 and current_name(Path(index_dir)) != name:
                continue
            fallback = _newest_intact(index_dir, exc, model=model, settings=settings, verify=verify)
            if fallback is None:
                raise
            return fallback
    raise AssertionError("unreachable")


def _newest_intact(index_dir, problem: Exception, **load) -> PassageIndex | None:
    """When ``problem`` is a missing, empty or dangling ``CURRENT``: the newest generation that
    loads, said in a warning; ``None`` otherwise, or when none does."""
    if not isinstance(problem, IndexMissingError):
        return None
    names = sorted((p.name for p in Path(index_dir).glob("gen-*") if p.is_dir() and not p.name.endswith(".tmp")),
                   reverse=True)    # the names start with the time they were built
    for name in names:
        try:
            index = _load_generation(index_dir, name, **load)
        except IndexCorruptError:
            continue
        logger.warning("%s; using the newest intact generation, %s. Run `qa index` to point %s at a new build.",
                       str(problem).split(" Build one", 1)[0].rstrip("."), name, CURRENT)
        return index
    return None


def _added(d: dict) -> str:
    """A document's date added (absent in indexes written before it was kept: ``""``)."""
    added = d.get("added", "")
    if not isinstance(added, str):
        raise TypeError(f"'added' of {d.get('source')!r} is {type(added).__name__}, not a string")
    return added


def _read_chunks(folder: Path) -> tuple[list[Document], Chunks]:
    """Documents, passages and sentences from a generation's JSON files."""

    def read(name):
        try:
            return json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexCorruptError(folder / name, f"cannot be read ({exc}).") from None

    try:
        documents = [Document(d["source"], d["title"], d["text"], [Section(*s) for s in d["sections"]], d["sha256"],
                              [(int(a), int(b)) for a, b in d["pages"]], _added(d),
                              [(int(a), int(b)) for a, b in d["records"]])
                     for d in read("documents.json")]
        sentences = [Sentence(*s) for s in read("sentences.json")]
        passages = []
        for pid, (doc, section, start, end, first, last) in enumerate(read("passages.json")):
            d = documents[doc]
            passages.append(Passage(pid, doc, d.source, d.title, section, start, end, d.text[start:end], first, last,
                                    d.page_at(start)))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise IndexCorruptError(folder, f"holds JSON of an unexpected shape ({exc!r}).") from None
    return documents, Chunks(passages, sentences)


def _read_vectors(folder: Path, sentences: int, dimension: int):
    """The FAISS index of a generation, checked against the number of sentences and the dimension."""
    import faiss

    try:
        vectors = faiss.read_index(str(folder / "vectors.faiss"))
    except RuntimeError as exc:
        raise IndexCorruptError(folder / "vectors.faiss", f"cannot be read by FAISS ({str(exc).splitlines()[0]}).") from None
    if vectors.ntotal != sentences or vectors.d != dimension:
        raise IndexCorruptError(folder / "vectors.faiss",
                                f"holds {vectors.ntotal} vectors of dimension {vectors.d}, expected "
                                f"{sentences} of dimension {dimension}.")
    return vectors


def _load_generation(index_dir, name: str | None, *, model: ModelInfo | None, settings: IndexSettings | None,
                     verify: bool) -> PassageIndex:
    folder, manifest = read_manifest(index_dir, name)
    problem = manifest_problem(manifest, model, settings)
    if problem:
        raise mismatch_error(repr(str(index_dir)), problem)
    if verify:
        verify_files(folder, manifest)
    documents, chunks = _read_chunks(folder)
    vectors = _read_vectors(folder, len(chunks.sentences), manifest["model"]["dimension"])
    stored = IndexSettings.from_dict(manifest["settings"])
    if hasattr(vectors, "hnsw"):
        vectors.hnsw.efSearch = (settings or stored).hnsw_ef_search
    try:
        lexical = LexicalIndex.load(folder / "bm25", len(chunks.passages))
    except (OSError, ValueError, KeyError) as exc:
        raise IndexCorruptError(folder / "bm25", f"cannot be read ({exc}).") from None
    return PassageIndex(documents, chunks, vectors, lexical, ModelInfo(**manifest["model"]), stored, folder=folder)
