"""Training side of ``qa``: rebuild, gauge and export the span reader kept in ``../shared/models``, and
fit the weights ``qa`` ships (``calibrate_reader``: the reader's weights and threshold; ``fit_verifier``:
the written-answer verifier), from the public data in ``../shared/datasets``.

These scripts stand beside the ``qa`` library and use it; it never imports them. torch and
transformers are needed for the span reader's training only. See ``training/README.md`` for the commands.
"""
