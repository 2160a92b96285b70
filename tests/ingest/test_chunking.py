from qa.ingest.chunking import ChunkSettings, chunk_documents
from qa.ingest.corpus import load_corpus
from qa.ingest.text import split_sentences
from tests.conftest import CORPUS


def test_chunk_offsets_round_trip_on_the_bundled_corpus():
    corpus = load_corpus(CORPUS)
    chunks = chunk_documents(corpus.documents)
    assert chunks.passages
    for p in chunks.passages:
        doc = corpus.documents[p.doc]
        assert doc.text[p.start:p.end] == p.text
        assert p.source == doc.source
        section = doc.section_at(p.start)
        assert section.heading == p.section and p.end <= section.end  # within one section
    for s in chunks.sentences:
        assert corpus.documents[s.doc].text[s.start:s.end].strip()


def test_chunks_never_cut_a_sentence_and_overlap():
    corpus = load_corpus(CORPUS)
    settings = ChunkSettings(max_chars=400, overlap_sentences=1)
    chunks = chunk_documents(corpus.documents, settings)
    doc = corpus.documents[0]
    boundaries = set()
    for sec in doc.sections:
        for a, b in split_sentences(doc.text, sec.start, sec.end):
            boundaries.update((a, b))
    for p in chunks.passages:
        assert p.start in boundaries and p.end in boundaries
        assert len(p.text) <= settings.max_chars or p.first_sentence == p.last_sentence
    # consecutive passages of a section share one sentence (a one-sentence passage can't)
    for p, q in zip(chunks.passages, chunks.passages[1:]):
        if p.section == q.section and p.doc == q.doc and p.last_sentence > p.first_sentence:
            assert q.first_sentence == p.last_sentence


def test_one_long_sentence_is_its_own_passage(make_corpus):
    long = "Word " * 300 + "end."
    corpus = load_corpus(make_corpus({"a.txt": f"Short one. {long} Short two."}))
    chunks = chunk_documents(corpus.documents, ChunkSettings(max_chars=200, overlap_sentences=0))
    texts = [p.text for p in chunks.passages]
    assert any(t.strip() == long.strip() for t in texts)
