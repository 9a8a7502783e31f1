# Two commands on a fresh machine: `make check` and `make test`.
# Both create .venv (the virtualenv Pulumi.yaml and policies/PulumiPolicy.yaml name) on first use.

PYTHON ?= python3
PULUMI ?= pulumi
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= dev
POLICY_ARGS = --policy-pack policies --policy-pack-config policies/config/$(STACK).json

.PHONY: install check test lint bench preview up clean

## install: create .venv and install the project with its test tools
install: $(VENV)/.installed

# Reinstall whenever the project's dependencies change.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

## check: offline check of a stack (default dev): no cluster or cloud account needed
check: install
	$(PY) -m pipeline.check --stack $(STACK)

## test: lint, then the whole test suite
test: install lint
	$(PY) -m pytest

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

## bench: speed, scale and memory of the offline check against the SDK's floors (~9 min on 2
## cores); a quick run (~1 min): make bench BENCH_ARGS="--runs 1 --sizes 1,10"
bench: install
	$(PY) benchmarks/offline_check.py $(BENCH_ARGS)

## preview: offline check, then `pulumi preview` of STACK with its policy config
preview: check
	$(PULUMI) preview --stack $(STACK) $(POLICY_ARGS)

## up: offline check, then `pulumi up` of STACK with its policy config (prod: CONFIRM=prod)
up:
	@if [ "$(STACK)" = prod ] && [ "$(CONFIRM)" != prod ]; then \
		echo "refusing to deploy prod: run 'make up STACK=prod CONFIRM=prod' to confirm" >&2; \
		exit 2; \
	fi
	$(MAKE) --no-print-directory check STACK=$(STACK)
	$(PULUMI) up --stack $(STACK) $(POLICY_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
