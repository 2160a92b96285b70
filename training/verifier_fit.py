"""``make fit-verifier`` (``python -m training.fit_verifier``): fit the verifier's weights and threshold on made-up claims, check them on
held-out ones, and write ``qa/answering/calibration/verifier.json``.

Data (:mod:`qa.eval.verifier_data`): supported and fabricated claims made from

* a SQuAD-format file (XQuAD) split by article (a stable hash of the title) into a *dev* half,
  fitted on, and a *test* half, held out; each half is a corpus of its own;
* the bundled question set's ``dev`` split (by a hash of the question id) over its corpus,
  fitted on; its ``test`` split is held out.

For each combination of scorers (:data:`SCORER_SETS`: word overlap alone, with embeddings, and with
the span reader's evidence too), a
logistic regression of "supported" on the claim features, with every (data, kind of claim) cell
weighing alike and each weight kept on the side of zero its meaning gives it (:data:`SIGNS`:
the fabrications here differ from their source by a word, so an unconstrained fit learns that
a very similar sentence is suspect, which would punish faithful paraphrases); the threshold is the lowest at which at most :data:`MAX_FABRICATED_PASS` of the
dev half's fabricated claims pass, averaged over their kinds (a fabricated claim shown as
verified costs more trust than a true one left out). The report gives, per half, the share of
supported claims kept and of fabricated claims passed, by kind, and the ROC AUC.

    >>> pick_threshold(np.array([0.9, 0.8, 0.3, 0.1]), np.array([True, True, False, False]),
    ...                ["copy", "copy", "off-topic", "off-topic"], 0.0)
    0.3001
"""

from __future__ import annotations

import subprocess
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np

from qa.answering.evidence import EmbeddingScorer, OverlapScorer, SpanScorer
from qa.answering.verify import CLAIM_FEATURES, Verifier, VerifierWeights
from qa.ingest.digest import sha256_file
from .fitting import fit_logistic, separation
from qa.eval.questions import load_questions, split_of
from qa.eval.squad import load_squad, squad_halves, write_corpus
from .verifier_data import ALTERED_KINDS, FABRICATED_KINDS, SUPPORTED_KINDS, ClaimSample, collect_claims

SCORER_SETS = (("overlap",), ("cosine", "overlap"), ("cosine", "overlap", "span"))
# More similarity never makes a claim less supported, more unknown numbers and names never more.
SIGNS = {"overlap": 1, "cosine": 1, "span": 1, "coverage": 1, "passage_coverage": 1, "novel_numbers": -1,
         "novel_names": -1, "any_novel_name": -1, "unstated_names": -1, "negation_flip": -1, "role_swap": -1}
MAX_FABRICATED_PASS = 0.03
SEED = 0


def scorers_for(names: tuple[str, ...], embeddings, index) -> list:
    """The scorers named ``names`` (``cosine`` over ``embeddings`` and ``index``; ``span``: the packaged
    span reader's model, loaded once)."""
    made = {"overlap": lambda: OverlapScorer(), "cosine": lambda: EmbeddingScorer(embeddings, index),
            "span": lambda: SpanScorer(_span_model())}
    return [made[n]() for n in names]


@lru_cache(maxsize=1)
def _span_model():
    from qa.answering.span_model import SpanModel

    return SpanModel.load()


def feature_table(verifier: Verifier, samples: list[ClaimSample]) -> list[dict]:
    """The verifier's features of every claim (one ``check`` per question's passages)."""
    out: list[dict] = [{} for _ in samples]
    by_question: dict[int, list[int]] = {}
    for i, s in enumerate(samples):
        by_question.setdefault(id(s.passages), []).append(i)
    for rows in by_question.values():
        first = samples[rows[0]]
        for i, check in zip(rows, verifier.check(first.question, first.passages, [samples[i].claim for i in rows])):
            out[i] = check.features
    return out


def cell_weights(samples: list[ClaimSample]) -> np.ndarray:
    """Weights making every (group, kind) cell count alike (mean weight 1)."""
    cells: dict[tuple, int] = {}
    for s in samples:
        cells[(s.group, s.kind)] = cells.get((s.group, s.kind), 0) + 1
    w = np.array([1.0 / cells[(s.group, s.kind)] for s in samples])
    return w * len(w) / w.sum()


