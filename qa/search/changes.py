"""Adding files to a corpus and removing documents from it, the index updated in the same step.

Files to add are first read, checked (their name, type, size, and that text can be read from
them within :class:`~qa.ingest.limits.Limits`) and embedded (:func:`stage_files`), before the
index's build lock is taken and before anything is written: a refused file leaves nothing on
disk, and a large one being read or embedded makes no other change wait. Then, under the lock
(changes take turns with each other and with builds), the accepted files are written into the
corpus folder atomically and the updated index saved as a new generation (``CURRENT`` switched
atomically): a reader loads the index from before or from after the change, never a mix. Only
new or changed documents are embedded. If the update fails, the corpus folder is put back.

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
from ..ingest.document import Corpus, Document
from ..ingest.limits import Limits
from ..ingest.loaders import LOADERS
from ..settings import DEFAULT_MAX_FILE_BYTES
from .embeddings import ArrayEmbeddings
from .index import BuildStats, IndexSettings, Lenders, PassageIndex, Progress, build_index
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


def _accept(name, data, limit: int, existing: dict[str, str], limits: Limits) -> Document:
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
    doc = document_from_bytes(safe, bytes(data), limits)
    twin = existing.get(doc.sha256)
    if twin is not None and twin != safe:
        raise DocumentError(safe, f"is a duplicate of {twin}; it is already indexed.", reason="duplicate")
    return doc


def _previous(index_dir: Path, embeddings: ArrayEmbeddings, settings: IndexSettings) -> PassageIndex | None:
    try:
        return load_index(index_dir, model=embeddings.model_info, settings=settings)
    except (IndexMissingError, IndexMismatchError):
        return None


@dataclass
class Staged:
    """Files read, checked and embedded for :func:`add_documents` (:func:`stage_files`); nothing
    of them is on disk yet, and no lock was taken."""

    documents: dict[str, tuple[Document, bytes]]   # accepted files by their name in the corpus
    rejected: list[DocumentError]
    index: PassageIndex | None = None               # the accepted documents' own index: their vectors
    stats: BuildStats = BuildStats(0, 0)


def stage_files(files: Iterable[tuple[str, bytes]], embeddings: ArrayEmbeddings,
                settings: IndexSettings = IndexSettings(), limits: Limits = Limits(),
                progress: Progress | None = None, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> Staged:
    """Read and check ``files`` (``(name, bytes)`` pairs) and embed those accepted, outside any
    lock: the slow part of adding a large document holds up no other change. A file refused
    (see :func:`add_documents`) is listed with its reason; two files alike are kept once."""
    limit = max_file_bytes
    documents: dict[str, tuple[Document, bytes]] = {}
    rejected: list[DocumentError] = []
    seen: dict[str, str] = {}
    for name, data in files:
        try:
            doc = _accept(name, data, limit, seen, limits)
        except DocumentError as exc:
            rejected.append(exc)
            continue
        documents[doc.source] = (doc, bytes(data))
        seen[doc.sha256] = doc.source
    if not documents:
        return Staged(documents, rejected)
    corpus = Corpus(Path("."), [doc for doc, _ in documents.values()])
    index, stats = build_index(corpus, embeddings, settings, progress=progress)
    return Staged(documents, rejected, index, stats)


def _rebuild(corpus_dir: Path, index_dir: Path, previous: PassageIndex | None, embeddings: ArrayEmbeddings,
             settings: IndexSettings, progress: Progress | None, reason: str, staged: Staged | None = None,
             limits: Limits = Limits(), refused: Iterable[DocumentError] = (),
             max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> tuple[PassageIndex, BuildReport]:
    """Index the corpus folder as it now is (under the build lock), reusing ``previous`` and
    the ``staged`` documents (read and embedded already), and skipping again the files
    ``refused`` before whose bytes are unchanged."""
    known = {d.source: d for d in previous.documents} if previous is not None else {}
    lenders, embedded_before = previous, 0
    if staged is not None and staged.index is not None:
        known.update((source, doc) for source, (doc, _) in staged.documents.items())
        lenders, embedded_before = Lenders(previous, staged.index), staged.stats.embedded_sentences
    corpus = load_corpus(corpus_dir, known=known, limits=limits, refused=refused, max_file_bytes=max_file_bytes)
    told = (lambda done, total: progress(done, total) if total else None) if progress else None   # not "0 of 0"
    index, stats = build_index(corpus, embeddings, settings, previous=lenders, progress=told)
    save_index(index, index_dir)
    embedded = stats.embedded_sentences + embedded_before   # the staged ones were embedded before the lock
    return index, BuildReport("updated" if previous is not None else "built", reason, embedded,
                              stats.reused_sentences - min(embedded_before, stats.reused_sentences),
                              tuple(corpus.skipped))


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


def add_documents(corpus_dir, index_dir, files: Iterable[tuple[str, bytes]] | Staged, embeddings: ArrayEmbeddings,
                  settings: IndexSettings = IndexSettings(), progress: Progress | None = None,
                  on_wait: Callable[[str], None] | None = None, limits: Limits = Limits(),
                  refused: Iterable[DocumentError] = (), max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> Change:
    """Add ``files`` (``(name, bytes)`` pairs, e.g. uploads, or what :func:`stage_files` made of
    them) to the corpus folder and the index.

    Names are sanitised (:func:`safe_name`); a file whose name is taken replaces that
    document. Files refused (unsupported type, over ``max_file_bytes``, empty, no text,
    encrypted, corrupt, too large once unpacked (``limits``), a duplicate...) are listed in
    ``Change.rejected`` and nothing of them is written. They are read, checked and embedded
    before the build lock is taken. ``refused``: files of the folder skipped before (see
    :func:`~qa.ingest.corpus.load_corpus`). With nothing accepted, the index is left as it is."""
    corpus_dir, index_dir = Path(corpus_dir), Path(index_dir)
    staged = files if isinstance(files, Staged) else stage_files(files, embeddings, settings, limits, progress,
                                                                 max_file_bytes)
    with build_lock(index_dir, on_wait):
        previous = _previous(index_dir, embeddings, settings)
        existing = {d.sha256: d.source for d in previous.documents} if previous is not None else {}
        accepted: dict[str, bytes] = {}
        rejected = list(staged.rejected)
        for source, (doc, data) in staged.documents.items():
            twin = existing.get(doc.sha256)
            if twin is not None and twin != source:
                rejected.append(DocumentError(source, f"is a duplicate of {twin}; it is already indexed.",
                                              reason="duplicate"))
                continue
            accepted[source] = data
        if not accepted:
            if previous is None:
                raise CorpusError(f"None of the {len(rejected)} file(s) could be added"
                                  f"{f' ({rejected[0]})' if rejected else ''}.", hint="Add a readable document.")
            return Change(previous, BuildReport("loaded"), rejected=rejected)

        def rebuild():
            return _rebuild(corpus_dir, index_dir, previous, embeddings, settings, progress,
                            f"added {', '.join(accepted)}", staged, limits, refused, max_file_bytes)

        return _apply(corpus_dir, accepted, rebuild, rejected)


def _apply(corpus_dir: Path, accepted: dict[str, bytes], rebuild: Callable[[], tuple[PassageIndex, BuildReport]],
           rejected: list[DocumentError]) -> Change:
    """Write the accepted files, update the index (``rebuild()``), and put the folder back if that fails."""
    corpus_dir.mkdir(parents=True, exist_ok=True)
    written: dict[Path, Path | None] = {}
    try:
        for name, data in accepted.items():
            target = corpus_dir / name
            if target.resolve().parent != corpus_dir.resolve() or target.is_dir():
                raise DocumentError(name, "cannot be written into the corpus folder.", reason="bad-name")
            written[target] = _write_atomically(target, data)
        index, report = rebuild()
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
                    on_wait: Callable[[str], None] | None = None, limits: Limits = Limits(),
                    refused: Iterable[DocumentError] = (), max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> Change:
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
                                     f"removed {source}", limits=limits, refused=refused,
                                     max_file_bytes=max_file_bytes)
        except BaseException:
            os.replace(aside, path)
            raise
        aside.unlink()
    return Change(index, report, removed=[source])
