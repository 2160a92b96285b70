"""Format loaders: a file's raw bytes in, an :class:`~qa.ingest.document.Extracted` out
(the text every offset points into, the title, the sections, the pages).

:data:`LOADERS` maps a file suffix to its loader, and :func:`register_loader` adds one.
The built-in formats use the same mechanism: plain text and Markdown here, PDF, HTML and
DOCX in :mod:`qa.ingest.formats` (their libraries are the ``formats`` extra). Plain text
gets headings too: a short line standing alone between blank lines, with no closing
punctuation, is a heading; the first one is the title.

    >>> e = load_markdown(b"# Birds\\n\\n## Crows\\n\\nCrows are clever.\\n")
    >>> e.title, [s.heading for s in e.sections]
    ('Birds', ['', 'Crows'])
    >>> load_text(b"Birds\\n\\nCrows are clever.\\n").title
    'Birds'

A loader of your own takes the bytes and returns ``Extracted``; a file it can't read is
an :class:`~qa.errors.ExtractionError` (listed with its reason, never a crash)::

    >>> import qa
    >>> def load_csv(data: bytes) -> qa.Extracted:
    ...     rows = [line.split(",") for line in data.decode("utf-8").splitlines()]
    ...     return qa.Extracted("\\n\\n".join(f"{k} is {v}." for k, v in rows))
    >>> qa.register_loader(".csv", load_csv)
    >>> extract(".csv", b"Paris,the capital").text
    'Paris is the capital.'
    >>> _ = LOADERS.pop(".csv")
"""

from __future__ import annotations

import re
from typing import Callable

from ..errors import ExtractionError
from .document import Extracted, Section
from .limits import Limits, budget, check_text

Loader = Callable[[bytes], Extracted]

BINARY_SNIFF_BYTES = 8192  # a NUL byte in the first this-many bytes marks a binary file
HEADING_MAX_CHARS = 90     # a plain-text line longer than this is body text, not a heading
HEADING_MAX_WORDS = 12
_BLOCK = re.compile(r"[^\n]+(?:\n[^\n]+)*")
_MD_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_MD_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
_SUFFIX = re.compile(r"\.[A-Za-z0-9_+-]{1,16}")


def decode_text(data: bytes) -> str:
    """File bytes as UTF-8 text (a BOM is dropped), line endings unified to ``\\n``."""
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        raise ExtractionError("looks like a binary file (it contains NUL bytes).", reason="binary",
                              hint="Text files (.txt, .md) must be UTF-8 text.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExtractionError(f"is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}).",
                              hint="Save it as UTF-8 and index again.", reason="not-utf8") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _looks_like_heading(line: str) -> bool:
    s = line.strip()
    if not s or len(s) > HEADING_MAX_CHARS or len(s.split()) > HEADING_MAX_WORDS:
        return False
    if s[-1] in ".,;:!?\u2026\"'\u201d\u2019)" or not (s[0].isupper() or s[0].isdigit()):
        return False
    return any(ch.isalpha() for ch in s)


def sections_from_headings(text: str, headings: list[tuple[int, int, str]]) -> list[Section]:
    """Sections from ``(line_start, line_end, heading)`` triples in order; a heading
    of ``""`` marks a title line, which is not body text."""
    sections: list[Section] = []
    body_start, current = 0, ""
    for line_start, line_end, heading in headings:
        if line_start > body_start or sections or current:
            sections.append(Section(current, body_start, line_start))
        current, body_start = heading, line_end
    sections.append(Section(current, body_start, len(text)))
    return [s for s in sections if s.end > s.start or len(sections) == 1]


def plain_text_structure(text: str) -> tuple[str, list[Section]]:
    """``(title, sections)`` of plain text: lone short lines are headings, the first one the
    title (``""`` when there is none)."""
    title = ""
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
    return title, sections_from_headings(text, headings)


def markdown_structure(text: str) -> tuple[str, list[Section]]:
    """``(title, sections)`` of Markdown: ``#`` headings outside code fences; the first ``# `` one is the title."""
    title = ""
    headings = []
    fence_spans = [(m.start(), m.end()) for m in _MD_FENCE.finditer(text)]
    for m in _MD_HEADING.finditer(text):
        if any(a <= m.start() < b for a, b in fence_spans):
            continue
        heading = " ".join(m.group(2).split())
        if len(m.group(1)) == 1 and not title:
            title = heading
            headings.append((m.start(), m.end(), ""))
        else:
            headings.append((m.start(), m.end(), heading))
    return title, sections_from_headings(text, headings)


