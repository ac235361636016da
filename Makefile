# Two entry points: `make demo` runs the embedded default, `make test` runs the test suite.
# Both create .venv (unless a virtual environment is active) and install the project first.
VENV ?= .venv
ifdef VIRTUAL_ENV
PY := python
else
PY := $(VENV)/bin/python
endif
CORES ?= 2

# Install stamps: pip runs again only when pyproject.toml changes (or the stamp is removed).
ENV_DIR := $(if $(VIRTUAL_ENV),$(VIRTUAL_ENV),$(VENV))

.PHONY: install install-test demo test test-cluster lint bench check-demo-env

$(VENV)/bin/python:
	@if [ -z "$(VIRTUAL_ENV)" ]; then python3 -m venv $(VENV); fi

$(ENV_DIR)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(ENV_DIR)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $@ $(ENV_DIR)/.installed

install: $(ENV_DIR)/.installed

install-test: $(ENV_DIR)/.installed-test

demo: install
	$(PY) -m snakemake --cores $(CORES)
	$(PY) -m snakemake --report results/report.html

test: install-test
	$(PY) -m ruff check common icnn decoders pipeline tests benchmarks workflow/scripts
	$(PY) -m pytest -q tests --ignore=tests/cluster

# The workflow through profiles/slurm on a single-node SLURM started here (root: installs
# Debian's slurm-wlm, slurmdbd, munge and mariadb-server when missing).
test-cluster: install-test
	PYTHON=$(PY) bash .ci/slurm/test.sh

# `make demo`'s environment (runtime dependencies only) runs the tiny workflow and its report.
check-demo-env:
	bash .ci/demo-env-check

bench: install-test
	$(PY) benchmarks/bench_icnn.py
	$(PY) benchmarks/bench_decoder.py
	$(PY) benchmarks/dgn_check.py
	$(PY) benchmarks/bench_demo.py
