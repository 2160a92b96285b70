"""How much the ``qa`` command and the chat window say: quiet by default, more with ``-v``.

Quiet (``verbose=0``): warnings and errors only, and third-party chatter silenced (FAISS's
"could not load library with AVX512 support" notices, bm25s's debug lines, pypdf's notes
on damaged files, the "Loading weights" progress bar of transformers). ``-v``: information
from every library and their progress bars; ``-vv``: debug lines too.

Whatever the level, no secret reaches a log line: every record, of every logger and whichever
handler writes it, is redacted when it is made (a :class:`~qa.answering.redaction.RedactingFilter`
run by the log record factory, and installed on the root handlers too): API keys, tokens and the
password of a ``user:password@`` URL, in the message, its arguments and its traceback.

    >>> configure_logging(0); logging.getLogger("faiss.loader").isEnabledFor(logging.INFO)
    False
"""

from __future__ import annotations

import logging
import os

from ..answering.redaction import RedactingFilter

NOISY = ("faiss", "faiss.loader", "bm25s", "pypdf", "httpx", "httpcore", "sentence_transformers", "transformers",
         "urllib3", "matplotlib", "PIL")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(verbose: int = 0) -> None:
    """Set the log level of the process: 0 quiet, 1 information, 2 and more debug."""
    level = logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format=FORMAT, force=True)
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.ERROR if verbose <= 0 else level)
    logging.getLogger("qa").setLevel(level)
    install_redaction()
    if verbose <= 0:
        os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"    # read when huggingface_hub is imported
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        _transformers_bars(False)
    else:
        os.environ.pop("HF_HUB_DISABLE_PROGRESS_BARS", None)
        _transformers_bars(True)


def install_redaction() -> None:
    """Redact secrets from every log record (see the module docstring); calling it again changes nothing."""
    redacting = RedactingFilter()
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(redacting)
    factory = logging.getLogRecordFactory()
    if getattr(factory, "redacts", False):
        return

    def make_record(*args, **kwargs) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        redacting.filter(record)
        return record

    make_record.redacts = True
    logging.setLogRecordFactory(make_record)


def quiet_progress() -> bool:
    """Should library progress bars stay hidden (the process was not asked to be verbose)?"""
    return os.environ.get("HF_HUB_DISABLE_PROGRESS_BARS") == "1"


def _transformers_bars(on: bool) -> None:
    """Switch transformers' progress bars, if it is imported already (else the variable does it)."""
    import sys

    module = sys.modules.get("transformers.utils.logging")
    if module is not None:
        (module.enable_progress_bar if on else module.disable_progress_bar)()
