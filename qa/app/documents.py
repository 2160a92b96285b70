"""The chat window's documents as plain data: the list (name, format, passages, date added),
and uploads and removals through an :class:`~qa.app.api.Answerer`, each turned into one
message per file that people can read. No Gradio here: :mod:`qa.app.documents_panel` wires
these into the page, and they are tested without a browser.

    >>> from collections import Counter
    >>> from types import SimpleNamespace as NS
    >>> index = NS(documents=[NS(source="moon.pdf", added="2026-03-01T09:30:00+00:00")],
    ...            passage_counts=lambda: Counter({"moon.pdf": 3}))
    >>> document_rows(index)[0].cells()
    ['moon.pdf', 'PDF', 3, '2026-03-01 09:30 UTC']
    >>> outcome_html(Outcome([("rejected", "evil.exe: is not a supported type (.exe).")]))
    '<ul class="qa-outcome"><li class="qa-rejected">✗ evil.exe&#58; is not a supported type (.exe).</li></ul>'
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

from ..errors import DocumentError, QAError
from ..search.changes import Change, safe_name
from .conversation import GENERIC_ERROR
from .render import escape_text
from .server import FILES_PER_UPLOAD

logger = logging.getLogger(__name__)

FORMATS = {".pdf": "PDF", ".html": "HTML", ".htm": "HTML", ".docx": "DOCX", ".md": "Markdown",
           ".markdown": "Markdown", ".txt": "Text"}
HEADERS = ["Document", "Format", "Passages", "Added"]
MARKS = {"added": "✓", "replaced": "✓", "removed": "✓", "rejected": "✗", "error": "✗"}

Progress = Callable[[str, int, int], None]   # (what is being done, done, total)


def plural(n: int, word: str) -> str:
    """``"1 passage"``, ``"2 passages"``."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def human_bytes(n: int) -> str:
    """A size for people: ``human_bytes(20 * 2**20)`` -> ``'20 MiB'``, ``human_bytes(1500)`` -> ``'1.5 KiB'``."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f}".removesuffix(".0") + f" {unit}"
    return plural(n, "byte")


def format_name(source: str) -> str:
    """The format of a document, from its suffix: ``"PDF"``, ``"Markdown"``...; a suffix of
    a loader registered by the user is shown as it is (``".csv"`` -> ``"CSV"``)."""
    suffix = Path(source).suffix.lower()
    return FORMATS.get(suffix, suffix.lstrip(".").upper() or "?")


def shown_date(added: str) -> str:
    """``"2026-03-01 09:30 UTC"`` for a stored date added; ``"—"`` when none was kept (an
    index written before dates were)."""
    try:
        return datetime.fromisoformat(added).strftime("%Y-%m-%d %H:%M UTC")
    except (TypeError, ValueError):
        return "—"


@dataclass(frozen=True)
class DocumentRow:
    """One line of the document list."""

    name: str
    format: str
    passages: int
    added: str   # ISO 8601, UTC ("" when unknown)

    def cells(self) -> list:
        """The row as the page's table shows it."""
        return [self.name, self.format, self.passages, shown_date(self.added)]


def document_rows(index) -> list[DocumentRow]:
    """The documents of ``index`` in its order, each with its number of passages."""
    counts = index.passage_counts()
    return [DocumentRow(d.source, format_name(d.source), counts[d.source], getattr(d, "added", ""))
            for d in index.documents]


@dataclass
class Outcome:
    """What an upload or a removal did: one ``(kind, message)`` line per file, ``kind`` one of
    ``added``, ``replaced``, ``removed``, ``rejected`` (the file, with its reason) or ``error``
    (the whole change failed; nothing changed), and the :class:`Change` when there was one."""

    lines: list[tuple[str, str]] = field(default_factory=list)
    change: Change | None = None
    rejected: list[DocumentError] = field(default_factory=list)

    def to_dict(self, index=None) -> dict:
        """The API's answer: names added, replaced and removed, files rejected with their reason
        (``file``, ``reason``, ``message``; not ``path``, which gradio_client takes for a file to
        download), the messages, and the document list after it."""
        c = self.change
        return {"added": list(c.added) if c else [], "replaced": list(c.replaced) if c else [],
                "removed": list(c.removed) if c else [], "rejected": [{"file": e.path, "reason": e.reason, "message": str(e)} for e in self.rejected],
                "messages": [{"kind": k, "message": m} for k, m in self.lines],
                "documents": [asdict(r) for r in document_rows(index)] if index is not None else []}


def outcome_html(outcome: Outcome) -> str:
    """The messages of ``outcome`` as an escaped list (empty when there are none)."""
    if not outcome.lines:
        return ""
    items = "".join(f'<li class="qa-{kind}">{MARKS.get(kind, "")} {escape_text(text)}</li>'
                    for kind, text in outcome.lines)
    return f'<ul class="qa-outcome">{items}</ul>'


