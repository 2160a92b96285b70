"""The README and docs/ hold together: every relative link (and its #anchor) points at something
that exists, and docstrings that name a default say the default that is in force."""

from __future__ import annotations

import importlib
import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt

from tests.conftest import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "benchmarks" / "README.md",
         ROOT / "training" / "README.md"]
MD = MarkdownIt("commonmark").enable("table")


def _tokens(text: str):
    """Every token of ``text``, inline children included (links sit inside inline tokens)."""
    for token in MD.parse(text):
        yield token
        yield from token.children or ()


def links(text: str) -> list[str]:
    """The targets of the links and images of a Markdown text (code blocks and spans are not links)."""
    out = []
    for token in _tokens(text):
        if token.type == "link_open":
            out.append(token.attrs["href"])
        elif token.type == "image":
            out.append(token.attrs["src"])
    return out


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped (not ``-`` or ``_``), spaces to ``-``."""
    kept = "".join(c for c in heading.lower() if c in " -_" or unicodedata.category(c)[0] in "LN")
    return kept.replace(" ", "-")


def anchors(text: str) -> set[str]:
    """The anchors of a Markdown text's headings, repeated ones numbered as GitHub numbers them."""
    seen: dict[str, int] = {}
    tokens = MD.parse(text)
    for opening, inline in zip(tokens, tokens[1:]):
        if opening.type == "heading_open":
            base = slug("".join(c.content for c in inline.children if c.type in ("text", "code_inline")))
            seen[base] = seen.get(base, -1) + 1
    return {f"{a}-{n}" if n else a for a, count in seen.items() for n in range(count + 1)}


def _shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def broken(page: Path) -> list[str]:
    """The relative links of ``page`` whose file or anchor does not exist."""
    bad = []
    for href in links(page.read_text(encoding="utf-8")):
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or href.startswith("mailto:"):
            continue   # the web: not checked offline
        target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
        if not target.exists():
            bad.append(f"{href} (no {_shown(target)})")
        elif parts.fragment and target.suffix == ".md" and parts.fragment not in anchors(target.read_text("utf-8")):
            bad.append(f"{href} (no heading #{parts.fragment} in {_shown(target)})")
    return bad


def test_the_link_checker_finds_missing_files_and_anchors(tmp_path):
    (tmp_path / "other.md").write_text("# Other page\n\n## Set-up (`QA_STORE`)\n\n## Set-up (`QA_STORE`)\n")
    page = tmp_path / "page.md"
    page.write_text("[a](other.md) [b](other.md#set-up-qa_store) [c](other.md#set-up-qa_store-1) [d](#here)\n\n"
                    "# Here\n\n[x](missing.md) [y](other.md#nowhere) ![z](gone.png) [w](https://example.com/x)\n\n"
                    "`[not](a-link.md)`\n", encoding="utf-8")
    assert [b.split(" ")[0] for b in broken(page)] == ["missing.md", "other.md#nowhere", "gone.png"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    assert page.is_file()
    assert broken(page) == []


def test_the_readme_is_read_in_two_minutes():
    """What a newcomer needs first fits on a few screens; the detail lives in docs/."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250
    assert "make run" in readme and "make test" in readme and "docs/screenshot.png" in readme


def test_the_reader_docstring_names_the_reader_used_by_default():
    from qa.answering import reader
    from qa.settings import variables

    default = next(v.default for v in variables() if v.name == "QA_READER")
    (named,) = re.findall(r"default reader is :class:`~?([\w.]+)`", reader.__doc__)
    module, name = named.rsplit(".", 1)
    assert getattr(importlib.import_module(module), name).kind == default
