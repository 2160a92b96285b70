# The two commands of the README:
#   make run    set up (first time only) and open the chat on the bundled corpus at http://127.0.0.1:7860
#   make test   set up (first time only) and run the whole test suite
PY := .venv/bin/python
SHARED := ../shared/datasets
XQUAD := $(SHARED)/xquad-en.json

.PHONY: run test test-fast setup bench eval index results calibrate fit-verifier train-reader

setup:
	@bash scripts/setup.sh

run: setup
	$(PY) ui.py

test:
	@QA_BROWSER=1 bash scripts/setup.sh
	$(PY) -m pytest

# Unit tests only: no model, no server, no browser; on every core (pytest-xdist).
test-fast: setup
	$(PY) -m pytest -m "not slow and not browser" -n auto

index: setup
	$(PY) -m qa index

eval: setup
	$(PY) -m qa eval

# this project beside the stock recipe; the numbers go to docs/results/bench.json and the table in docs/evaluation.md
bench: setup
	$(PY) -m benchmarks.run --json docs/results/bench.json
	$(PY) scripts/readme_tables.py

# qa eval on the bundled set, XQuAD (trained on by the span reader), COVID-QA and PolicyQA (held out), the public
# sets on their test halves (by article; `make calibrate` fits on the dev halves), 600 of PolicyQA's spread over it (by a hash of their ids);
# the bundled set's summary (numbers only) goes to docs/results/, the public sets' stay in eval-results/ (made from
# ../shared/datasets, never kept in the repository), and the tables of docs/evaluation.md are rewritten from both. COVID-QA takes the longest (98 papers).
results: setup
	$(PY) -m qa eval --extractive --out eval-results/bundled
	$(PY) -m qa eval --extractive --split test --squad $(XQUAD) --out eval-results/xquad-en
	$(PY) -m qa eval --extractive --split test --squad $(SHARED)/eval/covidqa.json --out eval-results/covidqa
	$(PY) -m qa eval --extractive --split test --sample 600 --squad $(SHARED)/eval/policyqa-test.json --out eval-results/policyqa-test
	mkdir -p docs/results
	cp eval-results/bundled/summary.json docs/results/eval-summary-bundled.json
	$(PY) scripts/readme_tables.py

# Fit the span reader's weights again (XQuAD, COVID-QA and the bundled set; dev halves) into
# eval-results/calibration/span.json and say whether they match the shipped ones;
# make calibrate ARGS=--write replaces qa/answering/calibration/span.json (training/calibrate_reader.py).
calibrate: setup
	$(PY) -m training.calibrate_reader $(ARGS)

# Fit the written-answer verifier again (XQuAD and the bundled set; dev halves) into eval-results/verifier/;
# make fit-verifier ARGS=--write replaces qa/answering/calibration/verifier.json (training/fit_verifier.py).
fit-verifier: setup
	$(PY) -m training.fit_verifier $(ARGS)

# Rebuild the span reader from ../shared/datasets (training/README.md), e.g. make train-reader ARGS="--out /tmp/reader"
train-reader: setup
	$(PY) -m training.train_reader $(ARGS)
