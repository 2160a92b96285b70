"""The README's tables are written from their sources (the bundled set's ``qa eval`` summary in docs/results/,
the public sets' runs in eval-results/ where make results left them,
the calibration report, the settings table) by scripts/readme_tables.py, never by hand."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from tests.conftest import ROOT

SCRIPT = ROOT / "scripts" / "readme_tables.py"


def run(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True, env=env,
                          timeout=120)


def test_readme_tables_match_their_sources():
    result = run("--check")
    assert result.returncode == 0, result.stderr


def test_a_changed_report_makes_the_check_fail_until_the_tables_are_written(tmp_path):
    readme, results = tmp_path / "README.md", tmp_path / "results"
    shutil.copy(ROOT / "README.md", readme)
    shutil.copytree(ROOT / "docs" / "results", results)
    report = json.loads((results / "eval-summary-bundled.json").read_text())
    report["systems"]["qa"]["citation_accuracy"] = 0.123456
    (results / "eval-summary-bundled.json").write_text(json.dumps(report))

    stale = run("--check", "--readme", readme, "--results", results)
    assert stale.returncode == 1 and "stale generated tables: results" in stale.stderr and "settings" not in stale.stderr
    assert run("--readme", readme, "--results", results).returncode == 0
    assert "| citation accuracy | 0.123 |" in readme.read_text()
    assert run("--check", "--readme", readme, "--results", results).returncode == 0


def test_the_public_table_comes_from_local_runs_and_is_left_alone_without_them(tmp_path):
    """The public sets' summaries are made from ../shared and never kept: the table is written from
    eval-results/<set>/summary.json where make results left them, and untouched (and said so) where not."""
    readme, evals = tmp_path / "README.md", tmp_path / "evals"
    shutil.copy(ROOT / "README.md", readme)
    (evals / "covidqa").mkdir(parents=True)
    bundled = json.loads((ROOT / "docs" / "results" / "eval-summary-bundled.json").read_text())
    public = {**bundled, "meta": {**bundled["meta"], "split": "test", "reader_trained_on_this_set": False}}
    public["systems"]["qa"]["answer_accuracy"] = 0.987654
    (evals / "covidqa" / "summary.json").write_text(json.dumps(public))

    none = run("--check", "--readme", readme, "--evals", tmp_path / "nowhere")
    assert none.returncode == 0 and "public: left as it is, not checked" in none.stderr
    stale = run("--check", "--readme", readme, "--evals", evals)
    assert stale.returncode == 1 and "stale generated tables: public" in stale.stderr
    assert run("--readme", readme, "--evals", evals).returncode == 0
    assert "| COVID-QA (" in readme.read_text() and "| 0.988 / " in readme.read_text()


def test_the_readme_loader_example_runs():
    import re

    from qa.ingest.loaders import LOADERS, extract

    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    (example,) = [b for b in blocks if "register_loader" in b]
    try:
        exec(compile(example, "README.md", "exec"), {})
        extracted = extract(".csv", b"Paris,the capital of France\nOslo,a city of fjords\n")
        assert extracted.text == "Paris: the capital of France.\n\nOslo: a city of fjords." and extracted.title == "Cities"
    finally:
        LOADERS.pop(".csv", None)


def _keys(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _keys(v)
    elif isinstance(value, list):
        for v in value:
            yield from _keys(v)


def test_kept_results_hold_numbers_not_the_data_sets():
    """docs/results/ keeps summaries: no question, answer or passage of a data set (they stay in
    ../shared, under their own licences)."""
    texts = {"failures", "question", "answer", "expected", "evidence", "text", "context"}
    for path in sorted((ROOT / "docs" / "results").glob("*.json")):
        found = texts & set(_keys(json.loads(path.read_text(encoding="utf-8"))))
        assert not found, f"{path.name} holds {sorted(found)}"
        assert path.stat().st_size < 200_000, path.name
    for path in sorted((ROOT / "docs" / "results").glob("eval-summary-*.json")):   # nor a run on one of them
        meta = json.loads(path.read_text(encoding="utf-8"))["meta"]
        assert meta["reader_trained_on_this_set"] is None and "squad" not in meta["corpus"], path.name
    shared = ROOT.parent / "shared" / "datasets"   # nor a file named like one of them, where they are at hand
    data_names = {p.name for p in shared.rglob("*.json")} if shared.is_dir() else set()
    assert not data_names & {p.name for p in (ROOT / "docs" / "results").iterdir()}

