"""``qa eval``: load the question set and corpus, run both systems, write the reports.

The defaults of :class:`EvalConfig` are those of the settings table (:class:`qa.settings.Settings`);
``qa eval`` passes ``QA_QUESTIONS``, ``QA_CORPUS``, ``QA_INDEX`` and ``QA_TOP_K`` from the environment.
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

from ..pipeline import Pipeline, validate_history
from ..settings import Settings
from .metrics import run
from .questions import Question, close_variants, load_questions, split_of, spread
from .report import Report, build_report, chart, markdown


SQUAD_SOURCE = ("XQuAD's English set is xquad.en.json from github.com/google-deepmind/xquad (CC BY-SA 4.0); "
                "this project keeps a copy at ../shared/datasets/xquad-en.json. Any SQuAD v1.1-format JSON file works.")


def _default(name: str):
    """The settings table's default for field ``name`` (the environment is read by ``qa eval``, not here)."""
    return field(default_factory=lambda: getattr(Settings(), name))


@dataclass
class EvalConfig:
    """What ``qa eval`` scores, on what, and where the reports go."""

    questions: Path | None = _default("questions")
    squad: Path | None = None
    corpus_dir: Path = _default("corpus")
    index_dir: Path = _default("index")
    out_dir: Path = Path("eval-results")
    stock: bool = True
    limit: int | None = None    # the first N questions
    sample: int | None = None   # N questions spread over the set (by a hash of their ids)
    split: str = "all"
    k: int = _default("top_k")
    close: bool = True           # SQuAD-format sets: add a "close" unanswerable question per answerable one
    extractive: bool = False     # also score the extractive reader (over the same index)
    llm: str = ""             # a chat model ("provider:model"): its written answers are scored too, as "qa+llm"


def machine() -> str:
    """The CPU and its cores, as reports state them: ``"AMD EPYC 7B13, 2 cores"``."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores"


def prepare(config: EvalConfig) -> tuple[Path, Path, list[Question], str]:
    """``(corpus folder, index folder, questions, name of the set)`` for ``config``: the split,
    the limit or sample and (SQuAD-format sets) the close unanswerable questions applied."""
    if config.squad:
        from .squad import load_squad, write_corpus

        if not Path(config.squad).is_file():
            raise FileNotFoundError(f"SQuAD-format file {str(config.squad)!r} not found. {SQUAD_SOURCE}")
        corpus_dir, questions = write_corpus(load_squad(config.squad), config.out_dir / "squad-corpus")
        index_dir, name = config.out_dir / "squad-index", f"SQuAD file {config.squad.name}"
    elif not config.questions or not Path(config.questions).is_file():
        raise FileNotFoundError(f"Question set {str(config.questions)!r} not found; pass --questions FILE or --squad FILE.")
    else:
        corpus_dir, index_dir, questions, name = config.corpus_dir, config.index_dir, \
            load_questions(config.questions), f"{config.questions}"
    if config.split != "all":
        questions = [q for q in questions if split_of(q.half_key) == config.split]
    if config.limit and config.sample:
        raise ValueError(f"limit={config.limit} and sample={config.sample} were both given; pick one: "
                         "limit takes the first N questions, sample N spread over the set.")
    if config.limit:
        questions = questions[:config.limit]
    if config.sample:
        questions = spread(questions, config.sample)
    if config.squad and config.close:
        questions = questions + close_variants(questions)
    return corpus_dir, index_dir, questions, name


def trained_on(path: Path | None) -> bool | None:
    """Was the span reader trained on this file? (Its manifest lists the sha256 of its training
    data.) ``None`` for no file."""
    if path is None:
        return None
    from ..answering.span_model import MODEL_DIR, Manifest
    from ..ingest.digest import sha256_file

    return sha256_file(path) in {t["sha256"] for t in Manifest.load(MODEL_DIR).trained_on}


def asker(bot: Pipeline, reader=None) -> Callable[[Question], "Answer"]:
    """Asks a question of ``bot`` (with ``reader`` in place of its own), keeping a close
    question's answer-bearing passages from the reader (:class:`~qa.eval.close.WithholdingRetriever`)."""
    from ..answering.chain import build_chain
    from .close import WithholdingRetriever

    reader = reader or bot.reader
    chain = build_chain(bot.retriever, reader)

    def ask(q: Question):
        used = chain
        if q.withheld:
            used = build_chain(WithholdingRetriever(base=bot.retriever, withheld=q.withheld,
                                                         k=getattr(bot.retriever, "k", 4)), reader)
        return used.invoke({"question": bot.validate(q.question), "history": validate_history(q.history)})

    return ask


