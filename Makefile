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

# The suite keeps its own database files and Celery folders under var/test.
test: $(VENV)/.dev
	VAR_DIR=var/test $(BIN)/pytest $(PYTEST_ARGS)

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

# Import and first-training figures on a throwaway SQLite file and, when reachable, PostgreSQL.
# ENCORE_BENCHMARKS=1 installs the benchmarks app, where the bench_* commands live.
bench: export ENCORE_BENCHMARKS = 1
bench: $(VENV)/.dev
	@tmp=$$(mktemp -d) && VAR_DIR=$$tmp $(BIN)/python manage.py bench_import; rm -rf $$tmp
	@if pg_isready -h 127.0.0.1 -q 2>/dev/null; then \
		psql -h 127.0.0.1 -U postgres -qc 'DROP DATABASE IF EXISTS encore_bench' && \
		psql -h 127.0.0.1 -U postgres -qc 'CREATE DATABASE encore_bench' && \
		tmp=$$(mktemp -d) && VAR_DIR=$$tmp DATABASE_URL=postgres://postgres@127.0.0.1:5432/encore_bench \
			$(BIN)/python manage.py bench_import; \
		rm -rf $$tmp; psql -h 127.0.0.1 -U postgres -qc 'DROP DATABASE encore_bench'; \
	fi