def load_text(data: bytes) -> Extracted:
    """A ``.txt`` file: UTF-8 text; headings by :func:`plain_text_structure`."""
    text = decode_text(data)
    return Extracted(text, *plain_text_structure(text))


def load_markdown(data: bytes) -> Extracted:
    """A Markdown file: UTF-8 text; headings by :func:`markdown_structure`. The text is kept as
    written, but for pipe tables: each row is read as a record (:func:`~qa.ingest.tables.markdown_tables`)."""
    from .tables import markdown_tables

    text, records = markdown_tables(decode_text(data))
    return Extracted(text, *markdown_structure(text), records=records)


def _load_pdf(data: bytes) -> Extracted:
    from .formats.pdf import load_pdf

    return load_pdf(data)


def _load_html(data: bytes) -> Extracted:
    from .formats.html import load_html

    return load_html(data)


def _load_docx(data: bytes) -> Extracted:
    from .formats.docx import load_docx

    return load_docx(data)


LOADERS: dict[str, Loader] = {".txt": load_text, ".md": load_markdown, ".markdown": load_markdown,
                              ".pdf": _load_pdf, ".html": _load_html, ".htm": _load_html, ".docx": _load_docx}


def register_loader(suffix: str, loader: Loader) -> None:
    """Teach :func:`~qa.ingest.corpus.load_corpus` a file type, e.g. ``register_loader(".rst", load_rst)``.

    ``loader(data: bytes) -> Extracted``: the file's bytes in; out, the text (every offset
    points into it), and optionally its title, sections and pages. Raise
    :class:`~qa.errors.ExtractionError` for a file it can't read. Replaces any loader of ``suffix``."""
    if not isinstance(suffix, str) or not _SUFFIX.fullmatch(suffix):
        raise ValueError(f"suffix must look like '.ext' (a dot and 1 to 16 letters or digits), got {suffix!r}")
    if not callable(loader):
        raise TypeError(f"loader must be a function of the file's bytes, got {type(loader).__name__}")
    LOADERS[suffix.lower()] = loader


def _check(result, suffix: str) -> Extracted:
    """``result`` when it is a well-formed :class:`Extracted`, else :class:`ExtractionError`."""
    def bad(what: str) -> ExtractionError:
        return ExtractionError(f"the {suffix} loader returned {what}.", reason="loader-error",
                               hint="A loader returns qa.Extracted(text, title, sections, pages) with offsets "
                                    "inside the text, in order.")

    if not isinstance(result, Extracted) or not isinstance(result.text, str) or not isinstance(result.title, str):
        raise bad(f"{type(result).__name__}, not Extracted(text: str, title: str, ...)")
    n = len(result.text)
    for kind, spans in (("sections", [(s.start, s.end) for s in result.sections]), ("pages", result.pages),
                        ("records", result.records)):
        last = 0
        for a, b in spans:
            if not (isinstance(a, int) and isinstance(b, int) and last <= a <= b <= n):
                raise bad(f"{kind} out of order or outside the text ({a!r}, {b!r}; text of {n} characters)")
            last = b
    if not result.sections:
        result.sections = [Section("", 0, n)]
    return result


def extract(suffix: str, data: bytes, limits: Limits = Limits()) -> Extracted:
    """The text, title, sections and pages of a file of type ``suffix`` from its bytes.

    Raises :class:`ExtractionError` (reason ``"unsupported"`` for a suffix with no loader;
    ``"too-large"`` past ``limits``, checked while the built-in formats are read and on the
    text any loader returns)."""
    loader = LOADERS.get(suffix.lower())
    if loader is None:
        raise ExtractionError(f"is not a supported type ({suffix or 'no suffix'}).", reason="unsupported",
                              hint=f"Supported: {', '.join(sorted(LOADERS))} (qa.register_loader adds more).")
    try:
        with budget(limits):
            result = loader(data)
    except ExtractionError:
        raise
    except Exception as exc:  # noqa: BLE001 - one unreadable file is listed with its reason, not a crash
        first = (str(exc).splitlines() or [""])[0][:200]
        raise ExtractionError(f"could not be read by the {suffix.lower()} loader ({type(exc).__name__}: {first}).",
                              reason="corrupt") from exc
    result = _check(result, suffix.lower())
    check_text(result.text, limits)
    return result
