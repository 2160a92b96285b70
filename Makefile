# The two commands of the README:
#   make run    set up (first time only) and open the chat on the bundled corpus at http://127.0.0.1:7860
#   make test   set up (first time only) and run the whole test suite
PY := .venv/bin/python
XQUAD := ../shared/datasets/xquad-en.json

.PHONY: run test test-fast setup bench eval index results

setup:
	@bash scripts/setup.sh

run: setup
	$(PY) ui.py

test:
	@QA_BROWSER=1 bash scripts/setup.sh
	$(PY) -m pytest

# Unit tests only: no model, no server, no browser.
test-fast: setup
	$(PY) -m pytest -m "not slow and not browser"

index: setup
	$(PY) -m qa index

eval: setup
	$(PY) -m qa eval

bench: setup
	$(PY) -m benchmarks.run

# qa eval on the bundled set and on XQuAD; the reports go to docs/results/ and the README's tables are rewritten.
results: setup
	$(PY) -m qa eval --out eval-results/bundled
	$(PY) -m qa eval --squad $(XQUAD) --out eval-results/xquad-en
	mkdir -p docs/results
	cp eval-results/bundled/report.json docs/results/bundled.json
	cp eval-results/xquad-en/report.json docs/results/xquad-en.json
	$(PY) scripts/readme_tables.py
