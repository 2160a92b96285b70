"""Training side of the span reader: rebuild, gauge and export the model kept in ``../shared/models``.

These scripts stand beside the ``qa`` library and are never imported by it: torch and transformers are
needed here only. See ``training/README.md`` for the commands.
"""
