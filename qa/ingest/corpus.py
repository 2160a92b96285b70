"""Loading a folder of documents: text, title and section headings, offsets kept.

A document's ``text`` is the file decoded as UTF-8 with line endings unified
to ``\\n``; the format's loader (:mod:`qa.ingest.loaders`) finds its title and sections.

    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.md").write_text("# Birds\\n\\n## Crows\\n\\nCrows are clever.\\n")
    >>> corpus = load_corpus(folder)
    >>> doc = corpus.documents[0]
    >>> doc.title, [s.heading for s in doc.sections]
    ('Birds', ['', 'Crows'])
    >>> doc.text[doc.sections[1].start:doc.sections[1].end].strip()
    'Crows are clever.'

Files that can't be used are listed in ``Corpus.skipped`` with the reason.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path
from typing import Iterable

from ..errors import CorpusError, DocumentError
from ..settings import Settings
from .document import Corpus, Document
from .loaders import LOADERS

BINARY_SNIFF_BYTES = 8192  # a NUL byte in the first this-many bytes marks a binary file

# Control characters other than tab and newline (C0, DEL, C1): printed by the CLI they
# would drive the terminal (ANSI escape sequences), so they become spaces (offsets keep).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def decode(data: bytes, path) -> str:
    """Decode file bytes as UTF-8 (a BOM is dropped); unify line endings; control
    characters other than tab and newline become spaces."""
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        raise DocumentError(path, "looks like a binary file (it contains NUL bytes).",
                            hint="Only UTF-8 text files (.txt, .md) are indexed.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            path, f"is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}).",
            hint="Save it as UTF-8 and index again.") from None
    return _CONTROLS.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))


def _relative_name(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` with forward slashes; a name that is not valid UTF-8
    or holds control characters is refused (it could not be shown or stored safely)."""
    rel = path.relative_to(root).as_posix()
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(rel).decode("utf-8", "replace")
        raise DocumentError(shown, "has a file name that is not valid UTF-8.", hint="Rename it.") from None
    if _CONTROLS.search(rel):
        raise DocumentError(_CONTROLS.sub("?", rel), "has control characters in its file name.", hint="Rename it.")
    return rel


def _read_bytes(path: Path, rel: str, root: Path, limit: int) -> bytes:
    """The file's bytes, refusing links out of ``root``, non-regular files and files over ``limit``."""
    try:
        if path.is_symlink():
            try:
                target = path.resolve(strict=True)
            except (OSError, RuntimeError):
                raise DocumentError(rel, "is a broken link (or a loop of links).") from None
            if not target.is_relative_to(root.resolve()):
                raise DocumentError(rel, "is a link to a file outside the corpus folder; it is not followed.",
                                    hint="Copy the file into the folder instead.")
        # O_NONBLOCK: opening a named pipe must not hang; fstat then says what was opened.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as f:
            info = os.fstat(f.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise DocumentError(rel, "is not a regular file (a pipe, socket or device).")
            if info.st_size > limit:
                raise DocumentError(rel, f"is {info.st_size:,} bytes; the limit is {limit:,} (QA_MAX_FILE_BYTES).",
                                    hint="Split it into smaller files or raise the limit.")
            data = f.read(limit + 1)
    except OSError as exc:
        raise DocumentError(rel, f"cannot be read ({exc.strerror or exc}).") from None
    if len(data) > limit:
        raise DocumentError(rel, f"grew past the limit of {limit:,} bytes while being read (QA_MAX_FILE_BYTES).")
    return data


def load_document(path: Path, root: Path, max_file_bytes: int | None = None) -> Document:
    """Load one file; raise :class:`DocumentError` naming it when it can't be used.
    ``max_file_bytes`` defaults to ``QA_MAX_FILE_BYTES`` (read now)."""
    rel = _relative_name(path, root)
    limit = max_file_bytes or Settings.get("max_file_bytes")
    data = _read_bytes(path, rel, root, limit)
    text = decode(data, rel)
    if not text.strip():
        raise DocumentError(rel, "is empty.")
    loader = LOADERS[path.suffix.lower()]
    title, sections = loader(text, path.stem.replace("_", " ").replace("-", " "))
    if not any(text[s.start:s.end].strip() for s in sections):
        raise DocumentError(rel, "has no text besides its title and headings.",
                            hint="A lone line without closing punctuation is read as a title; end it with a period.")
    return Document(rel, title, text, sections, hashlib.sha256(data).hexdigest())


def iter_files(root: Path) -> Iterable[Path]:
    """Files under ``root`` with a known suffix, sorted; hidden entries are passed
    over and linked folders are not entered. Linked files are yielded:
    :func:`load_document` refuses those that lead outside ``root``."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or Path(name).suffix.lower() not in LOADERS:
                continue
            yield Path(dirpath) / name


def load_corpus(root, *, strict: bool = False) -> Corpus:
    """Load every supported document under ``root`` (recursively).

    Unreadable files are collected in ``Corpus.skipped`` (or raised when
    ``strict``); identical files are kept once (the first in sorted order).
    Raises :class:`CorpusError` when no document can be used."""
    root = Path(root)
    if not root.is_dir():
        raise CorpusError(f"Corpus folder {str(root)!r} does not exist or is not a folder.",
                          hint="Point --corpus (or QA_CORPUS) at a folder of .txt or .md files.")
    limit = Settings.get("max_file_bytes")
    documents: list[Document] = []
    skipped: list[DocumentError] = []
    seen: dict[str, str] = {}
    for path in iter_files(root):
        try:
            doc = load_document(path, root, limit)
        except DocumentError as exc:
            if strict:
                raise
            skipped.append(exc)
            continue
        if doc.sha256 in seen:
            skipped.append(DocumentError(doc.source, f"is a duplicate of {seen[doc.sha256]}; indexed once."))
            continue
        seen[doc.sha256] = doc.source
        documents.append(doc)
    if not documents:
        kinds = ", ".join(sorted(LOADERS))
        detail = f" ({len(skipped)} file(s) skipped: {skipped[0]})" if skipped else ""
        raise CorpusError(f"No usable documents in {str(root)!r}{detail}.",
                          hint=f"Add UTF-8 files ending in {kinds}.")
    return Corpus(root, documents, skipped)
