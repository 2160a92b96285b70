#!/usr/bin/env python3
"""Validate evaluation/questions.jsonl against the source article.

Run from the repository root:  python3 evaluation/check_questions.py
Exits non-zero (listing every problem) if the question set is invalid.
Stdlib only.
"""
import json
import os
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
QUESTIONS = os.path.join(HERE, "questions.jsonl")
ARTICLE = "/work/shared/corpus/iran-pakistan-relations.txt"

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


def main():
    problems = []
    try:
        article = open(ARTICLE, encoding="utf-8").read()
    except OSError as e:
        print(f"cannot read article {ARTICLE}: {e}")
        return 2
    norm_article = normalise(article)

    items = []
    try:
        fh = open(QUESTIONS, encoding="utf-8")
    except OSError as e:
        print(f"cannot read {QUESTIONS}: {e}")
        return 2
    with fh:
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

    ids = Counter()
    types = Counter()
    evidence_offsets = []  # (type, offset) for coverage summary
    for lineno, q in items:
        where = f"line {lineno} ({q.get('id', '?')})"
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
        if not ok:
            continue
        ids[q["id"]] += 1
        qtype = q["type"]
        types[qtype] += 1
        if qtype not in ALLOWED_TYPES:
            problems.append(f"{where}: type '{qtype}' not allowed")
        if not q["question"].strip():
            problems.append(f"{where}: empty question")
        if not all(isinstance(a, str) and a.strip() for a in q["answers"]):
            problems.append(f"{where}: answers must be non-empty strings")
            continue

        # history: only for follow-ups, list of [question, answer] string pairs
        if "history" in q:
            h = q["history"]
            if qtype != "followup":
                problems.append(f"{where}: 'history' present on non-followup question")
            if not (isinstance(h, list) and h and all(
                    isinstance(p, list) and len(p) == 2
                    and all(isinstance(x, str) and x.strip() for x in p) for p in h)):
                problems.append(f"{where}: history must be a non-empty list of "
                                "[question, answer] string pairs")
        elif qtype == "followup":
            problems.append(f"{where}: followup question without history")

        if qtype == "unanswerable":
            if q["answers"] != []:
                problems.append(f"{where}: unanswerable question must have answers == []")
            if q["evidence"] != "":
                problems.append(f"{where}: unanswerable question must have evidence == \"\"")
            continue

        # answerable
        if not q["answers"]:
            problems.append(f"{where}: answerable question has no answers")
        ev = q["evidence"]
        if not ev.strip():
            problems.append(f"{where}: empty evidence")
            continue
        if len(ev) > MAX_EVIDENCE_CHARS:
            problems.append(f"{where}: evidence longer than {MAX_EVIDENCE_CHARS} chars ({len(ev)})")
        pos = article.find(ev)
        if pos < 0:
            hint = " (matches only after normalisation)" if normalise(ev) in norm_article else ""
            problems.append(f"{where}: evidence is not an exact substring of the article{hint}")
        else:
            evidence_offsets.append((qtype, pos))
        norm_ev = normalise(ev)
        for a in q["answers"]:
            na = normalise(a)
            if na not in norm_article:
                problems.append(f"{where}: answer {a!r} not found in article")
            if na not in norm_ev:
                problems.append(f"{where}: answer {a!r} not found in its evidence")

    for qid, n in ids.items():
        if n > 1:
            problems.append(f"duplicate id {qid!r} ({n} times)")

    total = sum(types.values())
    if total < MIN_TOTAL:
        problems.append(f"only {total} questions, need at least {MIN_TOTAL}")
    for label, tset, minimum in MINIMUMS:
        n = sum(types[t] for t in tset)
        if n < minimum:
            problems.append(f"only {n} {label} questions, need at least {minimum}")

    # summary
    print(f"{total} questions in {QUESTIONS}")
    for t in sorted(ALLOWED_TYPES | set(types)):
        print(f"  {t:13s} {types[t]:3d}")
    for label, tset, minimum in MINIMUMS:
        n = sum(types[t] for t in tset)
        print(f"  [{'ok' if n >= minimum else 'FAIL'}] {label}: {n} (min {minimum})")
    # coverage of the article by fact-style evidence, in fifths of the text
    fifths = Counter(min(4, pos * 5 // len(article))
                     for t, pos in evidence_offsets if t in FACT_TYPES)
    print("  fact-style evidence by article fifth: "
          + " ".join(f"{i + 1}:{fifths[i]}" for i in range(5)))
    if any(fifths[i] == 0 for i in range(5)):
        problems.append("fact-style questions do not cover every fifth of the article")

    if problems:
        print(f"\n{len(problems)} problem(s):")
        for p in problems:
            print("  - " + p)
        return 1
    print("\nOK: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
