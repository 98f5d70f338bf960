# Encore: `make run` serves the platform, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test lint format migrations-check bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	$(BIN)/python manage.py run

# The suite keeps its own database files and Celery folders under var/test (var/test/gw0, gw1 per
# xdist worker: tests/xdist_env.py). Two workers, one per core here; PYTEST_ARGS="-n 0" runs in one process.
# xdist's default --dist load: the scope- and group-based modes key tests by node id, and the 31
# schemathesis cases of tests/api/test_fuzz_schema.py share one, so they would run only one of them.
test: $(VENV)/.dev
	VAR_DIR=var/test $(BIN)/pytest -n 2 $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: $(VENV)/.dev
	VAR_DIR=var/test $(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf var/test .pytest_cache

# Import and first-training figures, then the many-workspaces run (200 tenants retrained on two
# Celery workers and served under wrk) on the catalog and model the import left: on a throwaway
# SQLite file with the embedded broker and, when reachable, on PostgreSQL (with Redis as broker
# and cache when it answers too). ENCORE_BENCHMARKS=1 installs the benchmarks app (bench_* commands).
bench: export ENCORE_BENCHMARKS = 1
bench: $(VENV)/.dev
	@tmp=$$(mktemp -d) && VAR_DIR=$$tmp $(BIN)/python manage.py bench_import && \
		VAR_DIR=$$tmp $(BIN)/python manage.py bench_workspaces; rm -rf $$tmp
	@if pg_isready -h 127.0.0.1 -q 2>/dev/null; then \
		psql -h 127.0.0.1 -U postgres -qc 'DROP DATABASE IF EXISTS encore_bench' && \
		psql -h 127.0.0.1 -U postgres -qc 'CREATE DATABASE encore_bench' && \
		tmp=$$(mktemp -d) && export VAR_DIR=$$tmp DATABASE_URL=postgres://postgres@127.0.0.1:5432/encore_bench && \
		$(BIN)/python manage.py bench_import && \
		if redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then \
			export CELERY_BROKER_URL=redis://127.0.0.1:6379/9 CACHE_URL=redis://127.0.0.1:6379/10; fi && \
		$(BIN)/python manage.py bench_workspaces; \
		rm -rf $$tmp; psql -h 127.0.0.1 -U postgres -qc 'DROP DATABASE encore_bench'; \
	fi
