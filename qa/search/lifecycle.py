"""The index of a corpus, kept up to date: :func:`open_or_build_index` loads it when it
matches the corpus, and otherwise builds it (embedding only new or changed documents)
and saves it as a new generation.

    >>> import pathlib, tempfile
    >>> from qa.ingest.corpus import load_corpus
    >>> from tests.support.fakes import HashEmbeddings
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "docs").mkdir(), (folder / "docs" / "a.txt").write_text("Crows use tools.")
    >>> index, report = open_or_build_index(load_corpus(folder / "docs"), folder / "index", HashEmbeddings())
    >>> report.action, report.embedded_sentences
    ('built', 1)
    >>> open_or_build_index(load_corpus(folder / "docs"), folder / "index", HashEmbeddings())[1].action
    'loaded'
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, ContextManager

from ..errors import IndexMismatchError, IndexMissingError
from ..ingest.document import Corpus
from .embeddings import ArrayEmbeddings
from .index import BuildStats, IndexSettings, PassageIndex, Progress, build_index
from .storage import build_lock, load_index, save_index

REBUILD_CHOICES = ("auto", "never", "always")
NAMES_SHOWN = 5   # changed documents named in the reason for a rebuild


@dataclass
class BuildReport:
    """What :func:`open_or_build_index` did: ``action`` is "loaded", "built" or "updated"."""

    action: str
    reason: str = ""
    embedded_sentences: int = 0
    reused_sentences: int = 0
    skipped: tuple = ()


def stored_state(corpus: Corpus, where: str, load: Callable[[], tuple[Any, dict]],
                 rebuild: str) -> tuple[Any | None, bool, str]:
    """``(stored index or None, whether it matches corpus, why it is rebuilt)``. ``load()`` returns
    the stored index and its ``{source: content hash}``, or raises :class:`IndexMissingError` /
    :class:`IndexMismatchError`; in "never" mode those are raised, as is an index that is out of
    date (``where`` names it); a corrupt index always is."""
    try:
        previous, stored = load()
    except (IndexMissingError, IndexMismatchError) as exc:
        if rebuild == "never":
            raise
        return None, False, "there was no index yet" if isinstance(exc, IndexMissingError) else exc.message
    if stored == corpus.hashes:
        return previous, True, ""
    names = sorted({name for name, _ in set(stored.items()) ^ set(corpus.hashes.items())})
    reason = f"{len(names)} document(s) changed, added or removed: {', '.join(names[:NAMES_SHOWN])}"
    if rebuild == "never":
        raise IndexMismatchError(f"The index in {where} is out of date: {reason}.",
                                 hint="Run `qa index` to update it.")
    return previous, False, reason


def refresh(corpus: Corpus, where: str, load: Callable[[], tuple[Any, dict]],
            build: Callable[[Any], tuple[Any, BuildStats]], rebuild: str = "auto",
            lock: Callable[[], ContextManager[bool]] | None = None) -> tuple[Any, BuildReport]:
    """The decision every kind of index shares: the stored index (``load``, see :func:`stored_state`)
    when it matches the corpus, else ``build(previous)`` (``previous`` lends the vectors of unchanged
    documents). ``lock()``, when given, is held while building; when it says it waited for another
    builder, the stored index is checked again first."""
    if rebuild not in REBUILD_CHOICES:
        raise ValueError(f"rebuild must be 'auto', 'never' or 'always', got {rebuild!r}")
    previous, reason = None, "rebuild requested"
    if rebuild != "always":
        previous, current, reason = stored_state(corpus, where, load, rebuild)
        if current:
            return previous, BuildReport("loaded", skipped=tuple(corpus.skipped))
    with (lock() if lock else contextlib.nullcontext(False)) as waited:
        if waited and rebuild != "always":
            previous, current, reason = stored_state(corpus, where, load, rebuild)
            if current:
                return previous, BuildReport("loaded", skipped=tuple(corpus.skipped))
        index, stats = build(previous)
    report = BuildReport("updated" if previous is not None else "built", reason,
                         stats.embedded_sentences, stats.reused_sentences, tuple(corpus.skipped))
    return index, report


def open_or_build_index(corpus: Corpus, index_dir, embeddings: ArrayEmbeddings,
                        settings: IndexSettings = IndexSettings(), rebuild: str = "auto",
                        progress: Progress | None = None,
                        on_wait: Callable[[str], None] | None = None) -> tuple[PassageIndex, BuildReport]:
    """Load the index of ``corpus`` from ``index_dir``, building it if needed.

    ``rebuild``: ``"auto"`` (build when missing or out of date: only changed
    documents are embedded), ``"never"`` (raise instead), ``"always"``.
    A corrupt index is raised, never silently replaced. When another process is
    building the same index, ``on_wait`` hears so; this one then waits, and uses
    that build when it matches the corpus."""
    index_dir = Path(index_dir)

    def load():
        previous = load_index(index_dir, model=embeddings.model_info, settings=settings)
        return previous, {d.source: d.sha256 for d in previous.documents}

    def build(previous):
        index, stats = build_index(corpus, embeddings, settings, previous=previous, progress=progress)
        save_index(index, index_dir)
        return index, stats

    return refresh(corpus, repr(str(index_dir)), load, build, rebuild, lock=lambda: build_lock(index_dir, on_wait))
