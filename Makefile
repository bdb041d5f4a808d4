# One command each: `make run` serves the app, `make test` runs the whole suite. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt pyproject.toml | cksum | cut -d' ' -f1)
PORT ?= 8501
# OpenMP threads that sleep instead of spinning while they wait: with the default (spinning), two torch threads on a
# busy 2-core machine (tests, a browser, the server) ran training 10-40x slower.
export OMP_WAIT_POLICY ?= PASSIVE

.PHONY: install run test lint browser bench clean

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .  # `import dlplay` from anywhere (a notebook too)
	@rm -f $(VENV)/.installed-*
	@touch $@

run: $(STAMP)
	$(PY) -m streamlit run app.py --server.port $(PORT) --browser.gatherUsageStats false

browser:
	@bash scripts/ensure_chromium.sh

lint: $(STAMP)
	$(PY) -m ruff check .

test: $(STAMP) browser lint
	$(PY) -m pytest

bench: $(STAMP)  # each prints its figures; bench_ui needs Debian's chromium (make browser)
	$(PY) benchmarks/bench_training_loop.py
	$(PY) benchmarks/bench_race.py
	$(PY) benchmarks/bench_cnn.py
	$(PY) benchmarks/bench_rnn.py
	$(PY) benchmarks/bench_attention.py
	$(PY) benchmarks/bench_generative.py
	$(PY) benchmarks/bench_architectures.py
	$(PY) benchmarks/bench_practical.py
	$(PY) benchmarks/bench_ui.py

clean:
	rm -rf $(VENV) .pytest_cache tests/screenshots
