"""Uploading and removing documents in the chat window, in a real headless chromium with the real
model: a PDF made here with a fact on its page 2 is answered with "p. 2" and the highlight; an
HTML page and a DOCX are added in one drop beside refused files, each with its message; a removed
document's facts are no longer answered; other pages see the change; with uploads off there is
no upload control. Every page stays under the app's CSP with no violation."""

from __future__ import annotations

import re
import time

import pytest

from qa.app.api import Answerer
from qa.app.gradio_app import build_demo
from tests.support.documents import corrupt_docx_bytes, docx_bytes, html_bytes, pdf_bytes
from tests.support.ui import ANSWER_TIMEOUT_MS, CHROMIUM, ask, open_page, serve, squash, watched_page

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing")]

BASE = {
    "birds.md": "# Birds\n\n## Crows\n\nCrows are clever birds that use tools and remember faces.\n",
    "rivers.txt": "Rivers\n\nThe Danube flows through ten countries before it reaches the Black Sea.\n",
}
EXAMPLE = "Do crows use tools?"
MAX_UPLOAD = 200_000
FILES = {
    "moon-base.pdf": pdf_bytes([
        [("title", "Moon Base Report"), ("h1", "Water Supply"),
         ("p", "The moon base draws its water from ice mined in the Shackleton crater.")],
        [("h1", "Power Supply"), ("p", "Solar panels on the crater rim supply forty kilowatts of electricity."),
         ("p", "Batteries keep the base running through the two-week lunar night.")]], title="Moon Base Report"),
    "volcanoes.html": html_bytes("Volcanoes of Italy", [
        ("h1", "Volcanoes of Italy"), ("h2", "Vesuvius"),
        ("p", "Mount Vesuvius buried the Roman city of Pompeii in the year 79.")]),
    "garden.docx": docx_bytes([("title", "Garden Guide"), ("h1", "Roses"),
                               ("p", "Roses need six hours of direct sunlight every day.")]),
    "broken.docx": corrupt_docx_bytes(),
    "setup.exe": b"MZ\x90\x00 not a document",
    "huge.txt": b"Crows sing at dawn. " * (MAX_UPLOAD // 10),
}
POWER = "How much electricity do the solar panels supply?"


@pytest.fixture
def bot(make_corpus, tmp_path, real_embeddings):
    return Answerer.from_corpus(make_corpus(BASE), tmp_path / "index", embeddings=real_embeddings)


@pytest.fixture
def app(bot):
    with serve(build_demo(bot, uploads=True, examples=[EXAMPLE], corpus_name="docs", max_upload_bytes=MAX_UPLOAD),
               max_upload_bytes=MAX_UPLOAD) as url:
        yield url


@pytest.fixture
def files(tmp_path):
    folder = tmp_path / "to-upload"
    folder.mkdir()
    for name, data in FILES.items():
        (folder / name).write_bytes(data)
    return lambda *names: [str(folder / n) for n in names]


def open_documents(page, url):
    open_page(page, url)
    page.locator("#qa-docs").get_by_text("Documents").first.click()
    page.wait_for_selector("#qa-docs-table", state="visible", timeout=ANSWER_TIMEOUT_MS)


def drop(page, paths, expect: str) -> str:
    """Give the drop zone ``paths`` and wait until the outcome mentions ``expect``; return the outcome."""
    page.locator("#qa-drop input[type=file]").set_input_files(paths)
    page.wait_for_function(f"document.querySelector('#qa-docs-status .qa-outcome')?.innerText.includes({expect!r})",
                           timeout=2 * ANSWER_TIMEOUT_MS)
    return page.inner_text("#qa-docs-status")


def test_a_pdf_dropped_in_is_answered_from_its_page_2_with_the_highlight(browser, app, files, real_embeddings,
                                                                          monkeypatch):
    real = real_embeddings.embed_array

    def slowly(texts):          # long enough to see the progress while the PDF is indexed
        time.sleep(1.5)
        return real(texts)

    monkeypatch.setattr(real_embeddings, "embed_array", slowly)
    with watched_page(browser) as page:
        open_documents(page, app)
        assert "2 documents" in page.inner_text("#qa-header")
        assert page.locator("#qa-chat .example").count() == 1
        page.locator("#qa-drop input[type=file]").set_input_files(files("moon-base.pdf"))
        page.wait_for_function("document.querySelector('#qa-docs-status')?.innerText.includes('Indexing new passages')",
                               timeout=ANSWER_TIMEOUT_MS)
        page.wait_for_function("document.querySelector('#qa-docs-status .qa-outcome')?.innerText.includes('moon')",
                               timeout=2 * ANSWER_TIMEOUT_MS)
        assert re.search(r"✓ moon-base\.pdf: added; \d+ passages?\.", page.inner_text("#qa-docs-status"))
        assert "3 documents" in page.inner_text("#qa-header")
        table = page.inner_text("#qa-docs-table")
        assert re.search(r"moon-base\.pdf\s+PDF\s+\d+\s+\d{4}-\d\d-\d\d \d\d:\d\d UTC", table), table
        assert page.locator("#qa-chat .example").count() == 0    # the examples were for the two documents
        ask(page, POWER, 1)
        card = page.locator("#qa-sources .qa-source").first
        assert "moon-base.pdf" in card.inner_text() and "p. 2" in card.locator(".qa-meta").inner_text()
        assert "Power Supply" in card.locator(".qa-meta").inner_text()
        assert "forty kilowatts" in squash(card.locator(".qa-passage mark").first.inner_text())
        assert "forty kilowatts" in squash(card.locator(".qa-passage strong.qa-phrase").first.inner_text())
        assert "p. 2" in page.locator("#qa-chat [data-testid=bot]").last.inner_text()


def test_html_and_docx_are_added_in_one_drop_and_refused_files_say_why(browser, app, files):
    with watched_page(browser) as page:
        open_documents(page, app)
        page.locator("#qa-drop input[type=file]").set_input_files(files("huge.txt"))   # over the size limit
        page.get_by_text(re.compile("exceed the maximum allowed size")).first.wait_for(timeout=ANSWER_TIMEOUT_MS)
        assert "huge.txt" in " ".join(page.locator(".toast-body").all_inner_texts())
        outcome = drop(page, files("volcanoes.html", "garden.docx", "broken.docx", "setup.exe"), "garden")
        lines = outcome.splitlines()
        assert any(re.fullmatch(r"✓ volcanoes\.html: added; \d+ passages?\.", line) for line in lines), lines
        assert any(re.fullmatch(r"✓ garden\.docx: added; \d+ passages?\.", line) for line in lines), lines
        assert "✗ setup.exe: is not a supported type (.exe). Supported: .docx" in outcome
        assert any(line.startswith("✗ broken.docx: ") and "DOCX" in line for line in lines), lines
        assert "4 documents" in page.inner_text("#qa-header")
        table = page.inner_text("#qa-docs-table")
        assert "HTML" in table and "DOCX" in table and "setup.exe" not in table and "broken.docx" not in table
        ask(page, "Which Roman city did Mount Vesuvius bury?", 1)
        meta = page.locator("#qa-sources .qa-source .qa-meta").first.inner_text()
        assert "volcanoes.html" in meta and "Vesuvius" in meta
        assert "Pompeii" in page.locator("#qa-chat [data-testid=bot]").last.inner_text()
        ask(page, "How many hours of sunlight do roses need?", 2)
        meta = page.locator("#qa-sources .qa-source .qa-meta").first.inner_text()
        assert "garden.docx" in meta and "Roses" in meta


def test_a_removed_document_is_no_longer_answered_and_other_pages_see_it(browser, app, files):
    with watched_page(browser) as page, watched_page(browser) as other:
        open_documents(page, app)
        drop(page, files("moon-base.pdf"), "moon")
        ask(page, POWER, 1)
        assert "moon-base.pdf" in page.inner_text("#qa-sources")
        open_documents(other, app)                          # a page opened after the upload shows it
        assert "3 documents" in other.inner_text("#qa-header") and "moon-base.pdf" in other.inner_text("#qa-docs-table")
        page.locator("#qa-docs-table").get_by_test_id(re.compile(r"cell-\d+-0")).filter(has_text="moon-base.pdf").click()
        page.wait_for_function("document.querySelector('#qa-docs-pick input').value === 'moon-base.pdf'",
                               timeout=ANSWER_TIMEOUT_MS)
        page.click("#qa-docs-remove")
        page.wait_for_function("document.querySelector('#qa-docs-status .qa-outcome')?.innerText.includes('removed')",
                               timeout=2 * ANSWER_TIMEOUT_MS)
        assert "✓ moon-base.pdf: removed, with its" in page.inner_text("#qa-docs-status")
        assert "moon-base.pdf" not in page.inner_text("#qa-docs-table") and "2 documents" in page.inner_text("#qa-header")
        assert page.locator("#qa-chat .example").count() == 0     # the conversation is still on the page
        ask(page, POWER, 2)
        bubble = page.locator("#qa-chat [data-testid=bot]").last
        assert "kilowatts" not in bubble.inner_text() and "moon-base.pdf" not in page.inner_text("#qa-sources")
        page.click("#qa-clear")
        page.locator("#qa-chat .example").first.wait_for(timeout=ANSWER_TIMEOUT_MS)   # the examples are back
        other.reload()
        other.wait_for_selector("#qa-input textarea", timeout=ANSWER_TIMEOUT_MS)
        assert "2 documents" in other.inner_text("#qa-header")


def test_removing_the_last_document_is_refused_with_a_message(browser, bot, files):
    bot.remove_document("rivers.txt")
    with serve(build_demo(bot, uploads=True)) as url, watched_page(browser) as page:
        open_documents(page, url)
        page.locator("#qa-docs-pick input").click()
        page.get_by_role("option", name="birds.md").click()
        page.click("#qa-docs-remove")
        page.wait_for_function("document.querySelector('#qa-docs-status .qa-outcome')?.innerText.includes('only')",
                               timeout=ANSWER_TIMEOUT_MS)
        assert ("✗ Nothing was removed: birds.md: is the only document; an index needs at least one."
                in page.inner_text("#qa-docs-status"))
        assert "birds.md" in page.inner_text("#qa-docs-table") and "1 document" in page.inner_text("#qa-header")


def test_with_uploads_off_the_page_has_the_list_and_no_upload_control(browser, bot):
    with serve(build_demo(bot, uploads=False), uploads=False) as url, watched_page(browser) as page:
        open_documents(page, url)
        assert "birds.md" in page.inner_text("#qa-docs-table") and "rivers.txt" in page.inner_text("#qa-docs-table")
        assert page.locator("#qa-drop, #qa-docs-pick, #qa-docs-remove").count() == 0
        # no file input but the table's own (Gradio's, for CSV, inert when the table is read-only)
        assert page.locator("input[type=file]").evaluate_all(
            "els => els.filter(e => !e.closest('#qa-docs-table')).length") == 0
