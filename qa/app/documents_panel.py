"""The chat window's Documents panel (Gradio): the list of documents (name, format, passages,
date added) and, when uploads are on (:func:`qa.app.server.uploads_on`), a drop zone for one
or more files, a Remove button, and the API endpoints ``/add_documents`` and
``/remove_document``. The handlers are the plain functions of :mod:`qa.app.documents`.

Changes take turns (one concurrency group of one), questions go on meanwhile on the index
from before, and every change refreshes the list, the page header and the examples.
``/documents`` (the list) is served whether uploads are on or off::

    from gradio_client import Client, handle_file
    c = Client("http://127.0.0.1:7860/")
    c.predict([handle_file("report.pdf")], api_name="/add_documents")   # {"added": [...], "rejected": [...], ...}
    c.predict("report.pdf", api_name="/remove_document")
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

from . import documents as docs
from .header import header_html

logger = logging.getLogger(__name__)

CHANGES = "documents"   # the concurrency group of uploads and removals: one at a time


@dataclass
class Panel:
    """The panel's components (``drop``, ``pick``, ``remove`` and the API's hidden ones are
    ``None`` when uploads are off)."""

    table: Any
    status: Any
    drop: Any = None
    pick: Any = None
    remove: Any = None
    api_files: Any = None
    api_result: Any = None
    api_add: Any = None


class PageState:
    """What the page shows of the documents, recomputed after each change: the header, the
    table, the names to remove, and the examples (those given belong to the document set the
    page was built with, and show again only when the documents are that set again)."""

    def __init__(self, answerer, examples: list[str], corpus_name: str | None):
        self.answerer, self.examples, self.corpus_name = answerer, list(examples), corpus_name
        self.initial = self.sources()

    def sources(self) -> list[str]:
        return sorted(d.source for d in self.answerer.index.documents)

    def header(self) -> str:
        return header_html(self.answerer, self.corpus_name)

    def rows(self) -> list[list]:
        return [r.cells() for r in docs.document_rows(self.answerer.index)]

    def names(self) -> list[str]:
        return [d.source for d in self.answerer.index.documents]

    def current_examples(self) -> list[dict]:
        return [{"text": e} for e in self.examples] if self.sources() == self.initial else []


def layout_panel(state: PageState, uploads: bool, max_upload_bytes: int) -> Panel:
    """The panel's components, inside an open ``gr.Blocks``."""
    import gradio as gr

    with gr.Accordion("Documents", open=False, elem_id="qa-docs"):
        panel = Panel(table=None, status=None)
        if uploads:
            panel.drop = gr.File(file_count="multiple", elem_id="qa-drop", height=110, show_label=False)
            gr.HTML(f'<p class="qa-muted qa-drop-hint">Add documents: drop one or more files above, or click. PDF, '
                    f'HTML, DOCX, Markdown or text, up to {docs.human_bytes(max_upload_bytes)} each, at most '
                    f'{docs.FILES_PER_UPLOAD} at a time. They can be asked about as soon as they are indexed.</p>')
        panel.status = gr.HTML("", elem_id="qa-docs-status")
        panel.table = gr.Dataframe(state.rows(), headers=docs.HEADERS, type="array", interactive=False,
                                   elem_id="qa-docs-table", max_height=320, wrap=True, show_label=False, buttons=[])
        if uploads:
            with gr.Row(elem_id="qa-docs-remove-row", equal_height=True):
                panel.pick = gr.Dropdown(state.names(), value=None, label="Document to remove", scale=3,
                                         elem_id="qa-docs-pick", filterable=True)
                panel.remove = gr.Button("Remove", variant="stop", elem_id="qa-docs-remove", scale=1, min_width=100)
            panel.api_files = gr.File(file_count="multiple", visible=False)
            panel.api_result = gr.JSON(visible=False)
            panel.api_add = gr.Button(visible=False)
    return panel


def _progress_to(progress) -> Callable[[str, int, int], None]:
    """A :data:`qa.app.documents.Progress` that moves Gradio's progress bar."""
    labels = {"Reading": ("Reading files", "files"), "Embedding": ("Indexing new passages", "sentences")}

    def report(stage: str, done: int, total: int) -> None:
        desc, unit = labels.get(stage, (stage, "steps"))
        progress((done, total) if total else None, desc=desc, unit=unit)

    return report


def wire_panel(panel: Panel, state: PageState, *, header, chatbot, upload_root: Callable[[], Path],
               max_upload_bytes: int) -> None:
    """The panel's events (inside the open ``gr.Blocks``); ``header`` and ``chatbot`` are the
    page's, refreshed after each change."""
    import gradio as gr

    def refreshed(outcome: docs.Outcome) -> tuple:
        return (docs.outcome_html(outcome), state.rows(), gr.update(choices=state.names(), value=None),
                state.header(), gr.update(examples=state.current_examples()))

    def on_upload(paths, progress=gr.Progress()):
        outcome = docs.upload(state.answerer, paths, max_bytes=max_upload_bytes, upload_root=upload_root(),
                              progress=_progress_to(progress))
        return (*refreshed(outcome), None)

    def on_remove(name, progress=gr.Progress()):
        return refreshed(docs.remove(state.answerer, name, progress=_progress_to(progress)))

    def on_row(evt: gr.SelectData):
        row = evt.row_value or []
        return gr.update(value=row[0]) if row and row[0] in state.names() else gr.update()

    def api_add(paths):
        return docs.upload(state.answerer, paths, max_bytes=max_upload_bytes,
                           upload_root=upload_root()).to_dict(state.answerer.index)

    def api_remove(name: str) -> dict:
        """Remove document `name` (as /documents lists it) from the corpus folder and the index.
        Returns removed, rejected, messages [{kind, message}] and documents (the list after it)."""
        return docs.remove(state.answerer, name).to_dict(state.answerer.index)

    on_row.__annotations__["evt"] = gr.SelectData   # this module's annotations are strings
    page = [panel.status, panel.table, panel.pick, header, chatbot]
    changes = dict(concurrency_id=CHANGES, concurrency_limit=1, api_visibility="private",
                   show_progress_on=[panel.status])
    panel.drop.upload(on_upload, [panel.drop], [*page, panel.drop], **changes)
    panel.remove.click(on_remove, [panel.pick], page, **changes)
    panel.table.select(on_row, None, [panel.pick], queue=False, api_visibility="private")
    panel.api_add.click(api_add, [panel.api_files], [panel.api_result], api_name="add_documents",
                        concurrency_id=CHANGES, concurrency_limit=1)
    gr.api(api_remove, api_name="remove_document", concurrency_id=CHANGES, concurrency_limit=1)


def wire_list(state: PageState, demo, outputs: list) -> None:
    """``/documents`` (the list as dicts) and a refresh of ``outputs`` (header, table, names to
    remove or ``None``, chatbot) at every page load, so a page opened after a change shows it."""
    import gradio as gr

    def documents() -> list[dict]:
        """The documents: name, format, passages and added (ISO 8601, UTC; "" when unknown)."""
        return [asdict(r) for r in docs.document_rows(state.answerer.index)]

    def on_load():
        values = [state.header(), state.rows(), gr.update(choices=state.names(), value=None),
                  gr.update(examples=state.current_examples())]
        return [v for v, o in zip(values, outputs) if o is not None]

    gr.api(documents, api_name="documents", queue=False)
    demo.load(on_load, None, [o for o in outputs if o is not None], queue=False, api_visibility="private")