def read_upload(path, max_bytes: int, upload_root: Path | None = None) -> tuple[str, bytes]:
    """``(file name, bytes)`` of an uploaded file at ``path``, or :class:`DocumentError`: over
    ``max_bytes`` (``QA_MAX_UPLOAD_BYTES``), not a regular file, or outside ``upload_root``
    (Gradio's upload folder: Gradio hands the handler only its own uploads, checked again here)."""
    if not isinstance(path, (str, os.PathLike)):
        raise DocumentError(repr(path)[:80], "is not an uploaded file.", reason="unreadable")
    p = Path(path)
    if upload_root is not None and not p.resolve().is_relative_to(Path(upload_root).resolve()):
        raise DocumentError(p.name, "was not uploaded to this server.", reason="unreadable")
    try:
        size = p.stat().st_size
        if not p.is_file():
            raise DocumentError(p.name, "is not a regular file.", reason="not-regular")
        if size > max_bytes:
            raise DocumentError(p.name, f"is {size:,} bytes; the limit is {max_bytes:,} (QA_MAX_UPLOAD_BYTES).",
                                hint="Split it into smaller files.", reason="too-large")
        return p.name, p.read_bytes()
    except OSError as exc:
        raise DocumentError(p.name, f"cannot be read ({exc.strerror or exc}).", reason="unreadable") from None


def _passages_of(index, name: str) -> int:
    return index.passage_counts()[name]


def _change_lines(change: Change, originals: dict[str, str]) -> list[tuple[str, str]]:
    """A line per document added or replaced (``originals``: saved name -> name as uploaded)."""
    lines = []
    for kind, names in (("added", change.added), ("replaced", change.replaced)):
        for name in names:
            shown = name if originals.get(name, name) == name else f"{originals[name]} (saved as {name})"
            what = "added" if kind == "added" else "replaced the earlier file of that name"
            lines.append((kind, f"{shown}: {what}; {plural(_passages_of(change.index, name), 'passage')}."))
    return lines


def _refused(exc: Exception, action: str) -> Outcome:
    """The outcome of a change that failed as a whole: the library's message, or an apology."""
    if isinstance(exc, QAError):
        return Outcome([("error", f"Nothing was {action}: {exc}")])
    logger.error("Unexpected error while documents were %s", action, exc_info=exc)
    return Outcome([("error", GENERIC_ERROR)])


def upload(answerer, paths, *, max_bytes: int, max_files: int = FILES_PER_UPLOAD,
           upload_root: Path | None = None, progress: Progress | None = None) -> Outcome:
    """Add the uploaded files at ``paths`` to ``answerer``'s corpus and index
    (:meth:`~qa.app.api.Answerer.add_documents`); one message per file. At most ``max_files``
    are taken (the others are refused by name); ``progress`` hears ``("Reading", i, n)`` and
    ``("Embedding", done, total)`` (sentences). Never raises for a bad file or a failed change."""
    paths = [p for p in (paths or []) if p]
    files, rejected, originals = [], [], {}
    for i, path in enumerate(paths):
        if progress:
            progress("Reading", i, len(paths))
        try:
            if i >= max_files:
                raise DocumentError(Path(str(path)).name, f"was not added: one upload takes at most {max_files} "
                                    "files.", hint="Add it in another upload.", reason="too-many")
            name, data = read_upload(path, max_bytes, upload_root)
        except DocumentError as exc:
            rejected.append(exc)
            continue
        files.append((name, data))
        try:
            originals[safe_name(name)] = name
        except DocumentError:
            pass    # add_documents refuses it with its reason
    if not files:
        return Outcome([("rejected", str(e)) for e in rejected] or [("error", "No files were given.")],
                       rejected=rejected)
    embedding = (lambda done, total: progress("Embedding", done, total)) if progress else None
    try:
        change = answerer.add_documents(files, progress=embedding)
    except Exception as exc:  # noqa: BLE001 - the window must stay up; the reason is shown or logged
        return _refused(exc, "added")
    rejected += change.rejected
    return Outcome(_change_lines(change, originals) + [("rejected", str(e)) for e in rejected], change, rejected)


def remove(answerer, name, progress: Progress | None = None) -> Outcome:
    """Remove document ``name`` from ``answerer``'s corpus and index
    (:meth:`~qa.app.api.Answerer.remove_document`); the last one can't be. Never raises."""
    if not isinstance(name, str) or not name.strip():
        return Outcome([("error", "Choose a document to remove.")])
    embedding = (lambda done, total: progress("Embedding", done, total)) if progress else None
    passages = _passages_of(answerer.index, name)
    try:
        change = answerer.remove_document(name, progress=embedding)
    except Exception as exc:  # noqa: BLE001
        return _refused(exc, "removed")
    return Outcome([("removed", f"{name}: removed, with its {plural(passages, 'passage')}.")], change)
