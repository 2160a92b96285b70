"""Stage 4, the application: the ways people ask.

- :mod:`~qa.app.api`: ``Answerer`` (a corpus, its index, a retriever and a reader) and ``qa.ask``;
- :mod:`~qa.app.cli`: the ``qa`` command;
- :mod:`~qa.app.conversation`: a chat conversation as plain data, and the handler that never raises;
- :mod:`~qa.app.render`: the chat window's HTML, everything escaped;
- :mod:`~qa.app.gradio_app`: the Gradio app (``ui.py`` launches it), style and script in ``static/``;
- :mod:`~qa.app.server`, :mod:`~qa.app.guard`, :mod:`~qa.app.auth`: serving it safely (start-up
  checks and ``launch()`` arguments, the request guard and security headers, log-ins).

Imports every earlier stage and :mod:`qa.pipeline`; :mod:`qa.eval` only from the CLI's ``eval`` command.
"""
