"""One settings table (qa/settings.py): every QA_* variable parsed and checked in one place, and a
bad value reported as the variable, with what it may hold, wherever it is read."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import qa.app.api
from qa.app.api import Answerer
from qa.app.cli import cli
from qa.errors import ConfigError
from qa.search.retriever import HybridRetriever
from qa.settings import DEFAULT_TOP_K, MAX_TOP_K, Settings, _parse, setting, variables
from tests.conftest import CORPUS, ROOT
from tests.support.fakes import HashEmbeddings

EDGES = ("qa/app/", "qa/settings.py")   # the only modules that read the environment through Settings


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
    """The edges read only what they need: a bad QA_PORT does not stop loading documents."""
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


def settings_reads(path: Path) -> list[int]:
    """The lines of ``path`` that read the environment through ``Settings.get`` or ``Settings.from_env``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and isinstance(n.func.value, ast.Name) and n.func.value.id == "Settings"
            and n.func.attr in ("get", "from_env")]


def test_settings_are_read_only_at_the_edges():
    """ingest, search, answering and eval take settings as arguments; the CLI, the chat window's
    launch and Answerer.from_corpus (all in qa/app) read them and pass them down."""
    reads = [f"{rel}:{line}" for path in sorted((ROOT / "qa").rglob("*.py"))
             if not (rel := path.relative_to(ROOT).as_posix()).startswith(EDGES) for line in settings_reads(path)]
    assert reads == []
    assert settings_reads(ROOT / "qa" / "app" / "api.py")   # the check finds reads where there are some


@pytest.mark.parametrize("k", [2, 5])
def test_qa_top_k_and_qa_reader_still_reach_the_answerer_through_the_edges(k, monkeypatch, tmp_path):
    monkeypatch.setattr(qa.app.api, "MiniLMEmbeddings", HashEmbeddings)
    for name, value in {"QA_TOP_K": str(k), "QA_READER": "extractive", "QA_CORPUS": str(CORPUS),
                        "QA_INDEX": str(tmp_path / "index")}.items():
        monkeypatch.setenv(name, value)
    question = "When did Iran launch its missile strike on Pakistan?"
    bot = Answerer.from_corpus()
    assert (bot.retriever.k, bot.reader.kind, len(bot.ask(question).passages)) == (k, "extractive", k)
    result = CliRunner().invoke(cli, ["ask", "--json", question])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["passages"]) == k
    assert len(Answerer(bot.index, bot.embeddings, reader=bot.reader).ask(question).passages) == DEFAULT_TOP_K
