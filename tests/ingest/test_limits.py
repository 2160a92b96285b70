"""Limits on what one document may unpack to, in every format: a DOCX bomb is refused by its
packing ratio before it is parsed, and by its text while it is read; a PDF by its streams
(pypdf's own caps, lowered) and its pages' text; an HTML page by its tags and text; plain text
and Markdown by their length; any document by its sentences. Every refusal is ``too-large``
and names the limit, the value found and what is allowed."""

from __future__ import annotations

import dataclasses
import time

import pytest

from qa.errors import DocumentError, ExtractionError
from qa.ingest.corpus import document_from_bytes
from qa.ingest.limits import SETTING, Limits
from qa.ingest.loaders import extract
from qa.settings import Settings
from tests.support.bombs import docx_bomb, unpacked_size
from tests.support.documents import docx_bytes, html_bytes, pdf_bytes

BOMB_SECONDS = 10   # the target on a 2-core machine


def refused(suffix: str, data: bytes, limits: Limits | None = None) -> ExtractionError:
    with pytest.raises(ExtractionError) as caught:
        extract(suffix, data, limits or Limits())
    assert caught.value.reason == "too-large", caught.value
    return caught.value


def test_the_defaults_are_the_settings_defaults():
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    env_of = {f.metadata["env"]: f.default for f in fields.values()}
    for name, env in SETTING.items():
        assert env_of[env] == getattr(Limits(), name), env
    assert Limits().max_chars == 5_000_000


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "10"])
def test_limits_must_be_positive_whole_numbers(bad):
    with pytest.raises(ValueError, match="max_chars must be a whole number of at least 1"):
        Limits(max_chars=bad)


def test_a_docx_bomb_is_refused_by_its_packing_ratio_before_it_is_parsed():
    bomb = docx_bomb()
    assert len(bomb) < 150_000 and unpacked_size(bomb) > 20_000_000
    start = time.perf_counter()
    exc = refused(".docx", bomb)
    elapsed = time.perf_counter() - start
    assert "word/document.xml" in str(exc) and "times its packed size" in str(exc)
    assert "at most 100 times is allowed (QA_MAX_UNPACK_RATIO)" in str(exc)
    assert elapsed < 1.0, f"the ratio is checked before parsing ({elapsed:.2f} s)"


def test_a_docx_within_the_ratio_is_refused_by_its_text_while_it_is_read():
    bomb = docx_bomb()
    start = time.perf_counter()
    exc = refused(".docx", bomb, Limits(max_unpack_ratio=10_000))
    elapsed = time.perf_counter() - start
    assert "has over 5,000,000 characters of text (reading stopped at 5,0" in str(exc)
    assert "at most 5,000,000 are allowed (QA_MAX_DOC_CHARS)" in str(exc)
    assert elapsed < 3 * BOMB_SECONDS, "a guard against a hang; the ratio check refuses real bombs at once"


def test_a_docx_is_refused_by_what_its_archive_unpacks_to():
    small = docx_bytes([("p", "Herons stand still in shallow water.")])
    exc = refused(".docx", small, Limits(max_unpacked_bytes=10_000))
    assert "bytes of unpacked data (as its archive declares); at most 10,000 are allowed (QA_MAX_UNPACKED_BYTES)" \
        in str(exc)
    assert extract(".docx", small, Limits(max_unpacked_bytes=2_000_000)).text == "Herons stand still in shallow water."


def test_a_docx_whose_archive_lies_about_its_sizes_is_refused_not_unpacked():
    bomb = docx_bomb(20_000)
    lied = bytearray(bomb)
    name = b"word/document.xml"
    entry = next(i for i in range(len(bomb)) if bomb.startswith(b"PK\x01\x02", i)
                 and bomb[i + 46:i + 46 + len(name)] == name)
    lied[entry + 24:entry + 28] = (1000).to_bytes(4, "little")   # its central-directory entry claims 1,000 bytes
    with pytest.raises(ExtractionError) as caught:
        extract(".docx", bytes(lied), Limits(max_unpack_ratio=10_000))
    assert caught.value.reason in ("corrupt", "too-large")


def test_pdf_text_is_counted_page_by_page():
    pages = [[("p", f"Page {i} says the moon base mines ice in the crater.")] for i in range(1, 6)]
    exc = refused(".pdf", pdf_bytes(pages), Limits(max_chars=120))
    assert "reading stopped at" in str(exc) and "(QA_MAX_DOC_CHARS)" in str(exc)


def test_pdf_streams_are_held_to_the_unpacked_limit():
    pages = [[("p", "The moon base mines ice in the Shackleton crater. " * 20)]]
    exc = refused(".pdf", pdf_bytes(pages), Limits(max_unpacked_bytes=200))
    assert "at most 200 bytes are allowed (QA_MAX_UNPACKED_BYTES)" in str(exc) \
        or "at most 200 are allowed (QA_MAX_UNPACKED_BYTES)" in str(exc)


def test_html_is_refused_by_its_tags_before_it_is_parsed_and_by_its_text():
    page = b"<html><body>" + b"<p>Crows use tools.</p>" * 2_000 + b"</body></html>"
    exc = refused(".html", page, Limits(max_html_elements=1_000))
    assert "has over 1,000 HTML elements (reading stopped at 1,001)" in str(exc) and "(QA_MAX_HTML_ELEMENTS)" in str(exc)
    exc = refused(".html", page, Limits(max_chars=1_000))
    assert "at most 1,000 are allowed (QA_MAX_DOC_CHARS)" in str(exc)
    assert extract(".html", html_bytes("Crows", [("p", "Crows use tools.")]), Limits(max_chars=1_000)).text


@pytest.mark.parametrize("suffix", [".txt", ".md"])
def test_plain_text_and_markdown_are_held_to_the_character_limit(suffix):
    exc = refused(suffix, b"Crows are clever. " * 10, Limits(max_chars=100))
    assert exc.message == "has 180 characters of text; at most 100 are allowed (QA_MAX_DOC_CHARS)."
    assert extract(suffix, b"Crows are clever. " * 5, Limits(max_chars=100)).text


def test_sentences_are_counted_as_the_index_cuts_them():
    text = b"".join(b"Sentence number %d is here. " % i for i in range(30))
    with pytest.raises(DocumentError) as caught:
        document_from_bytes("many.txt", text, Limits(max_sentences=20))
    assert caught.value.reason == "too-large" and caught.value.path == "many.txt"
    assert caught.value.message == ("many.txt: has over 20 sentences (reading stopped at 30); at most 20 are allowed "
                                 "(QA_MAX_DOC_SENTENCES).")
    assert document_from_bytes("many.txt", text, Limits(max_sentences=30)).text == text.decode()
