"""What the terminal shows: an answer (``qa ask``): its text, what a written answer's check removed,
the sources with their highlights between ``>>`` and ``<<``; and what ``qa index`` did.

    >>> from qa.answering.answer import Answer, Citation
    >>> c = Citation("a.txt", "Crows are clever. They use tools.", 0, 33, [(18, 33)], 0.7)
    >>> print(render_answer(Answer("Q?", "They use tools. [1]", [c], False, 0.9)))
    They use tools. [1]
    <BLANKLINE>
    Sources (confidence 0.90):
    [1] a.txt  (chars 0-33, score 0.700)
        Crows are clever. >>They use tools.<<
"""

from __future__ import annotations


def render_answer(answer) -> str:
    """An answer for the terminal: its text, then each source with the highlights between >> and <<."""
    lines = [answer.text, ""]
    for d in answer.dropped:   # a written answer's sentences that failed the check
        lines.append(f"{'Unverified' if d.shown else 'Removed'} ({d.reason}): {d.text}")
    if answer.note:
        lines.append(f"Note: {answer.note}")
    if answer.dropped or answer.note:
        lines.append("")
    if answer.abstained:
        lines.append(f"(confidence {answer.confidence:.2f})")
        return "\n".join(lines)
    if answer.short_answer:
        lines.insert(0, f"Answer: {answer.short_answer}")
    lines.append(f"Sources (confidence {answer.confidence:.2f}):")
    for n, c in enumerate(answer.citations, 1):
        where = f"{c.source}" + (f", p. {c.page}" if c.page is not None else "") + \
            (f" \u00a7 {c.section}" if c.section else "")
        lines.append(f"[{n}] {where}  (chars {c.start}-{c.end}, score {c.score:.3f})")
        text, out, last = c.text, [], 0
        for a, b in c.highlights:
            out += [text[last:a], ">>", text[a:b], "<<"]
            last = b
        out.append(text[last:])
        lines.append("    " + " ".join("".join(out).split()))
    return "\n".join(lines)


def index_summary(where: str, idx, report) -> dict:
    """What ``qa index --json`` prints: the action, the counts, and every file not indexed with its reason.
    ``where`` names the index (its folder, or the store of ``QA_STORE``)."""
    stats = idx.stats
    return {"action": report.action, "index": str(where), "documents": stats["documents"],
            "passages": stats["passages"], "sentences": stats["sentences"], "embedded": report.embedded_sentences,
            "reused": report.reused_sentences, "reason": report.reason,
            "skipped": [problem.to_dict() for problem in report.skipped]}


def skipped_count(n: int) -> str:
    """The one line ``qa ask`` prints when files were not indexed (``qa index`` lists them)."""
    from .documents import plural

    return f"{plural(n, 'file')} {'was' if n == 1 else 'were'} not indexed; `qa index --json` lists them with their reasons."


def index_message(summary: dict) -> str:
    """One line saying what ``qa index`` did (information, not a warning)."""
    n = summary["documents"]
    line = (f"{summary['action'].capitalize()} the index in {summary['index']}: {n} document{'s' if n != 1 else ''}, "
            f"{summary['passages']} passages, {summary['sentences']} sentences "
            f"({summary['embedded']} embedded, {summary['reused']} reused)")
    if summary["reason"]:
        line += f"; {summary['reason']}"
    skipped = len(summary["skipped"])
    return line + (f"; {skipped} file{'s' if skipped != 1 else ''} skipped (listed above)." if skipped else ".")
