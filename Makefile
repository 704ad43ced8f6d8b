# vpnlearn: the two set-up commands are `make lab` and `make test` (see README.md).
# Everything is installed inside the checkout (.venv/) plus the Debian packages in
# debian-packages.txt; re-running is fast when nothing changed.

SHELL := /bin/bash
PYTHON ?= /usr/bin/python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8888
PYTEST_ARGS ?=

.PHONY: lab test install system notebooks lint bench clean

$(STAMP): pyproject.toml constraints.txt debian-packages.txt
	bash scripts/install-system.sh debian-packages.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[lab,test]'
	bash scripts/install-lab-settings.sh $(VENV)
	touch $@

install: $(STAMP)

## Open the course in JupyterLab (prints the URL).
lab: $(STAMP)
	$(BIN)/python -m vpnlearn.lab --port $(PORT)

## Run the whole test suite: lint, library and quiz tests, real peers, notebooks (nbval), browser.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	$(BIN)/python scripts/run-nbval.py

## Re-execute every notebook and store its outputs (deterministic).
notebooks: $(STAMP)
	$(BIN)/python scripts/build-notebooks.py

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
