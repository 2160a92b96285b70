import json
import pytest
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from qa.answering.chain import build_chain, condense_question
from qa.ingest.corpus import load_corpus
from qa.search.index import build_index
from qa.answering.extractive import ExtractiveReader, answer_features, sentence_features
from qa.answering.question_types import answer_type
from qa.answering.reader import clip
from qa.answering.weights import CONFIDENCE_FEATURES, SENTENCE_FEATURES, Weights
from qa.search.retriever import HybridRetriever

DOCS = {
    "birds.txt": "Birds\n\nCrows are clever birds. They use tools to get food. Owls hunt at night in forests.",
    "trade.txt": "Trade\n\nIran exports fuel to Pakistan. In 2020 a new border station opened at Rimdan. "
                 "The station was built by engineers.",
    "club.txt": "Club\n\nThe Zeynabiyoun Brigade is a militia. The brigade was formally organized in 2014.",
}


@pytest.fixture
def retriever(make_corpus, fake_embeddings):
    index, _ = build_index(load_corpus(make_corpus(DOCS)), fake_embeddings)
    return HybridRetriever(index=index, embeddings=fake_embeddings, k=2)


def test_retriever_is_a_langchain_retriever(retriever):
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke("Which birds use tools?")
    assert 1 <= len(docs) <= 2 and all(isinstance(d, Document) for d in docs)
    top = docs[0]
    assert top.metadata["source"] == "birds.txt"
    scores = [d.metadata["score"] for d in docs]
    assert scores == sorted(scores, reverse=True)
    m = top.metadata
    doc_text = retriever.index.documents[retriever.index.by_source[m["source"]]].text
    assert doc_text[m["start"]:m["end"]] == top.page_content
    for hit in m["sentences"]:
        assert m["start"] <= hit.start < hit.end <= m["end"] and -1.0 <= hit.cosine <= 1.0001


def test_k_is_configurable(retriever):
    assert len(retriever.invoke("birds fuel militia", k=1)) == 1
    retriever.k = 3
    assert len(retriever.invoke("birds fuel militia")) == 3


@pytest.mark.parametrize("q, kind", [
    ("When was it organized?", "date"), ("What year did it open?", "date"), ("How many points?", "number"),
    ("Who built it?", "person"), ("What is the name of the minister?", "person"), ("Where is Rimdan?", "place"), ("Why did they strike?", "reason"),
    ("How do crows get food?", "means"), ("What is the brigade?", "other")])
def test_answer_type(q, kind):
    assert answer_type(q) == kind


def test_reader_answers_with_citations_and_highlights(retriever):
    chain = build_chain(retriever, ExtractiveReader(Weights(threshold=0.0)))
    a = chain.invoke({"question": "When did the new border station open at Rimdan?", "history": []})
    assert not a.abstained and "[1]" in a.text
    assert "2020" in a.text
    c = a.citations[0]
    assert c.source == "trade.txt"
    for x, y in c.highlights:
        assert 0 <= x < y <= len(c.text)
        assert c.text[x:y] in a.text
    assert 0.0 <= a.confidence <= 1.0


def test_reader_abstains_below_threshold(retriever):
    chain = build_chain(retriever, ExtractiveReader(Weights(threshold=0.99999, confidence={'score': 1.0}, bias=0.0)))
    a = chain.invoke({"question": "What is the boiling point of mercury?", "history": []})
    assert a.abstained and a.citations == [] and "don't say" in a.text
    assert a.passages  # what was looked at is still there


def test_follow_up_uses_history(retriever):
    chain = build_chain(retriever, ExtractiveReader(Weights(threshold=0.0)))
    a = chain.invoke({"question": "When was it formally organized?",
                      "history": [("What is the Zeynabiyoun Brigade?", "A militia.")]})
    assert "Zeynabiyoun" in a.query
    assert a.citations[0].source == "club.txt" and "2014" in a.text


