"""``qa eval``: load the question set and corpus, run both systems, write the reports."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .evaluate import Question, build_report, chart, load_questions, markdown, run


@dataclass
class EvalConfig:
    questions: Path | None = Path("evaluation/questions.jsonl")
    squad: Path | None = None
    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    out_dir: Path = Path("eval-results")
    stock: bool = True
    limit: int | None = None
    split: str = "all"
    k: int = 4


def split_of(qid: str) -> str:
    """A stable half of the set per question id: 'dev' (tuned on) or 'test' (held out)."""
    return "dev" if hashlib.sha256(qid.encode()).digest()[0] % 2 == 0 else "test"


def prepare(config: EvalConfig) -> tuple[Path, Path, list[Question], str]:
    if config.squad:
        from .squad import load_squad, write_corpus

        corpus_dir = config.out_dir / "squad-corpus"
        corpus_dir, questions = write_corpus(load_squad(config.squad), corpus_dir)
        return corpus_dir, config.out_dir / "squad-index", questions, f"SQuAD file {config.squad.name}"
    if not config.questions or not Path(config.questions).is_file():
        raise FileNotFoundError(f"Question set {str(config.questions)!r} not found; pass --questions FILE or --squad FILE.")
    return config.corpus_dir, config.index_dir, load_questions(config.questions), f"{config.questions}"


def run_evaluation(config: EvalConfig, echo: Callable[[str], None] = print, answerer=None):
    from .api import Answerer
    from .documents import load_corpus

    corpus_dir, index_dir, questions, name = prepare(config)
    if config.split != "all":
        questions = [q for q in questions if split_of(q.id) == config.split]
    if config.limit:
        questions = questions[:config.limit]
    bot = answerer or Answerer.from_corpus(corpus_dir, index_dir, k=config.k)
    bot.warm_up()
    results = {"qa": run(lambda q: bot.ask(q.question, history=q.history), questions, progress=True, desc="qa")}
    if config.stock:
        from .baseline import StockRecipe

        echo("Building the stock recipe (RecursiveCharacterTextSplitter(1000, 200) + HuggingFaceEmbeddings + FAISS)...")
        stock = StockRecipe.build(load_corpus(corpus_dir), k=config.k)
        stock.ask("warm up")
        results["stock"] = run(lambda q: stock.ask(q.question), questions, progress=True, desc="stock")
    report = build_report(f"{name} ({len(questions)} questions, corpus {corpus_dir}, split {config.split})", results,
                          k=config.k, meta={"corpus": str(corpus_dir), "questions": len(questions),
                                            "split": config.split, "stats": bot.stats})
    out = Path(config.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
    (out / "report.md").write_text(markdown(report, max_failures=1000) + "\n", encoding="utf-8")
    chart([report], out / "chart.png")
    return report
