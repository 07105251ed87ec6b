# Twofold: `make run` starts the demo, `make test` runs the whole suite.
# Every target builds .venv from pyproject.toml first (again whenever pyproject.toml changes).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: venv run test test-postgres lint bench screenshots clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: venv
	$(BIN)/twofold demo
	$(BIN)/twofold runserver $(HOST):$(PORT)

test: venv
	$(BIN)/pytest $(PYTEST_ARGS)

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

screenshots: venv
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) var/test-* .pytest_cache .mypy_cache .ruff_cache
