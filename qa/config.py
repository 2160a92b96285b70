"""Settings that come from the environment (and feed the CLI's options).

| variable              | meaning                                   | default   |
|-----------------------|-------------------------------------------|-----------|
| ``QA_CORPUS``         | folder of documents                       | ``corpus``|
| ``QA_INDEX``          | folder of the persisted index             | ``index`` |
| ``QA_TOP_K``          | passages retrieved per question           | ``4``     |
| ``QA_MAX_QUESTION_CHARS`` | longest question accepted             | ``1000``  |
| ``QA_CACHE_DIR``      | where the ONNX export of the model is kept| ``~/.cache/qa`` |
| ``QA_MAX_FILE_BYTES`` | largest document file indexed             | 20 MiB    |
"""

from __future__ import annotations

import os
from pathlib import Path


def corpus_dir() -> Path:
    return Path(os.environ.get("QA_CORPUS") or "corpus")


def index_dir() -> Path:
    return Path(os.environ.get("QA_INDEX") or "index")


def top_k() -> int:
    return int(os.environ.get("QA_TOP_K") or 4)


def max_question_chars() -> int:
    return int(os.environ.get("QA_MAX_QUESTION_CHARS") or 1000)
