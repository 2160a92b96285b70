"""One settings table (qa/settings.py): every QA_* variable parsed and checked in one place, and a
bad value reported as the variable, with what it may hold, wherever it is read."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.app.cli import cli
from qa.errors import ConfigError
from qa.search.retriever import HybridRetriever
from qa.settings import MAX_TOP_K, Settings, _parse, setting, variables


def test_defaults_when_nothing_is_set():
    s = Settings.from_env({})
    assert (s.corpus, s.index, s.top_k, s.max_question_chars) == (Path("corpus"), Path("index"), 4, 1000)
    assert (s.host, s.port, s.queue_size, s.max_file_bytes) == ("127.0.0.1", 7860, 32, 20 * 1024 * 1024)
    assert 1 <= s.concurrency <= 4 and s.cache_dir.name == "qa"


def test_values_are_parsed_and_blank_means_unset():
    s = Settings.from_env({"QA_TOP_K": " 7 ", "QA_CORPUS": "/tmp/docs", "QA_PORT": "", "QA_HOST": "0.0.0.0"})
    assert (s.top_k, s.corpus, s.port, s.host) == (7, Path("/tmp/docs"), 7860, "0.0.0.0")


def test_given_defaults_replace_the_tables_but_not_the_environment():
    here = Path("/srv/app")
    assert Settings.from_env({}, corpus=here / "corpus").corpus == here / "corpus"
    assert Settings.from_env({"QA_CORPUS": "mine"}, corpus=here / "corpus").corpus == Path("mine")
    with pytest.raises(TypeError, match="unknown settings"):
        Settings.from_env({}, corpora="x")


@pytest.mark.parametrize("env, message", [
    ({"QA_PORT": "http"}, "QA_PORT is 'http'; expected a whole number from 1 to 65535."),
    ({"QA_PORT": "70000"}, "QA_PORT is 70000; expected a whole number from 1 to 65535."),
    ({"QA_TOP_K": "101"}, f"QA_TOP_K is 101; expected a whole number from 1 to {MAX_TOP_K}."),
    ({"QA_MAX_FILE_BYTES": "0"}, "QA_MAX_FILE_BYTES is 0; expected a whole number from 1 up."),
    ({"QA_QUEUE_SIZE": "-1"}, "QA_QUEUE_SIZE is -1; expected a whole number from 1 to 10000."),
])
def test_a_bad_value_names_the_variable_the_value_and_what_is_allowed(env, message):
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env)
    assert str(info.value) == message


def test_one_variable_is_read_alone():
    """Library code reads only what it needs: a bad QA_PORT does not stop loading documents."""
    assert Settings.get("max_file_bytes", {"QA_PORT": "http"}) == 20 * 1024 * 1024
    with pytest.raises(ConfigError, match="QA_PORT"):
        Settings.get("port", {"QA_PORT": "http"})


def test_choices_and_switches_are_checked():
    choice = setting("QA_DEMO_MODE", "auto", "demo", choices=("auto", "on", "off")).metadata
    assert _parse(choice, "ON") == "on"
    with pytest.raises(ConfigError, match="QA_DEMO_MODE is 'maybe'; expected one of auto, on, off."):
        _parse(choice, "maybe")
    switch = setting("QA_DEMO_SWITCH", False, "demo", kind=bool).metadata
    assert _parse(switch, "yes") is True and _parse(switch, "0") is False
    with pytest.raises(ConfigError, match="QA_DEMO_SWITCH is 'sure'; expected one of 1, true"):
        _parse(switch, "sure")


def test_the_table_documents_every_field():
    rows = variables()
    assert [v.field for v in rows] == list(Settings.__dataclass_fields__)
    assert all(v.name.startswith("QA_") and v.help and v.allowed for v in rows)
    assert {v.name: v.default for v in rows}["QA_MAX_FILE_BYTES"] == "20 MiB"


def test_top_k_has_one_range():
    assert HybridRetriever.model_fields["k"].metadata[-1].le == MAX_TOP_K
    top_k = next(p for p in cli.commands["ask"].params if p.name == "top_k")
    assert (top_k.type.min, top_k.type.max) == (1, MAX_TOP_K)


def test_the_cli_reports_a_bad_environment_value_as_the_variable(tmp_path):
    result = CliRunner().invoke(cli, ["ask", "Who?", "--corpus", str(tmp_path)], env={"QA_TOP_K": "many"})
    assert result.exit_code == 2
    assert result.stderr == "Error: QA_TOP_K is 'many'; expected a whole number from 1 to 100.\n"
    assert "--top-k" not in result.stderr