def test_condense_question_only_when_needed():
    h = [("What is the Zeynabiyoun Brigade?", "x")]
    assert condense_question("When was it formally organized?", h) == "When was it formally organized? (Zeynabiyoun Brigade)"
    assert condense_question("How much fuel does Iran export to Pakistan?", h) == "How much fuel does Iran export to Pakistan?"
    assert condense_question("Anything?", []) == "Anything?"


def test_answer_length_is_bounded(make_corpus, fake_embeddings):
    long = "Alpha beta gamma delta " * 60 + "epsilon."
    index, _ = build_index(load_corpus(make_corpus({"a.txt": f"{long} {long.replace('Alpha', 'Zeta')}"})), fake_embeddings)
    chain = build_chain(HybridRetriever(index=index, embeddings=fake_embeddings), ExtractiveReader(Weights(threshold=0.0)))
    a = chain.invoke({"question": "alpha beta gamma delta epsilon", "history": []})
    assert len(a.text) <= 400 + 10
    assert clip("a b c d e f", 6) == "a b c\u2026"


def test_calibration_file_is_versioned_and_checked(tmp_path):
    w = Weights(sentence={"cosine": 1.0, "overlap": 0.5}, confidence={"score": 2.0, "dense": 1.0}, bias=-1.0,
                threshold=0.3, second_ratio=0.9, fitted_by="test")
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps(w.to_dict()), encoding="utf-8")
    assert Weights.load(path) == w
    path.write_text(json.dumps({**w.to_dict(), "format_version": 1}), encoding="utf-8")
    with pytest.raises(ValueError, match="format version 1; this version of qa reads version 3"):
        Weights.load(path)
    path.write_text(json.dumps({**w.to_dict(), "sentence": {"cosine": 1.0, "shoe_size": 3.0}}), encoding="utf-8")
    with pytest.raises(ValueError, match="unknown sentence features \\['shoe_size'\\]"):
        Weights.load(path)
    with pytest.raises(ValueError, match="holds weights of the 'extractive' reader; expected 'span'"):
        Weights.load(path, reader="span")


def test_shipped_calibration_loads_and_names_known_features():
    w = Weights.load()
    assert w.fitted_by == "qa calibrate"
    assert set(w.sentence) == set(SENTENCE_FEATURES) and set(w.confidence) == set(CONFIDENCE_FEATURES)
    assert 0.0 < w.threshold < 1.0 and 0.5 <= w.second_ratio <= 1.0


def test_confidence_drops_when_the_asked_for_type_is_missing(retriever):
    reader = ExtractiveReader()
    passages = retriever.invoke("When did the new border station open at Rimdan?")
    ranked = sentence_features("When did the station open?", "station open Rimdan", passages)
    for c in ranked:
        c.score = reader.weights.score(c.features)
    ranked.sort(key=lambda c: -c.score)
    f = answer_features("When did the station open?", ranked, passages)
    missing = {**f, "type_missing": 1.0}
    present = {**f, "type_missing": 0.0}
    assert reader.weights.confidence_of(missing) < reader.weights.confidence_of(present)


class OneSourceRetriever(BaseRetriever):
    """Another retriever (as one over a remote vector engine would be): only passages of one document."""

    inner: HybridRetriever
    source: str

    def _get_relevant_documents(self, query, *, run_manager=None):
        return [d for d in self.inner.search(query, k=10) if d.metadata["source"] == self.source][:2]


def test_answerer_takes_any_langchain_retriever(retriever):
    from qa.app.api import Answerer

    swapped = OneSourceRetriever(inner=retriever, source="trade.txt")
    bot = Answerer(retriever.index, retriever.embeddings, retriever=swapped,
                   reader=ExtractiveReader(Weights(threshold=0.0)))
    assert bot.retriever is swapped
    a = bot.ask("Which birds use tools?")
    assert a.passages and {p.source for p in a.passages} == {"trade.txt"}
    assert all(c.source == "trade.txt" for c in a.citations)
