#!/usr/bin/env bash
# Create .venv and install the project with everything the app and the tests need.
# Idempotent and quick when nothing changed. Used by `make run`, `make test` and .ci/run.
#   QA_PYTHON   interpreter to build the venv with (default: python3)
#   QA_TORCH    torch requirement installed first (default: torch==2.13.0, a CPU build on
#               machines that keep one on disk; set it to e.g. "torch" to let pip choose)
#   QA_BROWSER  1 (default for `make test`) also installs Debian's chromium for the browser tests
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${QA_PYTHON:-python3}
VENV=.venv
stamp_src=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)
stamp="$VENV/.installed-$stamp_src"

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
if [ ! -f "$stamp" ]; then
  "$VENV/bin/python" -m pip install --quiet --upgrade pip 2>/dev/null || true
  # torch first: with a CPU build in place, the range in pyproject.toml is met and nothing bigger is fetched.
  if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
    "$VENV/bin/python" -m pip install --quiet "${QA_TORCH:-torch==2.13.0}"
  fi
  "$VENV/bin/python" -m pip install --quiet -e ".[dev]"
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
