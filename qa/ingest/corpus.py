"""Loading a folder of documents: text, title, sections and pages, offsets kept.

A document's ``text`` is what its format's loader (:mod:`qa.ingest.loaders`) extracted from
the file: for plain text and Markdown the file decoded as UTF-8 with line endings unified
to ``\\n`` (a Markdown table's rows read as records, :mod:`qa.ingest.tables`); for PDF, HTML
and DOCX the text they show.

    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.md").write_text("# Birds\\n\\n## Crows\\n\\nCrows are clever.\\n")
    >>> _ = (folder / "photo.png").write_bytes(b"\\x89PNG")
    >>> corpus = load_corpus(folder)
    >>> doc = corpus.documents[0]
    >>> doc.title, [s.heading for s in doc.sections]
    ('Birds', ['', 'Crows'])
    >>> doc.text[doc.sections[1].start:doc.sections[1].end].strip()
    'Crows are clever.'
    >>> [(e.path, e.reason) for e in corpus.skipped]
    [('photo.png', 'unsupported')]

Every file that is not indexed is listed in ``Corpus.skipped`` with the reason (hidden
files and folders, whose names start with a dot, are not read at all).
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path
from typing import Iterable, Mapping

from ..errors import CorpusError, DocumentError, ExtractionError
from ..settings import DEFAULT_MAX_FILE_BYTES
from .document import Corpus, Document
from .limits import Limits, check_sentences
from .loaders import LOADERS, extract

# Control characters other than tab and newline (C0, DEL, C1): printed by the CLI they
# would drive the terminal (ANSI escape sequences), so they become spaces (offsets keep).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def fallback_title(name: str) -> str:
    """A title from a file name: ``"moon_base-report.pdf"`` -> ``"moon base report"``."""
    return Path(name).stem.replace("_", " ").replace("-", " ").strip() or name


def _relative_name(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` with forward slashes; a name that is not valid UTF-8
    or holds control characters is refused (it could not be shown or stored safely)."""
    rel = path.relative_to(root).as_posix()
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(rel).decode("utf-8", "replace")
        raise DocumentError(shown, "has a file name that is not valid UTF-8.", hint="Rename it.",
                            reason="bad-name") from None
    if _CONTROLS.search(rel):
        raise DocumentError(_CONTROLS.sub("?", rel), "has control characters in its file name.",
                            hint="Rename it.", reason="bad-name")
    return rel


