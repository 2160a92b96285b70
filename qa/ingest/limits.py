"""How much one document may unpack to, and the checks that hold it to that while it is read.

A small file can hold a great deal: a 70 KB DOCX can unpack to 20 MB of paragraphs, a PDF's
compressed streams to gigabytes. :class:`Limits` bounds what one document may become (its
text, its sentences, the bytes its archive or streams unpack to), and every refusal is an
:class:`~qa.errors.ExtractionError` with reason ``"too-large"`` whose message says which
limit was hit, the value found and what is allowed (and the setting that raises it).

The checks run *while* the file is read, so a bomb is refused after reading only what the
limit allows. :func:`~qa.ingest.loaders.extract` opens a :func:`budget` around each loader;
the format loaders charge it as they go (:func:`charge_chars` for each block of text,
:func:`check_zip` for a DOCX archive, :func:`read_pdf_pages` for a PDF's pages).

    >>> from qa.ingest.loaders import extract
    >>> extract(".txt", b"Crows are clever. " * 10, Limits(max_chars=100))
    Traceback (most recent call last):
    ...
    qa.errors.ExtractionError: has 180 characters of text; at most 100 are allowed (QA_MAX_DOC_CHARS). Split it ...
"""

from __future__ import annotations

import contextlib
import re
import zipfile
from contextvars import ContextVar
from dataclasses import dataclass, fields
from typing import Callable, Iterable, Iterator

from ..errors import ExtractionError
from .document import Document
from .text import split_sentences

MIB = 1024 * 1024
RATIO_GRACE_BYTES = 1 * MIB   # a zip member unpacking to less than this is never refused for its ratio
READ_CHUNK = 1 * MIB          # a zip member is unpacked (and counted) this much at a time
_START_TAG = re.compile(rb"<[A-Za-z]")
_PYPDF_CAPS = ("maximum_declared_stream_length", "array_based_stream_maximum_output_length",
               "jbig2_maximum_output_length", "lzw_maximum_output_length", "run_length_maximum_output_length",
               "zlib_maximum_output_length", "brotli_maximum_output_length", "image_maximum_buffer_size")


@dataclass(frozen=True)
class Limits:
    """What one document may unpack to. Defaults are the settings' defaults (:mod:`qa.settings`)."""

    max_chars: int = 5_000_000              # characters of extracted text (QA_MAX_DOC_CHARS)
    max_sentences: int = 100_000            # sentences, each of which is embedded (QA_MAX_DOC_SENTENCES)
    max_unpacked_bytes: int = 100 * MIB     # bytes a DOCX archive or a PDF's streams unpack to (QA_MAX_UNPACKED_BYTES)
    max_unpack_ratio: int = 100             # a zip member unpacking to more times its packed size is a bomb
    max_html_elements: int = 100_000        # tags of an HTML page (its parser's time grows with them)

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Limits.{f.name} must be a whole number of at least 1, got {value!r}")


SETTING = {"max_chars": "QA_MAX_DOC_CHARS", "max_sentences": "QA_MAX_DOC_SENTENCES",
           "max_unpacked_bytes": "QA_MAX_UNPACKED_BYTES", "max_unpack_ratio": "QA_MAX_UNPACK_RATIO",
           "max_html_elements": "QA_MAX_HTML_ELEMENTS"}


def too_large(noun: str, value: int, limits: Limits, name: str, *, so_far: bool = False) -> ExtractionError:
    """The refusal of a document that has ``value`` ``noun`` (``so_far``: reading stopped there),
    over ``limits``' field ``name``."""
    allowed, setting = getattr(limits, name), SETTING[name]
    found = f"over {allowed:,} {noun} (reading stopped at {value:,})" if so_far else f"{value:,} {noun}"
    return ExtractionError(f"has {found}; at most {allowed:,} are allowed ({setting}).", reason="too-large",
                           hint=f"Split it into smaller documents, or raise {setting}.")


