# Twofold: `make run` starts the demo, `make test` runs the whole suite.
# Every target builds .venv from pyproject.toml first (again whenever pyproject.toml changes).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
# The size of the generated demo organisation (`make run DEMO_PEOPLE=300` for a quicker first start).
DEMO_PEOPLE ?= 2000
# `make test` runs the suite in this many processes (pytest-xdist; each has its own test database;
# tests marked with one xdist_group share a process); 0 runs it in this one process.
PYTEST_WORKERS ?= 2

.PHONY: venv run test test-postgres lint bench screenshots clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The background worker runs beside the web server (match runs, invitation emails); Ctrl-C stops both.
# Links in emails start from SITE_URL, by default the address served here.
run: venv
	SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} $(BIN)/twofold demo --people $(DEMO_PEOPLE)
	@SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)}; export SITE_URL; \
	$(BIN)/twofold worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/twofold runserver $(HOST):$(PORT)

test: venv
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

test-postgres: venv
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/twofold} $(MAKE) test

lint: venv
	$(BIN)/ruff check twofold tests benchmarks
	$(BIN)/ruff format --check twofold tests benchmarks
	$(BIN)/mypy twofold
	$(BIN)/lint-imports

bench: venv
	$(BIN)/python benchmarks/import_people.py
	$(BIN)/python benchmarks/matching.py
	$(BIN)/python benchmarks/pages.py
	$(BIN)/python benchmarks/scale_data.py --database twofold_scale_100k --keep-existing
	$(BIN)/python benchmarks/api.py --template twofold_scale_100k

screenshots: venv
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) var/test-* .pytest_cache .mypy_cache .ruff_cache
