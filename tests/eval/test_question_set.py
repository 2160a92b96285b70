"""evaluation/check_questions.py: the bundled question set checked against the bundled article,
found from the script's place in the repository (any working directory), or the files given."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

SCRIPT = ROOT / "evaluation" / "check_questions.py"


def check(*args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=60)


def test_the_bundled_set_passes_from_any_folder(tmp_path):
    out = check(cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"questions in {ROOT / 'evaluation' / 'questions.jsonl'}" in out.stdout
    assert out.stdout.rstrip().endswith("OK: all checks passed")


def test_a_broken_copy_is_refused_with_every_problem_named(tmp_path):
    lines = (ROOT / "evaluation" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["answers"] = first["answers"] + ["an answer the article never gives"]
    broken = tmp_path / "questions.jsonl"
    broken.write_text("\n".join([json.dumps(first)] + lines[1:] + [lines[1]]) + "\n", encoding="utf-8")
    out = check("--questions", broken, cwd=tmp_path)
    assert out.returncode == 1
    assert f"line 1 ({first['id']}): answer 'an answer the article never gives' not found in article" in out.stdout
    assert f"duplicate id {json.loads(lines[1])['id']!r} (2 times)" in out.stdout


def test_a_missing_article_is_named(tmp_path):
    out = check("--article", tmp_path / "nowhere.txt", cwd=tmp_path)
    assert out.returncode == 2 and f"cannot read {tmp_path / 'nowhere.txt'}" in out.stdout