class Budget:
    """What one document has used of its :class:`Limits` so far."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.chars = 0
        self.unpacked = 0

    def add_chars(self, n: int) -> None:
        """``n`` more characters of text; past the limit, :class:`ExtractionError`."""
        self.chars += n
        if self.chars > self.limits.max_chars:
            raise too_large("characters of text", self.chars, self.limits, "max_chars", so_far=True)

    def add_unpacked(self, n: int, what: str = "bytes of unpacked data") -> None:
        """``n`` more bytes unpacked; past the limit, :class:`ExtractionError`."""
        self.unpacked += n
        if self.unpacked > self.limits.max_unpacked_bytes:
            raise too_large(what, self.unpacked, self.limits, "max_unpacked_bytes", so_far=True)


_ACTIVE: ContextVar[Budget | None] = ContextVar("qa_document_budget", default=None)


@contextlib.contextmanager
def budget(limits: Limits) -> Iterator[Budget]:
    """The budget of one document being read (in this thread), for the checks below to charge."""
    current = Budget(limits)
    token = _ACTIVE.set(current)
    try:
        yield current
    finally:
        _ACTIVE.reset(token)


def active() -> Budget:
    """The budget of the document being read; outside :func:`budget`, a fresh one of the default limits."""
    return _ACTIVE.get() or Budget(Limits())


def charge_chars(n: int) -> None:
    """Count ``n`` characters of text against the document being read."""
    current = _ACTIVE.get()
    if current is not None:
        current.add_chars(n)


def check_text(text: str, limits: Limits) -> None:
    """Refuse extracted ``text`` longer than the limit (what any loader returns is checked)."""
    if len(text) > limits.max_chars:
        raise too_large("characters of text", len(text), limits, "max_chars")


def check_sentences(doc: Document, limits: Limits) -> None:
    """Refuse a document with more sentences than the limit, counted as the index will cut them
    (:func:`~qa.ingest.chunking.append_document`); counting stops at the limit."""
    count = 0
    for section in doc.sections:
        for lo, hi in doc.page_spans(section.start, section.end):
            count += len(split_sentences(doc.text, lo, hi))
            if count > limits.max_sentences:
                raise too_large("sentences", count, limits, "max_sentences", so_far=True)


def check_zip(archive: zipfile.ZipFile) -> None:
    """Refuse an archive (a DOCX) that unpacks to too much: first by the sizes it declares, then
    by unpacking every member and counting what comes out (declared sizes can lie)."""
    current = active()
    limits = current.limits
    members = archive.infolist()
    declared = sum(info.file_size for info in members)
    if declared > limits.max_unpacked_bytes:
        raise too_large("bytes of unpacked data (as its archive declares)", declared, limits,
                        "max_unpacked_bytes")
    for info in members:
        _check_ratio(info.filename, info.file_size, info.compress_size, limits)
    for info in members:
        unpacked = 0
        with archive.open(info) as member:
            while chunk := member.read(READ_CHUNK):
                unpacked += len(chunk)
                current.add_unpacked(len(chunk))
                _check_ratio(info.filename, unpacked, info.compress_size, limits)


def _check_ratio(name: str, unpacked: int, packed: int, limits: Limits) -> None:
    if unpacked > RATIO_GRACE_BYTES and unpacked > limits.max_unpack_ratio * max(packed, 1):
        ratio = unpacked // max(packed, 1)
        raise ExtractionError(f"has a member ({name[:80]}) that unpacks to {ratio:,} times its packed size "
                              f"({unpacked:,} bytes from {packed:,}); at most {limits.max_unpack_ratio:,} times is "
                              f"allowed ({SETTING['max_unpack_ratio']}).", reason="too-large",
                              hint="A file packed this tightly is a decompression bomb; if it is genuine, raise "
                                   f"{SETTING['max_unpack_ratio']}.")


def check_markup(data: bytes) -> None:
    """Refuse an HTML page with more tags than the limit (its parser's time and memory grow with them)."""
    limits = active().limits
    count = 0
    for count, _ in enumerate(_START_TAG.finditer(data), 1):
        if count > limits.max_html_elements:
            raise too_large("HTML elements", count, limits, "max_html_elements", so_far=True)


@contextlib.contextmanager
def pdf_limits(pypdf) -> Iterator[None]:
    """pypdf's own decompression limits (per stream), lowered to the document's unpacked-bytes
    limit while it is read; a limit pypdf reaches is a ``too-large`` refusal, not a corrupt file."""
    cap = active().limits.max_unpacked_bytes
    apply = getattr(pypdf, "apply_configuration", None)   # pypdf 6.5+; older ones keep their own caps
    context = contextlib.nullcontext()
    if apply is not None:
        base = pypdf.Configuration()
        lowered = {n: min(getattr(base, n), cap) for n in _PYPDF_CAPS if hasattr(base, n)}
        context = apply(**lowered)
    try:
        with context:
            yield
    except getattr(pypdf.errors, "LimitReachedError", ()) as exc:
        first = (str(exc).splitlines() or [""])[0][:200]
        raise ExtractionError(f"has a stream that unpacks to more than is allowed ({first}); at most {cap:,} bytes "
                              f"are allowed ({SETTING['max_unpacked_bytes']}).", reason="too-large",
                              hint=f"Split it into smaller documents, or raise {SETTING['max_unpacked_bytes']}.") \
            from None


def read_pdf_pages(pages: Iterable, read: Callable[[object], list]) -> list[list]:
    """``read(page)`` (a page's ``(text, ...)`` lines) of every page, counting each page's unpacked
    content and its text against the document's limits as it goes: a long PDF is refused at
    the page that crosses one, not after reading them all."""
    current = active()
    chars, out = 0, []
    for page in pages:
        contents = page.get_contents()
        current.add_unpacked(len(contents.get_data()) if contents is not None else 0, "bytes of page content")
        lines = read(page)
        chars += sum(len(line[0]) for line in lines)
        if chars > current.limits.max_chars:
            raise too_large("characters of text", chars, current.limits, "max_chars", so_far=True)
        out.append(lines)
    return out
