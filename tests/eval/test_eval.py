import json

import pytest
from click.testing import CliRunner

from qa.answering.answer import Answer, Citation
from qa.app.cli import cli
from qa.eval.metrics import is_correct, normalize, percentile, score, summarize, token_f1
from qa.eval.questions import Question, load_questions, split_of, spread
from qa.eval.report import CHART_METRICS
from qa.eval.squad import squad_documents


def _answer(text, cited="", abstained=False, highlight=None):
    c = Citation("a.txt", cited, 0, len(cited), [highlight or (0, len(cited))], 1.0)
    return Answer("q", text, [] if abstained else [c], abstained, 0.5, "q", [c])


def test_metrics_on_hand_made_outcomes():
    q_ok = Question("1", "When?", ["January 16"], "On January 16, Iran struck.", "date")
    q_none = Question("2", "Boiling point?", [], "", "unanswerable")
    good = score(q_ok, _answer("On January 16, Iran struck. [1]", "Before. On January 16, Iran struck.", highlight=(0, 7)), 5.0)
    assert good.correct and good.rank == 1 and good.cited_ok and not good.highlight_ok  # highlight starts at "Before."
    wrong = score(q_ok, _answer("Something else. [1]", "Something else."), 7.0)
    assert not wrong.correct and wrong.rank is None and wrong.cited_ok is False
    abst = score(q_none, _answer("The documents don't say.", abstained=True), 3.0)
    false_abst = score(q_ok, _answer("The documents don't say.", abstained=True), 3.0)
    s = summarize([good, wrong, abst, false_abst])
    assert s["answer_accuracy"] == pytest.approx(1 / 3)
    assert s["abstention_recall"] == 1.0 and s["abstention_precision"] == 0.5 and s["false_abstentions"] == 1
    assert s["mrr"] == pytest.approx(1 / 3)
    assert normalize("The U.S.") == "us" and token_f1("x y z", "z w") == pytest.approx(0.4)


def test_is_correct_judges_answers_and_abstentions():
    said = Answer("q", "On 16\u00a0January, Iran struck [1].", [], False, 0.9)
    silent = Answer("q", "The documents don't say.", [], True, 0.1)
    when = Question("1", "When?", ["16 JANUARY"])
    assert is_correct(when, said) and not is_correct(Question("2", "When?", ["February"]), said)
    assert not is_correct(when, silent)                                     # answerable, abstained
    unanswerable = Question("3", "Boiling point?", [])
    assert is_correct(unanswerable, silent) and not is_correct(unanswerable, said)


def test_percentile_interpolates_and_is_none_when_empty():
    assert percentile([3, 1, 2], 0.5) == 2 and percentile([1, 2], 0.25) == 1.25
    assert percentile([], 0.5) is None


def test_squad_conversion_evidence_is_the_answer_sentence():
    data = {"data": [{"title": "Some_Title", "paragraphs": [
        {"context": "First fact here. The tower is 300 metres tall. Last.",
         "qas": [{"id": "x", "question": "How tall is the tower?", "answers": [{"text": "300 metres", "answer_start": 30}]}]}]}]}
    docs, qs = squad_documents(data)
    assert list(docs) == ["Some_Title.txt"] and docs["Some_Title.txt"].startswith("Some Title\n\n")
    assert qs[0].evidence == "The tower is 300 metres tall." and qs[0].type == "squad-number"


def test_split_is_stable_and_balanced():
    ids = [f"q{i:03d}" for i in range(200)]
    assert [split_of(i) for i in ids] == [split_of(i) for i in ids]
    assert 70 < sum(split_of(i) == "dev" for i in ids) < 130


