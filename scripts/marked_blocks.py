r"""Generated text between markers in Markdown pages: ``<!-- begin: NAME (scripts/readme_tables.py) -->``
and ``<!-- end: NAME -->``. What lies between them is replaced whole; nothing there is written by hand.

    >>> page = "Intro\n<!-- begin: t (scripts/readme_tables.py) -->\nold\n<!-- end: t -->\n"
    >>> update(page, {"t": "new"})
    ('Intro\n<!-- begin: t (scripts/readme_tables.py) -->\nnew\n<!-- end: t -->\n', ['t'], ['t'])
"""

from __future__ import annotations

import re
from pathlib import Path


def block(name: str) -> re.Pattern:
    return re.compile(rf"(<!-- begin: {name} \(scripts/readme_tables.py\) -->\n)(.*?)(<!-- end: {name} -->)", re.S)


def pages(root: Path) -> list[Path]:
    """The Markdown pages that may hold generated tables: README.md and docs/*.md under ``root``."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def update(page: str, generated: dict[str, str]) -> tuple[str, list[str], list[str]]:
    """``page`` with every table it holds replaced, the names of those it holds, and of those that changed."""
    held, changed = [], []
    for name, text in generated.items():
        match = block(name).search(page)
        if match is None:
            continue
        held.append(name)
        if match.group(2) != text + "\n":
            changed.append(name)
            page = page[:match.start(2)] + text + "\n" + page[match.end(2):]
    return page, held, changed


def update_pages(root: Path, generated: dict[str, str]) -> dict[Path, tuple[str, list[str]]]:
    """Each page of ``root`` that holds a table: its new text and the tables that changed there.
    A table that no page holds is an error naming it."""
    out, held = {}, set()
    for path in pages(root):
        text, names, changed = update(path.read_text(encoding="utf-8"), generated)
        held.update(names)
        if names:
            out[path] = (text, changed)
    missing = sorted(set(generated) - held)
    if missing:
        raise SystemExit(f"no page of {root} (README.md, docs/*.md) has the block of {', '.join(missing)}: "
                         "add its begin and end markers where it goes.")
    return out
