"""Evaluation and calibration, beside the pipeline (nothing in it imports this package,
except the CLI's ``eval`` and ``calibrate`` commands, lazily).

- :mod:`~qa.eval.questions`: question sets (JSONL) and their stable dev/test halves;
- :mod:`~qa.eval.metrics`: answer normalisation, scoring, the metrics;
- :mod:`~qa.eval.report`: report.json, report.md and the chart;
- :mod:`~qa.eval.run`: ``qa eval``;
- :mod:`~qa.eval.squad`: SQuAD-format files as a corpus and a question set;
- :mod:`~qa.eval.stock`: the stock LangChain recipe, the yardstick;
- :mod:`~qa.eval.calibrate`, :mod:`~qa.eval.calibration`: fitting the reader's weights (``qa calibrate``).
"""
