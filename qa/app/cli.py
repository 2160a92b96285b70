"""The ``qa`` command line: ``qa index``, ``qa ask``, ``qa ui``, ``qa eval``; ``-v`` shows logs.

Options fall back to environment variables (``QA_CORPUS``, ``QA_INDEX``, ...),
read through :class:`qa.settings.Settings`, so a bad one is reported as that
variable. Library errors become one-line messages and exit status 2 (bad input:
a question, an option, a setting) or 1 (anything else the library refused).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import NoReturn

import click

from ..errors import ConfigError, QAError, QuestionError
from ..settings import MAX_TOP_K, Settings, variable

PROGRESS_MIN_SENTENCES = 200   # smaller builds show no progress bar


def _from_env(field: str, text: str) -> str:
    """Help for an option whose default comes from the environment."""
    v = variable(field)
    return f"{text}  [default: {v.default}; env var: {v.name}]"


corpus_option = click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path),
                             help=_from_env("corpus", "Folder of documents (.txt, .md, .pdf, .html, .docx)."))
index_option = click.option("--index", "index_dir", type=click.Path(path_type=Path),
                            help=_from_env("index", "Folder of the index."))
llm_option = click.option("--llm", help=_from_env("llm", "Chat model that writes the answer (provider:model, e.g. "
                                                  "ollama:llama3.2), each sentence checked against its source."))
store_option = click.option("--store", help=_from_env("store", "Where the index lives: local (the --index folder), "
                                                      "milvus://HOST:PORT/COLLECTION or milvus-lite:PATH.db."))


def fail(exc: QAError) -> NoReturn:
    """Print ``exc`` as one line and exit: 2 for bad input, 1 otherwise."""
    click.echo(f"Error: {exc}", err=True)
    sys.exit(2 if isinstance(exc, (QuestionError, ConfigError)) else 1)


def _setting(value, field: str):
    """``value`` when the option was given, else the setting ``field`` from the environment."""
    if value is not None:
        return value
    try:
        return Settings.get(field)
    except ConfigError as exc:
        fail(exc)


def _progress_bar(label: str):
    """A ``progress(done, total)`` callback drawing a bar on stderr (for large builds only)."""
    from tqdm import tqdm

    bar = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc=label, unit="sentence", disable=total < PROGRESS_MIN_SENTENCES,
                       file=sys.stderr)
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return update


def _warn_skipped(report) -> None:
    for problem in report.skipped:
        click.echo(f"Skipped: {problem}", err=True)


def _say_waiting(message: str) -> None:
    click.echo(message, err=True)


@click.group()
@click.version_option(package_name="qa")
@click.option("-v", "--verbose", count=True, help="Show the libraries' logs (-vv: debug lines too).")
def cli(verbose):
    """Ask questions of a folder of documents; answers cite their sources."""
    from .logs import configure_logging

    configure_logging(verbose)


@cli.command()
@corpus_option
@index_option
@store_option
@click.option("--rebuild", is_flag=True, help="Embed every document again, even unchanged ones.")
@click.option("--json", "as_json", is_flag=True, help="Print what was done, and every file skipped with its reason, as JSON.")
def index(corpus_dir, index_dir, store, rebuild, as_json):
    """Build or update the index of CORPUS in INDEX or STORE (only changed documents are embedded)."""
    from ..ingest.corpus import load_corpus
    from ..search.embeddings import MiniLMEmbeddings
    from .configured import document_limits, open_configured_store
    from .terminal import index_message, index_summary

    corpus_dir, index_dir, store = _setting(corpus_dir, "corpus"), _setting(index_dir, "index"), _setting(store, "store")
    try:
        where = open_configured_store(store, index_dir)
        corpus = load_corpus(corpus_dir, max_file_bytes=Settings.get("max_file_bytes"), limits=document_limits())
        emb = MiniLMEmbeddings(cache_dir=Settings.get("cache_dir"))
        idx, report = where.open_or_build(corpus, emb, rebuild="always" if rebuild else "auto",
                                          progress=_progress_bar("Embedding"), on_wait=_say_waiting)
        emb.warm_up()  # exports the query encoder now rather than on the first question
    except QAError as exc:
        fail(exc)
    summary = index_summary(where.name, idx, report)
    if as_json:
        click.echo(json.dumps(summary, indent=2, ensure_ascii=False))
        return
    _warn_skipped(report)
    click.echo(index_message(summary))


@cli.command()
@click.argument("question")
@corpus_option
@index_option
@store_option
@click.option("--json", "as_json", is_flag=True, help="Print the answer and citations as JSON.")
@click.option("--no-rebuild", is_flag=True, help="Fail instead of building a missing or stale index.")
@click.option("-k", "--top-k", type=click.IntRange(1, MAX_TOP_K), help=_from_env("top_k", "Passages to retrieve."))
@llm_option
def ask(question, corpus_dir, index_dir, store, as_json, no_rebuild, top_k, llm):
    """Answer QUESTION from the documents, citing the passages used."""
    from .api import Answerer, validate_question

    corpus_dir, index_dir, top_k = _setting(corpus_dir, "corpus"), _setting(index_dir, "index"), _setting(top_k, "top_k")
    llm, store = _setting(llm, "llm"), _setting(store, "store")
    try:
        validate_question(question)
        if llm:
            from ..answering.chat_model import parse_spec

            parse_spec(llm)   # a malformed --llm fails before anything is loaded
        bot = Answerer.from_corpus(corpus_dir, index_dir, rebuild="never" if no_rebuild else "auto", k=top_k,
                                   progress=_progress_bar("Embedding"), on_wait=_say_waiting,
                                   llm=llm, store=store)
        answer = bot.ask(question)
    except QAError as exc:
        fail(exc)
    if bot.report.skipped:
        from .terminal import skipped_count

        click.echo(skipped_count(len(bot.report.skipped)), err=True)
    if as_json:
        click.echo(answer.to_json(indent=2))
    else:
        from .terminal import render_answer

        click.echo(render_answer(answer))


@cli.command()
@corpus_option
@index_option
@click.option("--host", help=_from_env("host", "Address to listen on (else GRADIO_SERVER_NAME)."))
@click.option("--port", type=click.IntRange(1, 65535), help=_from_env("port", "Port to listen on (else GRADIO_SERVER_PORT)."))
@llm_option
def ui(corpus_dir, index_dir, host, port, llm):
    """Open the chat window on CORPUS at http://HOST:PORT/ (the index is built or updated first)."""
    from .launch import listen_address, run_ui

    corpus_dir, index_dir = _setting(corpus_dir, "corpus"), _setting(index_dir, "index")
    try:
        host, port = listen_address(host, port)
        run_ui(corpus_dir, index_dir, host, port, echo=lambda m: click.echo(m, err=True), llm=llm)
    except QAError as exc:
        fail(exc)


