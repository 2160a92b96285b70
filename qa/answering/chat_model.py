"""Choosing the chat model that writes answers: ``QA_LLM=provider:model`` or a model object.

``provider:model`` goes to LangChain's ``init_chat_model`` (the ``langchain`` package, the
``llm`` extra): ``ollama:llama3.2``, ``openai:gpt-4o-mini`` (an OpenAI-compatible server
through ``OPENAI_BASE_URL``), and every other provider LangChain knows. ``gguf:LOCATION``
loads a GGUF file with transformers, offline (:mod:`qa.answering.gguf`). A
``BaseChatModel`` instance is used as it is. Mistakes are typed errors that say what to do:

    >>> load_chat_model("llama3")
    Traceback (most recent call last):
    ...
    qa.errors.ConfigError: QA_LLM is 'llama3'; expected provider:model, e.g. ollama:llama3.2, openai:gpt-4o-mini or gguf:path/to/model.gguf.
"""

from __future__ import annotations

import importlib
import re

from ..errors import ConfigError, ModelError
from ..extras import missing, require

# provider -> the extra of this package that installs its LangChain integration, and that integration's module
PROVIDER_EXTRAS = {"ollama": "ollama", "openai": "openai", "gguf": "gguf"}
PROVIDER_MODULES = {"ollama": "langchain_ollama", "openai": "langchain_openai"}
EXAMPLES = "ollama:llama3.2, openai:gpt-4o-mini or gguf:path/to/model.gguf"
_PACKAGE = re.compile(r"requires the ([\w.-]+) package")


def _provider_kwargs(provider: str, timeout_s: float | None) -> dict:
    """Client settings for providers whose clients take them: their own timeout, and no
    retries of their own (the reader retries, within ``QA_LLM_TIMEOUT``)."""
    if timeout_s is None:
        return {}
    if provider == "openai":
        return {"timeout": timeout_s, "max_retries": 0}
    if provider == "ollama":
        return {"client_kwargs": {"timeout": timeout_s}}
    return {}


def _init_chat_model():
    """LangChain's ``init_chat_model``, or :class:`~qa.errors.MissingExtraError` naming the llm extra."""
    return require("llm", "langchain.chat_models", needed_for="Written answers").init_chat_model


def missing_provider(provider: str, exc: ImportError) -> ModelError:
    """The error for a provider whose LangChain package is not installed."""
    found = _PACKAGE.search(str(exc))
    package = found.group(1) if found else f"langchain-{provider.replace('_', '-')}"
    needed_for = f"The chat model provider {provider!r}"
    if provider in PROVIDER_EXTRAS:
        return missing(PROVIDER_EXTRAS[provider], package, needed_for)
    return ModelError(f"{needed_for} needs the {package} package, which is not installed.",
                      hint=f"Install it: `pip install {package}`.")


def parse_spec(spec: str) -> tuple[str, str]:
    """``(provider, model)`` of ``"provider:model"`` (the provider lower-cased, ``-`` as ``_``),
    or :class:`ConfigError`: ``parse_spec("Ollama:llama3.2")`` -> ``("ollama", "llama3.2")``."""
    provider, _, model = str(spec).strip().partition(":")
    provider = provider.strip().lower().replace("-", "_")
    if not provider or not model.strip():
        raise ConfigError(f"QA_LLM is {spec!r}; expected provider:model, e.g. {EXAMPLES}.")
    return provider, model.strip()


def load_chat_model(spec, *, timeout_s: float | None = None):
    """The chat model ``spec`` names (see the module docstring); ``timeout_s`` is passed to
    the clients of providers that take one."""
    from langchain_core.language_models import BaseChatModel

    if isinstance(spec, BaseChatModel):
        return spec
    if not isinstance(spec, str):
        raise ConfigError(f"llm must be a 'provider:model' string or a LangChain BaseChatModel, "
                          f"got {type(spec).__name__}.")
    provider, model = parse_spec(spec)
    if provider == "gguf":
        from .gguf import load_gguf_chat

        return load_gguf_chat(model)
    init_chat_model = _init_chat_model()
    try:
        if provider in PROVIDER_MODULES:   # checked first: LangChain may try another package for it
            importlib.import_module(PROVIDER_MODULES[provider])
        return init_chat_model(model, model_provider=provider, **_provider_kwargs(provider, timeout_s))
    except ImportError as exc:
        raise missing_provider(provider, exc) from None
    except ValueError as exc:
        if "provider" in str(exc).lower() and "supported" in str(exc).lower():
            known = str(exc).split("are:", 1)[-1].strip().split("\n")[0]
            raise ConfigError(f"QA_LLM names the provider {provider!r}, which LangChain doesn't know; "
                              f"expected gguf or one of: {known}") from None
        raise ModelError(f"Could not set up the chat model {spec!r}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - a client refusing its settings (e.g. no API key)
        raise ModelError(f"Could not set up the chat model {spec!r}: {type(exc).__name__}: {exc}") from None
