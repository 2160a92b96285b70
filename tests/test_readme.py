"""The generated tables of the README and docs/ are written from their sources (the bundled set's ``qa eval``
summary in docs/results/, the public sets' runs in eval-results/ where make results left them, the calibration
reports, the settings table) by scripts/readme_tables.py, never by hand."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT

SCRIPT = ROOT / "scripts" / "readme_tables.py"


def run(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True, env=env,
                          timeout=120)


def pages_copy(tmp_path):
    """A copy of the pages that hold tables (README.md, docs/*.md) under ``tmp_path/site``."""
    site = tmp_path / "site"
    (site / "docs").mkdir(parents=True)
    shutil.copy(ROOT / "README.md", site / "README.md")
    for page in (ROOT / "docs").glob("*.md"):
        shutil.copy(page, site / "docs" / page.name)
    return site


def test_generated_tables_match_their_sources():
    result = run("--check")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name, page", [("settings", "docs/configuration.md"), ("results", "docs/evaluation.md"),
                                        ("bench", "docs/evaluation.md"), ("calibration", "docs/calibration.md"),
                                        ("verifier", "docs/calibration.md")])
def test_each_table_sits_on_its_page_and_nowhere_else(name, page):
    marker = f"<!-- begin: {name} (scripts/readme_tables.py) -->"
    holding = [p for p in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")] if marker in p.read_text("utf-8")]
    assert holding == [ROOT / page]


def test_a_changed_report_makes_the_check_fail_until_the_tables_are_written(tmp_path):
    site, results = pages_copy(tmp_path), tmp_path / "results"
    shutil.copytree(ROOT / "docs" / "results", results)
    report = json.loads((results / "eval-summary-bundled.json").read_text())
    report["systems"]["qa"]["citation_accuracy"] = 0.123456
    (results / "eval-summary-bundled.json").write_text(json.dumps(report))

    stale = run("--check", "--root", site, "--results", results)
    assert stale.returncode == 1 and "evaluation.md: stale generated tables: results" in stale.stderr
    assert "settings" not in stale.stderr
    assert run("--root", site, "--results", results).returncode == 0
    assert "| citation accuracy | 0.123 |" in (site / "docs" / "evaluation.md").read_text()
    assert run("--check", "--root", site, "--results", results).returncode == 0


def test_a_table_is_written_wherever_its_markers_are_and_missing_markers_are_an_error(tmp_path):
    """Tables follow their markers from page to page; a table no page holds is named, not dropped."""
    site = pages_copy(tmp_path)
    config = site / "docs" / "configuration.md"
    start, end = "<!-- begin: settings (scripts/readme_tables.py) -->\n", "<!-- end: settings -->"
    text = config.read_text()
    config.write_text(text[:text.index(start)] + text[text.index(end) + len(end):])
    missing = run("--check", "--root", site)
    assert missing.returncode != 0 and "settings" in missing.stderr and "markers" in missing.stderr

    (site / "docs" / "new-page.md").write_text(f"# New\n\n{start}stale\n{end}\n")
    stale = run("--check", "--root", site)
    assert stale.returncode == 1 and "new-page.md: stale generated tables: settings" in stale.stderr
    assert run("--root", site).returncode == 0
    assert "| `QA_TOP_K` |" in (site / "docs" / "new-page.md").read_text()


def test_the_public_table_comes_from_local_runs_and_is_left_alone_without_them(tmp_path):
    """The public sets' summaries are made from ../shared and never kept: the table is written from
    eval-results/<set>/summary.json where make results left them, and untouched (and said so) where not."""
    site, evals = pages_copy(tmp_path), tmp_path / "evals"
    (evals / "covidqa").mkdir(parents=True)
    bundled = json.loads((ROOT / "docs" / "results" / "eval-summary-bundled.json").read_text())
    public = {**bundled, "meta": {**bundled["meta"], "split": "test", "reader_trained_on_this_set": False}}
    public["systems"]["qa"]["answer_accuracy"] = 0.987654
    (evals / "covidqa" / "summary.json").write_text(json.dumps(public))

    none = run("--check", "--root", site, "--evals", tmp_path / "nowhere")
    assert none.returncode == 0 and "public: left as it is, not checked" in none.stderr
    stale = run("--check", "--root", site, "--evals", evals)
    assert stale.returncode == 1 and "stale generated tables: public" in stale.stderr
    assert run("--root", site, "--evals", evals).returncode == 0
    text = (site / "docs" / "evaluation.md").read_text()
    assert "| COVID-QA (" in text and "| 0.988 / " in text


def test_the_loader_example_of_the_docs_runs():
    import re

    from qa.ingest.loaders import LOADERS, extract

    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "usage.md").read_text(encoding="utf-8"), re.S)
    (example,) = [b for b in blocks if "register_loader" in b]
    try:
        exec(compile(example, "docs/usage.md", "exec"), {})
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