def _read_bytes(path: Path, rel: str, root: Path, limit: int) -> bytes:
    """The file's bytes, refusing links out of ``root``, non-regular files and files over ``limit``."""
    try:
        if path.is_symlink():
            try:
                target = path.resolve(strict=True)
            except (OSError, RuntimeError):
                raise DocumentError(rel, "is a broken link (or a loop of links).", reason="broken-link") from None
            if not target.is_relative_to(root.resolve()):
                raise DocumentError(rel, "is a link to a file outside the corpus folder; it is not followed.",
                                    hint="Copy the file into the folder instead.", reason="link-outside")
        # O_NONBLOCK: opening a named pipe must not hang; fstat then says what was opened.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as f:
            info = os.fstat(f.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise DocumentError(rel, "is not a regular file (a pipe, socket or device).", reason="not-regular")
            if info.st_size > limit:
                raise DocumentError(rel, f"is {info.st_size:,} bytes; the limit is {limit:,} (QA_MAX_FILE_BYTES).",
                                    hint="Split it into smaller files or raise the limit.", reason="too-large")
            data = f.read(limit + 1)
    except OSError as exc:
        raise DocumentError(rel, f"cannot be read ({exc.strerror or exc}).") from None
    if len(data) > limit:
        raise DocumentError(rel, f"grew past the limit of {limit:,} bytes while being read (QA_MAX_FILE_BYTES).",
                            reason="too-large")
    return data


def document_from_bytes(name: str, data: bytes, limits: Limits = Limits()) -> Document:
    """The document in file ``name`` (its path in the corpus) holding ``data``; a file that
    can't be used is a :class:`DocumentError` naming it, with the reason (``"too-large"``
    past ``limits``: its text, sentences or unpacked bytes)."""
    if not data.strip():
        raise DocumentError(name, "is empty.", reason="empty")
    try:
        extracted = extract(Path(name).suffix, data, limits)
    except ExtractionError as exc:
        raise DocumentError(name, exc.message, hint=exc.hint, reason=exc.reason) from None
    text = _CONTROLS.sub(" ", extracted.text)
    if not text.strip():
        raise DocumentError(name, "is empty (no text in it).", reason="empty")
    if not any(text[s.start:s.end].strip() for s in extracted.sections):
        raise DocumentError(name, "has no text besides its title and headings.", reason="no-text",
                            hint="A lone line without closing punctuation is read as a title; end it with a period.")
    title = " ".join(_CONTROLS.sub(" ", extracted.title).split()) or fallback_title(name)
    doc = Document(name, title, text, extracted.sections, hashlib.sha256(data).hexdigest(), extracted.pages,
                   records=extracted.records)
    try:
        check_sentences(doc, limits)
    except ExtractionError as exc:
        raise DocumentError(name, exc.message, hint=exc.hint, reason=exc.reason) from None
    return doc


def load_document(path: Path, root: Path, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
                  known: Mapping[str, Document] | None = None, limits: Limits = Limits(),
                  refused: Mapping[str, DocumentError] | None = None) -> Document:
    """Load one file; raise :class:`DocumentError` naming it when it can't be used.
    ``max_file_bytes``: the largest file read (the edges pass ``QA_MAX_FILE_BYTES``); ``known`` documents
    (by source) whose bytes are unchanged are reused without extracting them again, and
    ``refused`` ones (their errors, by source) are refused again without being read."""
    rel = _relative_name(path, root)
    if path.suffix.lower() not in LOADERS:
        raise DocumentError(rel, f"is not a supported type ({path.suffix or 'no suffix'}).", reason="unsupported",
                            hint=f"Supported: {', '.join(sorted(LOADERS))}.")
    data = _read_bytes(path, rel, root, max_file_bytes)
    digest = hashlib.sha256(data).hexdigest()
    previous = (known or {}).get(rel)
    if previous is not None and previous.sha256 == digest:
        return previous
    earlier = (refused or {}).get(rel)
    if earlier is not None and earlier.sha256 == digest:
        raise earlier
    try:
        return document_from_bytes(rel, data, limits)
    except DocumentError as exc:
        exc.sha256 = digest
        raise


def iter_files(root: Path) -> Iterable[Path]:
    """Files under ``root``, sorted; hidden entries are passed over and linked folders are
    not entered. Linked files are yielded: :func:`load_document` refuses those that lead
    outside ``root``."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath) / name


def load_corpus(root, *, strict: bool = False, known: Mapping[str, Document] | None = None,
                max_file_bytes: int = DEFAULT_MAX_FILE_BYTES, limits: Limits = Limits(),
                refused: Iterable[DocumentError] = ()) -> Corpus:
    """Load every document under ``root`` (recursively).

    Files that can't be used (unsupported, unreadable, too large...) are collected in
    ``Corpus.skipped`` (or raised when ``strict``); identical files are kept once (the
    first in sorted order). ``known``: documents by source, reused when their file is
    unchanged (see :func:`load_document`); files over ``max_file_bytes`` are skipped; ``refused``:
    files skipped before (``Corpus.skipped``), skipped again without being read while their bytes
    are unchanged. ``limits``: what one document may unpack to. Raises :class:`CorpusError` when no
    document can be used."""
    root = Path(root)
    if not root.is_dir():
        raise CorpusError(f"Corpus folder {str(root)!r} does not exist or is not a folder.",
                          hint="Point --corpus (or QA_CORPUS) at a folder of documents (.txt, .md, .pdf, .html, .docx).")
    documents: list[Document] = []
    skipped: list[DocumentError] = []
    seen: dict[str, str] = {}
    earlier = {e.path: e for e in refused if e.sha256}
    for path in iter_files(root):
        try:
            doc = load_document(path, root, max_file_bytes, known, limits, earlier)
        except DocumentError as exc:
            if strict:
                raise
            skipped.append(exc)
            continue
        if doc.sha256 in seen:
            skipped.append(DocumentError(doc.source, f"is a duplicate of {seen[doc.sha256]}; indexed once.",
                                         reason="duplicate"))
            continue
        seen[doc.sha256] = doc.source
        documents.append(doc)
    if not documents:
        kinds = ", ".join(sorted(LOADERS))
        detail = f" ({len(skipped)} file(s) skipped: {skipped[0]})" if skipped else ""
        raise CorpusError(f"No usable documents in {str(root)!r}{detail}.",
                          hint=f"Add files ending in {kinds}.")
    return Corpus(root, documents, skipped)
