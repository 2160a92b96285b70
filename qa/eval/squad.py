"""Turning a SQuAD-format file into a corpus and a question set.

One document per article (title line, then its paragraphs joined by blank
lines); every question is asked against the whole corpus. The evidence of a
question is the sentence of its paragraph that holds the answer span.

    >>> data = {"data": [{"title": "Birds", "paragraphs": [{"context": "Crows are clever. They use tools.",
    ...          "qas": [{"id": "1", "question": "What do crows use?", "answers": [{"text": "tools", "answer_start": 27}]}]}]}]}
    >>> docs, questions = squad_documents(data)
    >>> docs["Birds.txt"].splitlines()[0], questions[0].evidence
    ('Birds', 'They use tools.')
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..answering.question_types import answer_type
from ..ingest.text import split_sentences
from .questions import Question, split_of


def _safe_name(title: str) -> str:
    return re.sub(r"[^\w.-]+", "_", title).strip("_") or "article"


def squad_documents(data: dict) -> tuple[dict[str, str], list[Question]]:
    """``({file name: document text}, questions)`` of a SQuAD dict."""
    docs: dict[str, str] = {}
    questions: list[Question] = []
    for article in data["data"]:
        title = article.get("title", "article").replace("_", " ")
        name = _safe_name(article.get("title", "article")) + ".txt"
        paragraphs = [p["context"].strip() for p in article["paragraphs"]]
        docs[name] = title + "\n\n" + "\n\n".join(paragraphs) + "\n"
        for para in article["paragraphs"]:
            context = para["context"]
            spans = split_sentences(context)
            for qa in para["qas"]:
                answers = list(dict.fromkeys(a["text"] for a in qa["answers"]))
                start = qa["answers"][0]["answer_start"] if qa["answers"] else 0
                evidence = next((context[a:b] for a, b in spans if a <= start < b), context.strip())
                questions.append(Question(id=qa["id"], question=qa["question"], answers=answers,
                                          evidence=evidence, type=f"squad-{answer_type(qa['question'])}",
                                          article=article.get("title", "")))
    return docs, questions


def write_corpus(data: dict, folder) -> tuple[Path, list[Question]]:
    """Write the documents of a SQuAD dict into ``folder``; return it and the questions."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    docs, questions = squad_documents(data)
    for name, text in docs.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder, questions


def load_squad(path) -> dict:
    """A SQuAD-format JSON file, checked for its top-level ``data`` list."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "data" not in data:
        raise ValueError(f"{path} is not a SQuAD-format file (no top-level 'data' list).")
    return data


def squad_halves(data: dict) -> dict[str, dict]:
    """The articles of a SQuAD dict split in two by :func:`~qa.eval.questions.split_of` their title:
    ``{"dev": {"data": [...]}, "test": {"data": [...]}}`` (whole articles, never split questions)."""
    halves = {"dev": {"data": []}, "test": {"data": []}}
    for article in data["data"]:
        halves[split_of(article.get("title", ""))]["data"].append(article)
    return halves
