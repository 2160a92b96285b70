import pytest

from qa.ingest.text import clean_question, fold, split_sentences, words


def test_fold_keeps_length_and_maps_typography():
    src = "Iran\u2019s\u00a0\u201cstrike\u201d \u2014 Jan\u200b 16\u2026 caf\u00e9"
    out = fold(src)
    assert len(out) == len(src)
    assert out == "Iran's \"strike\" - Jan  16. cafe"


def test_fold_replaces_control_and_surrogates_with_spaces():
    src = "a\x00b\x07c\ud800d"
    assert fold(src) == "a b c d"


@pytest.mark.parametrize("text, expected", [
    ("The U.S. left in 2021. Iran said \u201cno.\u201d Then it rained.",
     ["The U.S. left in 2021.", "Iran said \u201cno.\u201d", "Then it rained."]),
    ("Dr. Smith met J. K. Rowling. They talked.", ["Dr. Smith met J. K. Rowling.", "They talked."]),
    ("Is it true? Yes! It is.", ["Is it true?", "Yes!", "It is."]),
    ("Prices rose 2.5 percent. E.g. tea rose.", ["Prices rose 2.5 percent.", "E.g. tea rose."]),
    ("It was 5 p.m. on Monday. Then rain.", ["It was 5 p.m. on Monday.", "Then rain."]),
    ("First paragraph without stop\n\nSecond one.", ["First paragraph without stop", "Second one."]),
    ("He said \"Go.\" She went.", ["He said \"Go.\"", "She went."]),
    ("Ends with U.S.", ["Ends with U.S."]),
])
def test_split_sentences(text, expected):
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == expected


def test_split_sentences_offsets_are_true_and_ordered():
    text = "  One.  Two?\n\n  Three!  "
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == ["One.", "Two?", "Three!"]
    assert all(a < b <= c for (a, b), (c, _) in zip(spans, spans[1:]))


def test_split_sentences_respects_a_window():
    text = "Skip this. Take this. And this. Not this."
    start, end = text.index("Take"), text.index("Not") - 1
    assert [text[a:b] for a, b in split_sentences(text, start, end)] == ["Take this.", "And this."]


def test_words_and_clean_question():
    assert words("Iran\u2019s $2.5 billion, pro-China") == ["iran's", "2.5", "billion", "pro-china"]
    assert clean_question("  What\u00a0is\u200b it?\n") == "What is it?"
