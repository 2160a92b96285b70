"""The two-stage reader (``QA_READER=mpnet``): MiniLM ranks the windows, MPNet reads the best passages.

No trained MPNet model exists yet, so the end-to-end tests read with a tiny random MPNet exported
to ONNX here (:func:`tests.support.tiny_mpnet.tiny_mpnet_reader`): they check the plumbing (which
passages MPNet reads, whose scores decide the span and the abstention, true offsets), not quality.
"""

from __future__ import annotations

import numpy as np
import pytest

from qa.answering.mpnet_reader import MpnetReader, load_mpnet, mpnet_weights, strongest
from qa.answering.readers import make_reader
from qa.answering.span_model import SpanModel, WindowScores
from qa.answering.span_reader import LOGIT_SCALE, SpanReader
from qa.answering.weights import Weights
from qa.errors import ModelError
from tests.support.passages import passage

TEXTS = ["The museum opened in 1932 after a long campaign by the city council.",
         "Crows use tools to reach food. Owls hunt at night in open fields.",
         "The Greyhaven Russet apple is harvested in late September. The Ember Pippin is picked in October.",
         "Rainfall in the valley averages 600 millimetres a year.",
         "The bridge carries six lanes of traffic and a railway line."]


def window(passage: int, start, end, n_tokens: int = 4) -> WindowScores:
    offsets = [None] + [(2 * i, 2 * i + 1) for i in range(n_tokens - 1)]
    return WindowScores(passage, offsets, np.array(start, float), np.array(end, float), 30)


def test_strongest_ranks_passages_by_their_best_window_over_its_no_answer_score():
    windows = [window(0, [5, 1, 0, 0], [5, 0, 1, 0]),      # span 1 - null 10: -9
               window(1, [0, 2, 0, 0], [0, 0, 2, 0]),      # 4
               window(1, [9, 2, 0, 0], [9, 0, 2, 0]),      # its second window: -14 (the best one counts)
               window(2, [1, 3, 0, 0], [0, 0, 0, 3]),      # 5
               window(3, [0, 1, 0, 0], [0, 1, 0, 0])]      # 2
    texts = ["xxxxxxx"] * 4
    assert strongest(windows, texts, 3) == [2, 1, 3]
    assert strongest(windows, texts, 10) == [2, 1, 3, 0]


def test_a_missing_mpnet_model_says_how_to_get_it(tmp_path):
    with pytest.raises(ModelError) as e:
        load_mpnet(tmp_path / "mpnet-qa-reader")
    message = str(e.value)
    assert str(tmp_path / "mpnet-qa-reader") in message and "training/MPNET.md" in message
    assert "QA_READER=fast" in message


def test_reader_names_fast_is_the_span_reader_and_unknown_names_are_listed():
    assert type(make_reader("fast")) is SpanReader and type(make_reader("span")) is SpanReader
    with pytest.raises(ValueError, match="fast, span, mpnet, extractive; got 'large'"):
        make_reader("large")


def test_without_its_calibration_the_mpnet_reader_borrows_the_span_readers_weights():
    w = mpnet_weights()
    span = Weights.load(reader="span")
    assert w.reader == "mpnet" and w.sentence == span.sentence and w.threshold == span.threshold
    assert "span_gap" in w.sentence or "span_gap" in w.confidence


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from tests.support.tiny_mpnet import tiny_mpnet_reader

    return load_mpnet(tiny_mpnet_reader(tmp_path_factory.mktemp("tiny-mpnet-reader")))


class Spy:
    """A span model that remembers what it was asked to read."""

    def __init__(self, model):
        self.model, self.calls = model, []

    def score(self, question, passages, batch_size=16):
        self.calls.append(list(passages))
        return self.model.score(question, passages, batch_size)


def reader_with(tiny, weights: Weights, read: int = 3):
    spy = Spy(tiny)
    return MpnetReader(weights, model=spy, ranker=SpanModel.load(), read=read), spy


@pytest.mark.slow
def test_mpnet_reads_only_the_passages_minilm_ranks_highest_and_its_span_answers(tiny):
    always = Weights(reader="mpnet", sentence={"span_gap": 1.0}, confidence={}, bias=0.0, threshold=0.0)
    reader, spy = reader_with(tiny, always)
    passages = [passage(t, start=1000 * i, first_sid=10 * i) for i, t in enumerate(TEXTS)]
    question = "When is the Greyhaven Russet apple harvested?"
    answer = reader.read(question, passages)
    texts = [p.page_content for p in passages]
    chosen = strongest(SpanModel.load().score(question, texts), texts, 3)
    assert len(spy.calls) == 1 and spy.calls[0] == [texts[i] for i in chosen]     # MPNet read those three only
    assert not answer.abstained and {c.source for c in answer.citations} == {"doc.txt"}
    cited = [c.start // 1000 for c in answer.citations]
    assert set(cited) <= set(chosen) and len(answer.passages) == len(TEXTS)      # every passage retrieved is listed
    if answer.short_answer:                                                      # offsets true to the source
        c = answer.citations[0]
        (a, b), = c.answer_spans
        assert c.text[a:b] == answer.short_answer
    # the span features are MPNet's own scores of those sentences
    ranked = reader.candidates(question, question, passages)
    assert {c.passage for c in ranked} == set(chosen)
    # (scored in one batch, as the reader does: dynamic int8 scales its activations per batch)
    windows = tiny.score(question, [texts[i] for i in chosen])
    for c in ranked:                     # each sentence: MPNet's best span inside it over its passage's null
        p0 = passages[c.passage].metadata["start"]
        ws = [w for w in windows if chosen[w.passage] == c.passage]
        best = max(w.best_span(c.start - p0, c.end - p0).score for w in ws)
        assert c.features["span_gap"] == pytest.approx((best - min(w.null for w in ws)) / LOGIT_SCALE, abs=1e-6)


@pytest.mark.slow
def test_the_abstention_follows_mpnets_evidence(tiny):
    passages = [passage(t, start=1000 * i, first_sid=10 * i) for i, t in enumerate(TEXTS)]
    question = "How much rain falls in the valley?"
    probe, _ = reader_with(tiny, Weights(reader="mpnet", sentence={"span_gap": 1.0}, confidence={}, threshold=0.0))
    evidence = max(c.features["span_gap"] for c in probe.candidates(question, question, passages))

    def ask(threshold_shift: float) -> bool:
        w = Weights(reader="mpnet", sentence={"span_gap": 1.0}, confidence={"evidence": 1.0}, bias=0.0,
                    threshold=1 / (1 + np.exp(-(evidence + threshold_shift))))
        return reader_with(tiny, w)[0].read(question, passages).abstained

    assert ask(+0.01) is True and ask(-0.01) is False

