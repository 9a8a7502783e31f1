# Two commands on a fresh machine: `make check` and `make test`.
# Both create .venv (the virtualenv Pulumi.yaml and policies/PulumiPolicy.yaml name) on first use.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= dev

.PHONY: check test lint clean

# Reinstall whenever the project's dependencies change.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

## check: offline check of a stack (default dev): no cluster or cloud account needed
check: $(VENV)/.installed
	$(PY) -m pipeline.check --stack $(STACK)

## test: lint, then the whole test suite
test: $(VENV)/.installed lint
	$(PY) -m pytest

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
