"""Loading a folder of documents: text, title and section headings, offsets kept.

A ``Document``'s ``text`` is the file decoded as UTF-8 with line endings
unified to ``\\n``; every offset in this package (sections, passages,
citations) points into that string.

    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.md").write_text("# Birds\\n\\n## Crows\\n\\nCrows are clever.\\n")
    >>> corpus = load_corpus(folder)
    >>> doc = corpus.documents[0]
    >>> doc.title, [s.heading for s in doc.sections]
    ('Birds', ['', 'Crows'])
    >>> doc.text[doc.sections[1].start:doc.sections[1].end].strip()
    'Crows are clever.'

Plain-text files get headings too: a short line standing alone between blank
lines, with no closing punctuation, is a heading; the first one is the title.
New formats plug in with :func:`register_loader`.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from .errors import CorpusError, DocumentError

MAX_FILE_BYTES = 20 * 1024 * 1024  # default; QA_MAX_FILE_BYTES overrides it (read at each load)


def max_file_bytes() -> int:
    """The largest file indexed: ``QA_MAX_FILE_BYTES`` (read now, not at import) or 20 MiB."""
    value = os.environ.get("QA_MAX_FILE_BYTES") or ""
    try:
        return int(value) if value.strip() else MAX_FILE_BYTES
    except ValueError:
        raise CorpusError(f"QA_MAX_FILE_BYTES must be a whole number of bytes, got {value!r}.") from None


@dataclass(frozen=True)
class Section:
    """A run of a document under one heading. ``start``/``end`` bound the body
    (the heading line itself is outside it); ``heading`` is ``""`` before the first heading."""

    heading: str
    start: int
    end: int


@dataclass
class Document:
    source: str  # path relative to the corpus folder, with forward slashes
    title: str
    text: str
    sections: list[Section]
    sha256: str

    def section_at(self, offset: int) -> Section:
        for section in self.sections:
            if section.start <= offset < section.end:
                return section
        return self.sections[-1]


@dataclass
class Corpus:
    """The documents loaded from a folder, and the files passed over with the reason."""

    root: Path
    documents: list[Document]
    skipped: list[DocumentError] = field(default_factory=list)

    @property
    def hashes(self) -> dict[str, str]:
        return {d.source: d.sha256 for d in self.documents}


# A loader turns the decoded text of a file into (title, sections).
Loader = Callable[[str, str], tuple[str, list[Section]]]

_HEADING_MAX_CHARS = 90
_HEADING_MAX_WORDS = 12
_BLOCK = re.compile(r"[^\n]+(?:\n[^\n]+)*")


def _looks_like_heading(line: str) -> bool:
    s = line.strip()
    if not s or len(s) > _HEADING_MAX_CHARS or len(s.split()) > _HEADING_MAX_WORDS:
        return False
    if s[-1] in ".,;:!?\u2026\"'\u201d\u2019)" or not (s[0].isupper() or s[0].isdigit()):
        return False
    return any(ch.isalpha() for ch in s)


def _sections_from_headings(text: str, headings: list[tuple[int, int, str]]) -> list[Section]:
    """Build sections from (line_start, line_end, heading) triples in order."""
    sections: list[Section] = []
    body_start, current = 0, ""
    for line_start, line_end, heading in headings:
        if line_start > body_start or sections or current:
            sections.append(Section(current, body_start, line_start))
        current, body_start = heading, line_end
    sections.append(Section(current, body_start, len(text)))
    return [s for s in sections if s.end > s.start or len(sections) == 1]


def load_plain_text(text: str, fallback_title: str) -> tuple[str, list[Section]]:
    title = fallback_title
    headings: list[tuple[int, int, str]] = []
    blocks = list(_BLOCK.finditer(text))
    for i, m in enumerate(blocks):
        block = m.group(0)
        if "\n" in block.strip() or not _looks_like_heading(block):
            continue
        if i == 0:
            title = block.strip()
            headings.append((m.start(), m.end(), ""))  # the title line is not body text
        elif i + 1 < len(blocks):  # a heading is followed by something
            headings.append((m.start(), m.end(), " ".join(block.split())))
    return title, _sections_from_headings(text, headings)


_MD_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


def load_markdown(text: str, fallback_title: str) -> tuple[str, list[Section]]:
    title = fallback_title
    headings = []
    in_fence = False
    fence_spans = [(m.start(), m.end()) for m in re.finditer(r"^```.*?^```", text, re.MULTILINE | re.DOTALL)]
    for m in _MD_HEADING.finditer(text):
        in_fence = any(a <= m.start() < b for a, b in fence_spans)
        if in_fence:
            continue
        heading = " ".join(m.group(2).split())
        if len(m.group(1)) == 1 and title == fallback_title:
            title = heading
            headings.append((m.start(), m.end(), ""))
        else:
            headings.append((m.start(), m.end(), heading))
    return title, _sections_from_headings(text, headings)


LOADERS: dict[str, Loader] = {".txt": load_plain_text, ".md": load_markdown, ".markdown": load_markdown}


def register_loader(suffix: str, loader: Loader) -> None:
    """Teach :func:`load_corpus` a new file type, e.g. ``register_loader(".html", load_html)``.

    The loader receives the decoded text and a fallback title, and returns
    ``(title, sections)``; it must not change the text (offsets point into it)."""
    LOADERS[suffix.lower()] = loader


# Control characters other than tab and newline (C0, DEL, C1): printed by the CLI they
# would drive the terminal (ANSI escape sequences), so they become spaces (offsets keep).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def decode(data: bytes, path) -> str:
    """Decode file bytes as UTF-8 (a BOM is dropped); unify line endings; control
    characters other than tab and newline become spaces."""
    if b"\x00" in data[:8192]:
        raise DocumentError(path, "looks like a binary file (it contains NUL bytes).",
                            hint="Only UTF-8 text files (.txt, .md) are indexed.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            path, f"is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}).",
            hint="Save it as UTF-8 and index again.") from None
    return _CONTROLS.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))


def load_document(path: Path, root: Path) -> Document:
    """Load one file; raise :class:`DocumentError` naming it when it can't be used."""
    rel = path.relative_to(root).as_posix()
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(rel).decode("utf-8", "replace")
        raise DocumentError(shown, "has a file name that is not valid UTF-8.", hint="Rename it.") from None
    if _CONTROLS.search(rel):
        raise DocumentError(_CONTROLS.sub("?", rel), "has control characters in its file name.", hint="Rename it.")
    limit = max_file_bytes()
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
        if len(data) > limit:
            raise DocumentError(rel, f"grew past the limit of {limit:,} bytes while being read (QA_MAX_FILE_BYTES).")
    except OSError as exc:
        raise DocumentError(rel, f"cannot be read ({exc.strerror or exc}).") from None
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
    ``strict``); identical files are kept once. Raises :class:`CorpusError`
    when no document can be used."""
    root = Path(root)
    if not root.is_dir():
        raise CorpusError(f"Corpus folder {str(root)!r} does not exist or is not a folder.",
                          hint="Point --corpus (or QA_CORPUS) at a folder of .txt or .md files.")
    documents: list[Document] = []
    skipped: list[DocumentError] = []
    seen: dict[str, str] = {}
    for path in iter_files(root):
        try:
            doc = load_document(path, root)
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
