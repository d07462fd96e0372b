# undercount: two commands.
#   make results   set up .venv if needed, run the whole workflow on config/config.yaml, write the report
#   make test      set up .venv if needed, run every test (including a full workflow run)
# Override the interpreter with `make PYTHON=/path/to/python3.11 ...`.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= config/config.yaml

.PHONY: results test report install install-test clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "undercount needs Python 3.11 or newer; run make PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

results: $(VENV)/.installed
	$(BIN)/snakemake --profile profiles/default --configfile $(CONFIG)
	$(BIN)/snakemake --configfile $(CONFIG) --report results/report.html

report: $(VENV)/.installed
	$(BIN)/snakemake --configfile $(CONFIG) --report results/report.html

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

clean:
	rm -rf results logs .snakemake
