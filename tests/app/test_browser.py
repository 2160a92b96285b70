"""The chat window in a real headless chromium (Debian's /usr/bin/chromium, driven by Playwright)."""

from __future__ import annotations

import pytest

from tests.support.ui import ANSWER_TIMEOUT_MS, CHROMIUM, ask, open_page, serve, squash, watched_page

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: install Debian's chromium "
                                 "(`QA_BROWSER=1 bash scripts/setup.sh` or `apt-get install chromium`)")]

@pytest.fixture(scope="module")
def bundled_url(bundled):
    from qa.app.gradio_app import build_demo

    with serve(build_demo(bundled, examples=["What is the Zeynabiyoun Brigade?"])) as url:
        yield url


@pytest.fixture
def page(browser):
    """A page that must stay on 127.0.0.1, under the app's Content-Security-Policy, unbroken."""
    with watched_page(browser) as pg:
        yield pg


def test_answer_shows_highlighted_source_sentence(page, bundled_url, bundled):
    doc_text = squash(bundled.index.documents[0].text)
    open_page(page, bundled_url)
    assert "1 document" in page.inner_text("#qa-header")
    ask(page, "What is the Zeynabiyoun Brigade?", 1)
    bubble = page.locator("#qa-chat [data-testid=bot]").last
    assert bubble.locator(".qa-cite").first.is_visible()
    cards = page.locator("#qa-sources .qa-source")
    assert cards.count() >= 1
    for i in range(cards.count()):
        mark = cards.nth(i).locator(".qa-passage mark").first
        assert mark.is_visible()
        marked, passage = squash(mark.inner_text()), squash(cards.nth(i).locator(".qa-passage").inner_text())
        assert len(marked) > 20 and marked in passage and passage in doc_text
        assert marked in squash(bubble.inner_text())  # the highlighted sentence is what the answer quotes
    # "Show in document": the passage in the whole text, scrolled into view
    first = cards.first
    first.locator("summary").click()
    view, here = first.locator(".qa-doc-view"), first.locator(".qa-doc-view .qa-here")
    here.locator("mark").first.wait_for(state="visible")
    page.wait_for_timeout(200)
    v, h = view.bounding_box(), here.bounding_box()
    assert v["y"] - 1 <= h["y"] <= v["y"] + v["height"], (v, h)
    shown = view.evaluate("v => { const c = v.cloneNode(true); c.querySelectorAll('.qa-gap').forEach(g => g.remove());"
                          " document.body.appendChild(c); const t = c.innerText; c.remove(); return t; }")
    assert squash(shown) in doc_text and len(squash(shown)) > len(squash(first.locator('.qa-passage').inner_text()))


def test_the_exact_answer_is_marked_more_strongly_inside_the_highlight(page, bundled_url, bundled):
    open_page(page, bundled_url)
    ask(page, "When did Iran launch its missile strike on Pakistan?", 1)
    short = bundled.ask("When did Iran launch its missile strike on Pakistan?").short_answer
    phrase = page.locator("#qa-sources .qa-passage mark strong.qa-phrase").first
    assert short and phrase.is_visible() and squash(phrase.inner_text()) == squash(short)
    weight = phrase.evaluate("e => getComputedStyle(e).fontWeight")
    mark_weight = page.locator("#qa-sources .qa-passage mark").first.evaluate("e => getComputedStyle(e).fontWeight")
    assert int(weight) > int(mark_weight)
    assert squash(page.locator("#qa-chat [data-testid=bot] strong.qa-phrase").last.inner_text()) == squash(short)


def test_follow_up_select_and_clear(page, bundled_url):
    open_page(page, bundled_url)
    page.locator("#qa-chat .example").first.click()  # the example question
    page.wait_for_function("document.querySelectorAll('#qa-chat [data-testid=bot]').length >= 1",
                           timeout=ANSWER_TIMEOUT_MS)
    ask(page, "When was it formally organized?", 2)
    assert "organized" in " ".join(page.locator("#qa-sources mark").all_inner_texts())
    # clicking the first answer brings its sources back
    page.locator("#qa-chat [data-testid=bot]").first.click()
    page.wait_for_function("document.querySelector('#qa-sources').innerText.includes('Zeynabiyoun Brigade?')",
                           timeout=10_000)
    page.click("#qa-clear")
    page.wait_for_function("document.querySelectorAll('#qa-chat [data-testid=bot]').length === 0", timeout=10_000)
    assert page.locator("#qa-sources mark").count() == 1  # only the "highlighted" word of the intro
    assert "appear here" in page.inner_text("#qa-sources")