def pass_rates(support: np.ndarray, labels: np.ndarray, kinds: list[str], threshold: float) -> dict[str, float]:
    """Per kind of claim, the share at or above ``threshold``."""
    out = {}
    for kind in SUPPORTED_KINDS + FABRICATED_KINDS:
        rows = np.array([k == kind for k in kinds])
        if rows.any():
            out[kind] = float((support[rows] >= threshold).mean())
    return out


def pick_threshold(support: np.ndarray, labels: np.ndarray, kinds: list[str],
                   max_pass: float = MAX_FABRICATED_PASS) -> float:
    """The lowest threshold at which at most ``max_pass`` of the fabricated claims pass, averaged over kinds."""
    for t in sorted(set(np.round(support[~labels], 4) + 1e-4)) + [1.0]:
        rates = [r for k, r in pass_rates(support, labels, kinds, t).items() if k in FABRICATED_KINDS]
        if not rates or np.mean(rates) <= max_pass:
            return float(round(t, 4))
    return 1.0


def fit_set(names: tuple[str, ...], feats: list[dict], samples: list[ClaimSample]) -> VerifierWeights:
    """Weights and threshold for the scorers ``names``, fitted on ``samples``."""
    cols = list(names) + list(CLAIM_FEATURES)
    X = np.array([[f.get(c, 0.0) for c in cols] for f in feats], dtype=np.float64)
    y = np.array([s.supported for s in samples])
    w, b = fit_logistic(X, y.astype(float), weights=cell_weights(samples),
                        signs=np.array([SIGNS.get(c, 0) for c in cols], dtype=float))
    fitted = VerifierWeights(scorers=tuple(names), weights={c: round(float(v), 4) for c, v in zip(cols, w)},
                             bias=round(b, 4), fitted_by=f"training.fit_verifier: {sorted({s.group for s in samples})}")
    support = np.array([fitted.support(f) for f in feats])
    return replace(fitted, threshold=pick_threshold(support, y, [s.kind for s in samples]))


def flagged(support: np.ndarray, labels: np.ndarray, rows: np.ndarray) -> dict:
    """Precision and recall of "unsupported" (support under the threshold: ``~support``) over ``rows``."""
    caught, wrong = (~support & ~labels & rows).sum(), (~support & labels & rows).sum()
    return {"claims": int(rows.sum()), "unsupported": int((~labels & rows).sum()),
            "precision": float(caught / max(1, caught + wrong)),
            "recall": float(caught / max(1, (~labels & rows).sum()))}


def evaluate(weights: VerifierWeights, feats: list[dict], samples: list[ClaimSample]) -> dict:
    """Claims, share kept by kind, ROC AUC, and precision and recall of "unsupported" of
    ``weights`` on ``samples``: over every claim, and over the evidence sentences as models
    quote them (``copy``) with their altered versions (:data:`ALTERED_KINDS`)."""
    support = np.array([weights.support(f) for f in feats])
    y = np.array([s.supported for s in samples])
    kinds = [s.kind for s in samples]
    rates = pass_rates(support, y, kinds, weights.threshold)
    kept = support >= weights.threshold
    altered = np.array([k in ALTERED_KINDS or k == "copy" for k in kinds])
    return {"claims": len(samples), "supported": int(y.sum()),
            "supported_kept": float(np.mean([r for k, r in rates.items() if k in SUPPORTED_KINDS])),
            "fabricated_passed": float(np.mean([r for k, r in rates.items() if k in FABRICATED_KINDS])),
            "by_kind": rates, "roc_auc": separation(support, y),
            "unsupported": flagged(kept, y, np.ones(len(y), dtype=bool)),
            "unsupported_altered": flagged(kept, y, altered)}


def gather(squad: Path, questions: Path | None, corpus_dir: Path, work: Path,
           echo: Callable[[str], None]) -> tuple[dict[str, list[ClaimSample]], dict]:
    """Claims of each half (``{"dev": [...], "test": [...]}``), and ``{half: answerer}`` per corpus."""
    from qa.app.api import Answerer

    samples: dict[str, list[ClaimSample]] = {"dev": [], "test": []}
    bots, embeddings = {}, None
    for half, data in squad_halves(load_squad(squad)).items():
        folder, qs = write_corpus(data, work / f"{half}-corpus")
        bots[f"squad-{half}"] = bot = Answerer.from_corpus(folder, work / f"{half}-index", embeddings=embeddings)
        embeddings = bot.embeddings
        samples[half] += collect_claims(bot.retriever, qs, f"squad-{half}", SEED)
        echo(f"SQuAD {half} half: {len(samples[half])} claims from {len(qs)} questions")
    if questions and Path(questions).is_file():
        bots["set"] = bot = Answerer.from_corpus(corpus_dir, work / "set-index", embeddings=embeddings)
        qs = load_questions(questions)
        for half in ("dev", "test"):
            made = collect_claims(bot.retriever, [q for q in qs if split_of(q.id) == half], f"set-{half}", SEED)
            samples[half] += made
            echo(f"Question set {half} split: {len(made)} claims")
    return samples, bots


