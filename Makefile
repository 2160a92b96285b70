# The two commands of the README:
#   make run    set up (first time only) and open the chat on the bundled corpus at http://127.0.0.1:7860
#   make test   set up (first time only) and run the whole test suite
PY := .venv/bin/python

.PHONY: run test setup bench eval index train-reader

setup:
	@bash scripts/setup.sh

run: setup
	$(PY) ui.py

test:
	@QA_BROWSER=1 bash scripts/setup.sh
	$(PY) -m pytest

index: setup
	$(PY) -m qa index

eval: setup
	$(PY) -m qa eval

bench: setup
	$(PY) benchmarks/run.py

# Rebuild the span reader from ../shared/datasets (training/README.md), e.g. make train-reader ARGS="--out /tmp/reader"
train-reader: setup
	$(PY) -m training.train_reader $(ARGS)
