#!/usr/bin/env python3
"""Validate evaluation/questions.jsonl against the source article.

    python3 evaluation/check_questions.py [--questions FILE] [--article FILE]

Defaults: this folder's questions.jsonl and the bundled corpus's article (paths from this
file's place in the repository, not the working directory). Exits non-zero (listing every
problem) if the question set is invalid. Stdlib only.
"""
import argparse
import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUESTIONS = HERE / "questions.jsonl"
ARTICLE = HERE.parent / "corpus" / "iran-pakistan-relations.txt"

ALLOWED_TYPES = {"date", "number", "name", "place", "fact", "paraphrase", "list",
                 "why", "how", "followup", "unanswerable"}
FACT_TYPES = {"date", "number", "name", "place", "fact"}
MIN_TOTAL = 95
# (label, set of types, minimum count)
MINIMUMS = [
    ("fact-style (date/number/name/place/fact)", FACT_TYPES, 40),
    ("paraphrase", {"paraphrase"}, 12),
    ("list", {"list"}, 6),
    ("why/how", {"why", "how"}, 8),
    ("followup", {"followup"}, 8),
    ("unanswerable", {"unanswerable"}, 18),
]
MAX_EVIDENCE_CHARS = 300
REQUIRED = {"id": str, "question": str, "answers": list, "evidence": str, "type": str}


def normalise(s):
    return (s.replace("\u00a0", " ")
             .replace("\u2018", "'").replace("\u2019", "'")
             .replace("\u201c", '"').replace("\u201d", '"')
             .lower())


def read_items(path, problems):
    """``(line number, object)`` of every JSON object line of ``path``; anything else is a problem."""
    items = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                problems.append(f"line {lineno}: empty line")
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                problems.append(f"line {lineno}: invalid JSON ({e})")
                continue
            if not isinstance(obj, dict):
                problems.append(f"line {lineno}: not a JSON object")
                continue
            items.append((lineno, obj))
    return items


def check_fields(where, q, problems):
    """Are the required fields there, of their types (and no unknown ones)?"""
    ok = True
    for field, ftype in REQUIRED.items():
        if field not in q:
            problems.append(f"{where}: missing field '{field}'")
            ok = False
        elif not isinstance(q[field], ftype):
            problems.append(f"{where}: field '{field}' must be {ftype.__name__}")
            ok = False
    extra = set(q) - set(REQUIRED) - {"history"}
    if extra:
        problems.append(f"{where}: unexpected fields {sorted(extra)}")
    return ok


def check_history(where, q, problems):
    """history: only for follow-ups, a list of [question, answer] string pairs."""
    if "history" in q:
        h = q["history"]
        if q["type"] != "followup":
            problems.append(f"{where}: 'history' present on non-followup question")
        if not (isinstance(h, list) and h and all(
                isinstance(p, list) and len(p) == 2
                and all(isinstance(x, str) and x.strip() for x in p) for p in h)):
            problems.append(f"{where}: history must be a non-empty list of "
                            "[question, answer] string pairs")
    elif q["type"] == "followup":
        problems.append(f"{where}: followup question without history")


def check_evidence(where, q, article, problems):
    """An answerable question's evidence and answers against the article; the evidence's offset or None."""
    if not q["answers"]:
        problems.append(f"{where}: answerable question has no answers")
    ev = q["evidence"]
    if not ev.strip():
        problems.append(f"{where}: empty evidence")
        return None
    if len(ev) > MAX_EVIDENCE_CHARS:
        problems.append(f"{where}: evidence longer than {MAX_EVIDENCE_CHARS} chars ({len(ev)})")
    norm_article, norm_ev = normalise(article), normalise(ev)
    pos = article.find(ev)
    if pos < 0:
        hint = " (matches only after normalisation)" if norm_ev in norm_article else ""
        problems.append(f"{where}: evidence is not an exact substring of the article{hint}")
    for a in q["answers"]:
        na = normalise(a)
        if na not in norm_article:
            problems.append(f"{where}: answer {a!r} not found in article")
        if na not in norm_ev:
            problems.append(f"{where}: answer {a!r} not found in its evidence")
    return pos if pos >= 0 else None


def check_question(where, q, article, problems):
    """Every check of one question whose fields are well-formed; its evidence's offset or None."""
    if q["type"] not in ALLOWED_TYPES:
        problems.append(f"{where}: type '{q['type']}' not allowed")
    if not q["question"].strip():
        problems.append(f"{where}: empty question")
    if not all(isinstance(a, str) and a.strip() for a in q["answers"]):
        problems.append(f"{where}: answers must be non-empty strings")
        return None
    check_history(where, q, problems)
    if q["type"] == "unanswerable":
        if q["answers"] != []:
            problems.append(f"{where}: unanswerable question must have answers == []")
        if q["evidence"] != "":
            problems.append(f"{where}: unanswerable question must have evidence == \"\"")
        return None
    return check_evidence(where, q, article, problems)


def check_set(items, article, problems):
    """``(ids, types, [(type, evidence offset)])`` of the well-formed questions, each checked."""
    ids, types, evidence_offsets = Counter(), Counter(), []
    for lineno, q in items:
        where = f"line {lineno} ({q.get('id', '?')})"
        if not check_fields(where, q, problems):
            continue
        ids[q["id"]] += 1
        types[q["type"]] += 1
        pos = check_question(where, q, article, problems)
        if pos is not None:
            evidence_offsets.append((q["type"], pos))
    for qid, n in ids.items():
        if n > 1:
            problems.append(f"duplicate id {qid!r} ({n} times)")
    return types, evidence_offsets


def summarise(questions, types, evidence_offsets, article, problems):
    """Print the counts by type, the minimums and the article's coverage; add what falls short."""
    total = sum(types.values())
    if total < MIN_TOTAL:
        problems.append(f"only {total} questions, need at least {MIN_TOTAL}")
    print(f"{total} questions in {questions}")
    for t in sorted(ALLOWED_TYPES | set(types)):
        print(f"  {t:13s} {types[t]:3d}")
    for label, tset, minimum in MINIMUMS:
        n = sum(types[t] for t in tset)
        if n < minimum:
            problems.append(f"only {n} {label} questions, need at least {minimum}")
        print(f"  [{'ok' if n >= minimum else 'FAIL'}] {label}: {n} (min {minimum})")
    # coverage of the article by fact-style evidence, in fifths of the text
    fifths = Counter(min(4, pos * 5 // len(article))
                     for t, pos in evidence_offsets if t in FACT_TYPES)
    print("  fact-style evidence by article fifth: "
          + " ".join(f"{i + 1}:{fifths[i]}" for i in range(5)))
    if any(fifths[i] == 0 for i in range(5)):
        problems.append("fact-style questions do not cover every fifth of the article")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--questions", type=Path, default=QUESTIONS, help="JSONL question set (default: %(default)s)")
    ap.add_argument("--article", type=Path, default=ARTICLE, help="the article it asks about (default: %(default)s)")
    a = ap.parse_args(argv)
    problems = []
    try:
        article = a.article.read_text(encoding="utf-8")
        items = read_items(a.questions, problems)
    except OSError as e:
        print(f"cannot read {e.filename}: {e.strerror}")
        return 2
    types, evidence_offsets = check_set(items, article, problems)
    summarise(a.questions, types, evidence_offsets, article, problems)
    if problems:
        print(f"\n{len(problems)} problem(s):")
        for p in problems:
            print("  - " + p)
        return 1
    print("\nOK: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
