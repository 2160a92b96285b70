"""The collections of one index generation in Milvus, and how they are written.

A generation of the collection ``qa`` is three collections, written completely before the
alias ``qa`` is switched to the first of them (so readers never see half of one):

    qa__g20261127T101500123456_3f2a9c_sentences   sid (key), pid_lo, pid_hi (passages holding it), start, end,
                                                  vector (FLOAT_VECTOR, COSINE; FLAT, or HNSW above the threshold);
                                                  the manifest is its property "qa.manifest"
    qa__g20261127T101500123456_3f2a9c_passages    pid (key), source, title, section, start, end, first_sentence,
                                                  last_sentence, page (-1: none), text, terms (our BM25 tokens)
                                                  -> sparse (BM25)
    qa__g20261127T101500123456_3f2a9c_documents   source (key), doc (its number), sha256, first_sentence, sentences,
                                                  passages, added (date added), _v (a 2-d placeholder:
                                                  Milvus wants a vector field in every collection)

``terms`` holds the tokens of :func:`qa.search.lexical.analyze` (stemmed, stop words out), each
made tokenizer-proof by :func:`engine_token`, so the engine's BM25 counts the same terms as the
local index (its own analyzers do not stem).

    >>> g = Generation("qa", "20261127T101500123456_3f2a9c")
    >>> g.sentences, Generation.parse("qa", g.passages) == g
    ('qa__g20261127T101500123456_3f2a9c_sentences', True)
    >>> engine_terms("The crows' tools, e.g. ecosystems-of 0.62")
    'crow tool e g h89d95fb0f6994fb8 hda5952780f82b7b5'
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from ..lexical import BM25_B, BM25_K1, EMPTY_TOKEN, analyze

KINDS = ("sentences", "passages", "documents")
VARCHAR_BYTES = 65_535
HASH_LEN = 64
ADDED_CHARS = 64        # an ISO 8601 date
TOKEN_CHARS = 40        # longer tokens are hashed too (analyzers may drop very long ones)
MANIFEST_KEY = "qa.manifest"
PLACEHOLDER = [1.0, 0.0]
NO_PAGE = -1            # a passage of a document without pages (Milvus integers can't be null)


def engine_token(token: str) -> str:
    """``token`` as one word for any analyzer: ASCII letters and digits kept, anything else hashed."""
    if token.isascii() and token.isalnum() and len(token) <= TOKEN_CHARS:
        return token
    return "h" + hashlib.blake2b(token.encode("utf-8"), digest_size=8).hexdigest()


def engine_terms(text: str, unique: bool = False) -> str:
    """The BM25 field of a passage (``unique=False``) or the BM25 query of a question (``unique=True``)."""
    tokens = [engine_token(t) for t in analyze(text)]
    if unique:
        return " ".join(dict.fromkeys(tokens))
    return " ".join(tokens) or engine_token(EMPTY_TOKEN)


@dataclass(frozen=True)
class Generation:
    """The three collection names of generation ``stamp`` of ``base``."""

    base: str
    stamp: str

    @classmethod
    def new(cls, base: str) -> "Generation":
        return cls(base, f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S%f}_{secrets.token_hex(3)}")  # sorts by time

    @classmethod
    def parse(cls, base: str, name: str) -> "Generation | None":
        """The generation a collection ``name`` belongs to, or ``None`` for another collection."""
        m = re.fullmatch(re.escape(base) + r"__g(\d{8}T\d{12}_[0-9a-f]{6})_(" + "|".join(KINDS) + ")", name)
        return cls(base, m.group(1)) if m else None

    def name(self, kind: str) -> str:
        return f"{self.base}__g{self.stamp}_{kind}"

    @property
    def sentences(self) -> str:
        return self.name("sentences")

    @property
    def passages(self) -> str:
        return self.name("passages")

    @property
    def documents(self) -> str:
        return self.name("documents")


def _varchar(schema, DataType, name: str, max_length: int = VARCHAR_BYTES, **kw) -> None:
    schema.add_field(name, DataType.VARCHAR, max_length=max_length, **kw)


def _ints(schema, DataType, *names: str) -> None:
    for name in names:
        schema.add_field(name, DataType.INT64)


def sentence_schema(client, DataType, dim: int):
    s = client.create_schema(auto_id=False)
    s.add_field("sid", DataType.INT64, is_primary=True)
    _ints(s, DataType, "pid_lo", "pid_hi", "start", "end")
    s.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    return s


def passage_schema(client, DataType, pymilvus):
    s = client.create_schema(auto_id=False)
    s.add_field("pid", DataType.INT64, is_primary=True)
    for name in ("source", "title", "section", "text"):
        _varchar(s, DataType, name)
    _ints(s, DataType, "start", "end", "first_sentence", "last_sentence", "page")
    _varchar(s, DataType, "terms", enable_analyzer=True, analyzer_params={"type": "standard"})
    s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    s.add_function(pymilvus.Function(name="bm25", function_type=pymilvus.FunctionType.BM25,
                                     input_field_names=["terms"], output_field_names=["sparse"]))
    return s


def document_schema(client, DataType):
    s = client.create_schema(auto_id=False)
    _varchar(s, DataType, "source", is_primary=True)
    _varchar(s, DataType, "sha256", max_length=HASH_LEN)
    _ints(s, DataType, "doc", "first_sentence", "sentences", "passages")
    _varchar(s, DataType, "added", max_length=ADDED_CHARS)
    s.add_field("_v", DataType.FLOAT_VECTOR, dim=len(PLACEHOLDER))
    return s


def index_params(client, kind: str, settings, vectors: int):
    """The index of each collection. Build parameters are nested under "params": Milvus Lite
    reads only that form (flat ones are silently dropped), and Milvus servers accept it too."""
    p = client.prepare_index_params()
    if kind == "sentences":
        if vectors >= settings.hnsw_threshold:
            p.add_index(field_name="vector", index_type="HNSW", metric_type="COSINE",
                        params={"params": {"M": settings.hnsw_m, "efConstruction": settings.hnsw_ef_construction}})
        else:
            p.add_index(field_name="vector", index_type="FLAT", metric_type="COSINE")
    elif kind == "passages":
        p.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                    params={"params": {"bm25_k1": BM25_K1, "bm25_b": BM25_B}})
    else:
        p.add_index(field_name="_v", index_type="FLAT", metric_type="L2")
    return p
