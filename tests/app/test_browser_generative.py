"""A written answer in a real headless chromium: the words stream into the chat bubble, then the
checked answer replaces them and the sentence the check removed is shown struck through, with why."""

from __future__ import annotations

import pytest

from tests.support.llm import BIRDS, PromptChatModel, number_of
from tests.support.ui import CHROMIUM, launch_chromium, serve

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: install Debian's chromium "
                                 "(`QA_BROWSER=1 bash scripts/setup.sh` or `apt-get install chromium`)")]

TIMEOUT_MS = 30_000
INVENTED = "Owls fly at 300 km per hour <b>over</b> the sea."
BUBBLE = "Array.from(document.querySelectorAll('#qa-chat [data-testid=bot]')).pop()"


def reply(m) -> str:
    n = number_of(m, "Owls hunt")
    return f"Owls hunt at night and rest during the day [{n}]. {INVENTED} [{n}] They can find mice under the snow [{n}]."


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    from qa.app.api import Answerer
    from qa.app.gradio_app import build_demo
    from tests.support.fakes import HashEmbeddings

    root = tmp_path_factory.mktemp("birds")
    for name, text in BIRDS.items():
        (root / name).write_text(text, encoding="utf-8")
    quoted = Answerer.from_corpus(root, tmp_path_factory.mktemp("idx"), embeddings=HashEmbeddings())
    bot = Answerer(quoted.index, quoted.embeddings, llm=PromptChatModel(reply=reply, delay_s=0.08))
    with serve(build_demo(bot)) as address:
        yield address


def test_a_written_answer_streams_then_shows_the_removed_sentence(url):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url)
            page.wait_for_selector("#qa-input textarea", timeout=TIMEOUT_MS)
            page.fill("#qa-input textarea", "When do owls hunt?")
            page.keyboard.press("Enter")
            # while it is written: the words so far, unchecked, the invented sentence among them
            page.wait_for_function(f"{BUBBLE}?.querySelector('.qa-writing')?.innerText.includes('300 km')",
                                   timeout=TIMEOUT_MS)
            assert "every sentence is checked" in page.locator("#qa-chat [data-testid=bot]").last.inner_text()
            # complete: checked, the invented sentence removed from the answer and shown struck through
            page.wait_for_function(f"{BUBBLE}?.querySelector('.qa-dropped')", timeout=TIMEOUT_MS)
            bubble = page.locator("#qa-chat [data-testid=bot]").last
            assert bubble.locator(".qa-writing").count() == 0
            answer = bubble.locator(".qa-answer").inner_text()
            assert "Owls hunt at night" in answer and "300 km" not in answer
            removed = bubble.locator(".qa-dropped del")
            assert removed.inner_text() == INVENTED                      # shown as text, not markup
            assert removed.get_attribute("title") == "Removed: the passages it cites don't say this."
            assert bubble.locator('.qa-dropped b, .qa-answer b').count() == 0            # the model's <b> is text
            assert removed.evaluate("e => getComputedStyle(e).textDecorationLine") == "line-through"
            marks = page.locator("#qa-sources .qa-passage mark").all_inner_texts()
            assert "Owls hunt at night and rest during the day." in marks
        finally:
            browser.close()
