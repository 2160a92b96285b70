"""Choosing the chat model: QA_LLM=provider:model through LangChain's init_chat_model, typed
errors that name the extra to install, a real OpenAI-compatible server over HTTP, GGUF files."""

from __future__ import annotations

import subprocess
import sys

import pytest

from qa.answering.chat_model import load_chat_model
from qa.answering.gguf import gguf_file
from qa.errors import ConfigError, MissingExtraError, ModelError
from tests.conftest import ROOT
from tests.support.llm import BIRDS


@pytest.mark.parametrize("spec", ["llama3", ":model", "ollama:", "  "])
def test_a_spec_without_provider_and_model_is_a_config_error(spec):
    with pytest.raises(ConfigError, match="expected provider:model, e.g. ollama:llama3.2"):
        load_chat_model(spec)


def test_an_unknown_provider_lists_the_known_ones():
    pytest.importorskip("langchain.chat_models")
    with pytest.raises(ConfigError, match=r"provider 'bogus', which LangChain doesn't know; expected gguf or one "
                                          r"of: .*ollama.*openai"):
        load_chat_model("bogus:model")


def test_a_model_object_is_used_as_it_is_and_anything_else_is_refused():
    from langchain_core.language_models import FakeListChatModel

    model = FakeListChatModel(responses=["x"])
    assert load_chat_model(model) is model
    with pytest.raises(ConfigError, match="got int"):
        load_chat_model(42)


def test_a_missing_provider_package_names_the_extra(monkeypatch):
    pytest.importorskip("langchain.chat_models")
    monkeypatch.setitem(sys.modules, "langchain_ollama", None)        # as if not installed
    with pytest.raises(ModelError) as err:
        load_chat_model("ollama:llama3.2")
    assert "needs the ollama extra (langchain-ollama is not installed)" in str(err.value)
    assert err.value.hint == "Install the ollama extra: pip install 'qa[ollama]'" and "-e" not in err.value.hint
    assert isinstance(err.value, MissingExtraError) and err.value.extra == "ollama"


def test_a_provider_without_an_extra_names_its_package(monkeypatch):
    pytest.importorskip("langchain.chat_models")
    monkeypatch.setitem(sys.modules, "langchain_groq", None)
    with pytest.raises(ModelError, match="needs the langchain-groq package") as err:
        load_chat_model("groq:llama-3.1-8b-instant")
    assert err.value.hint == "Install it: `pip install langchain-groq`."


def test_without_langchain_the_error_names_the_llm_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "langchain.chat_models", None)
    with pytest.raises(MissingExtraError, match=r"needs the llm extra \(langchain is not installed\)") as err:
        load_chat_model("ollama:llama3.2")
    assert "qa[llm]" in err.value.hint


def test_gguf_locations(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "m.gguf").write_bytes(b"GGUF")
    assert gguf_file(str(tmp_path / "one")) == tmp_path / "one" / "m.gguf"
    assert gguf_file(str(tmp_path / "one" / "m.gguf")) == tmp_path / "one" / "m.gguf"
    (tmp_path / "one" / "n.gguf").write_bytes(b"GGUF")
    with pytest.raises(ModelError, match="2 .gguf files"):
        gguf_file(str(tmp_path / "one"))
    with pytest.raises(ModelError, match="No GGUF file at 'json'"):
        gguf_file("json")          # an installed package without a .gguf file


def test_cli_reports_a_bad_llm_in_one_line(tmp_path):
    run = subprocess.run([sys.executable, "-m", "qa", "ask", "--llm", "llama3", "When do owls hunt?"],
                         capture_output=True, text=True, cwd=tmp_path, env={"PYTHONPATH": str(ROOT), "PATH": ""},
                         timeout=120)
    assert run.returncode == 2
    assert run.stderr.strip() == ("Error: QA_LLM is 'llama3'; expected provider:model, e.g. ollama:llama3.2, "
                                  "openai:gpt-4o-mini or gguf:path/to/model.gguf.")


@pytest.fixture
def birds_bot(make_corpus, tmp_path, fake_embeddings):
    from qa.app.api import Answerer

    return Answerer.from_corpus(make_corpus(BIRDS), tmp_path / "idx", embeddings=fake_embeddings)


def test_an_openai_compatible_server_writes_the_answer(birds_bot, monkeypatch):
    pytest.importorskip("langchain_openai")
    from qa.app.api import Answerer
    from tests.support.llm_server import OpenAICompatibleServer

    def reply(messages):
        owls = next(n for n, line in enumerate(messages[-1]["content"].split("<passage id=")[1:], 1) if "Owls hunt" in line)
        return f"Owls hunt at night [{owls}]. They sleep in the Louvre [{owls}]."

    with OpenAICompatibleServer(reply) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        bot = Answerer(birds_bot.index, birds_bot.embeddings, llm="openai:test-model")
        pieces = list(bot.stream("When do owls hunt?"))
    answer = pieces[-1]
    assert len(pieces) > 3 and answer.text == "Owls hunt at night. [1]"
    assert [d.text for d in answer.dropped] == ["They sleep in the Louvre."]
    [request] = server.requests
    assert request["model"] == "test-model" and request["stream"] is True
    assert request["messages"][0]["role"] == "system" and "<passage id=1" in request["messages"][-1]["content"]


def test_a_slow_server_times_out_to_the_quoted_answer(birds_bot, monkeypatch):
    pytest.importorskip("langchain_openai")
    from qa.app.api import Answerer
    from tests.support.llm_server import OpenAICompatibleServer

    with OpenAICompatibleServer(lambda m: "Owls hunt at night [1].", delay_s=3.0) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("QA_LLM_TIMEOUT", "1")
        answer = Answerer(birds_bot.index, birds_bot.embeddings, llm="openai:test-model").ask("When do owls hunt?")
    assert "gave no answer in time" in answer.note and answer.text == birds_bot.ask("When do owls hunt?").text


@pytest.mark.slow
def test_qa_ask_with_an_openai_compatible_server(make_corpus, tmp_path):
    """The whole command, in a fresh process: real model for the index, the server writes, the check drops."""
    pytest.importorskip("langchain_openai")
    import json
    import os

    from tests.support.llm_server import OpenAICompatibleServer

    corpus = make_corpus(BIRDS)
    with OpenAICompatibleServer(lambda m: "Owls hunt at night. Owls were first seen on Mars in 1987.") as server:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "sk-t"}
        run = subprocess.run([sys.executable, "-m", "qa", "ask", "--corpus", str(corpus), "--index",
                              str(tmp_path / "idx"), "--llm", "openai:test-model", "--json", "When do owls hunt?"],
                             capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert answer["text"] == "Owls hunt at night. [1]" and answer["citations"][0]["source"] == "owls.md"
    assert [(d["text"], d["reason"]) for d in answer["dropped"]] == [("Owls were first seen on Mars in 1987.",
                                                                      "unsupported")]
    assert answer["verification"] == {"sentences": 2, "supported": 1, "cited": 0, "cited_correctly": 0}
