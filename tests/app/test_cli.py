"""The CLI, in-process with click's CliRunner and once as a real subprocess."""

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from qa.app.cli import cli
from tests.conftest import CORPUS, ROOT

pytestmark = pytest.mark.slow


@pytest.fixture
def runner():
    return CliRunner()


def test_index_then_ask_json(runner, tmp_path, bundled):
    idx = tmp_path / "idx"
    r = runner.invoke(cli, ["index", "--corpus", str(CORPUS), "--index", str(idx)])
    assert r.exit_code == 0, r.output
    assert "Built" in r.output and "passages" in r.output
    r = runner.invoke(cli, ["index", "--corpus", str(CORPUS), "--index", str(idx)])
    assert r.exit_code == 0 and "Loaded" in r.output
    r = runner.invoke(cli, ["ask", "--json", "--corpus", str(CORPUS), "--index", str(idx),
                            "How much is official trade between Iran and Pakistan?"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert set(data) >= {"text", "abstained", "confidence", "citations"}
    assert data["citations"][0]["source"] == "iran-pakistan-relations.txt"
    text = (CORPUS / "iran-pakistan-relations.txt").read_text(encoding="utf-8")
    c = data["citations"][0]
    assert text[c["start"]:c["end"]] == c["text"]


def test_ask_plain_output_numbers_sources(runner, tmp_path, bundled_index_dir, bundled):
    r = runner.invoke(cli, ["ask", "--corpus", str(CORPUS), "--index", str(bundled_index_dir),
                            "Which three border points facilitate commerce?"])
    assert r.exit_code == 0
    assert "[1]" in r.output and "Sources" in r.output and ">>" in r.output


def test_bad_input_exit_codes(runner, tmp_path, bundled_index_dir):
    r = runner.invoke(cli, ["ask", "--corpus", str(CORPUS), "--index", str(bundled_index_dir), "   "])
    assert r.exit_code == 2 and r.stderr.startswith("Error: The question is empty")
    r = runner.invoke(cli, ["ask", "--corpus", str(tmp_path / "missing"), "--index", str(tmp_path / "i"), "Why?"])
    assert r.exit_code == 1 and "does not exist" in r.stderr and "Traceback" not in r.output
    r = runner.invoke(cli, ["ask", "--no-rebuild", "--corpus", str(CORPUS), "--index", str(tmp_path / "none"), "Why?"])
    assert r.exit_code == 1 and "No index" in r.stderr


def test_env_vars_feed_options(runner, bundled_index_dir, bundled):
    r = runner.invoke(cli, ["ask", "--json", "Who is Iran's supreme leader?"],
                      env={"QA_CORPUS": str(CORPUS), "QA_INDEX": str(bundled_index_dir)})
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["citations"]


def test_real_subprocess_cold_answer(bundled_index_dir, bundled, tmp_path):
    """A fresh process answers, exact phrase included, without importing sentence-transformers
    or torch (the ONNX query encoder and the ONNX span reader)."""
    env = {**os.environ, "QA_CORPUS": str(CORPUS), "QA_INDEX": str(bundled_index_dir), "PYTHONPATH": str(ROOT)}
    code = ("import sys, runpy; sys.argv=['qa','ask','--json','When did Iran launch its missile strike on Pakistan?'];"
            "from qa.app.cli import cli\ntry:\n cli()\nexcept SystemExit: pass\n"
            "print('ST_LOADED' if 'sentence_transformers' in sys.modules else 'ST_NOT_LOADED', file=sys.stderr)\n"
            "print('TORCH_LOADED' if 'torch' in sys.modules else 'TORCH_NOT_LOADED', file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert r.returncode == 0, r.stderr
    answer = json.loads(r.stdout)
    assert answer["citations"] and "January 16" in answer["short_answer"]
    assert "ST_NOT_LOADED" in r.stderr and "TORCH_NOT_LOADED" in r.stderr