def test_abstention_and_errors_are_shown_plainly(page, bundled_url):
    open_page(page, bundled_url)
    ask(page, "What is the boiling point of liquid nitrogen?", 1)
    bubble = page.locator("#qa-chat [data-testid=bot]").last
    assert bubble.locator(".qa-abstain").is_visible() and "not in the documents" in bubble.inner_text().lower()
    assert bubble.locator(".qa-cite").count() == 0
    assert "No sources" in page.inner_text("#qa-sources")
    assert page.locator("#qa-sources .qa-num").count() == 0
    page.fill("#qa-input textarea", "?!?")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelectorAll('#qa-chat [data-testid=bot]').length >= 2",
                           timeout=ANSWER_TIMEOUT_MS)
    err = page.locator("#qa-chat [data-testid=bot]").last
    assert err.locator(".qa-error").is_visible() and "no words" in err.inner_text()
    assert page.input_value("#qa-input textarea") == "?!?"  # kept, to be fixed


XSS_DOCS = {
    "birds.md": (
        '# Birds <img src=y onerror="window.__pwned=2">\n\n## Crows\n\n'
        "Crows are clever birds that use tools and remember faces.\n"
        "The crow nests in tall trees <script>window.__pwned=1</script> near the river every spring.\n\n"
        "## Herons\n\n"
        'The heron wades in shallow water <img src=x onerror="window.__pwned=1"> and eats small fish.\n'
    ),
}


def test_html_in_documents_shows_as_text_and_runs_nothing(page, make_corpus, tmp_path, real_embeddings):
    from qa.app.api import Answerer
    from qa.app.gradio_app import build_demo

    bot = Answerer.from_corpus(make_corpus(XSS_DOCS), tmp_path / "idx", embeddings=real_embeddings)
    expected = bot.ask("Where does the crow nest?")
    assert any("<script>" in c.text for c in expected.citations)
    with serve(build_demo(bot)) as url:
        open_page(page, url)
        ask(page, "Where does the crow nest?", 1)
        ask(page, 'Does the heron <img src=z onerror="window.__pwned=3"> eat fish?', 2)
        page.locator("#qa-chat [data-testid=bot]").first.click()  # back to the first answer's sources
        page.wait_for_function("document.querySelector('#qa-sources').innerText.includes('crow nest')")
        for summary in page.locator("#qa-sources summary").all():
            summary.click()
        page.wait_for_timeout(500)
        assert page.evaluate("window.__pwned") is None
        assert page.evaluate("document.querySelectorAll('#qa-chat img, #qa-sources img, #qa-header img, "
                             "#qa-chat script, #qa-sources script').length") == 0
        sources = page.inner_text("#qa-sources")
        assert "<script>window.__pwned=1</script>" in sources
        assert '<img src=x onerror="window.__pwned=1">' in sources  # from "Show in document"
        assert "<img src=y" in page.inner_text("#qa-header")
        assert '<img src=z onerror="window.__pwned=3">' in page.inner_text("#qa-chat")


def test_login_page_then_the_chat(page, bundled):
    """With a log-in set, the page is the login form; a wrong password is refused, the right one
    opens the chat (under the same CSP)."""
    from qa.app.auth import Password, verifier
    from qa.app.gradio_app import build_demo

    with serve(build_demo(bundled), auth=verifier({"alice": Password.hash("s3cret-pw")})) as url:
        page.goto(url)
        for password in ("wrong", "s3cret-pw"):   # the form empties after a failed attempt
            page.get_by_label("username").fill("alice")
            page.get_by_label("password").fill(password)
            page.get_by_role("button", name="Login").click()
            if password == "wrong":
                page.get_by_text("Incorrect Credentials").wait_for(timeout=ANSWER_TIMEOUT_MS)
                assert page.locator("#qa-input").count() == 0
        page.wait_for_selector("#qa-input textarea", timeout=ANSWER_TIMEOUT_MS)
        ask(page, "What is the Zeynabiyoun Brigade?", 1)
        assert page.locator("#qa-sources .qa-source mark").first.is_visible()


def test_phone_width_has_no_horizontal_overflow(browser, bundled_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        open_page(page, bundled_url)
        ask(page, "Which three border points facilitate commerce?", 1)
        page.locator("#qa-sources summary").first.click()
        page.wait_for_timeout(300)
        width = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
        assert width <= 390 + 1
        for sel in ("#qa-chat", "#qa-sources", "#qa-input"):
            box = page.locator(sel).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 391, (sel, box)
        assert page.locator("#qa-sources mark").first.is_visible()
    finally:
        context.close()
