# The README's two commands are `make serve` and `make test`; .ci/run calls these targets too.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: serve test lint soak bench bench-large bench-media check-wrk install install-test assets schema clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml $(VENV)/.runtime-installed
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

# GraphiQL's and Swagger UI's browser assets and the graphql-http audit, from the npm registry
# (never a CDN). No package needs an install script; swagger-ui-dist's dependency has a
# telemetry one.
assets/node_modules/.installed: assets/package.json assets/package-lock.json
	cd assets && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.runtime-installed assets/node_modules/.installed
install-test: $(VENV)/.test-installed assets/node_modules/.installed
assets: assets/node_modules/.installed

serve: install
	$(BIN)/citygraph serve --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/python -m pytest

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/deptry .
	assets/node_modules/.bin/graphql-schema-linter  # schema.graphql: .graphql-schema-linterrc.yaml

# Benchmarks (not tests): throughput against a static-bytes ceiling on SQLite and PostgreSQL with
# wrk, then bcrypt's effect on other requests. BENCH_* variables: tests/benchmarks/config.py.
bench: install-test check-wrk
	$(BIN)/python -m tests.benchmarks.throughput
	$(BIN)/python -m tests.benchmarks.login_contention

# Soak (not a test): 2 workers on a private PostgreSQL, 64 clients, PostgreSQL stopped for 10 s
# mid-run; fails on a lost or duplicated write or an answer outside 2xx/4xx/503. SOAK_DURATION.
soak: install-test
	$(BIN)/python -m tests.soak.run

bench-media: install-test
	$(BIN)/python -m tests.benchmarks.media_store

bench-large: install-test check-wrk
	$(BIN)/python -m tests.benchmarks.throughput --large

check-wrk:
	@command -v wrk >/dev/null || { echo "the benchmarks need wrk: apt-get install wrk" >&2; exit 1; }

schema: install
	$(BIN)/citygraph export-schema > schema.graphql

clean:
	rm -rf $(VENV) var dist build test-artifacts assets/node_modules
