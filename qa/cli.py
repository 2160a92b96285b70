"""The ``qa`` command line: ``qa index``, ``qa ask``, ``qa eval``.

Options fall back to environment variables (``QA_CORPUS``, ``QA_INDEX``, ...),
see :mod:`qa.config`. Library errors become one-line messages and exit status
2 (bad input) or 1 (anything else the library refused).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .errors import QAError, QuestionError

corpus_option = click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path), envvar="QA_CORPUS",
                             default="corpus", show_default=True, show_envvar=True,
                             help="Folder of documents (.txt, .md).")
index_option = click.option("--index", "index_dir", type=click.Path(path_type=Path), envvar="QA_INDEX",
                            default="index", show_default=True, show_envvar=True, help="Folder of the index.")


def fail(exc: QAError) -> None:
    click.echo(f"Error: {exc}", err=True)
    sys.exit(2 if isinstance(exc, QuestionError) else 1)


def _progress_bar(label: str):
    from tqdm import tqdm

    bar = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc=label, unit="sentence", disable=total < 200, file=sys.stderr)
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return update


def _warn_skipped(report) -> None:
    for problem in report.skipped:
        click.echo(f"Skipped: {problem}", err=True)


@click.group()
@click.version_option(package_name="qa")
def cli():
    """Ask questions of a folder of documents; answers cite their sources."""


@cli.command()
@corpus_option
@index_option
@click.option("--rebuild", is_flag=True, help="Embed every document again, even unchanged ones.")
def index(corpus_dir, index_dir, rebuild):
    """Build or update the index of CORPUS in INDEX (only changed documents are embedded)."""
    from .api import open_index
    from .documents import load_corpus
    from .embeddings import MiniLMEmbeddings

    try:
        corpus = load_corpus(corpus_dir)
        emb = MiniLMEmbeddings()
        idx, report = open_index(corpus, index_dir, emb, rebuild="always" if rebuild else "auto",
                                 progress=_progress_bar("Embedding"))
        emb.warm_up()  # exports the query encoder now rather than on the first question
    except QAError as exc:
        fail(exc)
    _warn_skipped(report)
    click.echo(f"{report.action.capitalize()} {index_dir}: {len(idx.documents)} documents, {len(idx.passages)} "
               f"passages, {len(idx.sentences)} sentences ({report.embedded_sentences} embedded, "
               f"{report.reused_sentences} reused){'; ' + report.reason if report.reason else ''}.")


def render_answer(answer) -> str:
    lines = [answer.text, ""]
    if answer.abstained:
        lines.append(f"(confidence {answer.confidence:.2f})")
        return "\n".join(lines)
    lines.append(f"Sources (confidence {answer.confidence:.2f}):")
    for n, c in enumerate(answer.citations, 1):
        where = f"{c.source}" + (f" \u00a7 {c.section}" if c.section else "")
        lines.append(f"[{n}] {where}  (chars {c.start}-{c.end}, score {c.score:.3f})")
        text, out, last = c.text, [], 0
        for a, b in c.highlights:
            out += [text[last:a], ">>", text[a:b], "<<"]
            last = b
        out.append(text[last:])
        lines.append("    " + " ".join("".join(out).split()))
    return "\n".join(lines)


@cli.command()
@click.argument("question")
@corpus_option
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print the answer and citations as JSON.")
@click.option("--no-rebuild", is_flag=True, help="Fail instead of building a missing or stale index.")
@click.option("-k", "--top-k", type=click.IntRange(1, 50), envvar="QA_TOP_K", default=4, show_default=True,
              help="Passages to retrieve.")
def ask(question, corpus_dir, index_dir, as_json, no_rebuild, top_k):
    """Answer QUESTION from the documents, citing the passages used."""
    from .api import Answerer, validate_question

    try:
        validate_question(question)
        bot = Answerer.from_corpus(corpus_dir, index_dir, rebuild="never" if no_rebuild else "auto", k=top_k,
                                   progress=_progress_bar("Embedding"))
        answer = bot.ask(question)
    except QAError as exc:
        fail(exc)
    _warn_skipped(bot.report)
    if as_json:
        click.echo(answer.to_json(indent=2))
    else:
        click.echo(render_answer(answer))


@cli.command("eval")
@click.option("--questions", type=click.Path(path_type=Path, dir_okay=False), envvar="QA_QUESTIONS",
              default="evaluation/questions.jsonl", show_default=True, help="JSONL question set.")
@click.option("--squad", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="A SQuAD-format JSON file: its articles become the corpus, its questions the set.")
@corpus_option
@index_option
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default="eval-results",
              show_default=True, help="Where report.json, report.md and chart.png go.")
@click.option("--stock/--no-stock", default=True, show_default=True,
              help="Also run the stock LangChain recipe on the same questions.")
@click.option("--limit", type=click.IntRange(1), help="Only the first N questions.")
@click.option("--split", type=click.Choice(["all", "dev", "test"]), default="all", show_default=True,
              help="dev/test halves of the set (by question id), to check tuning on unseen questions.")
def eval_command(questions, squad, corpus_dir, index_dir, out_dir, stock, limit, split):
    """Score the answerer on a question set (default: the bundled one), beside the stock recipe."""
    from .evaluation_run import EvalConfig, run_evaluation

    try:
        report = run_evaluation(EvalConfig(questions=questions, squad=squad, corpus_dir=corpus_dir,
                                           index_dir=index_dir, out_dir=out_dir, stock=stock, limit=limit,
                                           split=split), echo=lambda m: click.echo(m, err=True))
    except (QAError, ValueError, FileNotFoundError) as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    from .evaluate import markdown

    click.echo(markdown(report))
    click.echo(f"\nWrote {out_dir / 'report.json'}, {out_dir / 'report.md'} and {out_dir / 'chart.png'}.")


@cli.command()
@click.option("--squad", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              default="../shared/datasets/xquad-en.json", show_default=True,
              help="SQuAD-format file, split by article into dev (fit) and test (check) halves.")
@click.option("--questions", type=click.Path(path_type=Path, dir_okay=False), default="evaluation/questions.jsonl",
              show_default=True, help="JSONL set over --corpus; only its dev split is fitted on.")
@corpus_option
@click.option("--work", type=click.Path(path_type=Path, file_okay=False), default="eval-results/calibration",
              show_default=True, help="Scratch folder for the SQuAD corpora and indexes.")
@click.option("--write/--dry-run", default=True, show_default=True, help="Write qa/calibration.json.")
def calibrate(squad, questions, corpus_dir, work, write):
    """Fit the reader's weights and abstention threshold on data (dev halves), check on the test halves."""
    from . import calibrate as cal
    from .api import Answerer
    from .evaluate import Question, load_questions
    from .evaluation_run import split_of
    from .squad import load_squad, write_corpus

    halves = cal.squad_halves(load_squad(squad))
    samples = {"dev": [], "test": []}
    embeddings = None
    for half, other in (("dev", "test"), ("test", "dev")):
        folder, qs = write_corpus(halves[half], work / f"{half}-corpus")
        _, other_qs = write_corpus(halves[other], work / f"{other}-unused")
        bot = Answerer.from_corpus(folder, work / f"{half}-index", embeddings=embeddings)
        embeddings = bot.embeddings
        far = [Question(q.id, q.question, [], "", "unanswerable") for q in other_qs[::2]]
        samples[half] += (cal.collect(bot.retriever, qs, f"squad-{half}")
                          + cal.collect(bot.retriever, far, f"squad-{half}-far")
                          + cal.collect(bot.retriever, qs[1::2], f"squad-{half}-close", close=True))
        click.echo(f"SQuAD {half}: {len(qs)} answerable, {len(far)} far and {len(qs[1::2])} close unanswerable "
                   f"over {folder}", err=True)
    if questions and Path(questions).is_file():
        qs = load_questions(questions)
        bot = Answerer.from_corpus(corpus_dir, work / "set-index", embeddings=embeddings)
        for half in ("dev", "test"):
            samples[half] += cal.collect(bot.retriever, [q for q in qs if split_of(q.id) == half], f"set-{half}")
    weights = cal.fit(samples["dev"])
    report = {"fitted_on": sorted({s.source for s in samples["dev"]}),
              "dev": cal.evaluate_weights(weights, samples["dev"]),
              "test": cal.evaluate_weights(weights, samples["test"])}
    everything = samples["dev"] + samples["test"]
    for source in sorted({s.source.replace("-far", "").replace("-close", "") for s in everything}):
        report[source] = cal.evaluate_weights(weights, [s for s in everything if s.source.startswith(source)])
    report = cal.round_floats(report)
    click.echo(json.dumps({"weights": weights.to_dict(), **report}, indent=2))
    if write:
        click.echo(f"Wrote {cal.save(weights, report)}", err=True)


def main():
    cli(prog_name="qa")


if __name__ == "__main__":
    main()
