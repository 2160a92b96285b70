"""Writing one index generation into Milvus (:mod:`.milvus_schema` describes the collections).

:func:`write_generation` creates the three collections, inserts every row in batches, flushes,
checks that the engine holds exactly the rows sent (with strong consistency), and on any failure
drops what it created: an alias is only ever switched to a complete generation.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Callable, Iterator, NamedTuple

import numpy as np

from ...errors import StoreError
from ...ingest.chunking import Chunks
from ...ingest.document import Document
from ..manifest import FORMAT, FORMAT_VERSION
from .milvus_client import Engine, _pymilvus
from .milvus_schema import (KINDS, MANIFEST_KEY, NO_PAGE, PLACEHOLDER, VARCHAR_BYTES, Generation,
                            document_schema, engine_terms, index_params, passage_schema, sentence_schema)

BATCH_ROWS = 1000
CONSISTENCY = "Strong"   # a reader sees every row of a generation once the alias points at it
LAYOUT = "milvus"


def make_manifest(model, settings, chunks: Chunks, documents: list[Document], generation: Generation) -> dict:
    """The manifest of a generation: what the local index's manifest holds, minus files,
    plus the generation (document hashes are rows of the ``documents`` collection)."""
    kind = "hnsw" if len(chunks.sentences) >= settings.hnsw_threshold else "flat"
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "layout": LAYOUT, "generation": generation.stamp,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "model": model.to_dict(), "settings": settings.to_dict(),
            "vector_index": {"kind": kind, "vectors": len(chunks.sentences)},
            "counts": {"documents": len(documents), "passages": len(chunks.passages),
                       "sentences": len(chunks.sentences)}}


def _sentence_rows(chunks: Chunks, vectors: np.ndarray) -> Iterator[dict]:
    n = len(chunks.sentences)
    lo, hi = np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64)
    for p in reversed(chunks.passages):
        lo[p.first_sentence:p.last_sentence + 1] = p.id
    for p in chunks.passages:
        hi[p.first_sentence:p.last_sentence + 1] = p.id
    for sid, s in enumerate(chunks.sentences):
        yield {"sid": sid, "pid_lo": int(lo[sid]), "pid_hi": int(hi[sid]), "start": s.start, "end": s.end,
               "vector": vectors[sid].tolist()}


def _passage_rows(chunks: Chunks, store: str) -> Iterator[dict]:
    for p in chunks.passages:
        row = {"pid": p.id, "source": p.source, "title": p.title, "section": p.section, "text": p.text,
               "start": p.start, "end": p.end, "first_sentence": p.first_sentence,
               "last_sentence": p.last_sentence, "page": NO_PAGE if p.page is None else p.page,
               "terms": engine_terms(p.search_text())}
        for name in ("source", "title", "section", "text", "terms"):
            if len(row[name].encode("utf-8")) > VARCHAR_BYTES:
                raise StoreError(store, f"passage {p.id} of {p.source!r} has a {name} of more than "
                                        f"{VARCHAR_BYTES:,} bytes, the longest text field Milvus stores.",
                                 hint="Split the document, or lower the chunk size.")
        yield row


class DocRow(NamedTuple):
    """A row of a generation's document collection: what the next build and the answerer need."""

    sha256: str
    first_sentence: int     # its sentences are first_sentence .. first_sentence + sentences - 1
    sentences: int
    passages: int
    added: str              # when this content entered the index (ISO 8601), as Document.added


def document_table(chunks: Chunks, documents: list[Document]) -> dict[str, DocRow]:
    """``{source: DocRow}`` of ``documents`` as ``chunks`` cut them (a document's sentences are consecutive)."""
    first, count, passages = [-1] * len(documents), [0] * len(documents), [0] * len(documents)
    for sid, s in enumerate(chunks.sentences):
        if first[s.doc] < 0:
            first[s.doc] = sid
        count[s.doc] += 1
    for p in chunks.passages:
        passages[p.doc] += 1
    return {d.source: DocRow(d.sha256, first[i], count[i], passages[i], d.added or "")
            for i, d in enumerate(documents)}


def _document_rows(chunks: Chunks, documents: list[Document]) -> Iterator[dict]:
    for i, (source, row) in enumerate(document_table(chunks, documents).items()):
        yield {"source": source, "doc": i, **row._asdict(), "_v": PLACEHOLDER}


def _batches(rows: Iterator[dict], size: int = BATCH_ROWS) -> Iterator[list[dict]]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _create(engine: Engine, generation: Generation, kind: str, settings, manifest: dict) -> None:
    pymilvus = _pymilvus()
    client, DataType = pymilvus.MilvusClient, pymilvus.DataType
    schema = {"sentences": lambda: sentence_schema(client, DataType, manifest["model"]["dimension"]),
              "passages": lambda: passage_schema(client, DataType, pymilvus),
              "documents": lambda: document_schema(client, DataType)}[kind]()
    properties = {MANIFEST_KEY: json.dumps(manifest, ensure_ascii=False)} if kind == "sentences" else None
    name = generation.name(kind)
    engine.call("create_collection", name, schema=schema, slow=True, consistency_level=CONSISTENCY,
                **({"properties": properties} if properties else {}))
    # A server builds indexes in the background: wait for it. Milvus Lite builds them as it flushes and
    # cannot report their state (pymilvus would poll it for nothing).
    engine.call("create_index", name, index_params(client, kind, settings, manifest["counts"]["sentences"]),
                sync=not engine.spec.lite, slow=True)
    engine.call("load_collection", name, slow=True)


def _fill(engine: Engine, name: str, rows: Iterator[dict], expected: int,
          progress: Callable[[int], None] | None = None) -> None:
    for batch in _batches(rows):
        engine.call("insert", name, batch, slow=True)
        if progress:
            progress(len(batch))
    engine.call("flush", name, slow=True)
    got = engine.call("query", name, filter="", output_fields=["count(*)"], consistency_level=CONSISTENCY,
                      slow=True)[0]["count(*)"]
    if got != expected:
        raise StoreError(engine.spec.name, f"{name} holds {got:,} rows after the build, expected {expected:,}.")


def write_generation(engine: Engine, generation: Generation, documents: list[Document], chunks: Chunks,
                     vectors: np.ndarray, settings, manifest: dict) -> None:
    """Create and fill the collections of ``generation``; drop them all if anything fails."""
    try:
        for kind in KINDS:
            _create(engine, generation, kind, settings, manifest)
        _fill(engine, generation.documents, _document_rows(chunks, documents), len(documents))
        _fill(engine, generation.passages, _passage_rows(chunks, engine.spec.name), len(chunks.passages))
        _fill(engine, generation.sentences, _sentence_rows(chunks, vectors), len(chunks.sentences))
    except BaseException:
        drop_generation(engine, generation, quiet=True)
        raise


def drop_generation(engine: Engine, generation: Generation, quiet: bool = False) -> None:
    """Drop the collections of ``generation`` (``quiet``: ignore failures, as when cleaning up after one)."""
    for kind in KINDS:
        try:
            engine.call("drop_collection", generation.name(kind), slow=True)
        except Exception:  # noqa: BLE001 - re-raised unless cleaning up after another failure
            if not quiet:
                raise
