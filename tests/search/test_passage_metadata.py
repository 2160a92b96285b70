"""Passage metadata is typed: the retrievers build a :class:`~qa.search.hits.SentenceHit` per
sentence once (``fuse`` in qa/search/retriever.py, which the Milvus retriever calls too), and
nothing else takes a hit apart by position or writes one as a bare ``[sid, start, end, cos]``
list. Checked by parsing the source and the docstrings' examples; and the metadata stays
JSON-serialisable, as LangChain serialises documents."""

from __future__ import annotations

import ast
import doctest
import json

from langchain_core.load import dumps, loads

from qa.answering.evidence import passage_sentences
from qa.ingest.corpus import load_corpus
from qa.search.hits import PassageMetadata, SentenceHit, sentence_hits
from qa.search.index import build_index
from qa.search.retriever import HybridRetriever
from tests.conftest import ROOT

FOLDERS = ["qa", "tests", "benchmarks", "training", "evaluation", "scripts"]
BOUNDARY = {"qa/search/retriever.py", "qa/search/hits.py"}   # where hits are built and defined
KEY = "sentences"


def _is_hits(node: ast.AST) -> bool:
    """``x["sentences"]``, ``x.get("sentences", ...)`` or ``sentence_hits(...)``: a passage's hits."""
    if isinstance(node, ast.Subscript):
        return isinstance(node.slice, ast.Constant) and node.slice.value == KEY
    if isinstance(node, ast.Call):
        f = node.func
        if isinstance(f, ast.Name) and f.id == "sentence_hits":
            return True
        return (isinstance(f, ast.Attribute) and f.attr == "get" and bool(node.args)
                and isinstance(node.args[0], ast.Constant) and node.args[0].value == KEY)
    return False


def _is_int(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int


def _bare_hit_list(node: ast.AST | None) -> bool:
    """A list literal or comprehension whose items are 4-item list or tuple literals."""
    if isinstance(node, ast.ListComp):
        items = [node.elt]
    elif isinstance(node, ast.List):
        items = node.elts
    else:
        return False
    return bool(items) and all(isinstance(i, (ast.List, ast.Tuple)) and len(i.elts) == 4 for i in items)


def _loops(tree: ast.AST):
    """``(target, iterable)`` of every for loop and comprehension."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.For, ast.comprehension)):
            yield node.target, node.iter


def untyped_hits(tree: ast.AST) -> list[str]:
    """Where ``tree`` unpacks or indexes a sentence hit by position, or writes bare hit lists."""
    found, names = [], set()
    for target, iterable in _loops(tree):
        if _is_hits(iterable):
            if isinstance(target, (ast.Tuple, ast.List)):
                found.append(f"unpacked by position at line {target.lineno}")
            elif isinstance(target, ast.Name):
                names.add(target.id)
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and _is_int(node.slice) and (
                (isinstance(node.value, ast.Name) and node.value.id in names)
                or (isinstance(node.value, ast.Subscript) and _is_hits(node.value.value))):
            found.append(f"indexed by position at line {node.lineno}")
        written = []
        if isinstance(node, ast.Dict):
            written = [v for k, v in zip(node.keys, node.values) if isinstance(k, ast.Constant) and k.value == KEY]
        elif isinstance(node, ast.keyword) and node.arg == KEY:
            written = [node.value]
        elif isinstance(node, ast.Assign):
            written = [node.value] if any(isinstance(t, ast.Name) and t.id == KEY for t in node.targets) else []
        found += [f"written as bare lists at line {v.lineno}" for v in written if _bare_hit_list(v)]
    return found


def example_trees(tree: ast.AST):
    """The examples of every docstring in ``tree``, parsed (those that parse)."""
    parser = doctest.DocTestParser()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            text = ast.get_docstring(node, clean=False)
            if text:
                try:
                    yield ast.parse("\n".join(e.source for e in parser.get_examples(text)))
                except SyntaxError:
                    continue


def test_no_bare_sentence_hits_outside_the_retriever():
    problems = []
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel in BOUNDARY:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for where in [tree, *example_trees(tree)]:
                problems += [f"{rel}: {p}" for p in untyped_hits(where)]
    assert problems == []


def test_the_check_finds_the_old_shapes():
    old = '''
for sid, start, end, cos in meta.get("sentences", []):
    pass
ids = [h[0] for h in p.metadata["sentences"]]
first = meta["sentences"][0][1]
doc = Document("x", metadata={"start": 0, "sentences": [[0, 0, 16, 0.2], [1, 17, 36, 0.9]]})
helper(sentences=[[7, 100, 119, 0.5]])
sentences = [[first + i, a, b, 0.5] for i, (a, b) in enumerate(spans)]
'''
    found = sorted(untyped_hits(ast.parse(old)), key=lambda p: int(p.rsplit(" ", 1)[1]))
    assert found == ["unpacked by position at line 2", "indexed by position at line 4", "indexed by position at line 5",
                     "written as bare lists at line 6", "written as bare lists at line 7",
                     "written as bare lists at line 8"]
    new = "for hit in sentence_hits(meta):\n    print(hit.sid, hit.start)\n"
    assert untyped_hits(ast.parse(new)) == []


def test_retrieved_passages_carry_typed_hits_that_serialise(make_corpus, fake_embeddings):
    docs = {"birds.txt": "Birds\n\nCrows are clever birds. They use tools to get food. Owls hunt at night."}
    index, _ = build_index(load_corpus(make_corpus(docs)), fake_embeddings)
    top = HybridRetriever(index=index, embeddings=fake_embeddings, k=1).invoke("When do owls hunt?")[0]
    hits = top.metadata["sentences"]
    assert hits and all(isinstance(h, SentenceHit) for h in hits)
    assert set(top.metadata) == set(PassageMetadata.__annotations__)
    assert [(h.start, h.end) for h in hits] == [(index.sentences[h.sid].start, index.sentences[h.sid].end)
                                                for h in hits]
    assert all(top.metadata["start"] <= h.start < h.end <= top.metadata["end"] and -1 <= h.cosine <= 1.0001
               for h in hits)
    # JSON (plain, and LangChain's own serialisation) writes a hit as a list; it is read back as a hit.
    plain = json.loads(json.dumps(top.metadata))
    assert plain["sentences"][0] == list(hits[0]) and sentence_hits(plain) == hits
    again = loads(dumps(top))
    assert sentence_hits(again.metadata) == hits
    assert [s.sid for s in passage_sentences(0, again)] == [h.sid for h in hits]
