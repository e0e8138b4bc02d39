# Two commands do everything: `make run` and `make test`. Each bootstraps its own .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run demo test lint install clean screenshots

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	HUB_DEMO=$${HUB_DEMO:-1} $(BIN)/hub db upgrade
	HUB_DEMO=$${HUB_DEMO:-1} $(BIN)/hub seed --demo --if-empty
	HUB_DEMO=$${HUB_DEMO:-1} $(BIN)/hub serve --host 127.0.0.1 --port 8000

# The hub with three member units simulated on loopback (the registry polling the 查控 service, two by
# http-push), answering a query to all units; then a seal registered by the polling registry.
demo: $(STAMP)
	$(BIN)/python -m hub.simulator.demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The suite on SQLite and, side by side, on PostgreSQL when one answers (HUB_TEST_PG_URL, default the local one).
test: $(STAMP) lint
	./tests/ensure-chromium
	./tests/ensure-axis
	$(BIN)/python -m tests.run_backends

# The README's screenshots, taken by the browser tests in Debian's Chromium.
screenshots: $(STAMP)
	./tests/ensure-chromium
	HUB_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/browser

clean:
	rm -rf $(VENV) var

# The benchmark (bench/README.md): every figure in one table, written to bench/RESULTS.md; not part of
# `make test`. Uses PostgreSQL too when one answers (HUB_TEST_PG_URL). Quicker: make bench BENCH_ARGS=--quick
.PHONY: bench
bench: $(STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)