@cli.command("eval")
@click.option("--questions", type=click.Path(path_type=Path, dir_okay=False),
              help=_from_env("questions", "JSONL question set."))
@click.option("--squad", type=click.Path(path_type=Path, dir_okay=False),
              help="A SQuAD-format JSON file (e.g. XQuAD's xquad.en.json; public ones are in ../shared/datasets): "
                   "its articles become the corpus, its questions the set.")
@corpus_option
@index_option
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default="eval-results",
              show_default=True, help="Where report.json, report.md and chart.png go.")
@click.option("--stock/--no-stock", default=True, show_default=True,
              help="Also run the stock LangChain recipe on the same questions.")
@click.option("--limit", type=click.IntRange(1), help="Only the first N questions.")
@click.option("--sample", type=click.IntRange(1),
              help="Only N questions spread over the set (the same N every run, by a hash of their ids).")
@click.option("--split", type=click.Choice(["all", "dev", "test"]), default="all", show_default=True,
              help="dev/test halves of the set (by article for a SQuAD file, else by question id), "
                   "to check tuning on unseen questions.")
@click.option("--close/--no-close", default=True, show_default=True,
              help="SQuAD file: also ask each answerable question with its answer-bearing passages withheld "
                   "(a close unanswerable question).")
@click.option("--extractive", is_flag=True, help="Also score the extractive reader, over the same index.")
@llm_option
def eval_command(questions, squad, corpus_dir, index_dir, out_dir, stock, limit, sample, split, close, extractive,
                 llm):
    """Score the answerer on a question set (default: the bundled one), beside the stock recipe;
    with --llm, the written answers too, beside the quoted ones."""
    from ..eval.report import markdown
    from ..eval.run import EvalConfig, run_evaluation
    from .api import Answerer

    config = EvalConfig(questions=_setting(questions, "questions"), squad=squad,
                        corpus_dir=_setting(corpus_dir, "corpus"), index_dir=_setting(index_dir, "index"),
                        out_dir=out_dir, stock=stock, limit=limit, sample=sample, split=split, close=close,
                        extractive=extractive, llm=_setting(llm, "llm"), k=_setting(None, "top_k"))
    try:
        report = run_evaluation(config, echo=lambda m: click.echo(m, err=True), load=Answerer.from_corpus)
    except (QAError, ValueError, FileNotFoundError) as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    click.echo(markdown(report))
    click.echo(f"\nWrote {out_dir / 'report.json'}, {out_dir / 'report.md'} and {out_dir / 'chart.png'}.")


def main():
    """The ``qa`` console script."""
    cli(prog_name="qa")


if __name__ == "__main__":
    main()
