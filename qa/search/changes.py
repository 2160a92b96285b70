"""Adding files to a corpus and removing documents from it, the index updated in the same step.

Each change takes the index's build lock (changes take turns with each other and with
builds), checks every file before anything is written (its name, type, size, and that
text can be read from it), writes the accepted files into the corpus folder atomically,
and saves the updated index as a new generation (``CURRENT`` switched atomically): a
reader loads the index from before or from after the change, never a mix. Only new or
changed documents are embedded. If the update fails, the corpus folder is put back.

    >>> import pathlib, tempfile
    >>> from tests.support.fakes import HashEmbeddings
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "docs").mkdir(), (folder / "docs" / "a.txt").write_text("Crows use tools.")
    >>> change = add_documents(folder / "docs", folder / "index", [("../../Owls?.md", b"Owls hunt at night.")],
    ...                        HashEmbeddings())
    >>> change.added, sorted(d.source for d in change.index.documents)
    (['Owls_.md'], ['Owls_.md', 'a.txt'])
    >>> remove_document(folder / "docs", folder / "index", "a.txt", HashEmbeddings()).removed
    ['a.txt']
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from ..errors import CorpusError, DocumentError, IndexMismatchError, IndexMissingError
from ..ingest.corpus import document_from_bytes, load_corpus
from ..ingest.document import Document
from ..ingest.loaders import LOADERS
from ..settings import DEFAULT_MAX_FILE_BYTES
from .embeddings import ArrayEmbeddings
from .index import IndexSettings, PassageIndex, Progress, build_index
from .lifecycle import BuildReport
from .storage import build_lock, load_index, save_index

MAX_NAME_CHARS = 120          # a sanitised file name is cut to this length (its suffix kept)
_UNSAFE = re.compile(r"[^\w .,()+\-]")   # anything else in a file name becomes "_"


@dataclass
class Change:
    """What :func:`add_documents` or :func:`remove_document` did, and the index after it."""

    index: PassageIndex
    report: BuildReport
    added: list[str] = field(default_factory=list)      # new documents (their names in the corpus)
    replaced: list[str] = field(default_factory=list)   # documents whose file was replaced
    removed: list[str] = field(default_factory=list)
    rejected: list[DocumentError] = field(default_factory=list)   # files refused, each with its reason


def safe_name(name) -> str:
    """A file name that can only land directly in the corpus folder: the last part of
    ``name`` (after any ``/`` or ``\\\\``), with characters other than letters, digits,
    space and ``.,()+-_`` replaced, no leading dot, at most :data:`MAX_NAME_CHARS`.

    >>> safe_name("C:\\\\fakepath\\\\..\\\\Report <final>.PDF"), safe_name("../.bashrc.txt")
    ('Report _final_.PDF', 'bashrc.txt')
    """
    shown = name if isinstance(name, str) else repr(name)
    base = re.split(r"[\\\\/]", unicodedata.normalize("NFC", name))[-1] if isinstance(name, str) else ""
    base = " ".join(_UNSAFE.sub("_", base).split()).lstrip(". -").rstrip(". ")
    stem, suffix = os.path.splitext(base)
    if not stem or len(suffix) > MAX_NAME_CHARS // 2:
        raise DocumentError(shown[:MAX_NAME_CHARS], "has no usable file name.", reason="bad-name",
                            hint="Name the file like report.pdf.")
    return stem[:MAX_NAME_CHARS - len(suffix)].rstrip(". ") + suffix


def _accept(name, data, limit: int, existing: dict[str, str]) -> Document:
    """The document of an uploaded file, or :class:`DocumentError` saying why it is refused."""
    safe = safe_name(name)
    if Path(safe).suffix.lower() not in LOADERS:
        raise DocumentError(safe, f"is not a supported type ({Path(safe).suffix or 'no suffix'}).",
                            reason="unsupported", hint=f"Supported: {', '.join(sorted(LOADERS))}.")
    if not isinstance(data, (bytes, bytearray)):
        raise DocumentError(safe, f"has no bytes (got {type(data).__name__}).", reason="unreadable")
    if len(data) > limit:
        raise DocumentError(safe, f"is {len(data):,} bytes; the limit is {limit:,} (QA_MAX_FILE_BYTES).",
                            reason="too-large", hint="Split it into smaller files or raise the limit.")
    doc = document_from_bytes(safe, bytes(data))
    twin = existing.get(doc.sha256)
    if twin is not None and twin != safe:
        raise DocumentError(safe, f"is a duplicate of {twin}; it is already indexed.", reason="duplicate")
    return doc


def _previous(index_dir: Path, embeddings: ArrayEmbeddings, settings: IndexSettings) -> PassageIndex | None:
    try:
        return load_index(index_dir, model=embeddings.model_info, settings=settings)
    except (IndexMissingError, IndexMismatchError):
        return None


def _rebuild(corpus_dir: Path, index_dir: Path, previous: PassageIndex | None, embeddings: ArrayEmbeddings,
             settings: IndexSettings, progress: Progress | None, reason: str,
             max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> tuple[PassageIndex, BuildReport]:
    """Index the corpus folder as it now is (under the build lock), reusing ``previous``."""
    known = {d.source: d for d in previous.documents} if previous is not None else None
    corpus = load_corpus(corpus_dir, known=known, max_file_bytes=max_file_bytes)
    index, stats = build_index(corpus, embeddings, settings, previous=previous, progress=progress)
    save_index(index, index_dir)
    return index, BuildReport("updated" if previous is not None else "built", reason, stats.embedded_sentences,
                              stats.reused_sentences, tuple(corpus.skipped))


def _write_atomically(path: Path, data: bytes) -> Path | None:
    """Write ``data`` to ``path`` (through a hidden temporary file); return the hidden backup
    of the file it replaced, if any."""
    token = secrets.token_hex(4)
    tmp = path.with_name(f".{path.name}.{token}.upload")
    with open(tmp, "xb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    backup = None
    if path.exists() or path.is_symlink():
        backup = path.with_name(f".{path.name}.{token}.replaced")
        os.replace(path, backup)
    os.replace(tmp, path)
    return backup


def add_documents(corpus_dir, index_dir, files: Iterable[tuple[str, bytes]], embeddings: ArrayEmbeddings,
                  settings: IndexSettings = IndexSettings(), progress: Progress | None = None,
                  on_wait: Callable[[str], None] | None = None, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> Change:
    """Add ``files`` (``(name, bytes)`` pairs, e.g. uploads) to the corpus folder and the index.

    Names are sanitised (:func:`safe_name`); a file whose name is taken replaces that
    document. Files refused (unsupported type, over ``max_file_bytes``, empty, no text,
    encrypted, corrupt, a duplicate...) are listed in ``Change.rejected`` and nothing of
    them is written. With nothing accepted, the index is left as it is."""
    corpus_dir, index_dir = Path(corpus_dir), Path(index_dir)
    with build_lock(index_dir, on_wait):
        previous = _previous(index_dir, embeddings, settings)
        existing = {d.sha256: d.source for d in previous.documents} if previous is not None else {}
        accepted: dict[str, bytes] = {}
        rejected: list[DocumentError] = []
        for name, data in files:
            try:
                doc = _accept(name, data, max_file_bytes, existing)
            except DocumentError as exc:
                rejected.append(exc)
                continue
            accepted[doc.source] = bytes(data)
            existing[doc.sha256] = doc.source
        if not accepted:
            if previous is None:
                raise CorpusError(f"None of the {len(rejected)} file(s) could be added"
                                  f"{f' ({rejected[0]})' if rejected else ''}.", hint="Add a readable document.")
            return Change(previous, BuildReport("loaded"), rejected=rejected)
        return _apply(corpus_dir, index_dir, accepted, previous, embeddings, settings, progress, rejected,
                      max_file_bytes)


def _apply(corpus_dir: Path, index_dir: Path, accepted: dict[str, bytes], previous, embeddings, settings,
           progress, rejected, max_file_bytes: int) -> Change:
    """Write the accepted files, update the index, and put the folder back if that fails."""
    corpus_dir.mkdir(parents=True, exist_ok=True)
    written: dict[Path, Path | None] = {}
    try:
        for name, data in accepted.items():
            target = corpus_dir / name
            if target.resolve().parent != corpus_dir.resolve() or target.is_dir():
                raise DocumentError(name, "cannot be written into the corpus folder.", reason="bad-name")
            written[target] = _write_atomically(target, data)
        index, report = _rebuild(corpus_dir, index_dir, previous, embeddings, settings, progress,
                                 f"added {', '.join(accepted)}", max_file_bytes)
    except BaseException:
        for target, backup in written.items():
            with contextlib.suppress(OSError):
                os.replace(backup, target) if backup else target.unlink()
        raise
    for backup in filter(None, written.values()):
        with contextlib.suppress(OSError):
            backup.unlink()
    names = [t.name for t in written]
    return Change(index, report, added=[n for t, n in zip(written.values(), names) if t is None],
                  replaced=[n for t, n in zip(written.values(), names) if t is not None], rejected=rejected)


def _document_path(corpus_dir: Path, source) -> Path:
    """The file of document ``source`` (a path relative to the corpus folder), checked to be in it."""
    if not isinstance(source, str) or not source or source.startswith("/") or ".." in Path(source).parts:
        raise DocumentError(str(source)[:MAX_NAME_CHARS], "is not a document of this corpus.", reason="not-found")
    path = corpus_dir / source
    if not path.parent.resolve().is_relative_to(corpus_dir.resolve()) or not (path.is_file() or path.is_symlink()):
        raise DocumentError(source, "is not a document of this corpus.", reason="not-found")
    return path


def remove_document(corpus_dir, index_dir, source: str, embeddings: ArrayEmbeddings,
                    settings: IndexSettings = IndexSettings(), progress: Progress | None = None,
                    on_wait: Callable[[str], None] | None = None,
                    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> Change:
    """Remove document ``source`` (its path in the corpus folder) from the folder and the index.

    The file is moved aside (a hidden name), the index saved without it, and only then
    deleted; if the update fails it is put back. The last document can't be removed.
    ``max_file_bytes``: as :func:`add_documents` (the other files are read again)."""
    corpus_dir, index_dir = Path(corpus_dir), Path(index_dir)
    with build_lock(index_dir, on_wait):
        path = _document_path(corpus_dir, source)
        previous = _previous(index_dir, embeddings, settings)
        if previous is not None and [d.source for d in previous.documents] == [source]:
            raise DocumentError(source, "is the only document; an index needs at least one.",
                                reason="last-document", hint="Add another document first.")
        aside = path.with_name(f".{path.name}.{secrets.token_hex(4)}.removed")
        os.replace(path, aside)
        try:
            index, report = _rebuild(corpus_dir, index_dir, previous, embeddings, settings, progress,
                                     f"removed {source}", max_file_bytes)
        except BaseException:
            os.replace(aside, path)
            raise
        aside.unlink()
    return Change(index, report, removed=[source])