def test_a_sample_is_spread_over_the_set_and_stable(tmp_path):
    qs = [Question(f"q{i:03d}", f"Question {i}?", ["a"]) for i in range(300)]
    got = spread(qs, 60)
    assert [q.id for q in got] == [q.id for q in spread(list(reversed(qs)), 60)][::-1]  # by id, not position
    positions = [int(q.id[1:]) for q in got]
    assert positions == sorted(positions) and len(got) == 60
    assert sum(p < 150 for p in positions) in range(18, 43)   # from both halves of the set, not the first 60
    from qa.eval.run import EvalConfig, prepare

    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps({"id": q.id, "question": q.question, "answers": ["a"], "evidence": "a"})
                              for q in qs[:20]))
    with pytest.raises(ValueError, match="limit=5 and sample=5 were both given; pick one"):
        prepare(EvalConfig(questions=path, corpus_dir=tmp_path, limit=5, sample=5))
    assert [q.id for q in prepare(EvalConfig(questions=path, corpus_dir=tmp_path, sample=5))[2]] == \
        [q.id for q in spread(qs[:20], 5)]


def test_load_questions_names_the_bad_line(tmp_path):
    f = tmp_path / "q.jsonl"
    f.write_text('{"id": "1", "question": "Q?", "answers": []}\n{"oops": 1}\n')
    with pytest.raises(ValueError, match="q.jsonl:2"):
        load_questions(f)


def test_a_question_without_answers_is_an_error_not_unanswerable(tmp_path):
    f = tmp_path / "q.jsonl"
    f.write_text('{"id": "1", "question": "Q?", "answers": []}\n{"id": "2", "question": "When?"}\n')
    with pytest.raises(ValueError, match=r"q.jsonl:2.*answers"):
        load_questions(f)
    f.write_text('{"id": "1", "question": "Q?", "answers": "1998"}\n')
    with pytest.raises(ValueError, match="q.jsonl:1"):
        load_questions(f)


