"""The index in Milvus: built as generations, switched by an alias, checked on connect.

:class:`MilvusStore` keeps the index of a corpus in the collection ``COLLECTION`` of
``QA_STORE`` (``milvus://host:port/COLLECTION``, or a Milvus Lite folder with the collection
``qa``). A build writes a complete new generation (:mod:`.milvus_write`), then points the
alias ``COLLECTION`` at it and drops the generations before the previous one, so a reader
never sees half an index and one that resolved the alias just before the switch can finish.
On connect the manifest (a property of the generation's sentence collection) is checked
against the model and the chunk settings (:class:`~qa.errors.IndexMismatchError`), and the
document hashes (rows of its document collection) against the corpus: unchanged documents
keep their vectors, read back from the previous generation. A missing alias is
:class:`~qa.errors.IndexMissingError`; an unreadable manifest or a generation whose row
counts disagree with it is :class:`~qa.errors.IndexCorruptError`.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np

from ...errors import IndexCorruptError, IndexMissingError
from ...ingest.document import Corpus, Document
from ..embeddings import ArrayEmbeddings, ModelInfo
from ..index import IndexSettings, dated, embed_corpus
from ..lifecycle import refresh
from ..manifest import manifest_problem, mismatch_error, shape_problem
from .base import Store
from .milvus_client import Engine
from .milvus_schema import MANIFEST_KEY, Generation
from .milvus_write import LAYOUT, DocRow, document_table, drop_generation, make_manifest, write_generation
from .uri import Credentials, StoreSpec

PAGE_ROWS = 10_000   # rows per query when reading a whole collection (Milvus caps a query at 16,384)


@dataclass
class EngineIndex:
    """An index generation in Milvus, as the answerer sees it: the corpus documents (for
    "show in document") and the manifest; it lends its vectors to the next build."""

    store: "MilvusStore"
    generation: Generation
    manifest: dict
    documents: list[Document]
    rows: dict[str, DocRow] = field(default_factory=dict)   # source -> its row in the document collection

    @property
    def model(self) -> ModelInfo:
        return ModelInfo(**self.manifest["model"])

    @property
    def settings(self) -> IndexSettings:
        return IndexSettings.from_dict(self.manifest["settings"])

    @property
    def kind(self) -> str:
        return self.manifest["vector_index"]["kind"]

    @property
    def by_source(self) -> dict[str, int]:
        return {d.source: i for i, d in enumerate(self.documents)}

    @property
    def stats(self) -> dict:
        counts = self.manifest["counts"]
        return {**counts, "vector_index": f"milvus {self.kind}"}

    def document_sentences(self) -> dict[str, tuple[str, list[int]]]:
        return {src: (r.sha256, list(range(r.first_sentence, r.first_sentence + r.sentences)))
                for src, r in self.rows.items()}

    def passage_counts(self) -> Counter:
        """Passages per document source."""
        return Counter({src: r.passages for src, r in self.rows.items()})

    def sentence_vectors(self, ids) -> np.ndarray:
        """The stored vectors of sentences ``ids`` (read in runs of consecutive ids)."""
        return self.store.sentence_vectors(self.generation, np.asarray(ids, dtype=np.int64),
                                           self.manifest["model"]["dimension"])


def _shape_problem(manifest: dict, generation: Generation) -> str | None:
    """What is malformed in a manifest of this format (so the rest may trust it), or ``None``."""
    problem = shape_problem(manifest, files=False)
    if problem:
        return problem
    counts, vector_index = manifest.get("counts"), manifest.get("vector_index")
    if manifest.get("layout") != LAYOUT or manifest.get("generation") != generation.stamp:
        return f"a layout or generation other than {LAYOUT!r}, {generation.stamp!r}"
    if not isinstance(counts, dict) or not all(type(counts.get(k)) is int for k in ("documents", "passages",
                                                                                        "sentences")):
        return "a malformed 'counts' entry"
    if not isinstance(vector_index, dict) or vector_index.get("kind") not in ("flat", "hnsw"):
        return "a malformed 'vector_index' entry"
    return None


class MilvusStore(Store):
    """The index of one corpus in Milvus (see the module docstring)."""

    def __init__(self, spec: StoreSpec, credentials: Credentials | None = None, timeout: float = 10.0,
                 engine: Engine | None = None):
        self.spec = spec
        self.name = spec.name
        self.alias = spec.collection
        self.engine = engine or Engine(spec, credentials, timeout)
        self._manifests: dict[str, dict] = {}

    def __repr__(self) -> str:
        return f"MilvusStore({self.name!r})"

    def close(self) -> None:
        self.engine.reset()

    # --- reading ------------------------------------------------------------------------------

    def live(self) -> Generation:
        """The generation the alias points at now."""
        try:
            target = self.engine.call("describe_alias", self.alias)["collection_name"]
        except IndexMissingError:
            raise IndexMissingError(f"No index in {self.name} (no alias {self.alias!r}).",
                                    hint="Build one with `qa index`.") from None
        generation = Generation.parse(self.alias, target)
        if generation is None:
            raise IndexCorruptError(self.name, f"the alias {self.alias!r} points at {target!r}, which is not a "
                                               "qa index generation.")
        return generation

    def manifest(self, generation: Generation) -> dict:
        """The manifest of ``generation`` (read once, then kept: a generation never changes)."""
        if generation.stamp not in self._manifests:
            self._manifests[generation.stamp] = self._read_manifest(generation)
        return self._manifests[generation.stamp]

    def _read_manifest(self, generation: Generation) -> dict:
        where = f"{self.name} (collection {generation.sentences}, property {MANIFEST_KEY})"
        raw = self.engine.call("describe_collection", generation.sentences).get("properties", {}).get(MANIFEST_KEY)
        if raw is None:
            raise IndexCorruptError(where, "is missing.")
        try:
            manifest = json.loads(raw)
        except ValueError as exc:
            raise IndexCorruptError(where, f"is not valid JSON ({exc}).") from None
        if not isinstance(manifest, dict):
            raise IndexCorruptError(where, "is not a JSON object.")
        problem = _shape_problem(manifest, generation) if manifest_problem(manifest) is None else None
        if problem:
            raise IndexCorruptError(where, f"has {problem}.")
        return manifest

    def document_rows(self, generation: Generation, expected: int) -> dict[str, DocRow]:
        """``{source: DocRow}`` of every document of ``generation``."""
        rows = {}
        for lo in range(0, max(expected, 1), PAGE_ROWS):
            for r in self.engine.call("query", generation.documents, filter=f"doc >= {lo} and doc < {lo + PAGE_ROWS}",
                                      output_fields=["source", *DocRow._fields], limit=PAGE_ROWS):
                rows[r["source"]] = DocRow(*(r[f] for f in DocRow._fields))
        if len(rows) != expected:
            raise IndexCorruptError(f"{self.name} (collection {generation.documents})",
                                    f"holds {len(rows):,} documents, but the manifest says {expected:,}.")
        return rows

    def sentence_vectors(self, generation: Generation, ids: np.ndarray, dim: int) -> np.ndarray:
        """The vectors of sentences ``ids`` of ``generation``, one row each, in the order given."""
        out = np.zeros((len(ids), dim), dtype=np.float32)
        order = np.argsort(ids, kind="stable")
        found = 0
        breaks = np.flatnonzero(np.diff(ids[order]) != 1) + 1
        for run in np.split(order, breaks) if len(ids) else []:
            for part in np.array_split(run, -(-len(run) // PAGE_ROWS)):
                a, b = int(ids[part[0]]), int(ids[part[-1]])
                got = {r["sid"]: r["vector"] for r in self.engine.call(
                    "query", generation.sentences, filter=f"sid >= {a} and sid <= {b}",
                    output_fields=["sid", "vector"], limit=b - a + 1, slow=True)}
                for i in part:
                    if int(ids[i]) in got:
                        out[i] = got[int(ids[i])]
                        found += 1
        if found != len(ids):
            raise IndexCorruptError(f"{self.name} (collection {generation.sentences})",
                                    f"lacks {len(ids) - found:,} of the sentence vectors its manifest lists.")
        return out

    def load(self, embeddings: ArrayEmbeddings, settings: IndexSettings, documents: list[Document]) -> EngineIndex:
        """The live generation, checked against the model and settings (its document rows read)."""
        generation = self.live()
        manifest = self.manifest(generation)
        problem = manifest_problem(manifest, embeddings.model_info, settings)
        if problem:
            raise mismatch_error(self.name, problem)
        rows = self.document_rows(generation, manifest["counts"]["documents"])
        kept = [replace(d, added=rows[d.source].added) if d.source in rows and rows[d.source].sha256 == d.sha256
                else d for d in documents]
        return EngineIndex(self, generation, manifest, kept, rows)

    # --- building -----------------------------------------------------------------------------

    def open_or_build(self, corpus: Corpus, embeddings: ArrayEmbeddings, settings: IndexSettings = IndexSettings(),
                      rebuild: str = "auto", progress=None, on_wait=None):
        """See :meth:`Store.open_or_build` (one builder at a time: ``on_wait`` is not called)."""
        def load():
            index = self.load(embeddings, settings, corpus.documents)
            return index, {src: r.sha256 for src, r in index.rows.items()}

        return refresh(corpus, self.name, load,
                       lambda previous: self.build(corpus, embeddings, settings, previous, progress), rebuild)

    def build(self, corpus: Corpus, embeddings: ArrayEmbeddings, settings: IndexSettings,
              previous: EngineIndex | None = None, progress=None):
        """Embed ``corpus`` (reusing ``previous``'s vectors of unchanged documents), write it as a
        new generation, switch the alias to it and drop the generations before the previous one."""
        chunks, vectors, stats = embed_corpus(corpus, embeddings, settings, previous, progress)
        documents = dated(corpus.documents, previous)
        generation = Generation.new(self.alias)
        manifest = make_manifest(embeddings.model_info, settings, chunks, documents, generation)
        write_generation(self.engine, generation, documents, chunks, vectors, settings, manifest)
        old = self._switch(generation)
        self._manifests[generation.stamp] = manifest
        self.prune(keep={generation, old})
        return EngineIndex(self, generation, manifest, documents, document_table(chunks, documents)), stats

    def _switch(self, generation: Generation) -> Generation | None:
        """Point the alias at ``generation``; the generation it pointed at before, if any."""
        try:
            old = self.live()
        except IndexMissingError:
            self.engine.call("create_alias", generation.sentences, self.alias)
            return None
        except IndexCorruptError:
            old = None
        self.engine.call("alter_alias", generation.sentences, self.alias)
        return old

    def prune(self, keep: set) -> None:
        """Drop the generations of this collection older than the newest kept one, except ``keep``."""
        newest = max(g.stamp for g in keep if g is not None)
        found = {Generation.parse(self.alias, name) for name in self.engine.call("list_collections")}
        for generation in sorted((g for g in found if g is not None and g not in keep and g.stamp < newest),
                                 key=lambda g: g.stamp):
            drop_generation(self.engine, generation, quiet=True)

    def retriever(self, index, embeddings, k):
        from .milvus_retriever import MilvusRetriever

        return MilvusRetriever(store=self, embeddings=embeddings, k=k)
