# Two commands matter: `make run` (set up and run the bot) and `make test` (set up and test).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup run sandbox test lint screenshot bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	touch $@

run: setup
	$(BIN)/yimen run

sandbox: setup
	$(BIN)/yimen sandbox --demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/yimen flows check
	$(BIN)/python -m pytest -q

# Redraw docs/sandbox.png (the README's picture) from the browser test.
screenshot: setup
	UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/browser

bench: setup
	$(BIN)/python bench/screening.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