def test_a_missing_squad_file_explains_where_xquad_comes_from(tmp_path):
    r = CliRunner().invoke(cli, ["eval", "--squad", str(tmp_path / "xquad-en.json"), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "not found" in r.stderr and "xquad.en.json" in r.stderr and "google-deepmind/xquad" in r.stderr


def test_chart_legend_covers_no_bar_and_the_title_says_corpus_once():
    from qa.eval.report import Report, figure

    summary = {m: 1.0 for m in CHART_METRICS}
    report = Report("evaluation/questions.jsonl: 133 questions on corpus (split all)",
                    {"qa": summary, "stock": dict(summary)}, {}, {})
    fig = figure([report])
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    (ax,) = fig.axes
    legend = ax.get_legend().get_window_extent(renderer)
    bars = [patch.get_window_extent(renderer) for patch in ax.patches]
    assert len(bars) == 2 * len(CHART_METRICS)
    assert not any(legend.overlaps(bar) for bar in bars)
    assert fig.get_window_extent().contains(legend.x1 - 1, legend.y1 - 1)   # and it is inside the picture
    assert ax.get_title().count("corpus") == 1


@pytest.mark.slow
def test_qa_eval_command_writes_reports(make_corpus, tmp_path, bundled):
    corpus = make_corpus({"a.txt": "Facts\n\nThe bridge opened in 1998. It is 2 kilometres long.\n\nCrows use tools."})
    qs = tmp_path / "q.jsonl"
    rows = [{"id": "a", "question": "When did the bridge open?", "answers": ["1998"], "evidence": "The bridge opened in 1998.", "type": "date"},
            {"id": "b", "question": "What is the capital of Peru?", "answers": [], "evidence": "", "type": "unanswerable"}]
    qs.write_text("\n".join(json.dumps(r) for r in rows))
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["eval", "--questions", str(qs), "--corpus", str(corpus), "--index", str(tmp_path / "i"),
                                 "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "| answer_accuracy |" in r.stdout and "stock" in r.stdout
    report = json.loads((out / "report.json").read_text())
    assert set(report["systems"]) == {"qa", "stock"}
    assert report["systems"]["qa"]["questions"] == 2
    assert (out / "chart.png").read_bytes()[:4] == b"\x89PNG"
    summary = json.loads((out / "summary.json").read_text())      # the numbers, without the failed questions
    assert summary == {k: v for k, v in report.items() if k != "failures"} and "failures" in report


def test_exact_answer_metrics_score_the_short_answer():
    q = Question("1", "When?", ["January 16", "16 January"], "", "date")
    exact = _answer("On January 16, Iran struck. [1]", "On January 16, Iran struck.")
    exact.short_answer = "January 16"
    loose = _answer("On January 16, Iran struck. [1]", "On January 16, Iran struck.")
    loose.short_answer = "On January 16"
    s = summarize([score(q, exact, 1.0), score(q, loose, 1.0)])
    assert s["short_exact_match"] == 0.5 and s["short_f1"] == pytest.approx((1.0 + 0.8) / 2)
    assert summarize([score(q, _answer("x [1]", "x"), 1.0)])["short_f1"] is None   # no exact answers given


def test_close_questions_keep_the_answer_passages_from_the_reader(fake_bundled):
    from qa.eval.questions import close_variants
    from qa.eval.run import asker

    q = Question("d1", "When did Iran launch its missile strike on Pakistan?", ["January 16"], "", "date")
    close, = close_variants([q])
    plain, withheld = asker(fake_bundled)(q), asker(fake_bundled)(close)
    assert any("January 16" in p.text for p in plain.passages)
    assert withheld.passages and not any("January 16" in p.text for p in withheld.passages)
    assert not close.answerable and close.withheld == ["January 16"]


def test_an_answer_over_two_sentences_is_withheld_from_the_passages_holding_either():
    """No passage holds a two-sentence answer whole when it runs past a passage's end, or when each
    sentence is repeated apart (an abstract restated in the text): a passage holding one of its
    sentences still holds the answer, and a close question must not be read from it."""
    from langchain_core.documents import Document
    from qa.eval.close import withhold

    answer = "the bridge was built of oak in 1900. Jane rebuilt the old bridge in stone"
    docs = [Document("Long ago the bridge was built of oak in 1900."), Document("Jane rebuilt the old bridge in stone."),
            Document("The bridge is old."), Document("In 1900 oak was cheap.")]
    assert [d.page_content for d in withhold(docs, [answer], k=4)] == ["The bridge is old.", "In 1900 oak was cheap."]
    assert len(withhold(docs, ["oak was cheap"], k=4)) == 3                 # one sentence: only where it stands
    assert len(withhold(docs, ["Built of oak. Jane"], k=4)) == 4            # pieces under five words mark nothing


def test_squad_questions_split_by_article_not_by_question():
    data = {"data": [{"title": f"T{i}", "paragraphs": [{"context": "Crows use tools.", "qas": [
        {"id": f"{i}-{j}", "question": "What do crows use?", "answers": [{"text": "tools", "answer_start": 10}]}
        for j in range(3)]}]} for i in range(20)]}
    _, questions = squad_documents(data)
    by_article = {}
    for q in questions:
        by_article.setdefault(q.article, set()).add(split_of(q.half_key))
    assert all(len(halves) == 1 for halves in by_article.values())
    assert {h for halves in by_article.values() for h in halves} == {"dev", "test"}


def test_a_missing_squad_file_explains_where_the_sets_are(tmp_path):
    r = CliRunner().invoke(cli, ["eval", "--squad", str(tmp_path / "nope.json"), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "nope.json" in r.output and "../shared/datasets" in r.output


def test_reports_mark_the_sets_the_span_reader_was_trained_on():
    from tests.conftest import ROOT
    from qa.eval.run import trained_on

    shared = ROOT.parent / "shared" / "datasets"
    if not (shared / "xquad-en.json").is_file():
        pytest.skip("../shared/datasets is not here")
    assert trained_on(shared / "xquad-en.json") is True
    assert trained_on(shared / "eval" / "covidqa.json") is False and trained_on(None) is None
