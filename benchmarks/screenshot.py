"""Screenshots of the chat window for the README: ``docs/screenshot.png`` (desktop) and
``docs/screenshot-phone.png`` (390 px wide).

Starts ``python ui.py`` on a free port of 127.0.0.1 (bundled corpus and ``index/``),
asks a question and a follow-up in headless Debian chromium, opens "Show in document"
on the first source, and saves the page::

    .venv/bin/python -m benchmarks.screenshot
    .venv/bin/python -m benchmarks.screenshot --out /tmp/shot.png --no-phone
"""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.common import ROOT
from tests.support.ui import UIServer, launch_chromium

QUESTIONS = ["What is the Zeynabiyoun Brigade?", "When was it formally organized?"]


def ask(page, question: str, n: int) -> None:
    page.fill("#qa-input textarea", question)
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.querySelectorAll('#qa-chat [data-testid=bot]').length >= {n}", timeout=30_000)
    page.wait_for_function(f"document.querySelector('#qa-sources').innerText.includes({question[:30]!r})",
                           timeout=30_000)


def shoot(url: str, out: Path, width: int, height: int, show_in_document: bool) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1,
                                      is_mobile=width < 600, color_scheme="light")
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("#qa-input textarea")
        for i, q in enumerate(QUESTIONS, 1):
            ask(page, q, i)
        if show_in_document:
            page.locator("#qa-sources summary").first.click()
        page.mouse.move(0, 0)
        page.evaluate("document.activeElement && document.activeElement.blur()")
        page.wait_for_timeout(600)
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out), full_page=width < 600)
        browser.close()
    print(f"wrote {out}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    ap.add_argument("--phone-out", type=Path, default=ROOT / "docs" / "screenshot-phone.png")
    ap.add_argument("--no-phone", action="store_true")
    args = ap.parse_args(argv)
    with UIServer() as server:
        shoot(server.url, args.out, 1280, 1000, show_in_document=True)
        if not args.no_phone:
            shoot(server.url, args.phone_out, 390, 844, show_in_document=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