def features_by_group(names: tuple[str, ...], samples: list[ClaimSample], bots: dict) -> list[dict]:
    """:func:`feature_table` with the scorers ``names``, each group over its own index."""
    out: list[dict] = [{} for _ in samples]
    for group in sorted({s.group for s in samples}):
        bot = bots.get(group) or bots["set"]
        rows = [i for i, s in enumerate(samples) if s.group == group]
        verifier = Verifier(scorers_for(names, bot.embeddings, bot.index),
                            weights=VerifierWeights(scorers=names, weights={}))
        for i, f in zip(rows, feature_table(verifier, [samples[i] for i in rows])):
            out[i] = f
    return out


def file_digest(path: Path) -> dict:
    """``{"path", "sha256"}`` of an input file."""
    return {"path": str(path), "sha256": sha256_file(path)}


def provenance(squad: Path, questions: Path | None, corpus_dir: Path, command: str) -> dict:
    """What the fit was made from: input files' digests, the corpus files' digests, seed, commit, command."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10,
                                cwd=Path(__file__).parent).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    inputs = [file_digest(Path(squad))] + ([file_digest(Path(questions))] if questions else [])
    corpus = [file_digest(p) for p in sorted(Path(corpus_dir).rglob("*")) if p.is_file()] if questions else []
    return {"inputs": inputs, "corpus": corpus, "seed": SEED, "git_commit": commit or None, "command": command}


def run_fit(squad: Path, questions: Path | None, corpus_dir: Path, work: Path,
            echo: Callable[[str], None] = print) -> tuple[list[VerifierWeights], dict]:
    """One fit per :data:`SCORER_SETS` on the dev claims, and their report on both halves and each group."""
    from .calibration import round_floats

    samples, bots = gather(Path(squad), questions, Path(corpus_dir), Path(work), echo)
    fits, report = [], {"split": "XQuAD by article title, the question set by question id (qa.eval.questions."
                                  "split_of): dev halves fitted on, test halves held out",
                        "max_fabricated_pass": MAX_FABRICATED_PASS}
    for names in SCORER_SETS:
        echo(f"Fitting with {'+'.join(names)} ...")
        feats = {half: features_by_group(names, samples[half], bots) for half in samples}
        weights = fit_set(names, feats["dev"], samples["dev"])
        fits.append(weights)
        entry = {half: evaluate(weights, feats[half], samples[half]) for half in ("dev", "test")}
        for half in ("dev", "test"):
            for group in sorted({s.group for s in samples[half]}):
                rows = [i for i, s in enumerate(samples[half]) if s.group == group]
                entry[group] = evaluate(weights, [feats[half][i] for i in rows], [samples[half][i] for i in rows])
        report["+".join(names)] = entry
    return fits, round_floats(report)


def save(fits: list[VerifierWeights], report: dict, prov: dict, path: Path) -> Path:
    """Write the fits with their report and provenance (``verifier.json``'s format)."""
    import json

    from qa.answering.verify import FORMAT_VERSION

    data = {"format_version": FORMAT_VERSION, "fits": [f.to_dict() for f in fits], "report": report,
            "provenance": prov}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def fit_and_save(squad: Path, questions: Path | None, corpus_dir: Path, work: Path, write: bool, command: str,
                 echo: Callable[[str], None] = print) -> dict:
    """``make fit-verifier`` (``python -m training.fit_verifier``): fit, write ``verifier.json`` under ``work`` (and over the shipped one
    with ``write``); returns the fits and their report."""
    from qa.answering.verify import VERIFIER_FILE

    fits, report = run_fit(squad, questions, corpus_dir, work, echo=echo)
    prov = provenance(squad, questions, corpus_dir, command)
    for path in [Path(work) / "verifier.json"] + ([VERIFIER_FILE] if write else []):
        echo(f"Wrote {save(fits, report, prov, path)}")
    return {"fits": [f.to_dict() for f in fits], "report": report}
