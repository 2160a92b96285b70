"""qa/extras.py: one way to import an optional package, one typed error naming the extra and the
pip command; the extras it knows are the ones pyproject.toml declares, and no other module
catches an ImportError to say which extra to install."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib

import pytest

from qa import extras
from qa.errors import MissingExtraError, ModelError
from tests.conftest import ROOT


def test_the_extras_are_the_ones_pyproject_declares():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    assert set(extras.EXTRAS) == set(declared) - {"dev"}


def test_a_missing_module_names_its_extra_and_the_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "pypdf", None)      # as if it were not installed
    with pytest.raises(MissingExtraError) as err:
        extras.require("formats", "json", "pypdf", needed_for="Reading PDF files")
    assert (err.value.extra, err.value.module) == ("formats", "pypdf") and isinstance(err.value, ModelError)
    assert str(err.value) == ("Reading PDF files needs the formats extra (pypdf is not installed). "
                              "Install the formats extra: pip install 'qa[formats]'")
    with pytest.raises(ValueError, match="extra must be one of formats, ui"):
        extras.require("fromats", "json", needed_for="x")


def _handlers_naming_an_extra(path) -> list[int]:
    """Lines of ``except ImportError`` (or ``ModuleNotFoundError``) handlers whose body names ``qa[``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            caught = ast.unparse(node.type)
            if ("ImportError" in caught or "ModuleNotFoundError" in caught) and \
                    "qa[" in "\n".join(ast.unparse(n) for n in node.body):
                found.append(node.lineno)
    return found


def test_no_module_writes_its_own_guard(tmp_path):
    guards = {str(p.relative_to(ROOT)): lines for p in sorted((ROOT / "qa").rglob("*.py"))
              if p.name != "extras.py" and (lines := _handlers_naming_an_extra(p))}
    assert not guards, f"use qa.extras.require instead: {guards}"
    sample = "try:\n    import x\nexcept ImportError:\n    raise ModelError('x', hint=\"pip install 'qa[x]'\")\n"
    (tmp_path / "guard.py").write_text(sample, encoding="utf-8")
    assert _handlers_naming_an_extra(tmp_path / "guard.py") == [3]     # the check sees a guard written by hand


def test_without_gradio_the_chat_window_names_the_ui_extra(tmp_path):
    code = ("import sys; sys.modules['gradio'] = None\n"
            "from qa.app.launch import run_ui\n"
            f"run_ui({str(ROOT / 'corpus')!r}, {str(tmp_path / 'index')!r}, '127.0.0.1', 0, echo=print)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode != 0
    assert "MissingExtraError: The chat window needs the ui extra (gradio is not installed)" in out.stderr
    assert "pip install 'qa[ui]'" in out.stderr and not (tmp_path / "index").exists()