def write_reports(report: Report, out_dir: Path) -> None:
    """``report.json``, ``summary.json`` (its numbers only), ``report.md`` (every failure listed) and
    ``chart.png`` in ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
    (out / "summary.json").write_text(json.dumps(report.summary(), indent=2, ensure_ascii=False), encoding="utf-8")
    (out / "report.md").write_text(markdown(report, max_failures=len(report.failures[next(iter(report.failures))]))
                                   + "\n", encoding="utf-8")
    chart([report], out / "chart.png")


def run_evaluation(config: EvalConfig, echo: Callable[[str], None] = print, answerer: Pipeline | None = None,
                   load: Callable[..., Pipeline] | None = None) -> Report:
    """Ask every question of the set with this project's answerer (``answerer``, or the one
    ``load(corpus_dir, index_dir, k=..., store=...)`` loads from the config's corpus and index, e.g.
    ``qa.Answerer.from_corpus``) and, with ``config.stock``, with the stock recipe; score
    both and write the reports to ``config.out_dir``."""
    from ..ingest.corpus import load_corpus

    if answerer is None and load is None:
        raise ValueError("run_evaluation needs an answerer, or load: a function that loads one "
                         "(e.g. qa.Answerer.from_corpus).")
    corpus_dir, index_dir, questions, name = prepare(config)
    # A SQuAD file is a scratch corpus: its index stays local whatever QA_STORE says.
    bot = answerer or load(corpus_dir, index_dir, k=config.k, store="local" if config.squad else None)
    bot.warm_up()
    results = {"qa": run(asker(bot), questions, progress=True, desc="qa")}
    if config.extractive:
        from ..answering.extractive import ExtractiveReader

        results["extractive"] = run(asker(bot, ExtractiveReader()), questions, progress=True, desc="extractive")
    if config.llm:
        echo(f"Written answers from {config.llm}, checked sentence by sentence ...")
        writer = bot.writer(config.llm)
        results["qa+llm"] = run(asker(bot, writer), questions, progress=True, desc="qa+llm")
    if config.stock:
        from .stock import StockRecipe

        echo("Building the stock recipe (RecursiveCharacterTextSplitter(1000, 200) + HuggingFaceEmbeddings + FAISS)...")
        stock = StockRecipe.build(load_corpus(corpus_dir, max_file_bytes=bot.max_file_bytes), k=config.k)
        stock.ask("warm up")
        results["stock"] = run(lambda q: stock.ask(q.question, q.withheld), questions, progress=True, desc="stock")
    meta = {"corpus": str(corpus_dir), "questions": len(questions), "split": config.split, "stats": bot.stats,
            "reader": getattr(bot.reader, "kind", type(bot.reader).__name__),
            "reader_trained_on_this_set": trained_on(config.squad),
            **({"llm": str(config.llm)} if config.llm else {}),
            **{k: v for k, v in (("limit", config.limit), ("sample", config.sample)) if v},
            "date": date.today().isoformat(), "machine": machine(), "load_average": round(os.getloadavg()[0], 1)}
    held = {True: "; the span reader was trained on this set: not held out", False: "; held out from the span reader",
            None: ""}[meta["reader_trained_on_this_set"]]
    report = build_report(f"{name}: {len(questions)} questions on {corpus_dir} (split {config.split}{held})", results,
                          k=config.k, meta=meta)
    write_reports(report, config.out_dir)
    return report
