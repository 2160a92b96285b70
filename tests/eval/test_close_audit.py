"""scripts/close_audit.py: the fixed sample of answered close questions, and the tally of a judgements file."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

SCRIPT = ROOT / "scripts" / "close_audit.py"
_spec = importlib.util.spec_from_file_location("close_audit", SCRIPT)
close_audit = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(close_audit)



def _report(n: int) -> dict:
    rows = [{"id": f"{i}/close", "answerable": False, "abstained": i % 3 == 0} for i in range(n)]
    rows += [{"id": str(i), "answerable": True, "abstained": False} for i in range(n)]
    return {"failures": {"qa": rows}}


def test_the_sample_is_answered_close_questions_the_same_every_run():
    report = _report(60)
    first, again = close_audit.sample(report, 10), close_audit.sample(json.loads(json.dumps(report)), 10)
    assert [r["id"] for r in first] == [r["id"] for r in again] and len(first) == 10
    assert all(r["id"].endswith("/close") and not r["abstained"] for r in first)
    assert len(close_audit.sample(report, 1000)) == len(close_audit.answered_close(report)) == 40


def test_tally_counts_judgements_and_refuses_unknown_ones():
    t = close_audit.tally({"a": "supported", "b": "unsupported", "c": "unsupported", "d": "unclear"})
    assert (t["supported"], t["unsupported"], t["unclear"], t["judged"]) == (1, 2, 1, 4)
    lo, hi = t["supported_share_95ci"]
    assert lo < 0.25 < hi
    with pytest.raises(ValueError, match="unknown judgements \\['maybe'\\]"):
        close_audit.tally({"a": "maybe"})


def test_tally_counts_a_judgements_file_and_refuses_another_format(tmp_path):
    verdicts = {f"{i}/close": v for i, v in enumerate(["supported"] * 3 + ["unsupported"] * 6 + ["unclear"])}
    audit = tmp_path / "audit.json"
    audit.write_text(json.dumps({"format_version": close_audit.FORMAT_VERSION, "verdicts": verdicts}))
    out = subprocess.run([sys.executable, str(SCRIPT), "tally", str(audit)], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == close_audit.tally(verdicts) and json.loads(out.stdout)["supported"] == 3
    audit.write_text(json.dumps({"format_version": 99, "verdicts": verdicts}))
    bad = subprocess.run([sys.executable, str(SCRIPT), "tally", str(audit)], capture_output=True, text=True)
    assert bad.returncode != 0 and "format_version 99" in bad.stderr


def test_the_examples_in_its_docstring_hold():
    import doctest

    result = doctest.testmod(close_audit)
    assert result.attempted >= 2 and result.failed == 0
