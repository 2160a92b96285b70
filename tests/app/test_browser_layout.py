"""The chat window's layout in a real headless chromium: a very long question stays inside the
Sources panel, the layout does not jump when the panel is short, and the header's
"M skipped" opens on a click to the list of files not indexed."""

from __future__ import annotations

import pytest

from tests.support.ui import CHROMIUM, launch_chromium, serve

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing")]

TIMEOUT_MS = 30_000
BOX = "(() => { const r = document.querySelector(SEL).getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; })()"


@pytest.fixture(scope="module")
def app_url(make_corpus_module, fake_embeddings_module):
    from qa.app.api import Answerer
    from qa.app.gradio_app import build_demo

    root, index = make_corpus_module
    bot = Answerer.from_corpus(root, index, embeddings=fake_embeddings_module)
    with serve(build_demo(bot)) as url:
        yield url


@pytest.fixture(scope="module")
def make_corpus_module(tmp_path_factory):
    root = tmp_path_factory.mktemp("layout") / "docs"
    root.mkdir()
    (root / "birds.md").write_text("# Birds\n\n## Crows\n\n" + " ".join(
        f"Crows remember face number {i} for years." for i in range(40)) + "\n", encoding="utf-8")
    (root / "scan <b>.xyz").write_bytes(b"?")
    return root, root.parent / "index"


@pytest.fixture(scope="module")
def fake_embeddings_module():
    from tests.support.fakes import HashEmbeddings

    return HashEmbeddings()


@pytest.fixture
def page(app_url):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = launch_chromium(p)
        pg = browser.new_page(viewport={"width": 1280, "height": 900})
        pg.goto(app_url)
        pg.wait_for_selector("#qa-input textarea", timeout=TIMEOUT_MS)
        yield pg
        browser.close()


def ask(page, question: str, n: int) -> None:
    page.fill("#qa-input textarea", question)
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.querySelectorAll('#qa-chat [data-testid=bot]').length >= {n}",
                           timeout=TIMEOUT_MS)
    page.wait_for_selector("#qa-sources .qa-sources-q", timeout=TIMEOUT_MS)


def box(page, selector: str) -> list[float]:
    return page.evaluate(BOX.replace("SEL", repr(selector)))


def test_a_long_question_stays_inside_the_sources_panel(page):
    ask(page, "Crows" + "x" * 900 + "?", 1)
    inside = page.evaluate("""(() => { const q = document.querySelector('#qa-sources .qa-sources-q');
        const panel = document.querySelector('#qa-sources').getBoundingClientRect();
        const r = q.getBoundingClientRect();
        return [q.scrollWidth <= q.clientWidth + 1, r.right <= panel.right + 1, r.height < 200]; })()""")
    assert inside == [True, True, True]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_layout_does_not_jump_when_the_sources_panel_is_short(page):
    before = [box(page, "#qa-chat"), box(page, "#qa-sources"), box(page, "#qa-input")]
    ask(page, "Which face do crows remember?", 1)             # a long panel: cited passages
    long_panel = [box(page, "#qa-chat"), box(page, "#qa-sources"), box(page, "#qa-input")]
    ask(page, "?!", 2)          # a short one, whatever the reader's confidence: a question with no words has no sources
    short_panel = [box(page, "#qa-chat"), box(page, "#qa-sources"), box(page, "#qa-input")]
    for a, b, c in zip(before, long_panel, short_panel):
        assert [round(v) for v in a] == [round(v) for v in b] == [round(v) for v in c]


def test_skipped_files_open_on_a_click(page):
    header = page.locator("#qa-header")
    assert "1 document, 1 skipped" in " ".join(header.inner_text().split())
    assert not page.locator(".qa-skipped li").first.is_visible()
    page.click(".qa-skipped summary")
    item = page.locator(".qa-skipped li").first
    assert item.is_visible() and "scan <b>.xyz" in item.inner_text() and "not a supported type" in item.inner_text()
    assert page.locator("#qa-header b").count() == 0   # the name is text, not markup
