"""Screenshots of the chat window for the README: ``docs/screenshot.png`` (desktop) and
``docs/screenshot-phone.png`` (390 px wide).

Writes a folder of documents in several formats (HTML, DOCX, Markdown, text; made here with
the test builders), starts ``python ui.py`` on it (a free port of 127.0.0.1, index in a
temporary folder), and in headless Debian chromium opens the Documents panel, drops in a PDF,
asks a question answered from the HTML page and one answered from the PDF's page 2, opens
"Show in document" on the first source, and saves the page::

    .venv/bin/python -m benchmarks.screenshot
    .venv/bin/python -m benchmarks.screenshot --out /tmp/shot.png --no-phone
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from benchmarks.common import ROOT
from tests.support.documents import docx_bytes, html_bytes, pdf_bytes
from tests.support.ui import ANSWER_TIMEOUT_MS, UIServer, ask, launch_chromium

QUESTIONS = ["Which Roman city did Mount Vesuvius bury?", "How much electricity do the solar panels supply?"]
FOLDER = {
    "volcanoes.html": html_bytes("Volcanoes of Italy", [
        ("h1", "Volcanoes of Italy"), ("h2", "Vesuvius"),
        ("p", "Mount Vesuvius buried the Roman city of Pompeii under ash in the year 79."),
        ("p", "It is the only active volcano on the European mainland."),
        ("h2", "Etna"), ("p", "Mount Etna on Sicily is the most active volcano in Europe.")]),
    "garden.docx": docx_bytes([("title", "Garden Guide"), ("h1", "Roses"),
                               ("p", "Roses need six hours of direct sunlight every day."),
                               ("li", "Prune roses in early March."), ("h1", "Tulips"),
                               ("row", "Bulb | Planting month"), ("row", "Tulip | October")]),
    "bees.md": b"# Bees\n\n## Communication\n\nHoney bees tell each other where flowers are by dancing.\n",
    "glaciers.txt": b"Glaciers\n\nGlaciers flow slowly downhill under their own enormous weight.\n",
}
UPLOAD = ("moon-base.pdf", pdf_bytes([
    [("title", "Moon Base Report"), ("h1", "Water Supply"),
     ("p", "The moon base draws its water from ice mined in the Shackleton crater."),
     ("p", "Each astronaut uses twelve litres of water a day.")],
    [("h1", "Power Supply"), ("p", "Solar panels on the crater rim supply forty kilowatts of electricity."),
     ("p", "Batteries keep the base running through the two-week lunar night.")]], title="Moon Base Report"))


def write_folder(root: Path) -> tuple[Path, Path]:
    """The corpus folder and the file to upload, under ``root``."""
    corpus, upload = root / "my-documents", root / "upload" / UPLOAD[0]
    corpus.mkdir()
    upload.parent.mkdir()
    for name, data in FOLDER.items():
        (corpus / name).write_bytes(data)
    upload.write_bytes(UPLOAD[1])
    return corpus, upload


def add_document(page, path: Path) -> None:
    """Open the Documents panel and drop ``path`` in; wait until it is indexed."""
    page.locator("#qa-docs").get_by_text("Documents").first.click()
    page.locator("#qa-drop input[type=file]").set_input_files([str(path)])
    page.wait_for_function("document.querySelector('#qa-docs-status .qa-outcome')?.innerText.includes('added')",
                           timeout=2 * ANSWER_TIMEOUT_MS)


def shoot(url: str, upload: Path | None, out: Path, width: int, height: int, show_in_document: bool) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1,
                                      is_mobile=width < 600, color_scheme="light")
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("#qa-input textarea")
        if upload is not None:
            add_document(page, upload)
        for i, q in enumerate(QUESTIONS, 1):
            ask(page, q, i)
        if show_in_document:
            page.locator("#qa-sources summary").first.click()
        page.mouse.move(0, 0)
        page.evaluate("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
        page.wait_for_timeout(600)
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out), full_page=True)
        browser.close()
    print(f"wrote {out}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    ap.add_argument("--phone-out", type=Path, default=ROOT / "docs" / "screenshot-phone.png")
    ap.add_argument("--no-phone", action="store_true")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="qa-screenshot-") as tmp:
        corpus, upload = write_folder(Path(tmp))
        with UIServer(env={"QA_CORPUS": corpus, "QA_INDEX": Path(tmp) / "index"}) as server:
            shoot(server.url, upload, args.out, 1280, 900, show_in_document=True)
            if not args.no_phone:   # the PDF is in the folder now
                shoot(server.url, None, args.phone_out, 390, 844, show_in_document=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
