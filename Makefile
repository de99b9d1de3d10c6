# NexusTop: the two commands a newcomer needs are `make run` and `make test`.
# Each creates the virtual environment with the pinned requirements on first use.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements/base.txt requirements/prod.txt requirements/dev.txt | cksum | cut -d' ' -f1)
export PYTHONPATH := $(CURDIR):$(CURDIR)/platform

.PHONY: run test lint typecheck bench clean-local venv checkov

$(STAMP): requirements/base.txt requirements/prod.txt requirements/dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

venv: $(STAMP)

## Run the platform with demo data (embedded PostgreSQL and Valkey unless DATABASE_URL/REDIS_URL are set).
run: $(STAMP)
	$(BIN)/python -m nexustop_dev.devstack run

## Run the whole test suite (real PostgreSQL and Redis; embedded ones when none are configured).
test: $(STAMP)
	$(BIN)/python -m nexustop_dev.testrun

## ruff over the whole tree (rules in pyproject.toml). CI runs it before the tests.
lint: $(STAMP)
	$(BIN)/ruff check .

## mypy with django-stubs and djangorestframework-stubs over the whole codebase, tests included (the files
## in pyproject.toml; settings nexustop.settings.test). Zero errors; CI runs it before the tests.
typecheck: $(STAMP)
	$(BIN)/mypy

clean-local:
	$(BIN)/python -m nexustop_dev.devstack reset

## checkov on infra/terraform, from its own pinned venv (.venv-checkov, created on first use).
checkov:
	infra/bin/checkov
