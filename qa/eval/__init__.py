"""Evaluation, beside the application (nothing in the pipeline imports this package, and only
the CLI's ``eval`` command does, lazily; it imports the stages and :mod:`qa.pipeline`, never :mod:`qa.app`).

- :mod:`~qa.eval.questions`: question sets (JSONL) and their stable dev/test halves;
- :mod:`~qa.eval.metrics`: answer normalisation, scoring, the metrics;
- :mod:`~qa.eval.report`: report.json, report.md and the chart;
- :mod:`~qa.eval.run`: ``qa eval``;
- :mod:`~qa.eval.squad`: SQuAD-format files as a corpus and a question set;
- :mod:`~qa.eval.stock`: the stock LangChain recipe, the yardstick.

Fitting the shipped weights (calibration, the verifier) is training: ``training/``.
"""
