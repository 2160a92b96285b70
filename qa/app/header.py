"""The chat window's title bar: the corpus, its size, and the files not indexed (a list that
opens on a click), every name escaped. Rebuilt after each upload or removal.

    >>> from types import SimpleNamespace as NS
    >>> bot = NS(stats={"documents": 2, "passages": 9, "sentences": 30}, corpus_dir=None, report=None,
    ...          index=NS(documents=[NS(title="Birds", source="b.md"), NS(title="", source="<x>.txt")]))
    >>> "2 documents · 9 passages" in header_html(bot, "docs"), "&#60;x&#62;.txt" in header_html(bot)
    (True, True)
"""

from __future__ import annotations

from .render import escape_text

MAX_TITLES_SHOWN = 3          # a corpus of at most this many documents has their titles in the header


def skipped_html(skipped) -> str:
    """"M skipped" that opens (a ``<details>``) on the files not indexed, each with its reason."""
    problems = list(skipped or [])
    if not problems:
        return ""
    items = "".join(f'<li><span class="qa-file">{escape_text(getattr(p, "path", ""))}</span> '
                    f'{escape_text(str(p).removeprefix(getattr(p, "path", "") + ": "))}</li>' for p in problems)
    return (f'<details class="qa-skipped"><summary>{len(problems):,} skipped</summary>'
            f'<ul>{items}</ul></details>')


def header_html(answerer, corpus_name: str | None = None) -> str:
    """The title bar: corpus name and size (from ``answerer.stats``), and the files skipped."""
    stats = answerer.stats
    name = corpus_name or (answerer.corpus_dir.name if getattr(answerer, "corpus_dir", None) else "documents")
    docs = list(getattr(answerer.index, "documents", []))
    n_docs, n_passages = stats.get("documents", len(docs)), stats.get("passages", 0)
    skipped = skipped_html(getattr(getattr(answerer, "report", None), "skipped", ()))
    titles = ""
    if 0 < len(docs) <= MAX_TITLES_SHOWN:
        titles = " · ".join(f"<i>{escape_text(d.title or d.source)}</i>" for d in docs)
        titles = f'<div class="qa-titles">{titles}</div>'
    return (f'<div class="qa-header"><div class="qa-title">Ask the documents</div>'
            f'<div class="qa-corpus"><span class="qa-pill">{escape_text(name)}</span> '
            f'{n_docs:,} document{"s" if n_docs != 1 else ""}{", " if skipped else ""}{skipped} · '
            f'{n_passages:,} passages · {stats.get("sentences", 0):,} sentences</div>{titles}'
            f'<div class="qa-muted qa-how">Answers are quoted from the documents, with numbered citations. '
            f'When the documents don\'t hold the answer, it says so. Follow-up questions use the conversation.'
            f'</div></div>')
