"""Stage 3, answering: a question and retrieved passages in, an :class:`~qa.answering.answer.Answer` out.

- :mod:`~qa.answering.answer`: ``Answer`` and ``Citation`` (what every reader returns);
- :mod:`~qa.answering.question_types`: what a question asks for (a date, a number, a name, ...);
- :mod:`~qa.answering.reader`: the ``Reader`` interface and the helpers every reader shares;
- :mod:`~qa.answering.weights`: the extractive reader's fitted weights (``calibration.json``);
- :mod:`~qa.answering.extractive`: ``ExtractiveReader``, the default;
- :mod:`~qa.answering.chain`: the LangChain runnable, question and history -> query -> retriever -> reader.

Imports :mod:`qa.ingest` and :mod:`qa.search` among the stages.
"""
