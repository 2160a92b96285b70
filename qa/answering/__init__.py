"""Stage 3, answering: a question and retrieved passages in, an :class:`~qa.answering.answer.Answer` out.

- :mod:`~qa.answering.answer`: ``Answer`` and ``Citation`` (what every reader returns);
- :mod:`~qa.answering.question_types`: what a question asks for (a date, a number, a name, ...);
- :mod:`~qa.answering.reader`: the ``Reader`` interface and the helpers every reader shares;
- :mod:`~qa.answering.weights`: the extractive reader's fitted weights (``calibration.json``);
- :mod:`~qa.answering.extractive`: ``ExtractiveReader``, the default;
- :mod:`~qa.answering.chain`: the LangChain runnable, question and history -> query -> retriever -> reader;
- :mod:`~qa.answering.generative`: ``GenerativeReader``, a chat model writes the answer (``QA_LLM``), with
  :mod:`~qa.answering.chat_model` and :mod:`~qa.answering.gguf` (which model), :mod:`~qa.answering.prompt`,
  :mod:`~qa.answering.llm_call` (deadline, retries, streaming), :mod:`~qa.answering.claims` (its sentences),
  :mod:`~qa.answering.verify` with :mod:`~qa.answering.evidence` and :mod:`~qa.answering.injection` (the check
  of every sentence, ``verifier.json``) and :mod:`~qa.answering.written` (the answer from what passed).

Imports :mod:`qa.ingest` and :mod:`qa.search` among the stages.
"""
